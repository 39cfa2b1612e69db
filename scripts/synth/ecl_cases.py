"""``truth/ecl_cases.jsonl``: ECL expressions from templates, with brute-force results (synthetic-rf2.md §6.7 item 3).

Each template family draws concepts, attributes, terms and refset members from one edition's snapshot
(``ecl_oracle.Edition``) with a seeded random stream, writes the ECL text and computes the expected
concept ids directly from the generator's tables. Nothing here calls the project's ECL engine: the file is
the independent oracle for it. Every line is one JSON object::

    {"name": "intl.descendant_of.hub", "section": "6.1", "ecl": "< 800…", "edition": "intl", "expected": [800…]}

``name`` is ``<edition>.<family>.<variant>``; ``section`` is the section of the ECL specification's
examples chapter that the family exercises (6.1 simple … 6.12 top and bottom, ``ecl_maker.SECTIONS``);
``expected`` holds sorted concept ids. Lines are sorted by name, with LF line ends. A case is kept only
when its result is non-empty (unless emptiness is the point), at most ``result_cap`` ids long, and the
same under every reading in ``ecl_oracle.ALL_MODES``.

Editions: ``intl`` is the International V2 snapshot and runs every family; ``se`` is International V2
merged with Swedish V2 and runs the families whose answer the extension changes (its concepts, refsets,
Swedish descriptions and language refset, module, promoted concept, history).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from terminology import snomed as s

from .ecl_filter_cases import FilterCases
from .ecl_maker import FAMILIES, HISTORY_PROFILES, SECTIONS, EditionInfo, Expr
from .ecl_oracle import Edition
from .ecl_refinement_cases import RefinementCases
from .ids import stage_rng
from .profile import INT_MODULES, INT_V2, SE_V2

CHAINS = 2
"""Association chains (edge case 8) written as history cases; larger editions have more of them."""

if TYPE_CHECKING:
    from .build import World

__all__ = ["FAMILIES", "SECTIONS", "EditionInfo", "edition_cases", "editions", "result_cap", "write_ecl_cases"]


class Maker(RefinementCases, FilterCases):
    """All template families of one edition."""

    # --- 6.1 simple and 6.6 comments ---------------------------------------------------------------
    def simple(self) -> None:
        """Self, ``*``, the eight hierarchy operators on hubs, mid-level nodes, leaves and multi-parent nodes."""
        ed = self.ed
        if self.info.extension_module is not None:
            for refset in self.info.simple_refsets:
                self.add("member_of", "extension_refset", self.member(self.const(refset)))
            self.attempt(lambda: self.add("descendant_or_self_of", "hub", self.op("<<", self.ref(self.pick(self.hubs)))))
            return
        self.attempt(lambda: self.add("self", "mid", self.ref(self.pick(self.mids))))
        self.attempt(lambda: self.add("self", "with_term", self.ref(self.pick(self.leaves), term=True)))
        self.add("any", "all_active", Expr("*", ed.active.copy()))
        pools = {"hub": self.hubs, "mid": self.mids, "leaf": self.leaves, "multi_parent": self.multi}
        plan = (
            ("descendant_of", "<", ("hub", "mid", "leaf")),
            ("descendant_or_self_of", "<<", ("hub", "mid", "leaf")),
            ("child_of", "<!", ("hub", "mid", "leaf")),
            ("child_or_self_of", "<<!", ("mid", "leaf")),
            ("ancestor_of", ">", ("leaf", "multi_parent", "mid")),
            ("ancestor_or_self_of", ">>", ("leaf", "multi_parent")),
            ("parent_of", ">!", ("multi_parent", "leaf")),
            ("parent_or_self_of", ">>!", ("multi_parent", "leaf")),
        )
        for family, op, variants in plan:
            for k, variant in enumerate(variants):
                pool = pools[variant]
                if not len(pool):
                    continue
                empty = variant == "leaf" and op in ("<", "<!")
                self.attempt(
                    lambda family=family, op=op, pool=pool, k=k, variant=variant, empty=empty: self.add(
                        family, variant, self.op(op, self.ref(self.pick(pool), term=k == 0)), empty_ok=empty
                    )
                )
        self.add("child_of", "root", self.op("<!", self.ref(self.root, term=True)))
        self.add("ancestor_of", "root", self.op(">", self.ref(self.root)), empty_ok=True)
        for refset in self.info.simple_refsets:
            self.add("member_of", "simple_refset", self.member(self.const(refset)))
        self.add("member_of", "map_refset_with_term", self.member(self.const(self.info.map_refset, term=True)))
        e = self.op("<!", self.ref(self.pick(self.hubs)))
        self.add("comment", "before", Expr(f"/* children of a hub */ {e.ecl}", e.mask, "sub"))
        self.attempt(self._comment_in_refinement)

    def _comment_in_refinement(self) -> bool:
        src, typ, dst, _ = self.row_fields(self.pick(self.object_rows))
        focus = self.below(self.top_of(src))
        e = self.refined(focus, f"/* attribute */ {self.cid(typ)} = {self.cid(dst)} /* value */",
                         self.attr(typ, self.one(dst)))
        return self.add("comment", "inside_refinement", e)

    # --- 6.4 conjunction, disjunction and 6.5 exclusion of expressions -----------------------------
    def compounds(self, refset: int) -> None:
        """AND, OR and MINUS of subexpressions, with a refset among the operands."""
        members = self.member(self.const(refset))
        in_refset = np.flatnonzero(members.mask & self.ed.active)
        if len(in_refset):
            self.attempt(lambda: self.add("and", "member_of", self.compound(
                "AND", self.op("<", self.ref(self.around(self.pick(in_refset), 3000))), members)))
            self.attempt(lambda: self.add("minus", "member_of", self.compound(
                "MINUS", self.op("<<", self.ref(self.around(self.pick(in_refset), 3000))), members)))
        if self.info.extension_module is not None:
            return
        self.attempt(self._and_parents)
        if len(in_refset) and len(self.multi):
            self.attempt(lambda: self.add("and_or_nested", "and_then_or", self.compound(
                "OR", self.compound("AND", *self._two_parents_exprs()), members)))
        self.attempt(lambda: self.add("or", "two", self.compound(
            "OR", self.op("<", self.ref(self.pick(self.mids))), self.op("<", self.ref(self.pick(self.mids))))))
        self.attempt(lambda: self.add("or", "three_concepts", self.compound(
            "OR", *(self.ref(self.pick(self.leaves)) for _ in range(3)))))
        self.attempt(self._minus_child)

    def _two_parents_exprs(self) -> tuple[Expr, Expr]:
        v = self.pick(self.multi)
        p1, p2 = np.flatnonzero(self.ed.parents_of(self.one(v)))[:2].tolist()
        return self.op("<", self.ref(p1)), self.op("<", self.ref(p2))

    def _and_parents(self) -> bool:
        if not len(self.multi):
            return False
        return self.add("and", "two_parents", self.compound("AND", *self._two_parents_exprs()))

    def _minus_child(self) -> bool:
        v = self.pick(self.mids)
        child = self.pick(np.flatnonzero(self.ed.children_of(self.one(v))))
        return self.add("minus", "child_subtree", self.compound(
            "MINUS", self.op("<<", self.ref(v)), self.op("<<", self.ref(child))))

    # --- 6.11 history supplements ------------------------------------------------------------------
    def histories(self) -> None:
        """MIN, MOD, MAX and a refset subset on one subtree, and the §6.5 association chains (edge case 8)."""
        ed = self.ed
        a = ed.members["association"]
        targets = ed.index(a["targetComponentId"])
        ok = targets >= 0
        ok[ok] = ed.active[targets[ok]]
        hit, kinds = targets[ok], a["refsetId"][ok]
        if len(hit):
            # A subtree that receives several kinds of association, so that MIN, MOD and MAX differ.
            best: tuple[int, int] | None = None
            for _ in range(15):
                x = self.around(self.pick(hit), 600)
                found = set(kinds[ed.hierarchy("<<", self.one(x))[hit]].tolist())
                score = len(found & set(s.HISTORY_MOD)) + 2 * bool(found - set(s.HISTORY_MOD)) + (s.SAME_AS in found)
                if best is None or score > best[0]:
                    best = (score, x)
            focus = self.op("<<", self.ref(best[1]))
            for profile, refsets in HISTORY_PROFILES.items():
                self.add(f"history_{profile.lower()}", "subtree", self.history(focus, f"-{profile}", refsets))
            pair = (s.WAS_A, s.POSSIBLY_EQUIVALENT_TO)
            text = f"{focus.filterable()} {{{{ + HISTORY ({pair[0]} |WAS A association reference set| OR {pair[1]}) }}}}"
            self.add("history_subset", "two_refsets", Expr(text, ed.history(focus.mask, pair), "history"))
        for _a, _b, c_id in self.info.chains[:CHAINS]:
            c = int(ed.index([c_id])[0])
            if c < 0 or not ed.active[c]:
                continue
            one_step = self.history(self.op("<<", self.ref(c)), "-MOD", s.HISTORY_MOD)
            self.add("history_chain", "one_step", one_step)
            self.add("history_chain", "two_steps", self.history(one_step, "-MIN", s.HISTORY_MIN))

    # --- 6.12 top and bottom -----------------------------------------------------------------------
    def top_bottom(self, refset: int) -> None:
        """``!!>`` and ``!!<`` on dotted attribute values and on the active members of a refset."""
        if self.info.extension_module is None:
            self.attempt(lambda: self._top_bottom("!!>"))
            self.attempt(lambda: self._top_bottom("!!<"))
        members = self.member(self.const(refset))
        live = self.compound("AND", members, self.op("<", self.ref(self.root)))
        self.add("top", "refset_members", self.op("!!>", live))
        self.add("bottom", "refset_members", self.op("!!<", live))

    def _top_bottom(self, op: str) -> bool:
        src, typ, _, _ = self.row_fields(self.pick(self.object_rows))
        values = self.dot(self.op("<", self.ref(self.around(src, 1500))), typ)
        e = self.op(op, values)
        if np.array_equal(e.mask, values.mask):
            return False
        return self.add("top" if op == "!!>" else "bottom", "dotted_values", e)

    # --- the extension -----------------------------------------------------------------------------
    def extension_content(self) -> None:
        """Swedish concepts under International parents, and the concept promoted to core (edge case 6)."""
        ed = self.ed
        metadata = ed.hierarchy("<<", self.one(int(ed.index([s.MODEL_COMPONENT])[0])))
        mine = np.flatnonzero(ed.active & (ed.module == self.info.extension_module) & ~metadata)
        if len(mine):
            v = self.pick(mine)
            parent = self.pick(np.flatnonzero(ed.parents_of(self.one(v))))
            self.add("descendant_or_self_of", "extension_parent", self.op("<<", self.ref(parent, term=True)))
            self.add("child_of", "extension_parent", self.op("<!", self.ref(parent)))
            self.add("parent_of", "extension_concept", self.op(">!", self.ref(v)))
            self.add("ancestor_of", "extension_concept", self.op(">", self.ref(v)))
        if self.info.promoted is not None:
            p = int(ed.index([self.info.promoted])[0])
            if p >= 0 and ed.active[p]:
                core = ed.active & (ed.module == s.CORE_MODULE)
                self.add("module", "promoted_concept", self.filtered(self.ref(p), f"C moduleId = {s.CORE_MODULE}",
                                                                      self.one(p) & core))


def edition_cases(ed: Edition, info: EditionInfo, rng: np.random.Generator, cap: int) -> list[dict]:
    """All template cases for one edition (the full set for International, the extension's subset for SE)."""
    m = Maker(ed, info, rng, cap)
    first = info.simple_refsets[0]
    m.simple()
    if info.extension_module is None:
        m.refinements()
        m.cardinality()
        m.compounds(first)
        m.attribute_compounds()
        m.nesting()
        m.descriptions()
        m.concept_filters()
        m.member_filters()
    else:
        m.extension_content()
        m.compounds(first)
        m.nested_member_of()
        m.extension_descriptions()
        m.concept_filters()
    m.histories()
    m.top_bottom(first)
    return m.cases


def result_cap(active_concepts: int) -> int:
    """The largest expected result written: everything at CI scale, 5 % of the edition at full scale."""
    return max(6_000, active_concepts // 20)


def editions(world: World) -> Iterator[tuple[Edition, EditionInfo]]:
    """The editions the cases are written for: International V2, and with the extension the merged SE V2.

    Built one at a time, so that only one snapshot is in memory.
    """
    sctid = world.concepts.sctid
    cases = world.edge_cases
    chains = tuple((c["a"], c["b"], c["c"]) for c in cases["8_association_chains"])
    hubs = tuple(cases["hubs"])
    simple = int(sctid[world.graph.simple_refset])
    map_refset = int(sctid[world.graph.map_refset])
    yield Edition(world.tables, INT_MODULES, INT_V2), EditionInfo("intl", (simple,), map_refset, hubs, chains)
    if world.ext is not None:
        ext = world.ext
        info = EditionInfo(
            "se",
            (int(sctid[ext.simple_refset]), int(sctid[ext.tricky_refset])),
            map_refset,
            hubs,
            chains,
            extension_module=int(sctid[ext.module_concept]),
            language_refset=int(sctid[ext.language_refset]),
            promoted=int(sctid[ext.promoted]) if ext.promoted >= 0 else None,
        )
        yield Edition(world.tables, None, SE_V2), info


def write_ecl_cases(path: Path, world: World, seed: int) -> int:
    """Write ``ecl_cases.jsonl`` for the world's editions; returns the number of cases."""
    cases: list[dict] = []
    for ed, info in editions(world):
        rng = stage_rng(seed, f"ecl-cases-{info.name}")
        cases.extend(edition_cases(ed, info, rng, result_cap(int(ed.active.sum()))))
    cases.sort(key=lambda c: c["name"])
    with path.open("w", encoding="utf-8", newline="\n") as f:
        for case in cases:
            f.write(json.dumps(case, ensure_ascii=False) + "\n")
    return len(cases)

