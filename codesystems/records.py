"""The neutral record model every national code-system reader produces (file in, records out).

A reader turns one format (Socialstyrelsen's kodtextfil, ClaML, a CSV code list, SKOS) into
:class:`Concept` records and a :class:`CodeSystemMeta` describing the code system; :mod:`.fhir_codesystem`
checks the records as a whole (duplicate codes, parents that do not exist, cycles) and writes the FHIR R5
CodeSystem. Each record remembers where it came from (:class:`Where`), so every problem found later still
names the file and the line.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace

CONCEPT_PROPERTIES = "http://hl7.org/fhir/concept-properties"
"""Base URI of the standard concept properties (FHIR R5 codesystem.html §"Concept Properties")."""


@dataclass(frozen=True, slots=True)
class Where:
    """The file and 1-based line a record was read from (line None when the format has no lines)."""

    file: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.file}, line {self.line}" if self.line is not None else self.file


@dataclass(frozen=True, slots=True)
class Designation:
    """Another text for a concept: a label in some language, a synonym, or a rubric of a classification."""

    value: str
    language: str | None = None
    use: str = "display"
    """``display`` (a preferred label), ``synonym`` (an alternative label) or a format's own kind of text
    (a ClaML rubric kind such as ``inclusion``), written as a designation use by the converter."""


@dataclass(frozen=True, slots=True)
class Concept:
    """One code of a code system, with its hierarchy and texts."""

    code: str
    display: str | None
    parents: tuple[str, ...] = ()
    """Codes of the direct parents (broader concepts), in the order the source gives them."""
    definition: str | None = None
    designations: tuple[Designation, ...] = ()
    properties: tuple[tuple[str, str | int | bool], ...] = ()
    """``(property code, value)`` pairs; each code must be declared in :attr:`CodeSystemMeta.properties`."""
    not_selectable: bool = False
    """A grouping concept (chapter, block, section) that is not meant to be recorded."""
    where: Where | None = None

    def with_parents(self, parents: tuple[str, ...]) -> "Concept":
        return replace(self, parents=parents)


@dataclass(frozen=True, slots=True)
class PropertyDef:
    """A concept property the code system declares (``CodeSystem.property``)."""

    code: str
    type: str
    """FHIR property type: code, Coding, string, integer, boolean, dateTime or decimal."""
    description: str
    uri: str | None = None


NOT_SELECTABLE = PropertyDef("notSelectable", "boolean", "A grouping concept, not meant to be recorded",
                             f"{CONCEPT_PROPERTIES}#notSelectable")
PARENT = PropertyDef("parent", "code", "A direct parent of the concept", f"{CONCEPT_PROPERTIES}#parent")


@dataclass(frozen=True)
class CodeSystemMeta:
    """What the CodeSystem resource says about itself (FHIR R5 CodeSystem elements)."""

    url: str
    name: str
    title: str
    version: str | None = None
    oid: str | None = None
    """The OID without ``urn:oid:``; written as ``identifier`` (system ``urn:ietf:rfc:3986``)."""
    language: str | None = "sv"
    publisher: str | None = None
    description: str | None = None
    copyright: str | None = None
    content: str = "complete"
    """``complete`` for a whole release, ``fragment`` for an excerpt (see docs/national-code-systems.md)."""
    hierarchy_meaning: str | None = "classified-with"
    case_sensitive: bool = True
    status: str = "active"
    date: str | None = None
    properties: tuple[PropertyDef, ...] = field(default_factory=tuple)

    def but(self, **changes) -> "CodeSystemMeta":
        """A copy with some elements changed (``None`` values are ignored, so CLI options can pass through)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


@dataclass
class CodeList:
    """What a reader returns: the code system's description and its concepts in source order."""

    meta: CodeSystemMeta
    concepts: list[Concept]


def computable_name(text: str, default: str = "CodeSystem") -> str:
    """A FHIR ``name`` (``[A-Z]([A-Za-z0-9_]){0,254}``) from a title: ``Vårdnivå (test)`` -> ``VardnivaTest``."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[A-Za-z0-9]+", plain)
    name = "".join(w[:1].upper() + w[1:] for w in words)
    if not name or not name[0].isalpha():
        return default
    return name[:255]


def logical_id(name: str, version: str | None = None) -> str:
    """A readable FHIR logical id (``[A-Za-z0-9\\-.]{1,64}``) from a name and version, e.g. ``kva-2021``."""
    raw = f"{name}-{version}" if version else name
    plain = unicodedata.normalize("NFKD", raw).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9.\-]+", "-", plain.lower()).strip("-.")
    return slug[:64].rstrip("-.") or "resource"
