"""Results to FHIR JSON: explicit functions producing plain dicts (STYLE.md principle 7).

Outbound resources are R5; :func:`fhir_response` converts them for the R4 wire. The golden tests check the
output of each renderer against the ``fhir.resources`` models, so the server never pays for model
validation of large answers at run time.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

import orjson
from fastapi import Response

import terminology as t

from .convert import to_r4

TX_ISSUE_TYPE = "http://hl7.org/fhir/tools/CodeSystem/tx-issue-type"
MESSAGE_ID_URL = "http://hl7.org/fhir/StructureDefinition/operationoutcome-message-id"
DESIGNATION_USE_CONTEXT = "http://snomed.info/fhir/StructureDefinition/designation-use-context"
UNCLOSED = "http://hl7.org/fhir/StructureDefinition/valueset-unclosed"


def fhir_response(resource: dict, fhir_version: str, *, status: int = 200, headers: dict | None = None) -> Response:
    """A JSON response with the FHIR media type, converted for the R4 wire when ``fhir_version`` is 4.0."""
    if fhir_version == "4.0":
        resource = to_r4(resource)
    return Response(orjson.dumps(resource), status_code=status, headers=headers,
                    media_type=f"application/fhir+json; fhirVersion={fhir_version}")


def _value(kind: str, value) -> dict:
    return {f"value{kind[0].upper()}{kind[1:]}": value}


def coding(c: t.Coding) -> dict:
    out = {"system": c.system, "code": c.code}
    if c.version:
        out["version"] = c.version
    if c.display:
        out["display"] = c.display
    return out


# --- $lookup ----------------------------------------------------------------------------------------


def lookup(r: t.LookupResult) -> dict:
    """``CodeSystem/$lookup`` output Parameters."""
    params: list[dict] = [{"name": "name", "valueString": r.name}]
    if r.version:
        params.append({"name": "version", "valueString": r.version})
    if r.display:
        params.append({"name": "display", "valueString": r.display})
    params += [
        {"name": "system", "valueUri": r.system},
        {"name": "code", "valueCode": r.code},
        {"name": "abstract", "valueBoolean": r.abstract},
    ]
    if r.definition:
        params.append({"name": "definition", "valueString": r.definition})
    params += [{"name": "used-supplement", "valueCanonical": s} for s in r.used_supplements]
    params += [{"name": "designation", **designation_parts(d)} for d in r.designations]
    params += [{"name": "property", "part": property_parts(p)} for p in r.properties]
    return {"resourceType": "Parameters", "parameter": params}


def designation_parts(d: t.Designation) -> dict:
    parts = []
    if d.language:
        parts.append({"name": "language", "valueCode": d.language})
    if d.use:
        parts.append({"name": "use", "valueCoding": coding(d.use)})
    if d.source:
        parts.append({"name": "source", "valueCanonical": d.source})
    parts.append({"name": "value", "valueString": d.value})
    out: dict = {"part": parts}
    if d.contexts:
        out["extension"] = [_use_context(refset, acceptability, d.use) for refset, acceptability in d.contexts]
    return out


def _use_context(refset: str, acceptability: str, use: t.Coding | None) -> dict:
    """Snowstorm's designation-use-context extension: the language refset and the term's role in it."""
    ext = [{"url": "context", "valueCoding": {"system": t.snomed.SYSTEM, "code": refset}},
           {"url": "role", "valueCoding": {"system": t.snomed.SYSTEM, "code": acceptability,
                                            "display": "Preferred" if acceptability == str(t.snomed.PREFERRED)
                                            else "Acceptable"}}]
    if use:
        ext.append({"url": "type", "valueCoding": coding(use)})
    return {"url": DESIGNATION_USE_CONTEXT, "extension": ext}


def property_parts(p: t.Property) -> list[dict]:
    parts = [{"name": "code", "valueCode": p.code}]
    if p.code_display:
        parts.append({"name": "code-display", "valueString": p.code_display})
    if p.description:
        parts.append({"name": "description", "valueString": p.description})
    parts.append({"name": "value", **property_value(p)})
    return parts


# --- $validate-code ---------------------------------------------------------------------------------


def validate(r: t.ValidateResult, *, codeable_concept: dict | None = None) -> dict:
    """``$validate-code`` output Parameters (with the tx.fhir.org extras ``x-caused-by-unknown-system``,
    ``x-unknown-system`` and ``normalized-code`` that the HL7 tests expect)."""
    params: list[dict] = [{"name": "result", "valueBoolean": r.result}]
    cc = r.codeable_concept if r.codeable_concept is not None else codeable_concept
    if r.code is not None:
        params.append({"name": "code", "valueCode": r.code})
    if cc is not None:
        params.append({"name": "codeableConcept", "valueCodeableConcept": cc})
    if r.system:
        params.append({"name": "system", "valueUri": r.system})
    if r.version:
        params.append({"name": "version", "valueString": r.version})
    if r.display:
        params.append({"name": "display", "valueString": r.display})
    if r.inactive:
        params.append({"name": "inactive", "valueBoolean": True})
    if r.status:
        params.append({"name": "status", "valueCode": r.status})
    if r.issues:
        params.append({"name": "issues", "resource": issues_outcome(r.issues)})
    message = r.message_text if r.message_text is not None else r.message
    if message:
        params.append({"name": "message", "valueString": message})
    params += [{"name": "x-caused-by-unknown-system", "valueCanonical": s} for s in r.caused_by_unknown]
    params += [{"name": "x-unknown-system", "valueCanonical": s} for s in r.unknown_systems]
    if r.normalized_code:
        params.append({"name": "normalized-code", "valueCode": r.normalized_code})
    return {"resourceType": "Parameters", "parameter": params}


def issues_outcome(issues: tuple[t.Issue, ...]) -> dict:
    """An OperationOutcome holding result issues (the ``issues`` parameter of ``$validate-code``)."""
    out = []
    for i in issues:
        issue: dict = {"severity": i.severity, "code": i.code, "details": {"text": i.text}}
        if i.tx_code:
            issue["details"]["coding"] = [{"system": TX_ISSUE_TYPE, "code": i.tx_code}]
        if i.message_id:
            issue["extension"] = [{"url": MESSAGE_ID_URL, "valueString": i.message_id}]
        if i.expression:
            issue["expression"] = list(i.expression)
        out.append(issue)
    return {"resourceType": "OperationOutcome", "issue": out}


# --- $subsumes ----------------------------------------------------------------------------------------


def subsumes(outcome: str) -> dict:
    return {"resourceType": "Parameters", "parameter": [{"name": "outcome", "valueCode": outcome}]}


# --- $expand ------------------------------------------------------------------------------------------


def expansion(e: t.Expansion) -> dict:
    """``ValueSet/$expand`` output: the value set's metadata with its expansion.

    For value sets defined by a resource the answer repeats the resource (without ``compose``, ``contained``
    and narrative, as tx.fhir.org does), declares the properties used in ``expansion.property`` and nests
    ``contains`` for hierarchical expansions.
    """
    exp: dict = {
        "identifier": f"urn:uuid:{uuid.uuid4()}",
        "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    extensions = []
    if e.unclosed:
        extensions.append({"url": UNCLOSED, "valueBoolean": True})
    if e.unclosed_reason:
        extensions.append({"url": UNCLOSED + "-reason", "valueString": e.unclosed_reason})
    if extensions:
        exp["extension"] = extensions
    if e.total is not None:
        exp["total"] = e.total
    if e.offset is not None and (e.offset or e.value_set is not None):
        exp["offset"] = e.offset
    exp["parameter"] = [{"name": p.name, **_value(p.kind, p.value)} for p in e.parameters]
    if e.property_defs:
        exp["property"] = [{"code": code, **({"uri": uri} if uri else {})} for code, uri in e.property_defs]
    contains = [_contains(i) for i in e.items]
    if contains:
        exp["contains"] = contains
    if e.value_set is not None:
        vs = {k: v for k, v in e.value_set.items() if k not in _NOT_REPEATED}
        vs["resourceType"] = "ValueSet"
        vs["expansion"] = exp
        return vs
    vs = {"resourceType": "ValueSet", "status": "active"}
    if e.url:
        vs["url"] = e.url
    if e.name:
        vs["name"] = e.name
    if e.title:
        vs["title"] = e.title
    vs["expansion"] = exp
    return vs


_NOT_REPEATED = ("compose", "contained", "expansion", "text", "meta", "description", "purpose", "copyright")


def _contains(i: t.ExpansionItem) -> dict:
    out: dict = {"system": i.system, "code": i.code}
    if i.extensions:
        out["extension"] = list(i.extensions)
    if i.version:
        out["version"] = i.version
    if i.abstract:
        out["abstract"] = True
    if i.inactive:
        out["inactive"] = True
    if i.display is not None:
        out["display"] = i.display
    if i.designations:
        out["designation"] = [_contains_designation(d) for d in i.designations]
    if i.properties:
        out["property"] = [{"code": p.code, **property_value(p)} for p in i.properties]
    if i.contains:
        out["contains"] = [_contains(c) for c in i.contains]
    return out


def property_value(p: t.Property) -> dict:
    """The ``value[x]`` of a property (a Coding value rendered as a Coding)."""
    if isinstance(p.value, t.Coding):
        return {"valueCoding": coding(p.value)}
    return _value(p.kind, p.value)


def _contains_designation(d: t.Designation) -> dict:
    out: dict = {}
    if d.extensions:
        out["extension"] = list(d.extensions)
    if d.language:
        out["language"] = d.language
    if d.use:
        out["use"] = coding(d.use)
    if d.additional_use:
        out["additionalUse"] = [coding(c) for c in d.additional_use]
    out["value"] = d.value
    if d.contexts:
        out["extension"] = out.get("extension", []) + [_use_context(refset, acc, d.use) for refset, acc in d.contexts]
    return out
