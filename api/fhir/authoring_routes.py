"""CRMI authoring operations on CodeSystem, ValueSet and ConceptMap: ``$draft`` and ``$release`` (type level with
an ``id`` parameter, or on one resource), on both wire versions, and the ``code`` search parameter of ValueSet.

* ``POST [base]/[type]/[id]/$draft`` (OperationDefinition crmi-draft, CRMI IG 1.0.0): a new ``draft`` version
  of the resource under a new id. ``version``: the new version (default: the next minor, ``1.0.0`` ->
  ``1.1.0``).
* ``POST [base]/[type]/[id]/$release`` (crmi-release): the draft becomes ``active`` with ``date`` set;
  ``version`` with ``versionBehavior`` ``default`` (applies when the draft has none), ``check`` or ``force``;
  ``releaseLabel``. Needs a second person (not the last editor) unless ``VARDTERM_RELEASE_NEEDS_REVIEW`` is
  false.

Both answer a ``transaction-response`` Bundle with the written resource (the shape CRMI returns). They change
state, so they are POST only. Parameters come as a ``Parameters`` body, a form or the query string.
"""

from __future__ import annotations

import copy

from fastapi import APIRouter, Depends, Request, Response

import terminology as t

from ..auth import principal
from .convert import to_r4
from .params import OpParams, op_params
from .render import fhir_response

DRAFT_PARAMETERS = ("id", "version")
RELEASE_PARAMETERS = ("id", "version", "versionBehavior", "releaseLabel", "requireNonExperimental",
                      "latestFromTxServer")
"""Accepted; ``requireNonExperimental`` and ``latestFromTxServer`` are about pinning dependencies, which this
server does not do (a value set names its code system versions or takes the latest at expansion)."""


def authoring_router(fhir_version: str) -> APIRouter:
    router = APIRouter()
    v = f"r{fhir_version[0]}"
    tag = f"Authoring (FHIR R{fhir_version[0]})"

    for rtype in t.RESOURCE_TYPES:
        def make(rtype: str):
            def draft(request: Request, id: str | None = None, params: OpParams = Depends(op_params)) -> Response:
                """A new draft version of the resource (CRMI $draft)."""
                _only(params, DRAFT_PARAMETERS)
                saved = _authoring(request).draft(rtype, _id(id, params), version=params.text("version"),
                                                  by=principal(request))
                return _written(saved, rtype, 201, fhir_version)

            def release(request: Request, id: str | None = None, params: OpParams = Depends(op_params)) -> Response:
                """Release a draft as active (CRMI $release)."""
                _only(params, RELEASE_PARAMETERS)
                behavior = params.one("versionBehavior")
                if isinstance(behavior, dict):
                    behavior = behavior.get("code")
                saved = _authoring(request).release(rtype, _id(id, params), version=params.text("version"),
                                                    behavior=str(behavior or "default"),
                                                    release_label=params.text("releaseLabel"), by=principal(request))
                return _written(saved, rtype, 200, fhir_version)

            for op, fn, summary in (("$draft", draft, f"New draft version of a {rtype} (CRMI $draft)"),
                                    ("$release", release, f"Release a draft {rtype} as active (CRMI $release)")):
                name = op.lstrip("$")
                # documented with the other operations in api/fhir/openapi.py
                router.add_api_route(f"/{rtype}/{op}", fn, methods=["POST"], tags=[tag], summary=summary,
                                     operation_id=f"{name}_{rtype}_{v}")
                router.add_api_route(f"/{rtype}/{{id}}/{op}", fn, methods=["POST"], tags=[tag], summary=summary,
                                     operation_id=f"{name}_{rtype}_instance_{v}")
        make(rtype)
    return router


def containing(request: Request, value: str) -> list[dict]:
    """The ``code`` search parameter of ValueSet (token ``system|code``): the active stored value sets that
    contain the code, from the membership index (``terminology.authoring.membership``)."""
    system, sep, code = value.rpartition("|")
    if not sep or not system or not code:
        raise t.InvalidRequest("OP_INVALID_PARAM", "code", value, "give system|code, e.g. "
                                                                  "http://snomed.info/sct|609588000")
    return _authoring(request).containing(system, code)


def _authoring(request: Request) -> t.Authoring:
    return request.app.state.authoring


def _id(path_id: str | None, params: OpParams) -> str:
    given = path_id or params.text("id")
    if not given:
        raise t.InvalidRequest("OP_MISSING_PARAM", "id", params.operation)
    return given


def _only(params: OpParams, names: tuple[str, ...]) -> None:
    for name, value in params.items:
        if name not in names:
            raise t.InvalidRequest("OP_INVALID_PARAM", name, value,
                                   f"not a parameter of {params.operation} (use {', '.join(names)})")


def _written(saved: t.Saved, rtype: str, status: int, fhir_version: str) -> Response:
    resource = saved.resource
    if fhir_version == "4.0":
        resource = to_r4(copy.deepcopy(resource))
    entry = {"resource": resource,
             "response": {"status": "201 Created" if saved.created else "200 OK",
                          "location": f"{rtype}/{saved.resource['id']}/_history/{saved.version_id}",
                          "etag": f'W/"{saved.version_id}"', "lastModified": saved.last_updated}}
    return fhir_response({"resourceType": "Bundle", "type": "transaction-response", "entry": [entry]}, fhir_version,
                         status=status)
