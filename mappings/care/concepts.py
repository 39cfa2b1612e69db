"""The concept side of the care search (care-search.md "Search semantics" 1-2): free text, a code or ECL
resolved to concepts, the is-a hierarchy walked from the query concept to the service types, and
cross-system hops through ConceptMaps.

Everything here reads the terminology through its public door:

* concept details (display, terms, parents, inactive) by ``$lookup`` (``TerminologyService.lookup``), and
  for code systems the terminology service does not serve, the bundled lists of :mod:`.codelists`;
* free text by the terminology's text index (``$expand`` of ``http://snomed.info/sct?fhir_vs`` with
  ``filter``: every word must start a word of a term, case and diacritics folded), then ranked here;
* typo tolerance, which the terminology index does not have, by trigram similarity over the terms of the
  concepts that matter for the care search (service types and their ancestors), only when the index finds
  nothing;
* ECL by ``$expand`` of ``http://snomed.info/sct?fhir_vs=ecl/...``: works as soon as the terminology
  service evaluates ECL implicit value sets, and is refused as unsupported until then;
* ConceptMaps by :class:`mappings.Translator` over the stored maps.

Caches are keyed by the terminology version, the care directory generation and the catalog generation,
so they are safe to drop and a second worker computes the same (ARCHITECTURE.md "Scale").
"""

from __future__ import annotations

import re
import threading
import time
import unicodedata
from collections import deque
from dataclasses import dataclass
from urllib.parse import quote

import terminology as t

from ..translate import TranslateRequest, Translator
from . import codelists, codes as c
from .store import CareStore, type_key

FUZZY_THRESHOLD = 0.45
TEXT_CANDIDATES = 40
ECL_LIMIT = 100_000


@dataclass(frozen=True)
class Concept:
    """A concept as the care search sees it; ``key`` is ``system|code``."""

    key: str
    system: str
    code: str
    display: str
    parents: tuple[str, ...]
    terms: tuple[tuple[str, str], ...]
    """(term, language) of every active term."""
    active: bool = True

    @property
    def coding(self) -> t.Coding:
        return t.Coding(self.system, self.code, self.display)


@dataclass(frozen=True)
class Candidate:
    """A concept found for a free-text query."""

    concept: Concept
    term: str
    """The term that matched."""
    language: str
    how: str
    """``exact`` (the whole term), ``prefix`` (the term starts with the text), ``words`` (every word starts
    a word of the term), ``fuzzy`` (similar spelling), ``code`` (the text was a code)."""
    has_services: bool
    score: float = 1.0


_EXTRA = str.maketrans({"ø": "o", "æ": "ae", "ß": "ss", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "œ": "oe"})
_WORD = re.compile(r"[^\W_]+")
_KVA_CODE = re.compile(r"[A-Z]{2,3}\d{2,3}")


