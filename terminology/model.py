"""Domain records and results: what loaders produce and what the service answers.

Plain frozen dataclasses with no behaviour beyond small derived properties; the wire format lives in
``api/fhir`` (STYLE.md principle 7: domain objects never serialise themselves).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Sequence

# --- what the RF2 reader yields ---------------------------------------------------------------------

Rf2Kind = Literal["concept", "description", "relationship", "concrete_value", "language", "refset"]


@dataclass(frozen=True, slots=True)
class Rf2Batch:
    """A batch of RF2 rows of one kind, as the strings of the file, in the file's column order.

    ``header`` is the file's header row (for refsets it names the extra columns). Rows of one batch come
    from one file, except after a multi-package or Full merge, where the header is shared by all files of
    that kind and refset. Values stay strings: the store converts what it needs (SQLite's column affinity
    and PostgreSQL's COPY both take text), which keeps a 10-million-row load cheap.
    """

    kind: Rf2Kind
    file: str
    header: tuple[str, ...]
    rows: Sequence[Sequence[str]]


@dataclass(frozen=True, slots=True)
class Rf2Package:
    """One release package found by the reader (a zip or a folder)."""

    name: str
    path: str
    release_date: str
    namespace: str
    """``INT`` for the International release, else the country+namespace tag such as ``SE1000052``."""


@dataclass(frozen=True)
class Rf2Release:
    """What a set of packages holds, found before reading it."""

    packages: tuple[Rf2Package, ...]
    release_types: frozenset[str]
    """Which of Snapshot / Full / Delta files are present."""
    files: tuple[str, ...]
    """Every recognised RF2 data file (package-relative path)."""
    ignored: tuple[str, ...]
    """Files present but not loaded (documentation, OWL axioms, stated relationships, identifiers...)."""


# --- code system versions -------------------------------------------------------------------------


@dataclass(frozen=True)
class CodeSystemVersion:
    """A loaded, serving version of a code system."""

    key: int
    system: str
    version: str
    """For SNOMED CT the edition/version URI ``http://snomed.info/sct/{module}/version/{YYYYMMDD}``."""
    module_id: str | None
    effective_date: str | None
    title: str
    loaded_at: str
    storage: str
    stats: dict = field(default_factory=dict, compare=False, hash=False)
    status: str = field(default="ready", compare=False)
    """The catalog state: ``ready`` (serving), ``loading``, ``failed`` or ``replaced``."""

    @property
    def date(self) -> str | None:
        """The effective date as FHIR ``date`` (YYYY-MM-DD)."""
        d = self.effective_date
        return f"{d[:4]}-{d[4:6]}-{d[6:8]}" if d and len(d) == 8 else None


# --- operation results ----------------------------------------------------------------------------

Severity = Literal["fatal", "error", "warning", "information"]


@dataclass(frozen=True)
class Issue:
    """One OperationOutcome issue inside a result (e.g. the ``issues`` of ``$validate-code``)."""

    severity: Severity
    code: str
    """OperationOutcome issue type: ``invalid``, ``code-invalid``, ``not-found``, ``business-rule``..."""
    tx_code: str | None
    """Code from ``http://hl7.org/fhir/tools/CodeSystem/tx-issue-type`` (``invalid-code``, ``not-in-vs``...)."""
    message_id: str | None
    text: str
    expression: tuple[str, ...] = ()


@dataclass(frozen=True)
class Coding:
    system: str
    code: str
    display: str | None = None
    version: str | None = None


@dataclass(frozen=True)
class Designation:
    language: str | None
    use: Coding | None
    value: str
    additional_use: tuple[Coding, ...] = ()
    contexts: tuple[tuple[str, str], ...] = ()
    """SNOMED CT: ``(language refset id, acceptability id)`` for each language refset holding the term."""
    extensions: tuple[dict, ...] = ()
    """FHIR extensions of the designation (e.g. ``coding-sctdescid``), passed through to answers."""
    source: str | None = None
    """Canonical of the code system supplement the designation comes from (``$lookup`` ``source`` part)."""


@dataclass(frozen=True)
class Property:
    """A concept property. ``kind`` is the FHIR value type: code, Coding, string, boolean, dateTime, integer, decimal."""

    code: str
    kind: str
    value: object
    description: str | None = None
    """For code values: the display of the code (``description`` part in the tx ecosystem)."""
    code_display: str | None = None
    """For attribute properties: the display of the attribute (the ``code-display`` part)."""


@dataclass(frozen=True)
class LookupResult:
    system: str
    version: str
    name: str
    code: str
    display: str
    designations: tuple[Designation, ...]
    properties: tuple[Property, ...]
    abstract: bool = False
    definition: str | None = None
    used_supplements: tuple[str, ...] = ()
    """Canonicals (``url|version``) of the supplements applied (``used-supplement``)."""


@dataclass(frozen=True)
class ValidateResult:
    result: bool
    system: str | None = None
    version: str | None = None
    code: str | None = None
    display: str | None = None
    inactive: bool | None = None
    issues: tuple[Issue, ...] = ()
    status: str | None = None
    """The concept's status when it is not simply active or inactive (``retired``, ``deprecated``)."""
    message_text: str | None = None
    """The ``message`` as the check composed it; None means :attr:`message` (from the issues)."""
    codeable_concept: dict | None = None
    """The CodeableConcept validated, echoed in the answer."""
    unknown_systems: tuple[str, ...] = ()
    """``x-unknown-system``: code systems (``url|version``) that are unknown and made the code invalid."""
    caused_by_unknown: tuple[str, ...] = ()
    """``x-caused-by-unknown-system``: unknown code systems the result depends on."""
    normalized_code: str | None = None
    """``normalized-code``: the code as the (case-insensitive) code system spells it."""

    @property
    def message(self) -> str | None:
        """The issues' texts joined with ``"; "``: errors when there are any, else warnings."""
        for levels in (("error", "fatal"), ("warning",)):
            texts = [i.text for i in self.issues if i.severity in levels]
            if texts:
                return "; ".join(texts)
        return None


@dataclass(frozen=True)
class ExpansionItem:
    system: str
    code: str
    display: str | None
    version: str | None = None
    inactive: bool = False
    designations: tuple[Designation, ...] = ()
    abstract: bool = False
    """``notSelectable`` concepts (``contains.abstract``)."""
    properties: tuple[Property, ...] = ()
    extensions: tuple[dict, ...] = ()
    """FHIR extensions passed through to ``contains.extension`` (rendering hints, deprecation flags)."""
    contains: tuple["ExpansionItem", ...] = ()
    """Nested items of a hierarchical expansion."""


@dataclass(frozen=True)
class ExpansionParameter:
    name: str
    kind: str
    value: object


@dataclass(frozen=True)
class Expansion:
    url: str | None
    total: int | None
    offset: int | None
    items: tuple[ExpansionItem, ...]
    parameters: tuple[ExpansionParameter, ...]
    unclosed: bool = False
    """True for expansions of a grammar-based code system (SNOMED CT), flagged ``valueset-unclosed``."""
    name: str | None = None
    title: str | None = None
    value_set: dict | None = None
    """The expanded ValueSet resource (R5 JSON), whose metadata the answer repeats; None for implicit ones."""
    property_defs: tuple[tuple[str, str | None], ...] = ()
    """``expansion.property``: (code, uri) of every property used in ``contains``."""
    unclosed_reason: str | None = None


SubsumesOutcome = Literal["equivalent", "subsumes", "subsumed-by", "not-subsumed"]
