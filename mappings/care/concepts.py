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

import functools
import re
import threading
import time
import unicodedata
from collections import deque
from dataclasses import dataclass, field
from urllib.parse import quote

import terminology as t

from ..translate import TranslateRequest, Translator
from . import codelists, codes as c
from .store import CareStore, type_key

FUZZY_THRESHOLD = 0.45
TEXT_CANDIDATES = 40
TEXT_FULL = 5
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


def _terms(designations) -> tuple[tuple[str, str], ...]:
    """(term, language) of the designations that are names (not text definitions)."""
    return tuple((d.value, d.language or "") for d in designations
                 if d.use is None or d.use.code != str(t.snomed.DEFINITION))


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


@dataclass
class _Memo:
    """What never changes for one terminology version: concept details, hierarchy, displays."""

    concepts: dict = field(default_factory=dict)
    hierarchy: dict = field(default_factory=dict)
    """key -> (direct parents, all proper ancestors), as keys."""
    displays: dict = field(default_factory=dict)
    paths: dict = field(default_factory=dict)
    """(top, bottom) -> a shortest is-a chain between them."""


_SHARED: dict[tuple[str, str | None], _Memo] = {}
_SHARED_LOCK = threading.Lock()


def _shared(database: str, version: str | None) -> _Memo:
    """The memo of one terminology version of one database, shared by every index of the process (a new
    version gets a new memo; the old one is dropped)."""
    with _SHARED_LOCK:
        key = (database, version)
        if key not in _SHARED:
            for old in [k for k in _SHARED if k[0] == database]:
                del _SHARED[old]
            _SHARED[key] = _Memo()
        return _SHARED[key]


