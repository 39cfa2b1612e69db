"""Brute-force ECL semantics over one edition snapshot of the generated tables (synthetic-rf2.md §6.7 item 3).

This is the independent oracle behind ``truth/ecl_cases.jsonl``: it never calls the project's ECL
engine (``terminology.ecl``). It reads the generator's own in-memory tables, takes the snapshot of an
edition the way a loader would (newest row per component, §1.7), and evaluates every ECL construct
directly on numpy arrays: sets of concepts are boolean masks over the edition's concepts.

Semantics (documented in ``docs/synthetic-rf2.md``, "ECL cases"):

* The substrate is the edition's **active** concepts; ``*`` is every active concept. Hierarchy operators
  walk the active inferred is-a edges between active concepts.
* ``^ R`` gives the referenced components of the **active** members of R, which may be inactive concepts.
* Attributes are the active inferred relationships and concrete values whose source and destination are
  active; ``{ … }`` needs one non-zero relationship group. Cardinality counts matching rows and string
  values compare exactly; the case picker rejects a case if counting distinct values, treating each
  ungrouped row as a group of its own, or reading a string value as a ``match:`` term would change the
  answer (see ``Modes``).
* Description filters look at active descriptions, language refset members and their acceptability.
  Term matching folds case and diacritics (NFKD, combining marks dropped, ``casefold``) and splits terms
  into words at every character that is not a letter or digit; every word of the search term must be the
  prefix of some word of the description. Wildcard terms match the whole term, case-insensitively.
* History supplements add the inactive concepts that are referenced by an active member of the profile's
  association refsets whose target is in the result (one step, not transitive).
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from terminology import snomed as s

from .model import Table, snapshot

_WORD = re.compile(r"[^\W_]+")
_WORD_OR_NEWLINE = re.compile(r"[^\W_]+|\n")
_MARKS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
"""The combining diacritical mark blocks, removed after NFKD decomposition."""
_ALT_LETTERS = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "ß": "ss", "đ": "d", "ł": "l", "þ": "th"})


def fold(text: str, *, marks: bool = False) -> str:
    """Case-folded text; without ``marks`` the diacritics are dropped too (NFKD, combining marks removed)."""
    if text.isascii():
        return text.lower()
    if marks:
        return unicodedata.normalize("NFC", text.casefold())
    return _MARKS.sub("", unicodedata.normalize("NFKD", text.casefold()))


def words(text: str, *, marks: bool = False, alt: bool = False) -> list[str]:
    """The words of a term for ``match`` term filters: maximal runs of letters and digits after folding.

    ``alt`` also spells letters that have no decomposition (ø, æ, ß …) in ASCII; the case picker uses it
    to avoid search terms whose result would depend on that choice.
    """
    folded = fold(text, marks=marks)
    if alt:
        folded = folded.translate(_ALT_LETTERS)
    return _WORD.findall(folded)


def wildcard_regex(parts: list[str], *, marks: bool = True) -> re.Pattern[str]:
    """A regex for a ``wild:`` term given as the literal parts between its ``*`` wildcards, on folded text."""
    return re.compile(".*".join(re.escape(fold(p, marks=marks)) for p in parts), re.DOTALL)


@dataclass(frozen=True)
class Modes:
    """The readings of the ECL spec on which the oracle does not take sides.

    ``distinct``: cardinality counts distinct (type, value) pairs instead of relationship rows.
    ``own_group``: an ungrouped (group 0) row counts as an attribute group of its own inside ``{ … }``.
    ``string_match``: a string value (``attr = "text"``) is a ``match:`` search term, not an exact value.
    """

    distinct: bool = False
    own_group: bool = False
    string_match: bool = False


ALL_MODES = tuple(Modes(d, g, m) for d in (False, True) for g in (False, True) for m in (False, True))


def text_matches(value: str, search: str) -> bool:
    """``search`` read as a ``match:`` term against one string: every search word prefixes a word of it."""
    have = words(value)
    return all(any(w.startswith(q) for w in have) for q in words(search))


def _csr(rows: np.ndarray, cols: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(rows, kind="stable")
    ptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=ptr[1:])
    return ptr, cols[order]


def _gather(ptr: np.ndarray, values: np.ndarray, nodes: np.ndarray) -> np.ndarray:
    """All ``values[ptr[v]:ptr[v+1]]`` for the given nodes, concatenated (vectorised)."""
    starts, ends = ptr[nodes], ptr[nodes + 1]
    lengths = ends - starts
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, values.dtype)
    offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(total)
    return values[offsets]


class Edition:
    """The snapshot of one edition (modules and date) as arrays indexed by concept position.

    ``modules`` None merges every module, newest row per component winning, as a multi-package load does.
    """

    def __init__(self, tables: dict[str, Table], modules: tuple[int, ...] | None, date: int) -> None:
        concept = tables["concept"]
        rows = snapshot(concept, modules, date)
        ids = concept.ids[concept.columns["key"][rows]]
        order = np.argsort(ids)
        rows = rows[order]
        self.ids = ids[order]
        self.n = len(self.ids)
        cols = concept.columns
        self.active = cols["active"][rows] == 1
        self.module = cols["moduleId"][rows].astype(np.int64)
        self.definition_status = cols["definitionStatusId"][rows].astype(np.int64)
        self.effective_time = cols["et"][rows].astype(np.int64)
        self._relationships(tables["relationship"], tables["concrete"], modules, date)
        self._descriptions(tables["description"], tables["language"], modules, date)
        self.members = {
            name: self._members(tables[name], modules, date, extra)
            for name, extra in (
                ("simple", None),
                ("tricky", None),
                ("simple_map", "mapTarget"),
                ("association", "targetComponentId"),
            )
        }

    # --- identifiers -------------------------------------------------------------------------------
    def index(self, sctids: Iterable[int] | np.ndarray) -> np.ndarray:
        """Positions of concept ids; -1 where the id is not a concept of the edition."""
        x = np.asarray(list(sctids) if not isinstance(sctids, np.ndarray) else sctids, np.int64)
        pos = np.clip(np.searchsorted(self.ids, x), 0, max(self.n - 1, 0))
        return np.where(self.ids[pos] == x, pos, -1) if self.n else np.full(len(x), -1)

    def mask(self, sctids: Iterable[int] | np.ndarray) -> np.ndarray:
        """A concept mask holding the given ids (ids that are not concepts are ignored)."""
        out = np.zeros(self.n, bool)
        pos = self.index(sctids)
        out[pos[pos >= 0]] = True
        return out

    def sctids(self, mask: np.ndarray) -> list[int]:
        """The concept ids of a mask, ascending."""
        return self.ids[mask].tolist()

    # --- loading -----------------------------------------------------------------------------------
    def _relationships(self, rel: Table, concrete: Table, modules, date) -> None:
        r = snapshot(rel, modules, date)
        c = rel.columns
        r = r[(c["active"][r] == 1) & (c["characteristicTypeId"][r] == s.INFERRED)]
        src, dst, typ = self.index(c["sourceId"][r]), self.index(c["destinationId"][r]), self.index(c["typeId"][r])
        ok = (src >= 0) & (dst >= 0) & (typ >= 0)
        ok[ok] = self.active[src[ok]] & self.active[dst[ok]]
        src, dst, typ, grp = src[ok], dst[ok], typ[ok], c["relationshipGroup"][r][ok].astype(np.int64)
        is_a = typ == self.index([s.IS_A])[0]
        self.children_ptr, self.children = _csr(dst[is_a], src[is_a], self.n)
        self.parents_ptr, self.parents = _csr(src[is_a], dst[is_a], self.n)
        self._descendant_counts: dict[int, tuple[int, bool]] = {}
        k = snapshot(concrete, modules, date)
        cc = concrete.columns
        k = k[(cc["active"][k] == 1) & (cc["characteristicTypeId"][k] == s.INFERRED)]
        ksrc, ktyp = self.index(cc["sourceId"][k]), self.index(cc["typeId"][k])
        kok = (ksrc >= 0) & (ktyp >= 0)
        kok[kok] = self.active[ksrc[kok]]
        values = [str(v) for v in cc["value"][k][kok].tolist()]
        attr = ~is_a
        n_rel, n_val = int(attr.sum()), len(values)
        self.a_src = np.concatenate([src[attr], ksrc[kok]])
        self.a_type = np.concatenate([typ[attr], ktyp[kok]])
        self.a_dst = np.concatenate([dst[attr], np.full(n_val, -1, np.int64)])
        self.a_group = np.concatenate([grp[attr], cc["relationshipGroup"][k][kok].astype(np.int64)])
        self.a_number = np.full(n_rel + n_val, np.nan)
        self.a_text = np.full(n_rel + n_val, None, dtype=object)
        self.a_literal = np.full(n_rel + n_val, None, dtype=object)
        for i, v in enumerate(values):
            self.a_literal[n_rel + i] = v
            if v.startswith("#"):
                self.a_number[n_rel + i] = float(v[1:])
            else:
                self.a_text[n_rel + i] = v[1:-1]
        # Distinct concrete values get distinct codes (for counting distinct values); concept rows get 0.
        self.a_value_code = np.zeros(n_rel + n_val, np.int64)
        if n_val:
            _, codes = np.unique(np.array(values, dtype=str), return_inverse=True)
            self.a_value_code[n_rel:] = codes.reshape(-1) + 1
        # Group keys: one per (source, non-zero group); "own" also gives every group-0 row a key of its own.
        self.group_key: dict[bool, np.ndarray] = {}
        self.group_source: dict[bool, np.ndarray] = {}
        grouped = self.a_group > 0
        for own in (False, True):
            sel = grouped | own
            key = np.full(len(self.a_src), -1, np.int64)
            self.group_source[own] = np.zeros(0, np.int64)
            if sel.any():
                group = np.where(grouped, self.a_group, -1 - np.arange(len(self.a_src)))
                pairs = np.stack([self.a_src[sel], group[sel]], axis=1)
                uniq, inverse = np.unique(pairs, axis=0, return_inverse=True)
                key[sel] = inverse.reshape(-1)
                self.group_source[own] = uniq[:, 0]
            self.group_key[own] = key

    def _descriptions(self, desc: Table, language: Table, modules, date) -> None:
        r = snapshot(desc, modules, date)
        c = desc.columns
        r = r[c["active"][r] == 1]
        concept = self.index(c["conceptId"][r])
        keep = concept >= 0
        r, concept = r[keep], concept[keep]
        self.d_id = desc.ids[c["key"][r]]
        self.d_concept = concept
        self.d_type = c["typeId"][r].astype(np.int64)
        self.d_language = c["languageCode"][r]
        self.d_term = c["term"][r]
        self.d_ptr, self.d_rows = _csr(concept, np.arange(len(r)), self.n)
        self.n_descriptions = len(r)
        self.is_ascii = np.array([t.isascii() for t in self.d_term.tolist()], bool)
        self._ascii_index: WordIndex | None = None
        self._words: dict[tuple[int, bool, bool], str] = {}
        lr = snapshot(language, modules, date)
        lc = language.columns
        lr = lr[lc["active"][lr] == 1]
        self.lang: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        refsets = lc["refsetId"][lr]
        for refset in np.unique(refsets).tolist():
            sel = lr[refsets == refset]
            order = np.argsort(lc["referencedComponentId"][sel], kind="stable")
            self.lang[int(refset)] = (
                lc["referencedComponentId"][sel][order].astype(np.int64),
                lc["acceptabilityId"][sel][order].astype(np.int64),
            )

    @staticmethod
    def _members(table: Table, modules, date, extra: str | None) -> dict[str, np.ndarray]:
        r = snapshot(table, modules, date)
        c = table.columns
        r = r[c["active"][r] == 1]
        out = {"refsetId": c["refsetId"][r].astype(np.int64), "referencedComponentId": c["referencedComponentId"][r]}
        if extra:
            out[extra] = c[extra][r]
        out["referencedComponentId"] = out["referencedComponentId"].astype(np.int64)
        if extra == "targetComponentId":
            out[extra] = out[extra].astype(np.int64)
        return out

    # --- hierarchy ---------------------------------------------------------------------------------
    def _walk(self, start: np.ndarray, ptr: np.ndarray, nbrs: np.ndarray, *, once: bool = False) -> np.ndarray:
        out = np.zeros(self.n, bool)
        frontier = np.flatnonzero(start & self.active)
        while len(frontier):
            nxt = np.unique(_gather(ptr, nbrs, frontier))
            nxt = nxt[~out[nxt]]
            out[nxt] = True
            if once:
                break
            frontier = nxt
        return out

    def count_descendants(self, v: int, limit: int) -> int:
        """The number of proper descendants of v, counted only until it passes ``limit`` (memoised)."""
        known = self._descendant_counts.get(v)
        if known is not None and (known[1] or known[0] > limit):
            return known[0]
        seen = np.zeros(self.n, bool)
        frontier = np.array([v], np.int64)
        total = 0
        while len(frontier) and total <= limit:
            nxt = np.unique(_gather(self.children_ptr, self.children, frontier))
            nxt = nxt[~seen[nxt]]
            seen[nxt] = True
            total += len(nxt)
            frontier = nxt
        self._descendant_counts[v] = (total, not len(frontier))
        return total

    def descendants(self, mask: np.ndarray) -> np.ndarray:
        """Proper descendants (``<``) of the active concepts in mask."""
        return self._walk(mask, self.children_ptr, self.children)

    def ancestors(self, mask: np.ndarray) -> np.ndarray:
        """Proper ancestors (``>``)."""
        return self._walk(mask, self.parents_ptr, self.parents)

    def children_of(self, mask: np.ndarray) -> np.ndarray:
        """Children (``<!``)."""
        return self._walk(mask, self.children_ptr, self.children, once=True)

    def parents_of(self, mask: np.ndarray) -> np.ndarray:
        """Parents (``>!``)."""
        return self._walk(mask, self.parents_ptr, self.parents, once=True)

    def hierarchy(self, op: str, mask: np.ndarray) -> np.ndarray:
        """An ECL constraint operator applied to a set (§6.1, §6.12); self is kept only when active."""
        me = mask & self.active
        if op == "<":
            return self.descendants(mask)
        if op == "<<":
            return self.descendants(mask) | me
        if op == "<!":
            return self.children_of(mask)
        if op == "<<!":
            return self.children_of(mask) | me
        if op == ">":
            return self.ancestors(mask)
        if op == ">>":
            return self.ancestors(mask) | me
        if op == ">!":
            return self.parents_of(mask)
        if op == ">>!":
            return self.parents_of(mask) | me
        if op == "!!>":
            return mask & ~self.descendants(mask)
        if op == "!!<":
            return mask & ~self.ancestors(mask)
        raise ValueError(op)

    # --- refsets -----------------------------------------------------------------------------------
    def member_of(self, refsets: np.ndarray, keep: Callable[[dict, np.ndarray], np.ndarray] | None = None,
                  field: str = "referencedComponentId") -> np.ndarray:
        """``^ R``: the ``field`` values (concepts) of the active members of R, optionally filtered."""
        out = np.zeros(self.n, bool)
        ids = list(set(self.ids[refsets].tolist()))
        for m in self.members.values():
            rows = np.flatnonzero(np.isin(m["refsetId"], ids))
            if keep is not None and len(rows):
                rows = rows[keep(m, rows)]
            if len(rows) and field in m:
                out |= self.mask(m[field][rows])
        return out

    def history(self, mask: np.ndarray, refsets: Iterable[int]) -> np.ndarray:
        """``{{ + HISTORY … }}``: mask plus the inactive concepts associated to it by the given refsets (§6.11)."""
        a = self.members["association"]
        rows = np.isin(a["refsetId"], list(refsets))
        target = self.index(a["targetComponentId"][rows])
        hit = target >= 0
        hit[hit] = mask[target[hit]]
        source = self.index(a["referencedComponentId"][rows][hit])
        source = source[source >= 0]
        extra = np.zeros(self.n, bool)
        extra[source[~self.active[source]]] = True
        return mask | extra

    # --- descriptions ------------------------------------------------------------------------------
    def description_rows(self, mask: np.ndarray) -> np.ndarray:
        """Active description rows of the concepts in mask."""
        return _gather(self.d_ptr, self.d_rows, np.flatnonzero(mask))

    @property
    def ascii_index(self) -> WordIndex:
        """The word index of the descriptions whose term is ASCII (built on first use)."""
        if self._ascii_index is None:
            rows = np.flatnonzero(self.is_ascii)
            self._ascii_index = WordIndex(rows, self.d_term[rows].tolist())
        return self._ascii_index

    def spaced_words(self, row: int, *, marks: bool = False, alt: bool = False) -> str:
        """The words of one description row in one reading, each preceded by a space (cached).

        ``" " + q in spaced_words(row)`` then says whether q is the prefix of one of its words.
        """
        key = (row, marks, alt)
        got = self._words.get(key)
        if got is None:
            got = self._words[key] = "".join(" " + w for w in words(self.d_term[row], marks=marks, alt=alt))
        return got

    def acceptability(self, refset: int, rows: np.ndarray) -> np.ndarray:
        """Acceptability id of each description row in a language refset (0 where not a member)."""
        ids, acc = self.lang.get(refset, (np.zeros(0, np.int64), np.zeros(0, np.int64)))
        if not len(ids):
            return np.zeros(len(rows), np.int64)
        d = self.d_id[rows]
        pos = np.clip(np.searchsorted(ids, d), 0, len(ids) - 1)
        return np.where(ids[pos] == d, acc[pos], 0)

    def concepts_with(self, mask: np.ndarray, keep: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        """Concepts of mask with at least one active description row for which ``keep(rows)`` holds."""
        rows = self.description_rows(mask)
        out = np.zeros(self.n, bool)
        if len(rows):
            out[self.d_concept[rows[keep(rows)]]] = True
        return out


class WordIndex:
    """The words of a set of ASCII description terms, sorted, with the rows holding each word (prefix lookups)."""

    CHUNK = 100_000
    """Terms tokenised per regex pass; bounds the temporary token lists of a full-size edition."""

    def __init__(self, rows: np.ndarray, terms: list[str]) -> None:
        vocabulary: dict[str, int] = {}
        words_of, rows_of = [], []
        rows = np.asarray(rows, np.int64)
        for start in range(0, len(terms), self.CHUNK):
            # One regex pass per chunk; a newline token ends each term (terms never hold one).
            part = terms[start : start + self.CHUNK]
            tokens = np.array(_WORD_OR_NEWLINE.findall("\n".join(part).lower() + "\n"), dtype=object)
            newline = tokens == "\n"
            found = tokens[~newline].tolist()
            for w in dict.fromkeys(found):
                if w not in vocabulary:
                    vocabulary[w] = len(vocabulary)
            ids = np.fromiter(map(vocabulary.__getitem__, found), np.int64, len(found))
            words_of.append(ids)
            rows_of.append(rows[start : start + self.CHUNK][np.cumsum(newline)[~newline]])
        self.words = sorted(vocabulary)
        rank = np.zeros(len(vocabulary), np.int64)
        rank[[vocabulary[w] for w in self.words]] = np.arange(len(self.words))
        word_of = rank[np.concatenate(words_of)] if words_of else np.zeros(0, np.int64)
        row_of = np.concatenate(rows_of) if rows_of else np.zeros(0, np.int64)
        span = int(row_of.max()) + 1 if len(row_of) else 1
        pairs = np.sort(word_of * span + row_of)
        pairs = pairs[np.r_[True, pairs[1:] != pairs[:-1]]] if len(pairs) else pairs
        word_of, row_of = np.divmod(pairs, span)
        self.ptr, self.rows = _csr(word_of, row_of, len(self.words))

    def rows_with_prefix(self, prefix: str) -> np.ndarray:
        """Rows having a word that starts with ``prefix`` (unsorted, possibly repeated)."""
        lo = bisect.bisect_left(self.words, prefix)
        hi = bisect.bisect_left(self.words, prefix + "\U0010ffff")
        return self.rows[self.ptr[lo] : self.ptr[hi]]


def match_rows(ed: Edition, rows: np.ndarray, search: str, *, marks: bool = False, alt: bool = False) -> np.ndarray:
    """``term = match:"search"`` on description rows: every search word is a prefix of some term word.

    ASCII terms fold the same way in every reading and are looked up in one word index; the other terms
    are folded one by one in the reading asked for.
    """
    wanted = words(search, marks=marks, alt=alt)
    out = np.zeros(len(rows), bool)
    if not wanted:
        return ~out
    plain = ed.is_ascii[rows]
    hit = np.ones(ed.n_descriptions, bool)
    for q in wanted:
        has = np.zeros(ed.n_descriptions, bool)
        has[ed.ascii_index.rows_with_prefix(q)] = True
        hit &= has
    out[plain] = hit[rows[plain]]
    starts = [" " + q for q in wanted]
    for i in np.flatnonzero(~plain).tolist():
        have = ed.spaced_words(int(rows[i]), marks=marks, alt=alt)
        out[i] = all(q in have for q in starts)
    return out


def wild_rows(ed: Edition, rows: np.ndarray, parts: list[str], *, marks: bool = True) -> np.ndarray:
    """``term = wild:"…"`` on description rows; ``parts`` are the literal texts between the wildcards."""
    rx = wildcard_regex(parts, marks=marks)
    return np.array([rx.fullmatch(fold(str(ed.d_term[r]), marks=marks)) is not None for r in rows.tolist()], bool)


# --- refinements ---------------------------------------------------------------------------------------


def _counts(index: np.ndarray, size: int, *, distinct_on: np.ndarray | None = None) -> np.ndarray:
    if distinct_on is not None and len(index):
        pairs = np.unique(np.stack([index, *distinct_on], axis=1), axis=0)
        index = pairs[:, 0]
    return np.bincount(index, minlength=size) if len(index) else np.zeros(size, np.int64)


def _in_range(count: np.ndarray, card: tuple[int, int | None] | None) -> np.ndarray:
    lo, hi = card if card is not None else (1, None)
    ok = count >= lo
    if hi is not None:
        ok &= count <= hi
    return ok


@dataclass(frozen=True, eq=False)
class Attribute:
    """One attribute constraint: ``[card] [R] name op value`` (§6.2, §6.3, §6.5).

    ``value`` is a concept mask for ``=``/``!=``, a float for numeric comparisons or a str for strings.
    """

    names: np.ndarray
    op: str
    value: object
    card: tuple[int, int | None] | None = None
    reverse: bool = False

    def rows(self, ed: Edition, modes: Modes) -> np.ndarray:
        """Attribute rows (into ``Edition.a_*``) that match name, operator and value."""
        typed = self.names[ed.a_type]
        if isinstance(self.value, np.ndarray):
            concept_valued = ed.a_dst >= 0
            hit = np.zeros(len(typed), bool)
            cand = typed & concept_valued
            if self.reverse:
                inside = self.value[ed.a_src[cand]]
            else:
                inside = self.value[ed.a_dst[cand]]
            hit[cand] = inside if self.op == "=" else ~inside
            return hit
        if isinstance(self.value, float):
            num = ed.a_number
            with np.errstate(invalid="ignore"):
                cmp = {
                    "=": num == self.value,
                    "!=": num != self.value,
                    "<": num < self.value,
                    "<=": num <= self.value,
                    ">": num > self.value,
                    ">=": num >= self.value,
                }[self.op]
            return typed & ~np.isnan(num) & cmp
        rows = np.flatnonzero(typed & (ed.a_dst < 0) & np.isnan(ed.a_number))
        same = text_matches if modes.string_match else str.__eq__
        equal = np.array([same(ed.a_text[i], self.value) for i in rows.tolist()], bool)
        hit = np.zeros(len(typed), bool)
        hit[rows[equal if self.op == "=" else ~equal]] = True
        return hit

    def concepts(self, ed: Edition, modes: Modes) -> np.ndarray:
        """Concepts satisfying this attribute outside a group."""
        hit = self.rows(ed, modes)
        owner = ed.a_dst if self.reverse else ed.a_src
        other = ed.a_src if self.reverse else ed.a_dst
        distinct = [ed.a_type[hit], other[hit], ed.a_value_code[hit]] if modes.distinct else None
        count = _counts(owner[hit], ed.n, distinct_on=distinct)
        return _in_range(count, self.card)

    def group_keys(self, ed: Edition, modes: Modes) -> np.ndarray:
        """Group keys (attribute groups) satisfying this attribute inside a group."""
        key = ed.group_key[modes.own_group]
        size = len(ed.group_source[modes.own_group])
        hit = self.rows(ed, modes) & (key >= 0)
        distinct = [ed.a_type[hit], ed.a_dst[hit], ed.a_value_code[hit]] if modes.distinct else None
        return _in_range(_counts(key[hit], size, distinct_on=distinct), self.card)


@dataclass(frozen=True, eq=False)
class AttributeSet:
    """Attributes joined by one operator (``,``/``AND`` or ``OR``), evaluated in or outside a group."""

    items: tuple[Attribute, ...]
    op: str = "AND"

    def concepts(self, ed: Edition, modes: Modes) -> np.ndarray:
        """Concepts satisfying the set outside a group (each attribute may use any group)."""
        masks = [a.concepts(ed, modes) for a in self.items]
        return np.logical_and.reduce(masks) if self.op == "AND" else np.logical_or.reduce(masks)

    def group_keys(self, ed: Edition, modes: Modes) -> np.ndarray:
        """Attribute groups satisfying the whole set."""
        keys = [a.group_keys(ed, modes) for a in self.items]
        return np.logical_and.reduce(keys) if self.op == "AND" else np.logical_or.reduce(keys)


@dataclass(frozen=True, eq=False)
class Group:
    """``[card] { attribute set }``: concepts with (card) attribute groups satisfying the whole set."""

    inner: AttributeSet
    card: tuple[int, int | None] | None = None

    def concepts(self, ed: Edition, modes: Modes) -> np.ndarray:
        """Concepts with a number of satisfying groups within the cardinality (default at least one)."""
        ok = self.inner.group_keys(ed, modes)
        source = ed.group_source[modes.own_group]
        return _in_range(_counts(source[ok], ed.n), self.card)


@dataclass(frozen=True, eq=False)
class Refinement:
    """Refinement-level conjunction or disjunction of attribute sets and groups."""

    items: tuple[Attribute | AttributeSet | Group | Refinement, ...]
    op: str = "AND"

    def concepts(self, ed: Edition, modes: Modes) -> np.ndarray:
        """Concepts satisfying the items joined by the operator."""
        masks = [x.concepts(ed, modes) for x in self.items]
        return np.logical_and.reduce(masks) if self.op == "AND" else np.logical_or.reduce(masks)


def refine(ed: Edition, focus: np.ndarray, refinement, *, strict: bool = True) -> np.ndarray | None:
    """``focus : refinement``; None if the readings in ``ALL_MODES`` disagree (and ``strict``)."""
    results = [focus & refinement.concepts(ed, m) for m in (ALL_MODES if strict else ALL_MODES[:1])]
    if any(not np.array_equal(results[0], r) for r in results[1:]):
        return None
    return results[0]


def dotted(ed: Edition, focus: np.ndarray, names: np.ndarray) -> np.ndarray:
    """``focus . name``: the destinations of the matching attribute rows of the focus concepts."""
    hit = names[ed.a_type] & (ed.a_dst >= 0) & focus[ed.a_src]
    out = np.zeros(ed.n, bool)
    out[ed.a_dst[hit]] = True
    return out
