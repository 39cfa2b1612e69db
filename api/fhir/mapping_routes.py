"""``ConceptMap/$translate`` (type level and on one stored map), GET and POST, on both wire versions.

Parameter names of both FHIR versions are accepted on both bases (clients and the HL7 test runner mix
them): R5 ``sourceCode`` / ``sourceSystem`` / ``sourceVersion`` / ``sourceCoding`` /
``sourceCodeableConcept``, ``targetCode`` / ``targetCoding`` / ``targetCodeableConcept`` (reverse),
``targetSystem``, ``sourceScope``, ``targetScope``; R4 ``code`` / ``system`` / ``version`` / ``coding`` /
``codeableConcept``, ``source``, ``target``, ``targetsystem``, ``reverse``. Answers carry
``relationship`` (R5) and, on the R4 wire, ``equivalence`` (the R4 code for it) as well.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

import mappings

from .convert import RELATIONSHIP_TO_EQUIVALENCE
from .params import OpParams, op_params
from .render import coding, fhir_response

OPS = ["GET", "POST"]


def mapping_router(fhir_version: str) -> APIRouter:
    router = APIRouter()

    async def translator(request: Request) -> mappings.Translator:
        return request.app.state.translator

    def translate(params: OpParams = Depends(op_params),
                  tr: mappings.Translator = Depends(translator)) -> Response:
        """Translate a code with ConceptMaps, forward or reverse (OperationDefinition ConceptMap-translate)."""
        return fhir_response(_render(tr.translate(translate_request(params)), fhir_version), fhir_version)

    def translate_one(id: str, request: Request, params: OpParams = Depends(op_params),
                      tr: mappings.Translator = Depends(translator)) -> Response:
        """Translate with one stored ConceptMap."""
        cm = request.app.state.repository.read("ConceptMap", id)
        req = translate_request(params, url=cm.get("url"), version=cm.get("version"))
        return fhir_response(_render(tr.translate(req), fhir_version), fhir_version)

    v = f"r{fhir_version[0]}"
    for method in OPS:
        router.add_api_route("/ConceptMap/$translate", translate, methods=[method], tags=[f"FHIR R{fhir_version[0]}"],
                             summary="ConceptMap/$translate", operation_id=f"translate_{method.lower()}_{v}")
        router.add_api_route("/ConceptMap/{id}/$translate", translate_one, methods=[method],
                             tags=[f"FHIR R{fhir_version[0]}"], summary="ConceptMap/[id]/$translate",
                             operation_id=f"translate_one_{method.lower()}_{v}")
    return router


def translate_request(p: OpParams, *, url: str | None = None, version: str | None = None) -> mappings.TranslateRequest:
    """The request, from the parameters of either FHIR version."""
    reverse = p.boolean("reverse")
    code, system, code_version = p.text("sourceCode") or p.text("code"), \
        p.text("sourceSystem") or p.text("system"), p.text("sourceVersion") or p.text("version")
    source_system = None
    given = p.coding("sourceCoding") or p.coding("coding") or _first(p.one("sourceCodeableConcept")) \
        or _first(p.one("codeableConcept"))
    target = p.text("targetCode")
    target_given = p.coding("targetCoding") or _first(p.one("targetCodeableConcept"))
    if target or target_given:
        reverse = True
        source_system = system
        code = target or target_given.get("code")
        system = (target_given or {}).get("system")
    elif given:
        code, system, code_version = given.get("code"), given.get("system"), given.get("version")
    resources = tuple(r for r in p.all("tx-resource") if isinstance(r, dict))
    return mappings.TranslateRequest(
        code=code or "", system=system, version=code_version, reverse=reverse,
        target_system=p.text("targetSystem") or p.text("targetsystem"), source_system=source_system,
        url=url or p.text("url"), concept_map_version=version or p.text("conceptMapVersion"),
        source_scope=p.text("sourceScope") or p.text("source"), target_scope=p.text("targetScope") or p.text("target"),
        resources=resources)


def _first(cc) -> dict | None:
    if isinstance(cc, dict) and cc.get("coding"):
        return cc["coding"][0]
    return None


def _render(r: mappings.TranslateResult, fhir_version: str) -> dict:
    params: list[dict] = [{"name": "result", "valueBoolean": r.result}]
    if r.message:
        params.append({"name": "message", "valueString": r.message})
    for m in r.matches:
        parts: list[dict] = [{"name": "relationship", "valueCode": m.relationship}]
        if fhir_version == "4.0":
            parts.append({"name": "equivalence", "valueCode": RELATIONSHIP_TO_EQUIVALENCE.get(m.relationship,
                                                                                              "relatedto")})
        if m.concept is not None:
            parts.append({"name": "concept", "valueCoding": coding(m.concept)})
        if m.source is not None:
            parts.append({"name": "source", "valueCoding": coding(m.source)})
        parts.append({"name": "originMap", "valueCanonical": m.origin_map})
        params.append({"name": "match", "part": parts})
    return {"resourceType": "Parameters", "parameter": params}