@functools.lru_cache(maxsize=1)
def _local_words() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(key, folded words) of the bundled KVÅ codes, for text search."""
    return tuple((type_key(c.KVA, x.code), tuple(words(x.display)))
                 for x in codelists.local_code_systems()[c.KVA].values())


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
        self._memo = _Memo()
        self._types: frozenset[str] = frozenset()
        self._reaching: frozenset[str] = frozenset()
        """The service types and all their ancestors."""
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
            changed = version != self._version
            if changed:
                self._memo = _shared(str(self.service.db.url), version)
                self._translations.clear()
                self._ecl.clear()
                self._version = version
            generation = self.store.generation()
            if generation != self._types_generation or changed:
                self._types = frozenset(self.store.type_keys())
                self._types_generation = generation
                self._ensure(self._types)
                above = {a for key in self._types for a in self._memo.hierarchy[key][1]}
                self._ensure(above)
                self._reaching = frozenset(self._types | above)
            if self.translator is not None:
                maps_generation = self.service.db.generation()
                if maps_generation != self._maps_generation:
                    self._translations.clear()
                    self._maps_generation = maps_generation
            self._checked = now

    @property
    def generation(self) -> int | None:
        """The directory generation the service types were read at (refreshed with :meth:`refresh`)."""
        return self._types_generation

    @property
    def version(self) -> str | None:
        """The terminology version the answers come from."""
        return self._version

    def service_types(self) -> frozenset[str]:
        """Every ``system|code`` some service of the directory is typed with."""
        return self._types

    # --- concepts --------------------------------------------------------------------------------

    def get(self, key: str) -> Concept | None:
        """The concept of ``system|code`` (display and terms), or None when the code does not exist."""
        with self._lock:
            if key not in self._memo.concepts:
                self._memo.concepts[key] = self._fetch(key)
            return self._memo.concepts[key]

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
        return Concept(key, system, code, r.display, parents, _terms(r.designations), not inactive)

    def _ensure(self, keys) -> None:
        """Fill in the hierarchy of ``keys``: SNOMED CT in bulk from the closure, other systems concept by
        concept (their code lists are small)."""
        memo = self._memo.hierarchy
        missing = [k for k in keys if k not in memo]
        if not missing:
            return
        snomed = [k.partition("|")[2] for k in missing if k.startswith(c.SNOMED + "|")]
        found: dict = {}
        if snomed:
            try:
                found = self.service.ancestors(snomed)
            except (t.UnknownCodeSystem, t.UnknownCodeSystemVersion):
                found = {}
        for key in missing:
            system, _, code = key.partition("|")
            if system == c.SNOMED:
                parents, ancestors = found.get(code, ((), frozenset()))
                memo[key] = (tuple(type_key(system, x) for x in parents),
                             frozenset(type_key(system, x) for x in ancestors))
                continue
            concept = self.get(key)
            parents = concept.parents if concept else ()
            self._ensure(parents)
            ancestors = set(parents)
            for parent in parents:
                ancestors |= memo[parent][1]
            memo[key] = (parents, frozenset(ancestors))

    def ancestors(self, key: str) -> frozenset[str]:
        """Every proper ancestor of ``key`` (the transitive parents)."""
        with self._lock:
            if key not in self._memo.hierarchy:
                self._ensure([key])
            return self._memo.hierarchy[key][1]

    def parents(self, key: str) -> tuple[str, ...]:
        with self._lock:
            if key not in self._memo.hierarchy:
                self._ensure([key])
            return self._memo.hierarchy[key][0]

    def path_down(self, top: str, bottom: str) -> list[str]:
        """A shortest chain of direct is-a edges from ``top`` down to ``bottom`` (both included)."""
        if top == bottom:
            return [top]
        memo = self._memo.paths
        if (top, bottom) in memo:
            return memo[(top, bottom)]
        memo[(top, bottom)] = path = self._shortest(top, bottom)
        return path

    def _shortest(self, top: str, bottom: str) -> list[str]:
        with self._lock:
            self._ensure(self.ancestors(bottom))
        before: dict[str, str] = {bottom: ""}
        queue = deque([bottom])
        while queue:
            key = queue.popleft()
            for parent in self.parents(key):
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
        hierarchy = self._memo.hierarchy
        return [s for s in self._types if s != key and key in hierarchy.get(s, ((), ()))[1]]

    def broader_types(self, key: str) -> list[str]:
        """Service types strictly above ``key``."""
        return [a for a in self.ancestors(key) if a in self._types]

    def reaches_services(self, key: str) -> bool:
        """Whether some service is typed with ``key`` or a concept below it."""
        return key in self._reaching

    def displays(self, keys) -> dict[str, str]:
        """Displays (in the index's language) of many concepts: SNOMED CT in one ``$expand`` of an ECL
        disjunction, other systems from their code lists."""
        memo = self._memo.displays
        missing = [k for k in dict.fromkeys(keys) if k not in memo]
        snomed = [k.partition("|")[2] for k in missing if k.startswith(c.SNOMED + "|")]
        if snomed:
            url = f"{c.SNOMED}?fhir_vs=ecl/{quote(' OR '.join(snomed), safe='')}"
            try:
                expansion = self.service.expand(t.ExpandRequest(url=url, count=len(snomed),
                                                                display_language=self.language))
                for item in expansion.items:
                    memo[type_key(item.system, item.code)] = item.display or item.code
            except t.TerminologyError:
                pass  # an engine without ECL: fall back to lookups below
        for key in missing:
            if key not in memo:
                concept = self.get(key)
                memo[key] = concept.display if concept else key.partition("|")[2]
        return {k: memo[k] for k in keys}

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
        except t.InvalidEcl as exc:
            raise t.InvalidEcl(exc.message_id, *exc.args_, text=f"ecl: {exc.text}", expression="ecl") from None
        keys = frozenset(type_key(i.system, i.code) for i in expansion.items)
        with self._lock:
            self._ecl[ecl] = keys
        return keys

    def from_text(self, text: str) -> list[Candidate]:
        """Ranked candidate concepts for free text (Swedish or English): concepts that lead to services first,
        then by how well a term matches (exact, prefix, words, fuzzy), then shorter terms."""
        text = t.bounded_filter(text, name="text").strip()
        self.refresh()
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

    def _expand_text(self, text: str) -> list[Concept]:
        """Active SNOMED CT concepts whose terms the text index matches, in the index's order (exact term, term
        prefix, shorter terms first). The first few are read in full (every term, to name the one that
        matched); the rest carry their display only, which is enough to offer them as alternatives."""
        try:
            expansion = self.service.expand(t.ExpandRequest(url=f"{c.SNOMED}?fhir_vs", filter=text,
                                                            count=TEXT_CANDIDATES, active_only=True,
                                                            display_language=self.language))
        except (t.UnknownCodeSystem, t.UnknownCodeSystemVersion):
            return []
        out = []
        for i, item in enumerate(expansion.items):
            key = type_key(item.system, item.code)
            concept = self.get(key) if i < TEXT_FULL else self._memo.concepts.get(key)
            if concept is None:
                concept = Concept(key, item.system, item.code, item.display or item.code, (),
                                  ((item.display or item.code, ""),))
            out.append(concept)
        return out

    def _index_candidates(self, text: str) -> list[Candidate]:
        return [self._candidate(concept, text) for concept in self._expand_text(text)]

    def _local_candidates(self, text: str) -> list[Candidate]:
        """KVÅ codes (from the bundled list) whose text has every word of the query as a word prefix."""
        q = words(text)
        out = []
        for key, w in _local_words():
            if all(any(x.startswith(y) for x in w) for y in q):
                concept = self.get(key)
                if concept is not None:
                    out.append(self._candidate(concept, text))
        return out

    def _fuzzy_candidates(self, text: str) -> list[Candidate]:
        """Typo tolerance the terminology index does not have: ask the index again with every word cut to its
        first part (at least four letters), and compare trigrams with the terms of those concepts and of the
        concepts already known here (KVÅ included); keep the similar ones."""
        cut = " ".join(w[:max(4, (len(w) * 3) // 5)] for w in words(text))
        pool: dict[str, Concept] = {x.key: x for x in self._expand_text(cut)} if cut != " ".join(words(text)) else {}
        with self._lock:
            pool.update({k: v for k, v in self._memo.concepts.items() if v is not None})
        for system, concepts in codelists.local_code_systems().items():
            if system == c.KVA:
                for local in concepts.values():
                    key = type_key(system, local.code)
                    if key not in pool:
                        pool[key] = Concept(key, system, local.code, local.display, (), ((local.display, "sv"),))
        scored = []
        for concept in pool.values():
            if not concept.active:
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
