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
    resources: tuple[dict, ...] = ()
    """CodeSystem / ValueSet resources sent with the request (``tx-resource``), used for this request only."""
    use_supplements: tuple[str, ...] = ()
    """``useSupplement``: canonicals of code system supplements to apply."""
    fhir_version: str = "5.0.0"
    """FHIR version of the wire, for the version of the FHIR core resources the server ships."""


@dataclass(frozen=True, kw_only=True)
class ValidateRequest:
    """``CodeSystem/$validate-code`` or ``ValueSet/$validate-code`` of a code, a Coding or a CodeableConcept
    (http://hl7.org/fhir/OperationDefinition/ValueSet-validate-code, CodeSystem-validate-code).

    ``codings`` holds what was given: one coding for ``code``/``coding``, every coding of a CodeableConcept.
    A coding without a system has ``system`` None.
    """

    target: str
    """``ValueSet`` or ``CodeSystem`` (the operation's resource type)."""
    mode: str
    """``code`` (code/system/version parameters), ``coding`` or ``codeableConcept``."""
    codings: tuple = ()
    """:class:`~terminology.model.Coding` values (system may be None)."""
    codeable_concept: dict | None = None
    """The CodeableConcept as given (echoed in the answer)."""
    url: str | None = None
    """The value set's (or, for CodeSystem/$validate-code, the code system's) canonical URL."""
    version: str | None = None
    """``valueSetVersion`` for a value set; ``version`` of the code system for CodeSystem/$validate-code."""
    value_set: dict | None = None
    """An inline ValueSet (``valueSet``) or CodeSystem (``codeSystem``) resource."""
    code_system: dict | None = None
    infer_system: bool = False
    abstract_ok: bool = True
    """``abstract``: whether abstract (notSelectable) codes are valid (default true)."""
    active_only: bool = False
    membership_only: bool = False
    """``valueset-membership-only``: report membership only, not code system problems."""
    lenient_display: bool = False
    display_language: str | None = None
    accept_language: str | None = None
    resources: tuple[dict, ...] = ()
    use_supplements: tuple[str, ...] = ()
    system_versions: tuple[str, ...] = ()
    check_system_versions: tuple[str, ...] = ()
    force_system_versions: tuple[str, ...] = ()
    default_value_set_versions: tuple[str, ...] = ()
    fhir_version: str = "5.0.0"


@dataclass(frozen=True, kw_only=True)
class SubsumesRequest:
    """``CodeSystem/$subsumes`` (http://hl7.org/fhir/OperationDefinition/CodeSystem-subsumes)."""

    system: str
    code_a: str
    code_b: str
    version: str | None = None
    resources: tuple[dict, ...] = ()
    """CodeSystems sent with the request (``tx-resource``), R5."""
    fhir_version: str = "5.0.0"


@dataclass(frozen=True, kw_only=True)
class ExpandRequest:
    """``ValueSet/$expand`` (http://hl7.org/fhir/OperationDefinition/ValueSet-expand)."""

    url: str | None = None
    """Canonical URL of the value set (``url|version`` accepted); None when ``value_set`` is given."""
    value_set_version: str | None = None
    filter: str | None = None
    count: int | None = None
    offset: int | None = None
    """``offset``; None when not given (then 0, and not echoed)."""
    active_only: bool | None = None
    """``activeOnly``; None when the request does not say (the parameter is then not echoed)."""
    display_language: str | None = None
    include_designations: bool | None = None
    max_size: int | None = None
    """Per-request too-costly threshold (``X-TOO-COSTLY-THRESHOLD``); None uses the server's limit."""
    value_set: dict | None = None
    """An inline ValueSet resource (the ``valueSet`` parameter), expanded instead of ``url``."""
    resources: tuple[dict, ...] = ()
    """CodeSystem / ValueSet resources sent with the request (``tx-resource``), used for this request only."""
    exclude_nested: bool | None = None
    """``excludeNested``: a flat list even for hierarchical code systems (None: not given, nested)."""
    include_definition: bool | None = None
    properties: tuple[str, ...] = ()
    """``property``: concept properties to return in ``contains.property``."""
    designations: tuple[str, ...] = ()
    """``designation``: ``system|code`` of designation uses, or ``urn:ietf:bcp:47|lang`` for languages."""
    use_supplements: tuple[str, ...] = ()
    system_versions: tuple[str, ...] = ()
    """``system-version``: ``system|version`` used when a value set names no version."""
    check_system_versions: tuple[str, ...] = ()
    """``check-system-version``: ``system|version-pattern`` the versions used must match."""
    force_system_versions: tuple[str, ...] = ()
    """``force-system-version``: ``system|version`` used whatever the value set says."""
    default_value_set_versions: tuple[str, ...] = ()
    """``default-valueset-version``: ``valueset|version`` for imports that name no version."""
    fhir_version: str = "5.0.0"
    """FHIR version of the wire, for the version of the FHIR core resources the server ships."""
