"""Text folding and tokenising for term search, the same for English and Swedish.

Search compares *folded* text: lower case (Unicode case folding) with diacritics removed, so "Knä",
"KNA" and "kna" match, as do "höft" and "hoft", "é" and "e". Letters that Unicode does not decompose
(ø, æ, ß, ł, đ) are mapped to their usual ASCII spellings. Swedish users type å/ä/ö or leave them
out; folding both sides makes either work. Ranking keeps the unfolded term, so an exact-diacritic match
can still be preferred.

Tokens are maximal runs of letters and digits (the same rule as SQLite FTS5's ``unicode61`` tokenizer and
PostgreSQL's ``simple`` parser), so the index and the query split text alike.

A text filter is bounded before it is folded or searched (:func:`bounded_filter`): each word becomes one
prefix query of the text index and the whole text one ``LIKE`` pattern for ranking, so a filter of 20,000
words was a query too complex for SQLite and minutes of work on PostgreSQL. No SNOMED CT synonym or FSN is
longer than 255 characters (RF2 specification, description ``term``), so a filter longer than twice that
cannot be a term someone is looking for, and one with more distinct words than any term has matches nothing.
"""

from __future__ import annotations

import re
import unicodedata

from .errors import InvalidRequest, TooCostly

MAX_FILTER_LENGTH = 500
"""Longest text filter (characters) accepted, about twice the longest SNOMED CT term."""
MAX_FILTER_WORDS = 32
"""Most distinct words in one text filter (each one is a prefix query of the text index)."""

_EXTRA = str.maketrans({"ø": "o", "æ": "ae", "ß": "ss", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "œ": "oe",
                        "ı": "i"})
_TOKEN = re.compile(r"[^\W_]+")


def fold(text: str) -> str:
    """Case- and diacritic-folded form of ``text`` (see the module docstring)."""
    low = text.casefold()
    if low.isascii():
        return low
    decomposed = unicodedata.normalize("NFKD", low.translate(_EXTRA))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def tokens(text: str) -> list[str]:
    """The folded word tokens of ``text``, in order."""
    return _TOKEN.findall(fold(text))


def bounded_filter(text: str, *, name: str = "filter") -> str:
    """``text`` unchanged when it is a text filter the server will search for; otherwise InvalidRequest (longer
    than :data:`MAX_FILTER_LENGTH`) or TooCostly (more than :data:`MAX_FILTER_WORDS` distinct words), naming
    the parameter ``name``. The length is checked before anything else looks at the text."""
    if len(text) > MAX_FILTER_LENGTH:
        raise InvalidRequest("OP_INVALID_PARAM", name, text[:40] + "...",
                             f"is {len(text):,} characters long; a text filter has at most {MAX_FILTER_LENGTH}",
                             expression=name)
    words = set(tokens(text))
    if len(words) > MAX_FILTER_WORDS:
        raise TooCostly.plain(f"The {name} has {len(words)} different words; a text filter has at most "
                              f"{MAX_FILTER_WORDS}", expression=name)
    return text


# --- typo tolerance and match scores (suggestions of the mapping workbench, issue 21) -------------------------
#
# The text index matches every query word as a *prefix* of a word of a term. Typo tolerance is added the way a
# search engine does it over its term dictionary (Lucene's FuzzyQuery): a query word that is no word (and no
# prefix of a word) of the index is expanded to the index's words within a small Damerau-Levenshtein distance
# (optimal string alignment: a swap of two neighbouring letters is one edit), and the index is then asked for
# any of them. Distances come from rapidfuzz (C), so a dictionary of 100k words is searched in milliseconds.

def max_edits(word: str) -> int:
    """Edits tolerated in a query word: none below four letters (too many words are that close), one up to
    seven letters, two from eight (the same steps as Elasticsearch's ``fuzziness: AUTO:4,8``)."""
    n = len(word)
    return 0 if n < 4 else 1 if n < 8 else 2


