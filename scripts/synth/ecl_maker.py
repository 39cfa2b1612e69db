"""Building blocks of the ECL case templates: ECL text paired with its brute-force value (synthetic-rf2.md §6.7).

``Expr`` keeps an ECL (sub)expression and the concept mask the oracle (``ecl_oracle``) computes for it, so
that templates compose text and semantics in one step and parenthesise only where the ECL grammar needs
it. ``MakerBase`` holds the random stream, the pools of concepts the templates draw from (hubs, leaves,
mid-level nodes, concepts with several parents, attribute rows) and ``add``, which accepts a case.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from terminology import snomed as s

from .ecl_oracle import Attribute, Edition, dotted, refine

SECTIONS: dict[str, str] = {
    "self": "6.1",
    "any": "6.1",
    "descendant_of": "6.1",
    "descendant_or_self_of": "6.1",
    "child_of": "6.1",
    "child_or_self_of": "6.1",
    "ancestor_of": "6.1",
    "ancestor_or_self_of": "6.1",
    "parent_of": "6.1",
    "parent_or_self_of": "6.1",
    "member_of": "6.1",
    "attribute_exact": "6.2",
    "attribute_subsumed": "6.2",
    "attribute_any_value": "6.2",
    "attribute_any_name": "6.2",
    "attribute_name_subsumed": "6.2",
    "attribute_conjunction": "6.2",
    "attribute_group": "6.2",
    "reverse": "6.2",
    "dotted": "6.2",
    "dotted_chain": "6.2",
    "concrete_numeric": "6.2",
    "concrete_decimal": "6.2",
    "concrete_string": "6.2",
    "cardinality_attribute": "6.3",
    "cardinality_group": "6.3",
    "cardinality_in_group": "6.3",
    "cardinality_reverse": "6.3",
    "and": "6.4",
    "or": "6.4",
    "and_or_nested": "6.4",
    "refinement_or": "6.4",
    "value_disjunction": "6.4",
    "value_conjunction": "6.4",
    "group_disjunction": "6.4",
    "minus": "6.5",
    "not_equals": "6.5",
    "absent_value": "6.5",
    "comment": "6.6",
    "nested_hierarchy": "6.7",
    "nested_member_of": "6.7",
    "nested_refinement_value": "6.7",
    "nested_attribute_name": "6.7",
    "nested_dotted": "6.7",
    "term_match": "6.8",
    "term_match_words": "6.8",
    "term_match_diacritic": "6.8",
    "term_set": "6.8",
    "term_wild": "6.8",
    "term_wild_escape": "6.8",
    "language": "6.8",
    "type": "6.8",
    "type_id": "6.8",
    "dialect": "6.8",
    "dialect_acceptability": "6.8",
    "dialect_id": "6.8",
    "description_id": "6.8",
    "filter_blocks": "6.8",
    "definition_status": "6.9",
    "definition_status_id": "6.9",
    "module": "6.9",
    "effective_time": "6.9",
    "active": "6.9",
    "concept_and_description_filters": "6.9",
    "member_filter": "6.10",
    "member_field": "6.10",
    "history_min": "6.11",
    "history_mod": "6.11",
    "history_max": "6.11",
    "history_subset": "6.11",
    "history_chain": "6.11",
    "top": "6.12",
    "bottom": "6.12",
}
"""Every template family and the ECL specification section (examples chapter) it exercises."""

FAMILIES = tuple(SECTIONS)
HISTORY_PROFILES = {"MIN": s.HISTORY_MIN, "MOD": s.HISTORY_MOD, "MAX": s.HISTORY_MAX}
ALIASES = {"en-us": s.US_ENGLISH, "en-gb": s.GB_ENGLISH, "sv-se": s.SWEDISH_LANGUAGE_REFSET}
TYPE_TOKENS = {"fsn": s.FSN, "syn": s.SYNONYM, "def": s.DEFINITION}
TRIES = 12
ANYWHERE_LIMIT = 150_000
"""Term filters on ``*`` scan every description in Python; left out of editions larger than this."""


@dataclass(frozen=True)
class EditionInfo:
    """What the templates need to know about an edition beyond its snapshot (from the generator's world)."""

    name: str
    simple_refsets: tuple[int, ...]
    map_refset: int
    hubs: tuple[int, ...]
    chains: tuple[tuple[int, int, int], ...]
    extension_module: int | None = None
    language_refset: int | None = None
    promoted: int | None = None


@dataclass(frozen=True, eq=False)
class Expr:
    """An ECL (sub)expression with its brute-force value.

    ``kind`` says where the text may stand without parentheses: ``focus`` (a concept reference or ``*``),
    ``sub`` (a subExpressionConstraint that may take more filters), ``history`` (a subExpressionConstraint
    ending in a history supplement), and ``compound``, ``refined`` or ``dotted``.
    """

    ecl: str
    mask: np.ndarray
    kind: str = "focus"

    def operand(self) -> str:
        """As the operand of a constraint operator, ``^`` or top/bottom."""
        return self.ecl if self.kind == "focus" else f"({self.ecl})"

    def sub(self) -> str:
        """As a subExpressionConstraint (compound operand, refinement focus, attribute name or value)."""
        return self.ecl if self.kind in ("focus", "sub", "history") else f"({self.ecl})"

    def filterable(self) -> str:
        """As the target of a filter or history supplement."""
        return self.ecl if self.kind in ("focus", "sub") else f"({self.ecl})"


def escape(text: str) -> str:
    """A string literal's body in ECL: backslash and double quote escaped."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


def escape_wild(text: str) -> str:
    """Literal text inside a ``wild:`` term: backslash, double quote and star escaped."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("*", "\\*")


class MakerBase:
    """Draws template instances for one edition and collects the accepted cases (the shared helpers)."""

    def __init__(self, ed: Edition, info: EditionInfo, rng: np.random.Generator, cap: int) -> None:
        self.ed, self.info, self.rng, self.cap = ed, info, rng, cap
        self.cases: list[dict] = []
        self._ecl: set[str] = set()
        self.n_children = np.diff(ed.children_ptr)
        self.n_parents = np.diff(ed.parents_ptr)
        self.root = int(ed.index([s.ROOT])[0])
        active = ed.active.copy()
        active[self.root] = False
        self.leaves = np.flatnonzero(active & (self.n_children == 0) & (self.n_parents > 0))
        self.mids = np.flatnonzero(active & (self.n_children >= 2) & (self.n_children <= 40))
        self.multi = np.flatnonzero(active & (self.n_parents >= 2))
        hubs = ed.index(info.hubs)
        self.hubs = hubs[(hubs >= 0)]
        self.hubs = self.hubs[ed.active[self.hubs]] if len(self.hubs) else self.mids
        self.tops = np.flatnonzero(ed.children_of(self.one(self.root)))
        self.object_rows = np.flatnonzero(ed.a_dst >= 0)
        self.is_grouped = np.zeros(ed.n, bool)
        self.is_grouped[ed.a_type[ed.a_group > 0]] = True
        self._fsn: dict[int, str] = {}
        self._in_dialect: dict[tuple[int, int | None], np.ndarray] = {}

    # --- basics ------------------------------------------------------------------------------------
    def pick(self, pool) -> int:
        """A random element of a pool of concept positions or row numbers."""
        pool = np.asarray(pool)
        return int(pool[self.rng.integers(len(pool))])

    def choice(self, seq: list[str]) -> str:
        """A random word of a list."""
        return seq[int(self.rng.integers(len(seq)))]

    def one(self, *vs: int) -> np.ndarray:
        """A concept mask holding the given positions."""
        m = np.zeros(self.ed.n, bool)
        m[list(vs)] = True
        return m

    def fsn(self, v: int) -> str:
        """The concept's FSN (or any active description) for a ``|term|``."""
        if v not in self._fsn:
            rows = self.ed.description_rows(self.one(v))
            fsn = rows[self.ed.d_type[rows] == s.FSN]
            row = fsn[0] if len(fsn) else (rows[0] if len(rows) else -1)
            self._fsn[v] = str(self.ed.d_term[row]) if row >= 0 else ""
        return self._fsn[v]

    def cid(self, v: int, term: bool = False) -> str:
        """A concept reference: the id, with ``|FSN|`` when ``term``."""
        sctid = int(self.ed.ids[v])
        label = self.fsn(v) if term else ""
        return f"{sctid} |{label}|" if label else str(sctid)

    def ref(self, v: int, term: bool = False) -> Expr:
        """The focus concept v (its value is v if active, else nothing)."""
        return Expr(self.cid(v, term), self.one(v) & self.ed.active)

    def const(self, sctid: int, term: bool = False) -> Expr:
        """The focus concept with a given SCTID."""
        return self.ref(int(self.ed.index([sctid])[0]), term)

    def op(self, op: str, e: Expr) -> Expr:
        """A constraint operator (``<``, ``<<!``, ``!!>`` …) applied to e."""
        return Expr(f"{op} {e.operand()}", self.ed.hierarchy(op, e.mask), "sub")

    def member(self, e: Expr) -> Expr:
        """``^ e``: the members of the refsets in e."""
        return Expr(f"^ {e.operand()}", self.ed.member_of(np.flatnonzero(e.mask)), "sub")

    def compound(self, op: str, *es: Expr) -> Expr:
        """``AND``, ``OR`` or ``MINUS`` of subexpressions (one operator, so never mixed without parentheses)."""
        mask = es[0].mask.copy()
        for e in es[1:]:
            mask = mask & e.mask if op == "AND" else (mask | e.mask if op == "OR" else mask & ~e.mask)
        return Expr(f" {op} ".join(e.sub() for e in es), mask, "compound")

    def refined(self, focus: Expr, text: str, refinement) -> Expr | None:
        """``focus : text`` where ``refinement`` is text's meaning; None if the oracle's readings disagree."""
        mask = refine(self.ed, focus.mask, refinement)
        return None if mask is None else Expr(f"{focus.sub()} : {text}", mask, "refined")

    def dot(self, e: Expr, name: int) -> Expr:
        """``e . name``, chaining onto a dotted expression without parentheses."""
        left = e.ecl if e.kind == "dotted" else e.sub()
        return Expr(f"{left} . {self.cid(name)}", dotted(self.ed, e.mask, self.one(name)), "dotted")

    def filtered(self, e: Expr, text: str, mask: np.ndarray) -> Expr:
        """``e {{ text }}`` whose result (computed by the caller) is mask."""
        return Expr(f"{e.filterable()} {{{{ {text} }}}}", mask, "sub")

    def history(self, e: Expr, suffix: str, refsets) -> Expr:
        """``e {{ + HISTORY<suffix> }}`` over the given association refsets."""
        return Expr(f"{e.filterable()} {{{{ + HISTORY{suffix} }}}}", self.ed.history(e.mask, refsets), "history")

    def add(self, family: str, variant: str, e: Expr | None, *, empty_ok: bool = False, same_ok: bool = True,
            focus: np.ndarray | None = None) -> bool:
        """Accept a case if its result size is within bounds and its ECL is new; returns whether it was kept."""
        if e is None or e.ecl in self._ecl:
            return False
        size = int(e.mask.sum())
        if size > self.cap or (size == 0 and not empty_ok):
            return False
        if not same_ok and focus is not None and np.array_equal(focus, e.mask):
            return False
        name = f"{self.info.name}.{family}.{variant}"
        taken = {c["name"] for c in self.cases}
        k = 2
        while name in taken:
            name = f"{self.info.name}.{family}.{variant}_{k}"
            k += 1
        self._ecl.add(e.ecl)
        self.cases.append(
            {
                "name": name,
                "section": SECTIONS[family],
                "ecl": e.ecl,
                "edition": self.info.name,
                "expected": self.ed.sctids(e.mask),
            }
        )
        return True

    def attempt(self, make: Callable[[], bool], tries: int = TRIES) -> bool:
        """Call a template until it keeps a case, at most ``tries`` times."""
        for _ in range(tries):
            if make():
                return True
        return False

    # --- helpers over the graph --------------------------------------------------------------------
    def top_of(self, v: int) -> int:
        """The top-level concept (child of the root) above v."""
        anc = self.ed.hierarchy(">>", self.one(v))
        tops = self.tops[anc[self.tops]]
        return int(tops[0]) if len(tops) else self.root

    def around(self, v: int, limit: int) -> int:
        """The ancestor of v with the most descendants, at most ``limit`` of them (v itself if none fits).

        Climbs level by level; an ancestor above the limit is not climbed past, as everything above it is
        larger still.
        """
        ed = self.ed
        best, best_size = v, -1
        seen = self.one(v)
        frontier = ed.parents_of(self.one(v))
        frontier[self.root] = False
        while frontier.any():
            fits = np.zeros(ed.n, bool)
            for a in np.flatnonzero(frontier).tolist():
                size = ed.count_descendants(a, limit)
                if size <= limit:
                    fits[a] = True
                    if size > best_size:
                        best, best_size = a, size
            seen |= frontier
            frontier = ed.parents_of(fits) & ~seen
            frontier[self.root] = False
        return best

    def row_fields(self, r: int) -> tuple[int, int, int, int]:
        """Source, type, destination and group of an attribute row."""
        ed = self.ed
        return int(ed.a_src[r]), int(ed.a_type[r]), int(ed.a_dst[r]), int(ed.a_group[r])

    def rows_of(self, v: int) -> np.ndarray:
        """The concept-valued attribute rows of concept v."""
        return self.object_rows[self.ed.a_src[self.object_rows] == v]

    def attr(self, name: int, value: np.ndarray | float | str, op: str = "=", **kw) -> Attribute:
        """An attribute constraint on one attribute type."""
        return Attribute(self.one(name), op, value, **kw)

    def below(self, v: int) -> Expr:
        """``< v`` (or ``<< v`` when v has no children, so the focus is never empty)."""
        return self.op("<", self.ref(v)) if self.n_children[v] else self.op("<<", self.ref(v))

    def _two_rows(self, same_group: bool | None) -> tuple[int, int] | None:
        """Two attribute rows of one concept with different types (in one group, in two groups, or either)."""
        r1 = self.pick(self.object_rows)
        src, typ, _, grp = self.row_fields(r1)
        others = [r for r in self.rows_of(src).tolist() if int(self.ed.a_type[r]) != typ]
        if same_group is not None:
            others = [r for r in others if (int(self.ed.a_group[r]) == grp) == same_group and self.ed.a_group[r] > 0]
            if grp == 0:
                return None
        return (r1, self.pick(others)) if others else None
