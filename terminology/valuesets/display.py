"""The displays a concept may be given, per language, and the display checks of ``$validate-code``.

Sources: FHIR R5 OperationDefinitions CodeSystem-validate-code and ValueSet-validate-code (``display``,
``displayLanguage``; "the display is checked against the designations of the concept in the requested
language"), HTTP ``Accept-Language`` (RFC 9110 §12.5.4), BCP 47 language tags, and the HL7 terminology
ecosystem tests (``validation``, ``language2``, ``display``), which pin down what tx.fhir.org answers:

* a concept's candidate displays are its display (in the code system's language), its designations (each in
  its own language, or in no stated language), the designations of supplements, and, for ``ValueSet``
  validation, the display and designations the value set's ``compose.include.concept`` gives it;
* a designation in no stated language fits every requested language; with no requested language every
  designation fits; displays compare case-insensitively, and a display that differs only in white space is
  reported with its own message (``Display_Name_WS_for__should_be_one_of__instead_of``);
* a wrong display is an error (a warning with ``lenient-display-validation``); when the concept has no display
  at all in the requested languages the answer says so (``NO_VALID_DISPLAY_FOUND_NONE_FOR_LANG_OK`` when the
  given display is the default one, as information; ``..._ERR`` otherwise); a display that is only an
  inactive designation is a warning (``INACTIVE_DISPLAY_FOUND``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Iterable, Literal

from ..languages import ranked
from ..messages import format_message
from ..model import Coding, Issue

HL7_TERM_MAINT = "http://terminology.hl7.org/CodeSystem/hl7TermMaintInfra"
SNOMED = "http://snomed.info/sct"
_DISPLAY_USES = {(HL7_TERM_MAINT, "preferredForLanguage"), (SNOMED, "900000000000548007"),
                 ("http://terminology.hl7.org/CodeSystem/designation-usage", "display")}
"""Designation uses that make a designation a display (besides having no use at all)."""
_PREFERRED_USES = _DISPLAY_USES | {(SNOMED, "900000000000013009")}
_INACTIVE_STATUSES = ("withdrawn", "inactive", "retired")

Depth = Literal["full", "region", "language"]


# --- languages --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lang:
    """A BCP 47 tag split into its language and region subtags (``*`` for any language)."""

    tag: str
    quality: float = 1.0

    @property
    def language(self) -> str:
        return self.tag.split("-")[0].lower()

    @property
    def region(self) -> str:
        parts = self.tag.split("-")
        return next((p.lower() for p in parts[1:] if len(p) == 2 or (len(p) == 3 and p.isdigit())), "")

    def matches(self, other: "Lang", depth: Depth) -> bool:
        """Does this (requested) tag accept a text in language ``other``, compared down to ``depth``?"""
        if self.tag == "*":
            return True
        if depth == "full":
            return self.tag.lower() == other.tag.lower()
        if self.language != other.language:
            return False
        return depth == "language" or self.region == other.region


_TAG = re.compile(r"^([A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*|\*)$")


@dataclass(frozen=True)
class LanguageList:
    """The languages a request asks for (``displayLanguage`` or ``Accept-Language``), best first."""

    entries: tuple[Lang, ...]
    text: str

    @classmethod
    def parse(cls, value: str | None) -> "LanguageList | None":
        """Parse ``de``, ``en, en-AU; q=0.4``...; None for no value. Raises ValueError for a malformed tag."""
        entries = ranked(value)
        if not entries:
            return None
        for tag, _q, _part in entries:
            if not _TAG.match(tag):
                raise ValueError(tag)
        return cls(tuple(Lang(tag, q) for tag, q, _ in entries), value)

    def summary(self) -> str:
        """The languages as messages name them: the value as given (``de``, ``en, en-AU; q=0.4``)."""
        return self.text.strip()


def lang_summary(langs: LanguageList | None) -> str:
    return langs.summary() if langs is not None else "--"


# --- the candidate displays of a concept ------------------------------------------------------------


@dataclass
class Candidate:
    """One text a concept may be displayed with."""

    value: str
    language: Lang | None
    use: Coding | None = None
    status: str = "active"

    @property
    def active(self) -> bool:
        return self.status not in _INACTIVE_STATUSES

    @property
    def is_display(self) -> bool:
        return self.use is None or (self.use.system, self.use.code) in _DISPLAY_USES

    @property
    def is_preferred(self) -> bool:
        return self.use is None or (self.use.system, self.use.code) in _PREFERRED_USES

    def shown(self) -> str:
        return f"'{self.value}' ({self.language.tag})" if self.language else f"'{self.value}'"


@dataclass
class Displays:
    """The candidate displays of one concept (code system display, designations, value set displays)."""

    _items: list[Candidate] = field(default_factory=list)
    base_lang: str | None = None
    """The language of texts that state none (a value set's own displays: the value set's language)."""
    chosen: str | None = None
    """The display the code system itself chose for the request's languages (SNOMED CT's language refsets),
    which :meth:`preferred` returns as it is."""
    _later: list[Callable[[], Iterable[tuple]]] = field(default_factory=list)
    """Sources of candidates read only when a check needs them (a SNOMED CT concept's descriptions cost a
    query that a ``$validate-code`` without ``display`` never needs)."""
    notes: tuple[Issue, ...] = ()
    """Issues the code system found in the code itself (:attr:`~terminology.providers.base.ConceptInfo.notes`),
    reported with the coding when it is valid."""

    @property
    def items(self) -> list[Candidate]:
        while self._later:
            for value, language, use, status in self._later.pop(0)():
                self.add(value, language, use=use, status=status)
        return self._items

    def add(self, value: str | None, language: str | None, *, use: Coding | None = None,
            status: str = "active", display: bool = False) -> None:
        if not value:
            return
        if display:
            use = Coding(HL7_TERM_MAINT, "preferredForLanguage", "Preferred For Language")
        self._items.append(Candidate(value.strip(), Lang(language) if language else None, use, status or "active"))

    def add_later(self, source: Callable[[], Iterable[tuple]]) -> None:
        """Candidates ``(text, language, use, status)`` from ``source``, read on first need."""
        self._later.append(source)

    def clear(self) -> None:
        self._items.clear()
        self._later.clear()
        self.base_lang = None
        self.chosen = None
        self.notes = ()

    def __bool__(self) -> bool:
        return bool(self._items or self._later or self.chosen)

    # --- language matching ---------------------------------------------------------------------------

    @staticmethod
    def _fits(langs: LanguageList | None, stated: Lang | None, depth: Depth) -> bool:
        if stated is None or langs is None:
            return True
        return any(e.quality > 0 and e.matches(stated, depth) for e in langs.entries)

    def find(self, langs: LanguageList | None, value: str, *, active_only: bool = False
             ) -> tuple[bool, Literal["none", "normalised"]]:
        """(found, difference): is ``value`` a display in ``langs`` (case-insensitive)? If not, does one
        differ only in white space?"""
        wanted = value.lower()
        pool = [c for c in self.items if self._fits(langs, c.language, "language") and (c.active or not active_only)]
        if any(c.value.lower() == wanted for c in pool):
            return True, "none"
        squeezed = _squeeze(value).lower()
        if any(_squeeze(c.value).lower() == squeezed for c in pool):
            return False, "normalised"
        return False, "none"

    def _matching(self, langs: LanguageList | None, display_only: bool) -> list[Candidate]:
        pool = [c for c in self.items if c.is_display or not display_only]
        for depth in ("full", "region", "language"):
            found = [c for c in pool if self._fits(langs, c.language, depth)]
            if found:
                return found
        return []

    def count(self, langs: LanguageList | None, *, display_only: bool = True) -> int:
        """How many displays there are in ``langs`` (the closest language match that has any)."""
        return len(self._matching(langs, display_only))

    def present(self, langs: LanguageList | None, *, display_only: bool = True) -> str:
        """The valid displays as messages list them: ``'A' (en), 'B' or 'C' (de)``."""
        pool = [c for c in self.items if c.is_display or not display_only]
        chosen = [c for c in pool if self._fits(langs, c.language, "language")] or pool
        return _join_or([c.shown() for c in chosen])

    def preferred(self, langs: LanguageList | None) -> str | None:
        """The display to return for ``langs``: the one the code system chose, else the first preferred
        designation of the best language."""
        if self.chosen is not None:
            return self.chosen
        if not self.items:
            return None
        if langs is None or not langs.entries:
            for test in (lambda c: c.is_preferred and c.active, lambda c: c.is_display and c.active,
                         lambda c: c.is_display, lambda c: c.is_preferred):
                hit = next((c for c in self.items if test(c)), None)
                if hit is not None:
                    return hit.value
            return self.items[0].value
        base = Lang(self.base_lang) if self.base_lang else None
        for lang in langs.entries:
            if lang.quality <= 0:
                continue
            for active_only in (True, False):
                for depth in ("full", "region", "language"):
                    fits = [c for c in self.items if (c.language or base) is not None
                            and lang.matches(c.language or base, depth) and (c.active or not active_only)]
                    for test in (lambda c: c.is_preferred, lambda c: c.is_display, lambda c: True):
                        hit = next((c for c in fits if test(c)), None)
                        if hit is not None:
                            return hit.value
        hit = next((c for c in self.items if c.language is None and c.is_display), None)
        return hit.value if hit is not None else None

    def allowed(self) -> list[str]:
        """The active displays, each once (for ``INACTIVE_DISPLAY_FOUND``)."""
        return list(dict.fromkeys(c.value for c in self.items if c.active and c.is_display))


def _squeeze(text: str) -> str:
    return " ".join(text.split())


def _join_or(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]


# --- the check ------------------------------------------------------------------------------------------


def check_display(displays: Displays, langs: LanguageList | None, system: str, code: str, display: str, *,
                  lenient: bool, expression: str, default_language: str | None = "en") -> Issue | None:
    """The issue for ``display`` given as the display of ``system#code`` (None when it is right)."""
    found, difference = displays.find(langs, display)
    summary = lang_summary(langs)
    severity = "warning" if lenient else "error"
    if not found:
        base = ("Display_Name_WS_for__should_be_one_of__instead_of" if difference == "normalised"
                else "Display_Name_for__should_be_one_of__instead_of")
        n = displays.count(langs)
        if n == 0:
            severity = "warning"
            n = displays.count(langs, display_only=False)
        if n == 0:
            default = displays.preferred(None)
            in_default = LanguageList.parse(default_language) if default_language else None
            if not default:
                mid, text = "NO_VALID_DISPLAY_AT_ALL", format_message("NO_VALID_DISPLAY_AT_ALL", display, system, code)
            elif default == display or displays.find(in_default, display)[0]:
                mid = "NO_VALID_DISPLAY_FOUND_NONE_FOR_LANG_OK"
                text = format_message(mid, display, system, code, summary, default)
                severity = "information"
            else:
                mid = "NO_VALID_DISPLAY_FOUND_NONE_FOR_LANG_ERR"
                text = format_message(mid, display, system, code, summary, default)
                severity = "warning" if lenient else "error"
        else:
            mid = base
            key = f"{base}_one" if n == 1 else f"{base}_other"
            text = format_message(key, n, system, code, displays.present(langs), display, summary)
        return Issue(severity, "invalid", "invalid-display", mid, text, (expression,))
    if not displays.find(langs, display, active_only=True)[0]:
        allowed = displays.allowed()
        text = format_message("INACTIVE_DISPLAY_FOUND_one" if len(allowed) == 1 else "INACTIVE_DISPLAY_FOUND_other",
                              display, code, ",".join(f'"{a}"' for a in allowed), "deprecated")
        return Issue("warning", "invalid", "display-comment", "INACTIVE_DISPLAY_FOUND", text, (expression,))
    return None