def fold(text: str) -> str:
    """Case and diacritics folded, as the terminology's text index folds terms (``terminology/text.py``,
    private to the core, so the few lines are repeated here): "Knä" -> "kna", "Höft" -> "hoft"."""
    low = text.casefold().translate(_EXTRA)
    return "".join(ch for ch in unicodedata.normalize("NFKD", low) if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


def trigrams(text: str) -> set[str]:
    padded = f"  {text} "
    return {padded[i:i + 3] for i in range(len(padded) - 2)}


def similarity(query: str, term: str) -> float:
    """Trigram similarity (Dice) of the folded query and the best window of as many words of the term."""
    q = " ".join(words(query))
    w = words(term)
    n = max(1, len(q.split()))
    best = 0.0
    qt = trigrams(q)
    for i in range(max(1, len(w) - n + 1)):
        window = trigrams(" ".join(w[i:i + n]))
        if qt and window:
            best = max(best, 2 * len(qt & window) / (len(qt) + len(window)))
    return best


_SHARED: dict[tuple[str, str | None], tuple[dict, dict]] = {}
_SHARED_LOCK = threading.Lock()


def _shared(database: str, version: str | None) -> tuple[dict, dict]:
    """Concept details and ancestors for one terminology version of one database, shared by every index of
    the process (they never change for a version; a new version gets new dictionaries)."""
    with _SHARED_LOCK:
        key = (database, version)
        if key not in _SHARED:
            for old in [k for k in _SHARED if k[0] == database]:
                del _SHARED[old]
            _SHARED[key] = ({}, {})
        return _SHARED[key]


class ConceptIndex:
    """Concept details, ancestors and paths, memoised per terminology version; the directory's service types,
    cached per directory generation."""

    def __init__(self, service: t.TerminologyService, store: CareStore, maps=None, *, language: str = "sv",
                 refresh_seconds: float = 1.0) -> None:
        self.service = service
        self.store = store
        self.translator = Translator(maps) if maps is not None else None
        self.language = language
        self.refresh_seconds = refresh_seconds
        self._lock = threading.RLock()
        self._version: str | None = None
        self._concepts: dict[str, Concept | None] = {}
        self._ancestors: dict[str, frozenset[str]] = {}
        self._types: frozenset[str] = frozenset()
        self._types_generation: int | None = None
        self._checked = 0.0
        self._translations: dict[str, list[tuple[str, str]]] = {}
        self._maps_generation: int | None = None
        self._ecl: dict[str, frozenset[str]] = {}

    # --- caches ----------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Drop what is stale: another terminology version, a changed directory, changed ConceptMaps."""
        now = time.monotonic()
        if now - self._checked < self.refresh_seconds and self._types_generation is not None:
            return
        with self._lock:
            version = self.service.default_version()
            if version != self._version:
                self._concepts, self._ancestors = _shared(str(self.service.db.url), version)
                self._translations.clear()
                self._ecl.clear()
                self._version = version
            generation = self.store.generation()
            if generation != self._types_generation:
                self._types = frozenset(self.store.type_keys())
                self._types_generation = generation
            if self.translator is not None:
                maps_generation = self.service.db.generation()
                if maps_generation != self._maps_generation:
                    self._translations.clear()
                    self._maps_generation = maps_generation
            self._checked = now

    @property
    def version(self) -> str | None:
        """The terminology version the answers come from."""
        return self._version

    def service_types(self) -> frozenset[str]:
        """Every ``system|code`` some service of the directory is typed with."""
        return self._types

    # --- concepts --------------------------------------------------------------------------------

    def get(self, key: str) -> Concept | None:
        """The concept of ``system|code``, or None when the code does not exist."""
        with self._lock:
            if key not in self._concepts:
                self._concepts[key] = self._fetch(key)
            return self._concepts[key]

    def _fetch(self, key: str) -> Concept | None:
        system, _, code = key.partition("|")
        try:
            r = self.service.lookup(t.LookupRequest(system=system, code=code, display_language=self.language,
                                                    properties=("parent", "inactive")))
        except t.UnknownCodeSystem:
            local = codelists.local_code_systems().get(system, {}).get(code)
            if local is None:
                return None
            return Concept(key, system, code, local.display,
                           (type_key(system, local.parent),) if local.parent else (), ((local.display, "sv"),))
        except (t.UnknownCode, t.InvalidCode):
            return None
        parents = tuple(type_key(system, str(p.value)) for p in r.properties if p.code == "parent")
        inactive = any(p.code == "inactive" and p.value is True for p in r.properties)
        terms = tuple((d.value, d.language or "") for d in r.designations
                      if d.use is None or d.use.code != str(t.snomed.DEFINITION))
        return Concept(key, system, code, r.display, parents, terms, not inactive)

    def ancestors(self, key: str) -> frozenset[str]:
        """Every proper ancestor of ``key`` (transitive parents)."""
        with self._lock:
            if key in self._ancestors:
                return self._ancestors[key]
            concept = self.get(key)
            out: set[str] = set()
            for parent in concept.parents if concept else ():
                out.add(parent)
                out |= self.ancestors(parent)
            self._ancestors[key] = frozenset(out)
            return self._ancestors[key]

    def path_down(self, top: str, bottom: str) -> list[str]:
        """A shortest chain of direct is-a edges from ``top`` down to ``bottom`` (both included)."""
        if top == bottom:
            return [top]
        before: dict[str, str] = {bottom: ""}
        queue = deque([bottom])
        while queue:
            key = queue.popleft()
            concept = self.get(key)
            for parent in concept.parents if concept else ():
                if parent in before:
                    continue
                before[parent] = key
                if parent == top:
                    chain = [top]
                    while chain[-1] != bottom:
                        chain.append(before[chain[-1]])
                    return chain
                queue.append(parent)
        return [top, bottom]

    def narrower_types(self, key: str) -> list[str]:
        """Service types strictly below ``key``."""
        return [s for s in self._types if s != key and key in self.ancestors(s)]

    def broader_types(self, key: str) -> list[str]:
        """Service types strictly above ``key``."""
        return [a for a in self.ancestors(key) if a in self._types]

    def reaches_services(self, key: str) -> bool:
        return key in self._types or any(key in self.ancestors(s) for s in self._types)

    # --- ConceptMaps -----------------------------------------------------------------------------

    def translations(self, key: str) -> list[tuple[str, str]]:
        """``(target key, map canonical)`` for every ConceptMap match of ``key`` (forward)."""
        if self.translator is None:
            return []
        with self._lock:
            if key not in self._translations:
                system, _, code = key.partition("|")
                found = []
                try:
                    result = self.translator.translate(TranslateRequest(code=code, system=system))
                except t.TerminologyError:
                    result = None
                for match in result.matches if result else ():
                    if match.concept is not None and match.relationship != "not-related-to":
                        code_ = codelists.normal_code(match.concept.system, match.concept.code)
                        found.append((type_key(match.concept.system, code_), match.origin_map))
                self._translations[key] = list(dict.fromkeys(found))
            return self._translations[key]

    # --- resolution ------------------------------------------------------------------------------

    def from_code(self, system: str, code: str) -> Concept:
        """The concept of a code given in the query; InvalidRequest naming ``code`` when unknown."""
        code = codelists.normal_code(system, code)
        concept = self.get(type_key(system, code))
        if concept is None:
            raise t.InvalidRequest.plain(f"code: '{code}' is not a known code of {system}", expression="code")
        return concept

    def from_ecl(self, ecl: str) -> frozenset[str]:
        """The keys of the SNOMED CT concepts an ECL expression selects."""
        with self._lock:
            if ecl in self._ecl:
                return self._ecl[ecl]
        url = f"{c.SNOMED}?fhir_vs=ecl/{quote(ecl, safe='')}"
        try:
            expansion = self.service.expand(t.ExpandRequest(url=url, count=ECL_LIMIT, active_only=True))
        except t.Unsupported as exc:
            raise t.Unsupported.plain(f"ecl: this server cannot evaluate ECL yet ({exc.text})") from None
        keys = frozenset(type_key(i.system, i.code) for i in expansion.items)
        with self._lock:
            self._ecl[ecl] = keys
        return keys

    def from_text(self, text: str) -> list[Candidate]:
        """Ranked candidate concepts for free text (Swedish or English): concepts that lead to services first,
        then by how well a term matches (exact, prefix, words, fuzzy), then shorter terms."""
        text = text.strip()
        if not words(text):
            raise t.InvalidRequest.plain("text: give at least one word", expression="text")
        found: dict[str, Candidate] = {}
        for candidate in self._code_candidates(text) + self._index_candidates(text) + self._local_candidates(text):
            self._keep(found, candidate)
        if not found:
            for candidate in self._fuzzy_candidates(text):
                self._keep(found, candidate)
        order = {"code": 0, "exact": 1, "prefix": 2, "words": 3, "fuzzy": 4}
        return sorted(found.values(), key=lambda x: (not x.has_services, order[x.how], -x.score, len(x.term),
                                                     x.concept.display))

    @staticmethod
    def _keep(found: dict[str, Candidate], candidate: Candidate) -> None:
        order = {"code": 0, "exact": 1, "prefix": 2, "words": 3, "fuzzy": 4}
        have = found.get(candidate.concept.key)
        if have is None or (order[candidate.how], len(candidate.term)) < (order[have.how], len(have.term)):
            found[candidate.concept.key] = candidate

    def _candidate(self, concept: Concept, text: str, how: str | None = None, score: float = 1.0) -> Candidate:
        q = " ".join(words(text))
        best = None
        for term, language in concept.terms or ((concept.display, ""),):
            f = " ".join(words(term))
            kind = "exact" if f == q else "prefix" if f.startswith(q) else "words"
            rank = ({"exact": 0, "prefix": 1, "words": 2}[kind], len(term))
            if best is None or rank < best[0]:
                best = (rank, term, language, kind)
        assert best is not None
        return Candidate(concept, best[1], best[2], how or best[3], self.reaches_services(concept.key), score)

    def _code_candidates(self, text: str) -> list[Candidate]:
        token = text.strip()
        keys = []
        if token.isdigit() and 6 <= len(token) <= 18:
            keys.append(type_key(c.SNOMED, token))
        if _KVA_CODE.fullmatch(token.upper()):
            keys.append(type_key(c.KVA, token.upper()))
        out = []
        for key in keys:
            concept = self.get(key)
            if concept is not None and concept.active:
                out.append(Candidate(concept, concept.code, "", "code", self.reaches_services(key)))
        return out

    def _index_candidates(self, text: str) -> list[Candidate]:
        try:
            expansion = self.service.expand(t.ExpandRequest(url=f"{c.SNOMED}?fhir_vs", filter=text,
                                                            count=TEXT_CANDIDATES, active_only=True,
                                                            display_language=self.language))
        except (t.UnknownCodeSystem, t.UnknownCodeSystemVersion):
            return []
        out = []
        for item in expansion.items:
            concept = self.get(type_key(item.system, item.code))
            if concept is not None:
                out.append(self._candidate(concept, text))
        return out

    def _local_candidates(self, text: str) -> list[Candidate]:
        q = words(text)
        out = []
        for system, concepts in codelists.local_code_systems().items():
            if system not in (c.KVA,):
                continue
            for local in concepts.values():
                w = words(local.display)
                if all(any(x.startswith(y) for x in w) for y in q):
                    concept = self.get(type_key(system, local.code))
                    if concept is not None:
                        out.append(self._candidate(concept, text))
        return out

    def _fuzzy_candidates(self, text: str) -> list[Candidate]:
        with self._lock:
            keys = set(self._types)
            for key in list(self._types):
                keys |= self.ancestors(key)
            keys |= {k for k, v in self._concepts.items() if v is not None}
        scored = []
        for key in keys:
            concept = self.get(key)
            if concept is None or not concept.active:
                continue
            for term, language in concept.terms or ((concept.display, ""),):
                s = similarity(text, term)
                if s >= FUZZY_THRESHOLD:
                    scored.append((s, term, language, concept))
        scored.sort(key=lambda x: (-x[0], len(x[1])))
        out, seen = [], set()
        for s, term, language, concept in scored:
            if concept.key not in seen:
                seen.add(concept.key)
                out.append(Candidate(concept, term, language, "fuzzy", self.reaches_services(concept.key),
                                     round(s, 3)))
        return out[:TEXT_CANDIDATES]
