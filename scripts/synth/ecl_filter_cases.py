"""ECL case templates for filters: description, concept and member filters (synthetic-rf2.md §6.7 item 3).

Sections 6.8 (description filters: term, language, type, dialect, id), 6.9 (concept filters: definition
status, module, effective time, active) and 6.10 (member filters) of the ECL specification's examples
chapter. Term cases are picked so that their result does not depend on how letters without a
decomposition (ø, æ …) are folded, and, except for the diacritic family, not on folding marks either.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from terminology import snomed as s

from .ecl_maker import ALIASES, ANYWHERE_LIMIT, TRIES, TYPE_TOKENS, Expr, MakerBase, escape_wild
from .ecl_oracle import fold, match_rows, text_matches, wild_rows, wildcard_regex, words


class FilterCases(MakerBase):
    """Templates over descriptions, language refset members, concept rows and map refset members."""

    # --- 6.8 description filters -------------------------------------------------------------------
    def descriptions(self) -> None:
        """Term (match, word sets, wildcards and escapes), type, dialect, acceptability and id filters."""
        self.attempt(lambda: self._term("term_match", "word", one_word=True))
        self.attempt(lambda: self._term("term_match", "match_keyword", one_word=True, keyword=True))
        self.attempt(lambda: self._term("term_match_words", "two_words", one_word=False))
        self.attempt(lambda: self._term("term_match_words", "any_order", one_word=False, reverse=True))
        if self.ed.n <= ANYWHERE_LIMIT:
            self.attempt(lambda: self._term("term_match", "any_concept", one_word=True, anywhere=True))
        self.attempt(lambda: self._diacritic(False), tries=40)
        self.attempt(lambda: self._diacritic(True), tries=40)
        self.attempt(self._term_set)
        self.attempt(self._term_set_mixed)
        self.attempt(lambda: self._wild("prefix"))
        self.attempt(lambda: self._wild("infix"))
        for char in ("*", '"', "\\"):
            self._wild_escape(char)
        self.attempt(lambda: self._type("fsn"), tries=30)
        self.attempt(lambda: self._type("syn"), tries=30)
        self.attempt(self._type_definition)
        self.attempt(self._type_set)
        self.attempt(self._type_id)
        for alias in ("en-us", "en-gb"):
            self.attempt(lambda alias=alias: self._dialect(alias), tries=60)
        self.attempt(lambda: self._dialect_acceptability("prefer"), tries=60)
        self.attempt(lambda: self._dialect_acceptability("accept"), tries=60)
        self.attempt(self._dialect_id, tries=30)
        self.attempt(self._description_id)
        self.attempt(self._description_id_set)
        self.attempt(self._filter_blocks, tries=60)

    def extension_descriptions(self) -> None:
        """Description filters whose answer the extension decides: Swedish terms and the Swedish language refset."""
        self.attempt(self._language)
        self.attempt(self._language_term, tries=30)
        self.attempt(lambda: self._diacritic(False), tries=40)
        self.attempt(lambda: self._diacritic(True), tries=40)
        self.attempt(lambda: self._dialect("sv-se"), tries=60)
        self.attempt(lambda: self._dialect_acceptability("prefer"), tries=60)
        self.attempt(lambda: self._dialect_acceptability("accept"), tries=60)
        self.attempt(self._dialect_id, tries=30)

    def _focus(self, limit: int = 1500) -> tuple[Expr, int]:
        """A focus ``< X`` of moderate size and a concept drawn from it."""
        v = self.pick(self.leaves)
        return self.below(self.around(v, limit)), v

    def _desc_rows(self, focus: np.ndarray) -> np.ndarray:
        return self.ed.description_rows(focus)

    def _match(self, focus: np.ndarray, search: str,
               extra: Callable[[np.ndarray], np.ndarray] | None = None) -> np.ndarray | None:
        """Concepts of focus with a description matching ``search`` (and ``extra``).

        None if the result would change with diacritics kept, or with ø, æ … spelled in ASCII.
        """
        ed = self.ed
        rows = self._desc_rows(focus)
        keep = np.ones(len(rows), bool) if extra is None else extra(rows)
        rows = rows[keep]
        base = match_rows(ed, rows, search)
        for kw in ({"marks": True}, {"alt": True}):
            if not np.array_equal(base, match_rows(ed, rows, search, **kw)):
                return None
        out = np.zeros(ed.n, bool)
        out[ed.d_concept[rows[base]]] = True
        return out

    def _search_word(self, v: int) -> list[str]:
        """The ASCII words (4+ letters) of a random active description of v, in term order."""
        rows = self.ed.description_rows(self.one(v))
        if not len(rows):
            return []
        term = str(self.ed.d_term[self.pick(rows)])
        return [w for w in words(term, marks=True) if len(w) >= 4 and w.isascii() and w.isalpha()]

    def _term(self, family: str, variant: str, *, one_word: bool, keyword: bool = False, reverse: bool = False,
              anywhere: bool = False) -> bool:
        focus, v = self._focus()
        if anywhere:
            focus = Expr("*", self.ed.active.copy())
        found = self._search_word(v)
        if len(found) < (1 if one_word else 2):
            return False
        if one_word:
            w = self.choice(found)
            query = w[: int(self.rng.integers(3, min(len(w), 6) + 1))].capitalize()
        else:
            a, b = found[0], found[-1]
            if a == b:
                return False
            query = f"{a[:4]} {b[:5]}" if not reverse else f"{b[:5]} {a[:4]}"
        mask = self._match(focus.mask, query)
        if mask is None:
            return False
        mask &= focus.mask
        prefix = "D " if keyword else ""
        kw = "match:" if keyword else ""
        e = self.filtered(focus, f'{prefix}term = {kw}"{query}"', mask)
        return self.add(family, variant, e, same_ok=anywhere, focus=focus.mask)

    def _diacritic(self, typed: bool) -> bool:
        """A search that matches a term with diacritics only because marks are folded away."""
        ed = self.ed
        rows = np.flatnonzero(~ed.is_ascii)
        if not len(rows):
            return False
        row = self.pick(rows)
        v = int(ed.d_concept[row])
        if not ed.active[v]:
            return False
        marked = [w for w in words(str(ed.d_term[row]), marks=True) if not w.isascii() and w.isalpha()]
        marked = [w for w in marked if words(w)[0].isascii()]
        if not marked:
            return False
        w = self.choice(marked)
        cut = min(len(w), max(next(i for i, ch in enumerate(w) if not ch.isascii()) + 2, 4))
        query = w[:cut] if typed else words(w[:cut])[0]
        focus = self.op("<<", self.ref(self.around(v, 1500)))
        rows_f = self._desc_rows(focus.mask)
        folded = match_rows(ed, rows_f, query)
        exact = match_rows(ed, rows_f, query, marks=True)
        if np.array_equal(folded, exact) or not np.array_equal(folded, match_rows(ed, rows_f, query, alt=True)):
            return False
        mask = np.zeros(ed.n, bool)
        mask[ed.d_concept[rows_f[folded]]] = True
        variant = "query_with_marks" if typed else "query_without_marks"
        return self.add("term_match_diacritic", variant, self.filtered(focus, f'term = "{query}"', mask & focus.mask))

    def _term_set(self) -> bool:
        focus, v = self._focus()
        w1 = self._search_word(v)
        w2 = self._search_word(self.pick(np.flatnonzero(focus.mask)))
        if not w1 or not w2:
            return False
        q1, q2 = self.choice(w1)[:5], self.choice(w2)[:5]
        m1, m2 = self._match(focus.mask, q1), self._match(focus.mask, q2)
        if m1 is None or m2 is None or q1 == q2:
            return False
        e = self.filtered(focus, f'term = ("{q1}" "{q2}")', (m1 | m2) & focus.mask)
        return self.add("term_set", "two_words", e, same_ok=False, focus=focus.mask)

    def _term_set_mixed(self) -> bool:
        focus, v = self._focus()
        w1 = self._search_word(v)
        rows = self._desc_rows(focus.mask)
        if not w1 or not len(rows):
            return False
        q1 = self.choice(w1)[:5]
        tail = str(self.ed.d_term[self.pick(rows)])[-6:]
        if not tail.isascii() or '"' in tail or "\\" in tail or "*" in tail:
            return False
        m1 = self._match(focus.mask, q1)
        w = self._wild_mask(rows, "*" + tail)
        if m1 is None or w is None:
            return False
        e = self.filtered(focus, f'term = (match:"{q1}" wild:"*{tail}")', (m1 | w) & focus.mask)
        return self.add("term_set", "match_and_wild", e, same_ok=False, focus=focus.mask)

    def _wild_mask(self, rows: np.ndarray, pattern: str | list[str]) -> np.ndarray | None:
        """Concepts with a description matching a wildcard (a pattern, or its literal parts between ``*``)."""
        parts = pattern.split("*") if isinstance(pattern, str) else pattern
        hit = wild_rows(self.ed, rows, parts)
        if not np.array_equal(hit, wild_rows(self.ed, rows, parts, marks=False)):
            return None
        out = np.zeros(self.ed.n, bool)
        out[self.ed.d_concept[rows[hit]]] = True
        return out

    def _wild(self, variant: str) -> bool:
        focus, v = self._focus()
        rows = self.ed.description_rows(self.one(v))
        term = str(self.ed.d_term[self.pick(rows)])
        if not term.isascii() or any(ch in term for ch in '*"\\'):
            return False
        if variant == "prefix":
            pattern = term[: int(self.rng.integers(3, 7))] + "*"
        else:
            ws = term.split()
            if len(ws) < 2:
                return False
            pattern = f"*{ws[0][-3:]} {ws[1][:3]}*"
        mask = self._wild_mask(self._desc_rows(focus.mask), pattern)
        if mask is None:
            return False
        e = self.filtered(focus, f'term = wild:"{pattern}"', mask & focus.mask)
        return self.add("term_wild", variant, e)

    def _wild_escape(self, char: str) -> None:
        """A wildcard term holding an escaped ``*``, ``"`` or ``\\`` (terms with these characters exist, §6.3)."""
        ed = self.ed
        rows = [r for r, t in enumerate(ed.d_term.tolist()) if char in t and ed.active[ed.d_concept[r]]]
        if not rows:
            return
        row = rows[int(self.rng.integers(len(rows)))]
        term = str(ed.d_term[row])
        i = term.index(char)
        segment = term[max(0, i - 3) : i + 2]
        focus = self.op("<<", self.ref(self.around(int(ed.d_concept[row]), 3000)))
        mask = self._wild_mask(self._desc_rows(focus.mask), ["", segment, ""])
        if mask is None:
            return
        name = {"*": "literal_star", '"': "literal_quote", "\\": "literal_backslash"}[char]
        e = self.filtered(focus, f'term = wild:"*{escape_wild(segment)}*"', mask & focus.mask)
        self.add("term_wild_escape", name, e)

    def _type(self, token: str) -> bool:
        focus, v = self._focus()
        found = self._search_word(v)
        if not found:
            return False
        query = self.choice(found)[:5]
        typed = self._match(focus.mask, query, extra=lambda rows: self.ed.d_type[rows] == TYPE_TOKENS[token])
        plain = self._match(focus.mask, query)
        if typed is None or plain is None or np.array_equal(typed & focus.mask, plain & focus.mask):
            return False
        e = self.filtered(focus, f'term = "{query}", type = {token}', typed & focus.mask)
        return self.add("type", token, e)

    def _type_definition(self) -> bool:
        has_def = self.ed.d_concept[self.ed.d_type == s.DEFINITION]
        if not len(has_def):
            return False
        v = self.pick(has_def)
        focus = self.op("<", self.ref(self.around(v, 3000)))
        mask = self.ed.concepts_with(focus.mask, lambda rows: self.ed.d_type[rows] == s.DEFINITION)
        return self.add("type", "definition", self.filtered(focus, "type = def", mask))

    def _type_set(self) -> bool:
        focus, v = self._focus()
        found = self._search_word(v)
        if not found:
            return False
        query = self.choice(found)[:5]
        mask = self._match(focus.mask, query, extra=lambda rows: np.isin(self.ed.d_type[rows], [s.SYNONYM, s.FSN]))
        if mask is None:
            return False
        return self.add("type", "token_set", self.filtered(focus, f'term = "{query}", type = (syn fsn)',
                                                           mask & focus.mask))

    def _type_id(self) -> bool:
        focus, v = self._focus()
        found = self._search_word(v)
        if not found:
            return False
        query = self.choice(found)[:5]
        mask = self._match(focus.mask, query, extra=lambda rows: self.ed.d_type[rows] == s.SYNONYM)
        if mask is None:
            return False
        text = f'term = "{query}", typeId = {s.SYNONYM} |Synonym|'
        return self.add("type_id", "synonym", self.filtered(focus, text, mask & focus.mask))

    def _dialect_rows(self, refset: int, acceptability: int | None) -> Callable[[np.ndarray], np.ndarray]:
        """``keep(rows)``: whether description rows are in a language refset (with an acceptability)."""
        key = (refset, acceptability)
        if key not in self._in_dialect:
            acc = self.ed.acceptability(refset, np.arange(len(self.ed.d_id)))
            self._in_dialect[key] = acc != 0 if acceptability is None else acc == acceptability
        kept = self._in_dialect[key]
        return lambda rows: kept[rows]

    def _differs_by(self, keep: Callable[[np.ndarray], np.ndarray]) -> tuple[Expr, str, np.ndarray] | None:
        """A focus and search word whose result changes, and stays non-empty, when ``keep`` restricts the rows.

        The word comes from a row on the smaller side of the restriction (kept or dropped) in three draws
        out of four, and from the larger side otherwise.
        """
        ed = self.ed
        kept = keep(np.arange(len(ed.d_id)))
        small = kept if kept.sum() * 2 < len(kept) else ~kept
        rows = np.flatnonzero((small if self.rng.random() < 0.75 else ~small) & ed.active[ed.d_concept])
        if not len(rows):
            return None
        row = self.pick(rows)
        v = int(ed.d_concept[row])
        found = [w for w in words(str(ed.d_term[row]), marks=True) if len(w) >= 4 and w.isalpha()]
        if not found:
            return None
        # A short prefix, so that the word also matches other descriptions in the focus.
        query = self.choice(found)[: int(self.rng.integers(3, 7))]
        focus = self.op("<<", self.ref(self.around(v, 1500)))
        restricted = self._match(focus.mask, query, extra=keep)
        plain = self._match(focus.mask, query)
        if restricted is None or plain is None:
            return None
        restricted &= focus.mask
        if not restricted.any() or np.array_equal(restricted, plain & focus.mask):
            return None
        return focus, query, restricted

    def _dialect(self, alias: str) -> bool:
        got = self._differs_by(self._dialect_rows(ALIASES[alias], None))
        if got is None:
            return False
        focus, query, mask = got
        variant = alias.replace("-", "_")
        return self.add("dialect", variant, self.filtered(focus, f'term = "{query}", dialect = {alias}', mask))

    def _dialect_acceptability(self, token: str) -> bool:
        if self.info.language_refset is not None:
            alias = "sv-se"
        else:
            alias = "en-gb" if token == "prefer" else "en-us"
        refset = ALIASES[alias]
        wanted = s.PREFERRED if token == "prefer" else s.ACCEPTABLE
        got = self._differs_by(self._dialect_rows(refset, wanted))
        if got is None:
            return False
        focus, query, mask = got
        if token == "prefer":
            text = f'term = "{query}", dialect = {alias} (prefer)'
        else:
            text = f'term = "{query}", dialectId = {refset} (accept)'
        return self.add("dialect_acceptability", token, self.filtered(focus, text, mask))

    def _dialect_id(self) -> bool:
        refset = self.info.language_refset or s.GB_ENGLISH
        got = self._differs_by(self._dialect_rows(refset, None))
        if got is None:
            return False
        focus, query, mask = got
        text = f'term = "{query}", dialectId = {refset}'
        return self.add("dialect_id", "refset_id", self.filtered(focus, text, mask))

    def _description_id(self) -> bool:
        focus, v = self._focus()
        rows = self.ed.description_rows(self.one(v))
        if not len(rows):
            return False
        row = self.pick(rows)
        mask = self.one(int(self.ed.d_concept[row])) & focus.mask
        return self.add("description_id", "one", self.filtered(focus, f"D id = {int(self.ed.d_id[row])}", mask))

    def _description_id_set(self) -> bool:
        focus, v = self._focus()
        inside = np.flatnonzero(focus.mask)
        w = self.pick(inside)
        r1 = self.ed.description_rows(self.one(v))
        r2 = self.ed.description_rows(self.one(w))
        if not len(r1) or not len(r2) or v == w:
            return False
        a, b = self.pick(r1), self.pick(r2)
        mask = self.one(v, w) & focus.mask
        text = f"id = ({int(self.ed.d_id[a])} {int(self.ed.d_id[b])})"
        return self.add("description_id", "set", self.filtered(focus, text, mask))

    def _filter_blocks(self) -> bool:
        """``{{ term = "a" }} {{ term = "b" }}``: the two words may sit in different descriptions."""
        ed = self.ed
        focus, v = self._focus()
        rows = ed.description_rows(self.one(v))
        if len(rows) < 2:
            return False
        a, b = self.rng.choice(rows, 2, replace=False).tolist()
        in_a, in_b = set(words(str(ed.d_term[a]), marks=True)), set(words(str(ed.d_term[b]), marks=True))
        wa = sorted(w for w in in_a - in_b if len(w) >= 4 and w.isascii() and w.isalpha())
        wb = sorted(w for w in in_b - in_a if len(w) >= 4 and w.isascii() and w.isalpha())
        if not wa or not wb:
            return False
        qa, qb = self.choice(wa), self.choice(wb)
        ma, mb = self._match(focus.mask, qa), self._match(focus.mask, qb)
        together = self._match(focus.mask, f"{qa} {qb}")
        if ma is None or mb is None or together is None:
            return False
        mask = ma & mb & focus.mask
        if not mask[v] or together[v]:
            return False
        first = self.filtered(focus, f'term = "{qa}"', ma & focus.mask)
        return self.add("filter_blocks", "two_term_blocks", self.filtered(first, f'term = "{qb}"', mask))

    def _language(self) -> bool:
        focus, _ = self._focus(3000)
        mask = self.ed.concepts_with(focus.mask, lambda rows: self.ed.d_language[rows] == "sv")
        return self.add("language", "swedish", self.filtered(focus, "language = sv", mask), same_ok=False,
                        focus=focus.mask)

    def _language_term(self) -> bool:
        ed = self.ed
        rows = np.flatnonzero((ed.d_language == "sv") & ed.active[ed.d_concept])
        if not len(rows):
            return False
        row = self.pick(rows)
        v = int(ed.d_concept[row])
        found = [w for w in words(str(ed.d_term[row]), marks=True) if len(w) >= 4 and w.isalpha()]
        if not found:
            return False
        query = self.choice(found)[:5]
        focus = self.op("<<", self.ref(self.around(v, 1500)))
        mask = self._match(focus.mask, query, extra=lambda r: ed.d_language[r] == "sv")
        if mask is None:
            return False
        return self.add("language", "swedish_term", self.filtered(focus, f'term = "{query}", language = sv',
                                                                  mask & focus.mask))

    # --- 6.9 concept filters -----------------------------------------------------------------------
    def concept_filters(self) -> None:
        """Definition status, module, effective time and active filters, and a concept filter with a term."""
        ed = self.ed
        if self.info.extension_module is not None:
            self.extension_concept_filters()
            return
        for token, status in (("primitive", s.PRIMITIVE), ("defined", s.DEFINED)):
            self.attempt(lambda token=token, status=status: self._status(token, status))
        self.attempt(self._status_id)
        anything = Expr("*", ed.active.copy())
        self.add("module", "model", self.filtered(anything, f"C moduleId = {s.MODEL_MODULE} |Model module|",
                                                  ed.active & (ed.module == s.MODEL_MODULE)))
        self.attempt(lambda: self._effective_time(">="))
        self.attempt(lambda: self._effective_time("="))
        self.attempt(lambda: self._effective_time("!="), tries=30)
        self.attempt(lambda: self._effective_time("<"), tries=30)
        self.attempt(lambda: self._effective_time("set"))
        for refset in self.info.simple_refsets[:1]:
            members = self.member(self.const(refset))
            self.add("active", "inactive_members", self.filtered(members, "C active = 0", members.mask & ~ed.active))
            self.add("active", "active_members", self.filtered(members, "C active = true", members.mask & ed.active))
        self.add("active", "all_inactive", self.filtered(anything, "C active = false", ~ed.active))
        self.attempt(self._concept_and_description)

    def extension_concept_filters(self) -> None:
        """The extension's module (alone, in a set, and with an effective time in the same block)."""
        ed = self.ed
        anything = Expr("*", ed.active.copy())
        module = self.info.extension_module
        mine = ed.active & (ed.module == module)
        self.add("module", "extension", self.filtered(anything, f"C moduleId = {module}", mine))
        both = (module, s.MODEL_MODULE)
        self.add("module", "set", self.filtered(anything, f"C moduleId = ({both[0]} {both[1]})",
                                                ed.active & np.isin(ed.module, both)))
        times = np.unique(ed.effective_time[mine])
        if len(times) > 1:
            t = int(times[len(times) // 2])
            mask = mine & (ed.effective_time >= t)
            self.add("effective_time", "extension_module", self.filtered(
                anything, f'C moduleId = {module}, effectiveTime >= "{t}"', mask))
        for refset in self.info.simple_refsets[:1]:
            members = self.member(self.const(refset))
            self.add("active", "active_members", self.filtered(members, "C active = 1", members.mask & ed.active))

    def _status(self, token: str, status: int) -> bool:
        focus = self.op("<", self.ref(self.pick(self.hubs)))
        mask = focus.mask & (self.ed.definition_status == status)
        return self.add("definition_status", token, self.filtered(focus, f"C definitionStatus = {token}", mask),
                        same_ok=False, focus=focus.mask)

    def _status_id(self) -> bool:
        focus = self.op("<", self.ref(self.pick(self.hubs)))
        mask = focus.mask & (self.ed.definition_status == s.DEFINED)
        text = f"C definitionStatusId = {s.DEFINED} |Defined|"
        return self.add("definition_status_id", "defined", self.filtered(focus, text, mask))

    def _effective_time(self, op: str) -> bool:
        ed = self.ed
        focus = self.op("<", self.ref(self.pick(self.hubs)))
        times = np.unique(ed.effective_time[focus.mask])
        if len(times) < 2:
            return False
        et = ed.effective_time
        if op == "set":
            t1, t2 = sorted(self.rng.choice(times, 2, replace=False).tolist())
            mask, text, variant = np.isin(et, [t1, t2]), f'C effectiveTime = ("{t1}" "{t2}")', "set"
        else:
            t = self.pick(times)
            mask = {">=": et >= t, "=": et == t, "!=": et != t, "<": et < t}[op]
            text = f'C effectiveTime {op} "{t}"'
            variant = {">=": "on_or_after", "=": "equal", "!=": "not_equal", "<": "before"}[op]
        return self.add("effective_time", variant, self.filtered(focus, text, mask & focus.mask), same_ok=False,
                        focus=focus.mask)

    def _concept_and_description(self) -> bool:
        focus, v = self._focus()
        found = self._search_word(v)
        if not found:
            return False
        query = self.choice(found)[:5]
        words_mask = self._match(focus.mask, query)
        if words_mask is None:
            return False
        primitive = focus.mask & (self.ed.definition_status == s.PRIMITIVE)
        first = self.filtered(focus, "C definitionStatus = primitive", primitive)
        e = self.filtered(first, f'D term = "{query}"', primitive & words_mask)
        return self.add("concept_and_description_filters", "primitive_with_term", e)

    # --- 6.10 member filters -----------------------------------------------------------------------
    def member_filters(self) -> None:
        """``{{ M mapTarget = … }}`` (exact and wild), ``^ [referencedComponentId]`` and ``^ [targetComponentId]``."""
        ed = self.ed
        m = ed.members["simple_map"]
        refset = self.info.map_refset
        rows = np.flatnonzero(m["refsetId"] == refset)
        refset_pos = np.array([ed.index([refset])[0]])
        for _ in range(TRIES if len(rows) else 0):
            # "= text" is a match: search term in ECL's grammar; keep a target for which that reading and
            # plain equality select the same members.
            target = str(m["mapTarget"][self.pick(rows)])
            exact = ed.member_of(refset_pos, lambda mm, rr, t=target: mm["mapTarget"][rr] == t)
            found = ed.member_of(refset_pos, lambda mm, rr, t=target: np.array(
                [text_matches(str(x), t) for x in mm["mapTarget"][rr]], bool))
            if not np.array_equal(exact, found):
                continue
            self.add("member_filter", "map_target", Expr(f'^ {refset} {{{{ M mapTarget = "{target}" }}}}', exact, "sub"))
            self.add("member_field", "referenced_component",
                     Expr(f'^ [referencedComponentId] {refset} {{{{ M mapTarget = "{target}" }}}}', exact, "sub"))
            prefix = target[:2]
            rx = wildcard_regex([prefix, ""])
            wild = ed.member_of(refset_pos, lambda mm, rr, rx=rx: np.array(
                [rx.fullmatch(fold(str(x))) is not None for x in mm["mapTarget"][rr]], bool))
            self.add("member_filter", "map_target_wild",
                     Expr(f'^ {refset} {{{{ M mapTarget = wild:"{prefix}*" }}}}', wild, "sub"))
            break
        a = ed.members["association"]
        same = np.flatnonzero(a["refsetId"] == s.SAME_AS)
        if len(same):
            for _ in range(TRIES):
                r = self.pick(same)
                source, target = int(a["referencedComponentId"][r]), int(a["targetComponentId"][r])
                t = ed.index([target])[0]
                if t >= 0 and ed.active[t]:
                    text = (f"^ [targetComponentId] {s.SAME_AS} |SAME AS association reference set| "
                            f"{{{{ M referencedComponentId = {source} }}}}")
                    keep_s = lambda mm, rr, x=source: mm["referencedComponentId"][rr] == x  # noqa: E731
                    mask = ed.member_of(np.array([ed.index([s.SAME_AS])[0]]), keep_s, field="targetComponentId")
                    self.add("member_field", "target_component", Expr(text, mask, "sub"))
                    break
