"""Inbound conformance resources: structure check with ``fhir.resources`` and conversion to R5.

Used by the REST endpoints and by the loaders behind ``vardterm load fhir``, so a resource is checked the
same way whichever door it comes through. R4 (and R4B) resources are validated against the R4B models,
R5 ones against the R5 models; then :func:`convert.from_r4` brings R4 content to R5.
"""

from __future__ import annotations

import importlib

from pydantic import ValidationError

import terminology as t

from .convert import from_r4

_MODULES = {"CodeSystem": "codesystem", "ValueSet": "valueset", "ConceptMap": "conceptmap"}


def to_r5(resource: dict, fhir_version: str) -> dict:
    """Validate ``resource`` (written in FHIR ``fhir_version``: 4.0.x, 4.3.x or 5.0.x) and return it as R5.

    Raises InvalidRequest naming the first problems (element path and reason).
    """
    kind = resource.get("resourceType") if isinstance(resource, dict) else None
    if kind not in _MODULES:
        raise t.InvalidRequest.plain(f"This server keeps {', '.join(t.RESOURCE_TYPES)} resources, not {kind}",
                                     expression="resourceType")
    r4 = not fhir_version.startswith("5")
    package = "fhir.resources.R4B" if r4 else "fhir.resources"
    model = getattr(importlib.import_module(f"{package}.{_MODULES[kind]}"), kind)
    try:
        model.model_validate(resource)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in exc.errors()[:5])
        raise t.InvalidRequest("REQUEST_NOT_PARSEABLE", f"the {kind} resource is not valid: {problems}") from None
    if r4:
        t.check_resource(resource, fhir_version="4.0")  # the R4-only codes, before the conversion maps them
        resource = from_r4(resource)
    t.check_resource(resource)  # here too (the repository checks every write), so a bulk load names the file
    return resource
