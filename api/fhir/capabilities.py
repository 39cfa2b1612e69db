"""``/metadata``: the CapabilityStatement, ``?mode=terminology`` TerminologyCapabilities, and ``$versions``.

Sources: FHIR R5 CapabilityStatement and TerminologyCapabilities; the HL7 terminology server capability
statement ``http://hl7.org/fhir/CapabilityStatement/terminology-server`` (instantiated); FHIR "Versioning"
§``$versions``; the tx ecosystem metadata tests (``capstmt.json``, ``capterms.json``), which ask for the
``test-version`` and ``CodeSystemAsParameter`` feature extensions.
"""

from __future__ import annotations

from datetime import date

import terminology as t

from .convert import FHIR_VERSIONS

SOFTWARE_NAME = "vardterm"
SOFTWARE_VERSION = "0.1.0"
RELEASE_DATE = "2026-11-24"
TX_TEST_VERSION = "1.9.0"
FEATURE = "http://hl7.org/fhir/uv/application-feature/StructureDefinition/feature"

_EXPANSION_PARAMETERS = ("activeOnly", "check-system-version", "count", "default-valueset-version",
                         "displayLanguage", "excludeNested", "filter", "force-system-version", "includeDefinition",
                         "includeDesignations", "offset", "property", "system-version", "tx-resource")

_LOOKUP = "http://hl7.org/fhir/OperationDefinition/CodeSystem-lookup"
_CS_VALIDATE = "http://hl7.org/fhir/OperationDefinition/CodeSystem-validate-code"
_SUBSUMES = "http://hl7.org/fhir/OperationDefinition/CodeSystem-subsumes"
_EXPAND = "http://hl7.org/fhir/OperationDefinition/ValueSet-expand"
_VS_VALIDATE = "http://hl7.org/fhir/OperationDefinition/ValueSet-validate-code"
_VERSIONS = "http://hl7.org/fhir/OperationDefinition/-s-versions"
_TRANSLATE = "http://hl7.org/fhir/OperationDefinition/ConceptMap-translate"
_CRMI = [{"name": "draft", "definition": "http://hl7.org/fhir/uv/crmi/OperationDefinition/crmi-draft"},
         {"name": "release", "definition": "http://hl7.org/fhir/uv/crmi/OperationDefinition/crmi-release"}]
"""The authoring operations of the CRMI IG on every conformance resource type (issue 17)."""
_INTERACTIONS = [{"code": c} for c in ("read", "vread", "update", "delete", "history-instance", "create",
                                        "search-type")]
_SEARCH = [{"name": "url", "type": "uri"}, {"name": "version", "type": "token"},
           {"name": "name", "type": "string"}, {"name": "title", "type": "string"},
           {"name": "status", "type": "token"}, {"name": "_id", "type": "token"}]


def _resource(kind: str, operations: list[dict]) -> dict:
    search = _SEARCH + ([{"name": "code", "type": "token",
                          "documentation": "system|code: the active value sets that contain the code"}]
                        if kind == "ValueSet" else [])
    return {"type": kind, "versioning": "versioned", "readHistory": True, "updateCreate": True,
            "conditionalUpdate": False, "interaction": _INTERACTIONS, "searchParam": search,
            "operation": operations + _CRMI}


def _feature(definition: str, value: str | None) -> dict:
    inner = [{"url": "definition", "valueCanonical": definition}]
    inner.append({"url": "value", "valueCode": value} if value else {"url": "value"})
    return {"url": FEATURE, "extension": inner}


def capability_statement(fhir_version: str, base_url: str) -> dict:
    """The server's CapabilityStatement for one wire version."""
    return {
        "resourceType": "CapabilityStatement",
        "extension": [
            _feature("http://hl7.org/fhir/uv/tx-tests/FeatureDefinition/test-version", TX_TEST_VERSION),
            _feature("http://hl7.org/fhir/uv/tx-ecosystem/FeatureDefinition/CodeSystemAsParameter", None),
        ],
        "url": f"{base_url}/metadata",
        "version": SOFTWARE_VERSION,
        "name": "VardtermTerminologyServer",
        "title": "Vardterm FHIR terminology server",
        "status": "active",
        "date": RELEASE_DATE,
        "publisher": "vardterm",
        "kind": "instance",
        "instantiates": ["http://hl7.org/fhir/CapabilityStatement/terminology-server"],
        "software": {"name": SOFTWARE_NAME, "version": SOFTWARE_VERSION, "releaseDate": RELEASE_DATE},
        "implementation": {"description": "FHIR terminology service for SNOMED CT and Swedish code systems",
                           "url": base_url},
        "fhirVersion": FHIR_VERSIONS[fhir_version],
        "format": ["application/fhir+json"],
        "rest": [{
            "mode": "server",
            "resource": [
                _resource("CodeSystem", [{"name": "lookup", "definition": _LOOKUP},
                                         {"name": "validate-code", "definition": _CS_VALIDATE},
                                         {"name": "subsumes", "definition": _SUBSUMES}]),
                _resource("ValueSet", [{"name": "expand", "definition": _EXPAND},
                                       {"name": "validate-code", "definition": _VS_VALIDATE}]),
                _resource("ConceptMap", [{"name": "translate", "definition": _TRANSLATE}]),
            ],
            "operation": [{"name": "versions", "definition": _VERSIONS}],
        }],
    }


def terminology_capabilities(versions: list[t.CodeSystemVersion], default_version: str | None) -> dict:
    """TerminologyCapabilities: the loaded code systems and their versions, and what ``$expand`` takes."""
    by_system: dict[str, list[t.CodeSystemVersion]] = {}
    for v in versions:
        by_system.setdefault(v.system, []).append(v)
    code_systems = []
    for system, vs in sorted(by_system.items()):
        entries = []
        for v in sorted(vs, key=lambda v: v.version):
            entry = {"code": v.version, "isDefault": v.version == default_version,
                     "property": ["inactive", "sufficientlyDefined", "moduleId", "effectiveTime", "normalForm",
                                  "normalFormTerse", "parent", "child"]}
            if v.system == t.snomed.SYSTEM:
                entry["filter"] = [{"code": "concept", "op": ["is-a", "in"]}]
            entries.append(entry)
        code_systems.append({"uri": system, "version": entries, "content": "complete"})
    return {
        "resourceType": "TerminologyCapabilities",
        "version": SOFTWARE_VERSION,
        "name": "VardtermTerminologyCapabilities",
        "title": "Vardterm terminology capabilities",
        "status": "active",
        "date": date.today().isoformat(),
        "kind": "instance",
        "software": {"name": SOFTWARE_NAME, "version": SOFTWARE_VERSION},
        "codeSystem": code_systems,
        "expansion": {"hierarchical": True, "paging": True,
                      "parameter": [{"name": n} for n in sorted(_EXPANSION_PARAMETERS)],
                      "textFilter": "Words of the filter match the starts of words in any active term, "
                                    "ignoring case and diacritics (å=a, ä=a, ö=o)."},
        "validateCode": {"translations": False},
        "translation": {"needsMap": False},
    }


def versions_parameters(fhir_version: str) -> dict:
    """``$versions``: the FHIR versions this base serves, and its default."""
    return {"resourceType": "Parameters", "parameter": [{"name": "version", "valueCode": fhir_version},
                                                        {"name": "default", "valueCode": fhir_version}]}
