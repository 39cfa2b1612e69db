"""The R4 <-> R5 differences, in one place (ARCHITECTURE.md "FHIR versions").

Inside, the server speaks R5. Answers on ``/fhir/r4`` pass through :func:`to_r4`, requests arriving there
through :func:`from_r4`. Only elements that differ between FHIR 4.0.1 and 5.0.0 *and* that this server
reads or writes are handled; everything else is the same JSON in both versions.

Handled so far:

* ``designation.additionalUse`` (R5 only) becomes the R5 cross-version extension in R4
  (``http://hl7.org/fhir/5.0/StructureDefinition/extension-ValueSet.expansion.contains.designation.additionalUse``);
* ``TerminologyCapabilities.codeSystem.content`` (R5 only) is dropped in R4;
* ``CapabilityStatement.fhirVersion`` is set per wire version by the caller (``FHIR_VERSIONS``);
* ``ConceptMap``: R4 ``source[x]`` / ``target[x]`` are R5 ``sourceScope[x]`` / ``targetScope[x]``; R4
  ``target.equivalence`` is R5 ``target.relationship`` (the R4/R5 ConceptMap mapping table: equal and
  equivalent -> equivalent, wider and subsumes -> source-is-narrower-than-target, narrower and
  specializes -> source-is-broader-than-target, relatedto and inexact -> related-to, unmatched and
  disjoint -> not-related-to); an R4 element whose only target is ``unmatched`` without a code is R5
  ``noMap``; R4 ``unmapped.mode = provided`` is R5 ``use-source-code``;
* ``ValueSet.expansion.property`` and ``expansion.contains.property`` (R5 only) become the R5 cross-version
  extensions ``extension-ValueSet.expansion.property`` / ``...expansion.contains.property`` in R4 (FHIR R5
  "R4/R5 differences" and the IG's r4.html for terminology servers);
* the R5 filter operators ``child-of`` and ``descendent-leaf`` travel in R4 as the extension
  ``extension-ValueSet.compose.include.filter.op`` on ``filter._op``; R5 ``versionAlgorithm[x]`` as
  ``extension-CanonicalResource.versionAlgorithm``; other R5-only canonical elements (``copyrightLabel``...)
  are dropped from R4 answers;
* care directory resources: R5 ``MeasureReport.group.measureScoreQuantity`` is R4 ``group.measureScore``;
  the entries of a ``Bundle`` are converted one by one.
"""

from __future__ import annotations

FHIR_VERSIONS = {"4.0": "4.0.1", "5.0": "5.0.0"}

_ADDITIONAL_USE = ("http://hl7.org/fhir/5.0/StructureDefinition/"
                   "extension-ValueSet.expansion.contains.designation.additionalUse")
_XV = "http://hl7.org/fhir/5.0/StructureDefinition/extension-"
_EXPANSION_PROPERTY = _XV + "ValueSet.expansion.property"
_CONTAINS_PROPERTY = _XV + "ValueSet.expansion.contains.property"
_FILTER_OP = _XV + "ValueSet.compose.include.filter.op"
_VERSION_ALGORITHM = _XV + "CanonicalResource.versionAlgorithm"
_R5_ONLY_CANONICAL = ("copyrightLabel", "approvalDate", "lastReviewDate", "effectivePeriod", "topic", "author",
                      "editor", "reviewer", "endorser", "relatedArtifact")


def to_r4(resource: dict) -> dict:
    """Rewrite an R5 resource (as produced by the renderers) for the R4 wire, in place; return it."""
    kind = resource.get("resourceType")
    if kind == "ConceptMap":
        return _concept_map_to_r4(resource)
    if kind == "ValueSet":
        _canonical_to_r4(resource)
        resource.pop("scope", None)
        expansion = resource.get("expansion", {})
        for prop in expansion.pop("property", []):
            expansion.setdefault("extension", []).append(
                {"url": _EXPANSION_PROPERTY, "extension": [{"url": k, ("valueCode" if k == "code" else "valueUri"): v}
                                                           for k, v in prop.items() if k in ("code", "uri")]})
        for item in _walk_contains(expansion.get("contains", [])):
            for d in item.get("designation", []):
                for coding in d.pop("additionalUse", []):
                    d.setdefault("extension", []).append({"url": _ADDITIONAL_USE, "valueCoding": coding})
            for prop in item.pop("property", []):
                parts = [{"url": "code", "valueCode": prop.get("code")}]
                parts += [{"url": "value", k: v} for k, v in prop.items() if k.startswith("value")]
                item.setdefault("extension", []).append({"url": _CONTAINS_PROPERTY, "extension": parts})
    elif kind == "CodeSystem":
        _canonical_to_r4(resource)
    elif kind == "TerminologyCapabilities":
        for cs in resource.get("codeSystem", []):
            cs.pop("content", None)
    elif kind == "Parameters":
        for p in resource.get("parameter", []):
            if isinstance(p.get("resource"), dict):
                to_r4(p["resource"])
    elif kind in _CARE_KINDS:
        _care_to_r4(resource)
    return resource


