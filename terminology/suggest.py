"""Ranked target suggestions for a source term (the mapping workbench, issue 21): the terminology's own text
search (:meth:`terminology.store.SnomedStore.text_match` over the text index, with the typo tolerance of
:mod:`terminology.text`), restricted to a target set, each candidate scored by its best term.

What a suggestion is, per source row:

* SNOMED CT: the active concepts of the chosen edition (never an inactive one), restricted by an ECL expression
  and/or a value set; candidates are the concepts whose terms (Swedish and English, preferred terms and
  synonyms, case and diacritics folded) have every query word as a word prefix or as a spelling within
  :func:`terminology.text.max_edits` (word order is free); when that finds fewer than asked for, or none
  scoring :data:`GOOD`, every word but one. Each
  candidate's terms are scored by :func:`terminology.text.match_score`; an exact Swedish preferred term ranks
  first among equal scores, then Swedish terms, then shorter terms.
* A source code that is an inactive SNOMED CT concept gets its historical replacements (SAME AS, REPLACED BY,
  POSSIBLY EQUIVALENT TO, ...: the associations of RF2's historical association refsets) first.
* Any other code system (KVÅ, ICD-10-SE, a stored CodeSystem) or value set: its expansion (at most the
  server's expansion limit) is indexed once per :class:`Suggester` and scored the same way.

A :class:`Suggester` is prepared once per target and used for every row (a 5,000-row file asks it 5,000 times).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from . import ecl, snomed, text
from .errors import InvalidRequest, TerminologyError
from .requests import ExpandRequest

CANDIDATES = 200
"""Concepts read and scored per query (the text index's best by its own order first)."""
RELAXED = 60
"""Concepts read per relaxed query (every query word but one)."""
GOOD = 0.85
"""A best score from which the relaxed queries are not asked (every word found, most of the term covered)."""


@dataclass(frozen=True)
class SuggestTarget:
    """What the suggestions may be: a code system (SNOMED CT by default), a version (a SNOMED CT version URI or
    edition; None: the default), optionally an ECL expression (SNOMED CT) and/or a value set's canonical URL
    that restrict the targets."""

    system: str = snomed.SYSTEM
    version: str | None = None
    ecl: str | None = None
    value_set: str | None = None


@dataclass(frozen=True)
class Suggestion:
    """One ranked candidate target: ``term`` is the term that matched (in ``language``), ``how`` why:
    see :func:`_how`, or a historical association (``REPLACED BY`` ...) of an inactive source code."""

    system: str
    code: str
    display: str
    term: str
    language: str
    score: float
    how: str


class Suggester:
    """Suggestions for one target; see the module docstring."""

    def __init__(self, service, target: SuggestTarget, vocabularies) -> None:
        self.target = target
        if target.system == snomed.SYSTEM:
            self._impl = _SnomedTargets(service, target, vocabularies)
        else:
            self._impl = _ListTargets(service, target)

    def suggest(self, term: str, *, code: str | None = None, count: int = 5) -> list[Suggestion]:
        """The best ``count`` targets for the source ``term`` (and its source ``code``, when the source system
        is SNOMED CT), best first."""
        term = text.bounded_filter(term or "", name="term")
        return self._impl.suggest(term, code, count)


def _rank(score: float, preferred_sv: bool, swedish: bool, term: str) -> tuple:
    return (-score, not preferred_sv, not swedish, len(term))


def _how(score: float, kind: str, query: dict, term: str) -> str:
    """``exact`` (the whole term, any word order), ``words`` (every query word is a word of a longer term),
    ``prefix``, ``compound``, ``typo`` (the weakest word match), ``partial`` (a weak match of some words)."""
    if score < 0.6:
        return "partial"
    if kind == "exact":
        return "exact" if sorted(text.tokens(term)) == sorted(query) else "words"
    return kind


class _SnomedTargets:
    def __init__(self, service, target: SuggestTarget, vocabularies) -> None:
        self.edition = service.edition(target.version)
        self.store = self.edition.store
        key = self.edition.version.key
        vocabulary = vocabularies.get(key)
        if vocabulary is None:
            vocabulary = vocabularies[key] = text.Vocabulary(self.store.word_counts())
        self.vocabulary = vocabulary
        base = self.store.all_concepts(active_only=True)
        if target.ecl:
            base = base.intersect(ecl.evaluate(self.store, target.ecl, limits=service.ecl_limits))
        if target.value_set:
            expansion = service.expand(ExpandRequest(url=target.value_set, max_size=service.max_expansion))
            ids = [int(i.code) for i in _flat(expansion.items)
                   if i.system == snomed.SYSTEM and snomed.is_concept_id(i.code)]
            base = base.intersect(self.store.ids(ids))
        self.base = base
        self.refsets = self.edition.display_refsets("sv")
        self.swedish = {r for r, langs in self.edition.languages.items() if "sv" in langs}

    def suggest(self, term: str, code: str | None, count: int) -> list[Suggestion]:
        out = self._replacements(code) if code else []
        query = text.expand_words(term, self.vocabulary)
        if not query:
            return out[:count]
        alternatives = {w: list(c) for w, c in query.items()}
        # Words of one or two letters ("i", "av", "of") are left to the scoring: as prefixes they match most of a
        # release and cost the text index more than all the other words.
        searched = [w for w in query if len(w) > 2] or list(query)
        matched = self.store.text_match(" ".join(searched), alternatives=alternatives)
        ids = [r[0] for r in self.store.page(self.base.intersect(matched), refsets=[], limit=CANDIDATES,
                                             rank_text=term)]
        ranked = self._score(ids, query)
        if len(searched) > 1 and (len(ranked) < count or not ranked or ranked[0].score < GOOD):
            for word in searched:
                relaxed = self.store.text_match(" ".join(searched), alternatives=alternatives, leave_out=word)
                ids += self.store.first_ids(self.base.intersect(relaxed), RELAXED)
            ranked = self._score(list(dict.fromkeys(ids)), query)
        have = {s.code for s in out}
        return (out + [s for s in ranked if s.code not in have])[:count]

    def _score(self, ids: list[int], query: dict) -> list[Suggestion]:
        if not ids:
            return []
        preferred = {d for _, refset, d in self.store.preferred_terms(ids) if refset in self.swedish}
        best: dict[int, tuple] = {}
        for concept_id, description_id, term, language, type_id in self.store.term_rows(ids):
            if type_id == snomed.FSN and language != "en":
                continue
            score, kind = text.match_score(query, term)
            if score <= 0:
                continue
            rank = _rank(score, description_id in preferred, language == "sv", term)
            if concept_id not in best or rank < best[concept_id][0]:
                best[concept_id] = (rank, term, language, score, kind)
        order = sorted(best, key=lambda c: (best[c][0], c))
        displays = self.store.displays(order[:50], self.refsets)
        return [Suggestion(snomed.SYSTEM, str(c), displays.get(c) or best[c][1], best[c][1], best[c][2], best[c][3],
                           _how(best[c][3], best[c][4], query, best[c][1])) for c in order[:50]]

    def _replacements(self, code: str) -> list[Suggestion]:
        row = self.edition.find(code.strip())
        if row is None or row.active:
            return []
        targets = self.store.associations(row.id)
        active = [t for _, t in targets if (c := self.store.concept(t)) is not None and c.active]
        names = self.store.displays(active, self.refsets)
        labels = {t: name for name, t in _association_names(targets)}
        return [Suggestion(snomed.SYSTEM, str(t), names.get(t) or str(t), names.get(t) or str(t), "", 1.0,
                           labels.get(t, "replacement")) for t in dict.fromkeys(active)]


def _association_names(targets: list[tuple[int, int]]):
    names = {snomed.SAME_AS: "SAME AS", snomed.REPLACED_BY: "REPLACED BY",
             snomed.POSSIBLY_EQUIVALENT_TO: "POSSIBLY EQUIVALENT TO", snomed.ALTERNATIVE: "ALTERNATIVE",
             snomed.POSSIBLY_REPLACED_BY: "POSSIBLY REPLACED BY", snomed.WAS_A: "WAS A",
             snomed.MOVED_TO: "MOVED TO", snomed.SIMILAR_TO: "SIMILAR TO", snomed.REFERS_TO: "REFERS TO",
             snomed.PARTIALLY_EQUIVALENT_TO: "PARTIALLY EQUIVALENT TO"}
    for refset, target in reversed(targets):
        yield names.get(refset, str(refset)), target


class _ListTargets:
    """A code system or value set other than SNOMED CT: its expansion, indexed by folded word."""

    def __init__(self, service, target: SuggestTarget) -> None:
        if target.value_set:
            req = ExpandRequest(url=target.value_set, max_size=service.max_expansion, exclude_nested=True,
                                include_designations=True, display_language="sv")
        else:
            include = {"system": target.system, **({"version": target.version} if target.version else {})}
            req = ExpandRequest(value_set={"resourceType": "ValueSet", "status": "active",
                                           "compose": {"include": [include]}},
                                max_size=service.max_expansion, exclude_nested=True, include_designations=True,
                                display_language="sv")
        try:
            expansion = service.expand(req)
        except TerminologyError:
            raise
        except Exception as exc:  # noqa: BLE001 - named for the user instead of a stack trace
            raise InvalidRequest.plain(f"Målet kan inte läsas: {exc}") from None
        self.items = [i for i in _flat(expansion.items) if not i.inactive and not i.abstract]
        self.terms: list[list[tuple[str, str]]] = []
        by_word: dict[str, set[int]] = {}
        counts: dict[str, int] = {}
        for n, item in enumerate(self.items):
            terms = [(item.display or item.code, "")]
            terms += [(d.value, d.language or "") for d in item.designations if d.value]
            self.terms.append(terms)
            for term, _ in terms:
                for w in text.tokens(term):
                    by_word.setdefault(w, set()).add(n)
                    counts[w] = counts.get(w, 0) + 1
        self.by_word = by_word
        self.words = sorted(by_word)
        self.vocabulary = text.Vocabulary(counts)

    def suggest(self, term: str, code: str | None, count: int) -> list[Suggestion]:
        query = text.expand_words(term, self.vocabulary)
        candidates: set[int] = set()
        for word, corrections in query.items():
            i = bisect.bisect_left(self.words, word)
            while i < len(self.words) and self.words[i].startswith(word):
                candidates |= self.by_word[self.words[i]]
                i += 1
            for other in corrections:
                candidates |= self.by_word.get(other, set())
        best = []
        for n in candidates:
            top = None
            for t, language in self.terms[n]:
                score, kind = text.match_score(query, t)
                rank = _rank(score, False, language == "sv", t)
                if score > 0 and (top is None or rank < top[0]):
                    top = (rank, t, language, score, kind)
            if top:
                best.append((top, n))
        best.sort(key=lambda x: (x[0][0], self.items[x[1]].code))
        out = []
        for (_, t, language, score, kind), n in best[:count]:
            item = self.items[n]
            out.append(Suggestion(item.system, item.code, item.display or item.code, t, language, score,
                                  _how(score, kind, query, t)))
        return out


def _flat(items):
    for i in items:
        yield i
        yield from _flat(i.contains)
