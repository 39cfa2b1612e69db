"""Request objects of the service operations: small frozen dataclasses with keyword arguments.

FHIR parameter names are translated at the edge (``api/fhir/params.py``): ``displayLanguage`` becomes
``display_language`` here (STYLE.md principle 8).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class LookupRequest:
    """``CodeSystem/$lookup`` (http://hl7.org/fhir/OperationDefinition/CodeSystem-lookup)."""

    system: str
    code: str
    version: str | None = None
    display_language: str | None = None
    properties: tuple[str, ...] = ()
    """Property codes to return; empty means the server's default set."""


@dataclass(frozen=True, kw_only=True)
class ValidateCodeRequest:
    """``CodeSystem/$validate-code`` and ``ValueSet/$validate-code`` for one coding."""

    system: str | None
    code: str
    version: str | None = None
    display: str | None = None
    display_language: str | None = None
    value_set: str | None = None
    """Canonical URL of the value set (ValueSet/$validate-code); None for CodeSystem/$validate-code."""
    value_set_version: str | None = None
    active_only: bool = False
    lenient_display: bool = False
    """``lenient-display-validation``: a wrong display is a warning, not an error."""
    path: str = ""
    """FHIRPath of the coding in the request, for issue expressions: "" (``code``/``display`` parameters),
    ``Coding`` or ``CodeableConcept.coding[0]``."""


@dataclass(frozen=True, kw_only=True)
class SubsumesRequest:
    """``CodeSystem/$subsumes`` (http://hl7.org/fhir/OperationDefinition/CodeSystem-subsumes)."""

    system: str
    code_a: str
    code_b: str
    version: str | None = None


@dataclass(frozen=True, kw_only=True)
class ExpandRequest:
    """``ValueSet/$expand`` (http://hl7.org/fhir/OperationDefinition/ValueSet-expand)."""

    url: str
    value_set_version: str | None = None
    system_version: str | None = None
    """A version for the SNOMED CT edition when the URL does not name one (``system-version``)."""
    filter: str | None = None
    count: int | None = None
    offset: int = 0
    active_only: bool = False
    display_language: str | None = None
    include_designations: bool = False
    max_size: int | None = None
    """Per-request too-costly threshold (``X-TOO-COSTLY-THRESHOLD``); None uses the server's limit."""