def from_r4(resource: dict) -> dict:
    """Rewrite an R4 resource from a request into R5, in place; return it."""
    if resource.get("resourceType") == "ConceptMap":
        return _concept_map_from_r4(resource)
    if resource.get("resourceType") in ("CodeSystem", "ValueSet"):
        _version_algorithm_from_r4(resource)
    if resource.get("resourceType") == "ValueSet":
        for part in ("include", "exclude"):
            for inc in (resource.get("compose") or {}).get(part, []):
                for f in inc.get("filter", []):
                    holder = f.get("_op")
                    if isinstance(holder, dict):
                        ops = [e.get("valueCode") for e in holder.get("extension", []) if e.get("url") == _FILTER_OP]
                        if ops and ops[0]:
                            f["op"] = ops[0]
                            f.pop("_op")
        for contained in resource.get("contained", []):
            if isinstance(contained, dict):
                from_r4(contained)
    if resource.get("resourceType") == "Parameters":
        for p in resource.get("parameter", []):
            if isinstance(p.get("resource"), dict):
                from_r4(p["resource"])
    if resource.get("resourceType") in _CARE_KINDS:
        _care_from_r4(resource)
    return resource


def _canonical_to_r4(resource: dict) -> None:
    for key in [k for k in resource if k.startswith("versionAlgorithm")]:
        resource.setdefault("extension", []).append({"url": _VERSION_ALGORITHM,
                                                     "value" + key[len("versionAlgorithm"):]: resource.pop(key)})
    for key in _R5_ONLY_CANONICAL:
        resource.pop(key, None)
        resource.pop("_" + key, None)


def _version_algorithm_from_r4(resource: dict) -> None:
    extensions = resource.get("extension", [])
    for ext in [e for e in extensions if isinstance(e, dict) and e.get("url") == _VERSION_ALGORITHM]:
        value = next(((k, v) for k, v in ext.items() if k.startswith("value")), None)
        if value:
            resource["versionAlgorithm" + value[0][len("value"):]] = value[1]
        extensions.remove(ext)
    if "extension" in resource and not extensions:
        resource.pop("extension")


def _walk_contains(items: list):
    for item in items:
        yield item
        yield from _walk_contains(item.get("contains", []))


_EQUIVALENCE_TO_RELATIONSHIP = {
    "equal": "equivalent", "equivalent": "equivalent", "wider": "source-is-narrower-than-target",
    "subsumes": "source-is-narrower-than-target", "narrower": "source-is-broader-than-target",
    "specializes": "source-is-broader-than-target", "relatedto": "related-to", "inexact": "related-to",
    "unmatched": "not-related-to", "disjoint": "not-related-to",
}
RELATIONSHIP_TO_EQUIVALENCE = {
    "equivalent": "equivalent", "source-is-narrower-than-target": "wider",
    "source-is-broader-than-target": "narrower", "related-to": "relatedto", "not-related-to": "disjoint",
}


def _rename(d: dict, old: str, new: str) -> None:
    for suffix in ("Uri", "Canonical"):
        if old + suffix in d:
            d[new + suffix] = d.pop(old + suffix)


def _concept_map_from_r4(cm: dict) -> dict:
    if any(k.startswith(("sourceScope", "targetScope")) for k in cm):
        return cm  # already R5
    _rename(cm, "source", "sourceScope")
    _rename(cm, "target", "targetScope")
    for group in cm.get("group", []):
        for element in group.get("element", []):
            targets = element.get("target", [])
            for target in targets:
                if "equivalence" in target:
                    target["relationship"] = _EQUIVALENCE_TO_RELATIONSHIP.get(target.pop("equivalence"),
                                                                              "related-to")
            if targets and all(t.get("relationship") == "not-related-to" and "code" not in t for t in targets):
                element.pop("target")
                element["noMap"] = True
        unmapped = group.get("unmapped")
        if unmapped and unmapped.get("mode") == "provided":
            unmapped["mode"] = "use-source-code"
    return cm


def _concept_map_to_r4(cm: dict) -> dict:
    _rename(cm, "sourceScope", "source")
    _rename(cm, "targetScope", "target")
    for group in cm.get("group", []):
        for element in group.get("element", []):
            for target in element.get("target", []):
                if "relationship" in target:
                    target["equivalence"] = RELATIONSHIP_TO_EQUIVALENCE.get(target.pop("relationship"), "relatedto")
            if element.pop("noMap", False):
                element["target"] = [{"equivalence": "unmatched"}]
        unmapped = group.get("unmapped")
        if unmapped and unmapped.get("mode") == "use-source-code":
            unmapped["mode"] = "provided"
    return cm


# --- care directory resources (mappings.care): Bundle entries, HealthcareService, MeasureReport -------------

_CARE_KINDS = ("Bundle", "MeasureReport")


def _care_to_r4(resource: dict) -> None:
    kind = resource["resourceType"]
    if kind == "Bundle":
        for entry in resource.get("entry", []):
            if isinstance(entry.get("resource"), dict):
                to_r4(entry["resource"])
    elif kind == "MeasureReport":  # R5 group.measureScore[x] is R4 group.measureScore (a Quantity)
        for group in resource.get("group", []):
            if "measureScoreQuantity" in group:
                group["measureScore"] = group.pop("measureScoreQuantity")


def _care_from_r4(resource: dict) -> None:
    kind = resource["resourceType"]
    if kind == "Bundle":
        for entry in resource.get("entry", []) if isinstance(resource.get("entry"), list) else []:
            if isinstance(entry, dict) and isinstance(entry.get("resource"), dict):
                from_r4(entry["resource"])
    elif kind == "MeasureReport":
        for group in resource.get("group", []) if isinstance(resource.get("group"), list) else []:
            if isinstance(group, dict) and "measureScore" in group:
                group["measureScoreQuantity"] = group.pop("measureScore")
