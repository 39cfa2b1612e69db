"""Which display an expansion shows for a concept, given the requested languages.

Sources: FHIR R5 ``$expand`` ``displayLanguage`` ("the language to be used for ValueSet.expansion.contains.
display"), HTTP ``Accept-Language`` (RFC 9110 §12.5.4: ordered tags with q-values, ``*`` for any other
language, ``q=0`` for "not acceptable"), and the HL7 terminology ecosystem ``language`` tests:

* a concept's display is in the code system's language (``CodeSystem.language``); its designations may be
  in others. The first requested language that the display or a designation is in (``de`` also matches
  ``de-CH``) gives the display;
* when no requested language fits, the code system's display stays, unless ``*`` is marked not acceptable
  (``de, *; q=0``): then there is no display at all;
* when the display shown is not the code system's own, the code system's display becomes a designation
  (language of the code system, use ``preferredForLanguage``) and the designation used as display is dropped
  from the list.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..languages import ranked
from ..model import Coding, Designation
from ..providers.base import ConceptInfo

PREFERRED_FOR_LANGUAGE = Coding("http://terminology.hl7.org/CodeSystem/hl7TermMaintInfra", "preferredForLanguage",
                                "Preferred For Language")
"""The designation use tx.fhir.org gives the code system's own display when it is not the display shown."""

@dataclass(frozen=True)
class LanguagePreference:
    """An ``Accept-Language``-style list: acceptable tags in order of preference."""

    tags: tuple[str, ...]
    """Acceptable language tags (q > 0, not ``*``), most preferred first."""
    any_other: bool
    """False when ``*`` is given with ``q=0`` (only the listed languages are acceptable)."""
    text: str
    """The value as the expansion echoes it."""

    def matches(self, tag: str, language: str | None) -> bool:
        if not language:
            return False
        a, b = tag.lower(), language.lower()
        return a == b or b.startswith(a + "-") or a.startswith(b + "-")


def parse(value: str | None) -> LanguagePreference | None:
    """Parse ``de, *; q=0`` or ``en-GB,sv;q=0.8``; None for an empty value. Malformed parts are ignored."""
    entries = ranked(value)
    if not entries:
        return None
    any_other = all(q > 0 for tag, q, _ in entries if tag == "*")
    tags = tuple(tag for tag, q, _ in entries if q > 0 and tag and tag != "*")
    parts = [p.strip() for p in value.split(",") if p.strip()]
    text = ", ".join(parts) if ";" in value else value
    return LanguagePreference(tags, any_other, text)


def choose(info: ConceptInfo, display: str | None, cs_language: str | None,
           pref: LanguagePreference | None) -> tuple[str | None, Designation | None]:
    """(display to show, designation it was taken from) for ``info``.

    ``display`` is the concept's default display (the value set's own, else the code system's).
    """
    if pref is None:
        return display, None
    for tag in pref.tags:
        if display is not None and pref.matches(tag, cs_language):
            return display, None
        for d in info.designations:
            if d.language and pref.matches(tag, d.language) and _usable(d):
                return d.value, d
    return (display if pref.any_other else None), None


def _usable(d: Designation) -> bool:
    """Designations that can stand as a display: no use, or a display/preferred use (not e.g. a definition)."""
    return d.use is None or d.use.code in ("display", "preferredForLanguage", "900000000000013009")


def shown_designations(info: ConceptInfo, default_display: str | None, shown: str | None, used: Designation | None,
                       cs_language: str | None, extra: tuple[Designation, ...] = ()) -> list[Designation]:
    """The designations an expansion lists for a concept whose display is ``shown``."""
    out: list[Designation] = []
    if default_display is not None and shown != default_display:
        out.append(Designation(cs_language, PREFERRED_FOR_LANGUAGE, default_display))
    out += [d for d in (*info.designations, *extra) if d is not used]
    return out
