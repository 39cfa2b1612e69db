"""The R4 <-> R5 differences, in one place (ARCHITECTURE.md "FHIR versions").

Inside, the server speaks R5. Answers on ``/fhir/r4`` pass through :func:`to_r4`, requests arriving there
through :func:`from_r4`. Only elements that differ between FHIR 4.0.1 and 5.0.0 *and* that this server
reads or writes are handled; everything else is the same JSON in both versions.

Handled so far:

* ``designation.additionalUse`` (R5 only) becomes the R5 cross-version extension in R4
  (``http://hl7.org/fhir/5.0/StructureDefinition/extension-ValueSet.expansion.contains.designation.additionalUse``);
* ``TerminologyCapabilities.codeSystem.content`` (R5 only) is dropped in R4;
* ``CapabilityStatement.fhirVersion`` is set per wire version by the caller (``FHIR_VERSIONS``).
"""

from __future__ import annotations

FHIR_VERSIONS = {"4.0": "4.0.1", "5.0": "5.0.0"}

_ADDITIONAL_USE = ("http://hl7.org/fhir/5.0/StructureDefinition/"
                   "extension-ValueSet.expansion.contains.designation.additionalUse")


def to_r4(resource: dict) -> dict:
    """Rewrite an R5 resource (as produced by the renderers) for the R4 wire, in place; return it."""
    kind = resource.get("resourceType")
    if kind == "ValueSet":
        for item in _walk_contains(resource.get("expansion", {}).get("contains", [])):
            for d in item.get("designation", []):
                for coding in d.pop("additionalUse", []):
                    d.setdefault("extension", []).append({"url": _ADDITIONAL_USE, "valueCoding": coding})
    elif kind == "TerminologyCapabilities":
        for cs in resource.get("codeSystem", []):
            cs.pop("content", None)
    elif kind == "Parameters":
        for p in resource.get("parameter", []):
            if isinstance(p.get("resource"), dict):
                to_r4(p["resource"])
    return resource


def from_r4(resource: dict) -> dict:
    """Rewrite an R4 resource from a request into R5, in place; return it."""
    if resource.get("resourceType") == "Parameters":
        for p in resource.get("parameter", []):
            if isinstance(p.get("resource"), dict):
                from_r4(p["resource"])
    return resource


def _walk_contains(items: list):
    for item in items:
        yield item
        yield from _walk_contains(item.get("contains", []))