class Vocabulary:
    """The folded words of a text index with how often each occurs, for typo correction. Build it once per
    index (e.g. per SNOMED CT version); it never changes afterwards."""

    def __init__(self, counts: dict[str, int]) -> None:
        self.counts = counts
        self._sorted = sorted(counts)
        self._by_start: dict[tuple[str, int], list[str]] = {}
        for word in self._sorted:
            self._by_start.setdefault((word[0], len(word)), []).append(word)

    def __contains__(self, word: str) -> bool:
        return word in self.counts

    def __len__(self) -> int:
        return len(self.counts)

    def starts_a_word(self, prefix: str) -> bool:
        """Whether some word of the index starts with ``prefix``."""
        return bool(self.starting(prefix, limit=1))

    def starting(self, prefix: str, *, limit: int = 5) -> list[str]:
        """At most ``limit`` words of the index that start with ``prefix``, in alphabetical order."""
        import bisect

        i = bisect.bisect_left(self._sorted, prefix)
        out = []
        while i < len(self._sorted) and self._sorted[i].startswith(prefix) and len(out) < limit:
            out.append(self._sorted[i])
            i += 1
        return out

    def corrections(self, word: str, *, limit: int = 8) -> dict[str, int]:
        """``{index word: edits}`` for the words of the index within :func:`max_edits` of ``word`` (``word``
        itself excluded), closest first, at most ``limit``.

        Only words that start with the same letter are candidates (Elasticsearch's ``prefix_length`` of 1):
        typing errors in the first letter are the rarest, and a release's dictionary (1.2 million words in the
        synthetic International edition) is then searched in a millisecond or two instead of a tenth of a second
        per word. A word whose first letter is wrong is still found when its other words find the concept."""
        from rapidfuzz import process
        from rapidfuzz.distance import OSA

        edits = max_edits(word)
        if edits == 0:
            return {}
        found: list[tuple[int, str]] = []
        for n in range(len(word) - edits, len(word) + edits + 1):
            bucket = self._by_start.get((word[0], n))
            if not bucket:
                continue
            for other, distance, _ in process.extract(word, bucket, scorer=OSA.distance, score_cutoff=edits,
                                                      limit=limit):
                if other != word:
                    found.append((int(distance), other))
        found.sort(key=lambda x: (x[0], -self.counts.get(x[1], 0)))
        return {w: d for d, w in found[:limit]}


def expand_words(query: str, vocabulary: Vocabulary) -> dict[str, dict[str, int]]:
    """Each distinct folded word of ``query`` with its alternatives: the index words two neighbouring query words
    together start (a split compound, 0 edits), else its typo corrections (:meth:`Vocabulary.corrections`); a
    word that is a word of the index, or starts one (an abbreviation such as ``op`` or ``kat``), has no
    corrections."""
    words = list(dict.fromkeys(tokens(query)))
    out: dict[str, dict[str, int]] = {w: {} for w in words}
    # Swedish writes compounds as one word ("knäprotes"); a source term may split them ("protes knä"): two
    # query words that together start an index word may both be answered by it.
    in_compound = set()
    for a in words:
        for b in words:
            if a != b and len(a) + len(b) >= 6:
                for compound in vocabulary.starting(a + b, limit=3):
                    out[a].setdefault(compound, 0)
                    out[b].setdefault(compound, 0)
                    in_compound |= {a, b}
    for word in words:
        if word not in in_compound and word not in vocabulary and not vocabulary.starts_a_word(word):
            out[word].update(vocabulary.corrections(word))
    return out


def word_score(query_word: str, term_word: str, corrections: dict[str, int]) -> tuple[float, str]:
    """How well one term word answers one query word: 1 the same word, less for a prefix (an abbreviation: the
    more of the word given, the better), less again for a spelling within the tolerated edits; 0 otherwise.
    The second value names the kind: ``exact``, ``prefix``, ``typo`` or ``""``."""
    if term_word == query_word:
        return 1.0, "exact"
    if term_word.startswith(query_word):
        return 0.7 + 0.25 * len(query_word) / len(term_word), "prefix"
    edits = corrections.get(term_word)
    if edits == 0:
        return 0.9, "compound"
    if edits is not None:
        return 0.9 - 0.15 * edits, "typo"
    if len(query_word) >= 5 and term_word.startswith(query_word[:-1]) and query_word[:-1] != "":
        return 0.6, "typo"  # an abbreviation whose last letter is mistyped
    return 0.0, ""


def match_score(query: dict[str, dict[str, int]], term: str) -> tuple[float, str]:
    """Score in [0, 1] of a term for a query given as :func:`expand_words` makes it, and the kind of the weakest
    word match (``exact``, ``prefix``, ``compound``, ``typo``). Word order does not matter. Seven tenths weigh how much of
    the query the term answers, three tenths how much of the term the query covers, so "Knäprotes" ranks
    above "Knäprotes, revision" for the text "knäprotes"."""
    words = tokens(term)
    if not query or not words:
        return 0.0, ""
    used: set[int] = set()
    total = 0.0
    kinds = []
    for q, corrections in query.items():
        best, kind, at = 0.0, "", -1
        for i, w in enumerate(words):
            s, k = word_score(q, w, corrections)
            if s > best or (s == best and at in used and i not in used):
                best, kind, at = s, k, i
        if best > 0:
            used.add(at)
            kinds.append(kind)
        total += best
    if not kinds:
        return 0.0, ""
    answered = total / len(query)
    covered = len(used) / len(words)
    weakest = next((k for k in ("typo", "compound", "prefix") if k in kinds), "exact")
    return round(0.7 * answered + 0.3 * covered, 4), weakest
