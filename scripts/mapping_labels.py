"""The labelled set of the mapping benchmark (issue 21): source terms with the concept they must be mapped to,
derived by fixed rules from the synthetic ``intl+se`` edition (``scripts/synth``, International plus the
Swedish extension), with a fixed seed, so anyone regenerates exactly the same set.

How it is made: the active concepts that have a Swedish preferred term are drawn at random (``random.Random(seed)``)
and each gets one query variant by the next rule of :data:`RULES`, in turn, so every rule has the same share:

* ``exakt``: the Swedish preferred term as it is;
* ``versaler``: the same in upper case;
* ``utan-diakriter``: å, ä, ö written a, a, o (as typed on a keyboard without Swedish letters);
* ``stavfel``: one typing error in the longest word (a letter left out, doubled, replaced by a keyboard neighbour,
  or two neighbours swapped; never the first letter);
* ``två-stavfel``: two such errors in a word of at least ten letters (else one);
* ``ordföljd``: the words in reverse order (terms of one word: the Swedish term split, below);
* ``förkortning``: the longest word cut to its first six letters and a full stop ("bjängl." for "bjänglålnill...");
* ``delat-ord``: the longest word split in two where a syllable ends ("snåsmel inflammation");
* ``synonym``: another active term of the concept: a Swedish acceptable synonym when it has one, else its English
  preferred term (not the FSN).

A variant that happens to equal a term of another concept is kept: the benchmark measures honestly what a
reviewer would see.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import terminology as t

RULES = ("exakt", "versaler", "utan-diakriter", "stavfel", "två-stavfel", "ordföljd", "förkortning", "delat-ord",
         "synonym")
SEED = 21
_NEIGHBOURS = {"a": "sq", "b": "vn", "c": "xv", "d": "sf", "e": "wr", "f": "dg", "g": "fh", "h": "gj", "i": "uo",
               "j": "hk", "k": "jl", "l": "kö", "m": "n", "n": "bm", "o": "ip", "p": "oå", "r": "et", "s": "ad",
               "t": "ry", "u": "yi", "v": "cb", "y": "tu", "å": "pä", "ä": "öå", "ö": "lä"}
_VOWELS = set("aeiouyåäö")


@dataclass(frozen=True)
class Label:
    term: str
    expected: str
    rule: str
    source: str
    """The term the variant was made from."""


def concepts_with_swedish_terms(edition) -> dict[int, tuple[str, list[tuple[str, str, bool]]]]:
    """``concept id -> (Swedish preferred term, [(term, language, preferred), ...])`` of the active concepts."""
    store = edition.store
    ids = store.first_ids(store.all_concepts(active_only=True), 10_000_000)
    swedish = {r for r, langs in edition.languages.items() if "sv" in langs}
    english = {r for r, langs in edition.languages.items() if "en" in langs}
    out: dict[int, tuple[str, list]] = {}
    for i in range(0, len(ids), 2000):
        part = ids[i:i + 2000]
        preferred = {(d, r) for _, r, d in store.preferred_terms(part)}
        pref_sv = {d for d, r in preferred if r in swedish}
        pref_en = {d for d, r in preferred if r in english}
        terms: dict[int, list] = {}
        for cid, did, term, lang, type_id in store.term_rows(part):
            if type_id == t.snomed.FSN:
                continue
            terms.setdefault(cid, []).append((term, lang, did in (pref_sv if lang == "sv" else pref_en)))
        for cid, found in terms.items():
            sv = [x for x in found if x[1] == "sv" and x[2]]
            if sv:
                out[cid] = (sv[0][0], found)
    return out


def make(edition, *, count: int = 270, seed: int = SEED) -> list[Label]:
    """``count`` labelled source terms (see the module docstring)."""
    rng = random.Random(seed)
    pool = concepts_with_swedish_terms(edition)
    chosen = rng.sample(sorted(pool), min(count, len(pool)))
    out = []
    for n, cid in enumerate(chosen):
        preferred, terms = pool[cid]
        rule = RULES[n % len(RULES)]
        out.append(Label(variant(rule, preferred, terms, rng), str(cid), rule, preferred))
    return out


def variant(rule: str, term: str, terms: list[tuple[str, str, bool]], rng: random.Random) -> str:
    words = term.split()
    longest = max(range(len(words)), key=lambda i: len(words[i]))
    if rule == "exakt":
        return term
    if rule == "versaler":
        return term.upper()
    if rule == "utan-diakriter":
        return term.translate(str.maketrans("åäöÅÄÖ", "aaoAAO"))
    if rule in ("stavfel", "två-stavfel"):
        word = _typo(words[longest], rng)
        if rule == "två-stavfel" and len(words[longest]) >= 10:
            word = _typo(word, rng)
        return " ".join(words[:longest] + [word] + words[longest + 1:])
    if rule == "ordföljd" and len(words) > 1:
        return " ".join(reversed(words))
    if rule == "förkortning" and len(words[longest]) > 7:
        return " ".join(words[:longest] + [words[longest][:6] + "."] + words[longest + 1:])
    if rule == "synonym":
        others = [x for x in terms if x[0] != term and x[1] == "sv"] or [x for x in terms if x[1] == "en" and x[2]]
        if others:
            return others[0][0]
    return " ".join(words[:longest] + _split(words[longest]) + words[longest + 1:])


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 4:
        return word + word[-1]
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(("drop", "double", "neighbour", "swap"))
    if kind == "drop":
        return word[:i] + word[i + 1:]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    if kind == "neighbour" and word[i].lower() in _NEIGHBOURS:
        return word[:i] + rng.choice(_NEIGHBOURS[word[i].lower()]) + word[i + 1:]
    return word[:i] + word[i + 1] + word[i] + word[i + 2:]


def _split(word: str) -> list[str]:
    """Split a compound where a syllable ends near its middle (after a vowel followed by a consonant)."""
    middle = len(word) // 2
    for offset in range(len(word) // 2):
        for i in (middle + offset, middle - offset):
            if 3 <= i <= len(word) - 3 and word[i - 1] in _VOWELS and word[i] not in _VOWELS:
                return [word[:i], word[i:]]
    return [word[:middle], word[middle:]] if len(word) >= 6 else [word]
