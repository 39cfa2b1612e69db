"""English descriptions and the US/GB language refsets (synthetic-rf2.md §6.2 "Descriptions and language", §6.3).

Per concept: one FSN "term (semantic tag)", one preferred synonym, further synonyms (1: 48 %, 2: 32 %,
3: 12 %, 4: 4 %, 5+: 4 %), text definitions for 6 % of active concepts, and about 0.35 inactive
synonyms per active concept with a description inactivation indicator (10 % also REFERS TO).
The FSN and the preferred synonym are Preferred in both dialect refsets; 4 % of concepts have
different US and GB preferred synonyms, and 2 % of synonyms are acceptable in one dialect only.

Descriptions of inactive concepts stay active, each with the indicator "Concept non-current"
(900000000000495008). V1 -> V2 (§6.5): new synonyms, inactivated synonyms, case significance
changes, a description whose module changes (edge case 5) and language members whose acceptability
changes (edge case 3).
"""

from __future__ import annotations

import random
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from terminology import snomed as s

from .attributes import Attributes
from .hierarchy import CODES, Graph
from .ids import ItemAllocator, sctids
from .lifecycle import Lifecycle
from .metadata import fixed_metadata
from .model import KIND_ACTIVE, KIND_INACTIVE, ComponentBuilder, Concepts, RefsetBuilder
from .profile import HIERARCHIES, INT_V1, INT_V2, TOP_LEVEL_TAGS, Profile
from .terms import DIALECT_WORDS, TermMaker, syllables_for

SYNONYM_COUNTS = ((1, 0.48), (2, 0.32), (3, 0.12), (4, 0.04), (5, 0.02), (6, 0.02))
INACTIVE_DESCRIPTION_REASONS = (
    s.OUTDATED,
    s.ERRONEOUS,
    s.DUPLICATE,
    s.NOT_SEMANTICALLY_EQUIVALENT,
    s.NONCONFORMANCE_TO_EDITORIAL_POLICY,
)
PROGRESS_EVERY = 20_000
LEGACY_CUTOFF = 20140131
LEGACY_SHARE = 0.09
DESCRIPTION_FIELDS = ("conceptId", "languageCode", "typeId", "term", "caseSignificanceId")
ATTRIBUTE_NOUNS = (
    "site",
    "agent",
    "method",
    "morphology",
    "component",
    "device",
    "intent",
    "course",
    "focus",
    "property",
    "approach",
    "substance",
    "scale",
    "technique",
    "context",
)
DATA_NOUNS = (
    "count",
    "strength value",
    "presentation value",
    "unit value",
    "concentration",
    "quantity",
    "ratio",
    "text",
)


class Columns:
    """Integer columns in compact ``array('q')`` storage (millions of descriptions and members)."""

    FIELDS: tuple[str, ...] = ()

    def __init__(self) -> None:
        for name in self.FIELDS:
            setattr(self, name, array("q"))

    def __len__(self) -> int:
        return len(getattr(self, self.FIELDS[0]))

    def append(self, *values: int) -> int:
        """Append one row; returns its index."""
        for name, value in zip(self.FIELDS, values):
            getattr(self, name).append(value)
        return len(self) - 1

    def np(self, name: str) -> np.ndarray:
        """A column as a numpy array."""
        return np.frombuffer(getattr(self, name), dtype=np.int64) if len(self) else np.zeros(0, np.int64)


class Descs(Columns):
    """English International descriptions; ``term`` is a parallel list and ``extra`` holds later rows."""

    FIELDS = ("concept", "type", "case", "created", "module", "off")

    def __init__(self) -> None:
        super().__init__()
        self.term: list[str] = []
        self.extra: dict[int, list[tuple[int, int, int, int]]] = {}

    def add(self, concept: int, type_id: int, term: str, case: int, created: int, module: int, off: int = 0) -> int:
        """Append a description; returns its index."""
        self.term.append(term)
        return self.append(concept, type_id, case, created, module, off)


class Members(Columns):
    """Language refset members of description ``desc``; ``flip`` dates a V2 acceptability swap."""

    FIELDS = ("desc", "refset", "acceptability", "created", "module", "off", "flip", "legacy")


@dataclass
class DescriptionPlan:
    """All English International descriptions and language members, plus edge-case ids."""

    descs: Descs = field(default_factory=Descs)
    members: Members = field(default_factory=Members)
    indicators: list[tuple[int, int, int, int]] = field(default_factory=list)
    refers_to: list[tuple[int, int, int]] = field(default_factory=list)
    module_change: int = -1
    module_change_concept: int = -1
    flips: list[int] = field(default_factory=list)
    ids: np.ndarray | None = None

    def release(self) -> None:
        """Drop the description and member columns once every table that needs them has its rows."""
        self.descs = Descs()
        self.members = Members()


def name_concepts(
    profile: Profile, concepts: Concepts, graph: Graph, attrs: Attributes, rnd: random.Random
) -> tuple[TermMaker, np.ndarray]:
    """Fill ``concepts.term`` (FSN without tag) and ``concepts.tag``; returns the maker and each base term's case."""
    maker = TermMaker(rnd, syllables_for(len(concepts) + profile.se_only + 100))
    by_code = {h.code: h for h in HIERARCHIES}
    data = set(graph.data_attributes)
    for t in attrs.types:
        v = t.concept
        noun = rnd.choice(DATA_NOUNS if v in data else ATTRIBUTE_NOUNS)
        concepts.term[v] = f"Has {maker.word()}{rnd.choice(('ic', 'al', ''))} {noun}"
        concepts.tag[v] = "attribute"
    for field_concept in graph.descriptor_attributes.values():
        concepts.tag[field_concept] = "foundation metadata concept"
    concepts.term[graph.simple_refset] = f"Synthetic {maker.word()} simple reference set"
    concepts.term[graph.map_refset] = f"Synthetic {maker.word()} map reference set"
    concepts.tag[graph.simple_refset] = concepts.tag[graph.map_refset] = "foundation metadata concept"
    for k, v in enumerate(graph.namespaces):
        concepts.term[v] = f"Synthetic extension namespace {1000052 if k == 0 else 1000100 + k}"
        concepts.tag[v] = "namespace concept"
    for row in fixed_metadata(TOP_LEVEL_TAGS):
        concepts.tag[graph.index_of[row.sctid]] = row.tag
    cases = np.full(len(concepts), s.CASE_INSENSITIVE, np.int64)
    for v in range(len(concepts)):
        if concepts.term[v] is not None:
            continue
        code = CODES[int(concepts.code[v])]
        h = by_code.get(code)
        concepts.term[v], cases[v] = maker.base(code, v)
        concepts.tag[v] = (
            rnd.choices([t for t, _ in h.tags], weights=[w for _, w in h.tags])[0] if h else "special concept"
        )
    _make_fsns_unique(concepts)
    return maker, cases


def _make_fsns_unique(concepts: Concepts) -> None:
    seen: set[str] = set()
    for v in range(len(concepts)):
        fsn = f"{concepts.term[v]} ({concepts.tag[v]})"
        k = 2
        while fsn in seen:
            concepts.term[v] = f"{concepts.term[v]} {k}"
            fsn = f"{concepts.term[v]} ({concepts.tag[v]})"
            k += 1
        seen.add(fsn)


def _synonym_count(rnd: random.Random) -> int:
    return rnd.choices([k for k, _ in SYNONYM_COUNTS], weights=[w for _, w in SYNONYM_COUNTS])[0]


class _Planner:
    """Builds the description plan concept by concept."""

    def __init__(
        self,
        profile: Profile,
        concepts: Concepts,
        life: Lifecycle,
        maker: TermMaker,
        cases: np.ndarray,
        rnd: random.Random,
    ):
        self.profile, self.concepts, self.life, self.maker, self.rnd = profile, concepts, life, maker, rnd
        self.cases = cases
        self.plan = DescriptionPlan()
        self.later = [d for d in profile.int_dates if d <= INT_V1]

    def member(self, desc: int, refset: int, acceptability: int, created: int, module: int, off: int = 0) -> None:
        self.plan.members.append(desc, refset, acceptability, created, module, off, 0, 0)

    def both(self, i: int, acceptability: int, created: int, module: int, off: int = 0) -> None:
        for refset in (s.US_ENGLISH, s.GB_ENGLISH):
            self.member(i, refset, acceptability, created, module, off)

    def later_than(self, c: int) -> int:
        dates = [d for d in self.later if d > c]
        return dates[self.rnd.randrange(len(dates))] if dates else c

    def concept(self, v: int, text_definition: bool) -> None:
        c, rnd, m, descs = self.concepts, self.rnd, int(self.concepts.module[v]), self.plan.descs
        created = int(c.created[v])
        base, tag, case = c.term[v], c.tag[v], int(self.cases[v])
        fsn = descs.add(v, s.FSN, f"{base} ({tag})", case, created, m)
        self.both(fsn, s.PREFERRED, created, m)
        if c.kind[v] != 0 and rnd.random() < 0.04:
            us, gb = DIALECT_WORDS[rnd.randrange(len(DIALECT_WORDS))]
            c.term[v] = base = f"{base} {us}"
            descs.term[fsn] = f"{base} ({tag})"
            self.member(descs.add(v, s.SYNONYM, base, case, created, m), s.US_ENGLISH, s.PREFERRED, created, m)
            gb_term = base[: -len(us)] + gb
            self.member(descs.add(v, s.SYNONYM, gb_term, case, created, m), s.GB_ENGLISH, s.PREFERRED, created, m)
        else:
            self.both(descs.add(v, s.SYNONYM, base, case, created, m), s.PREFERRED, created, m)
        if c.kind[v] == 0:
            return
        for term, scase in self.maker.synonyms(base, _synonym_count(rnd) - 1):
            when = self.later_than(created) if rnd.random() < 0.1 and created < INT_V1 else created
            i = descs.add(v, s.SYNONYM, term, scase, when, m)
            r = rnd.random()
            if r < 0.01:
                self.member(i, s.US_ENGLISH, s.ACCEPTABLE, when, m)
            elif r < 0.02:
                self.member(i, s.GB_ENGLISH, s.ACCEPTABLE, when, m)
                off = self.later_than(when)
                if off > when:
                    self.member(i, s.US_ENGLISH, s.ACCEPTABLE, when, m, off)
            else:
                self.both(i, s.ACCEPTABLE, when, m)
        if text_definition:
            i = descs.add(v, s.DEFINITION, self.maker.definition(base, tag), s.ENTIRE_TERM_CASE_SENSITIVE, created, m)
            self.both(i, s.PREFERRED, created, m)

    def inactive_synonym(self, v: int, off: int) -> None:
        c = self.concepts
        created, m = int(c.created[v]), int(c.module[v])
        term, case = self.maker.variant(c.term[v])
        i = self.plan.descs.add(v, s.SYNONYM, term, case, created, m, off)
        self.both(i, s.ACCEPTABLE, created, m, off)
        reason = INACTIVE_DESCRIPTION_REASONS[self.rnd.randrange(len(INACTIVE_DESCRIPTION_REASONS))]
        self.plan.indicators.append((i, reason, off, 0))
        if self.rnd.random() < 0.1:
            self.plan.refers_to.append((i, v, off))


def plan_descriptions(
    profile: Profile,
    concepts: Concepts,
    graph: Graph,
    life: Lifecycle,
    attrs: Attributes,
    rng: np.random.Generator,
    progress: Callable[[str, int, int], None],
) -> DescriptionPlan:
    """Every English description of the International content, with language members and history."""
    rnd = random.Random(int(rng.integers(1 << 62)))
    maker, cases = name_concepts(profile, concepts, graph, attrs, rnd)
    planner = _Planner(profile, concepts, life, maker, cases, rnd)
    ratio = profile.params.text_definition_ratio
    total = life.inactive.stop
    for v in range(total):
        planner.concept(v, concepts.kind[v] == KIND_ACTIVE and rnd.random() < ratio)
        if v % PROGRESS_EVERY == 0:
            progress("descriptions", v, total)
    plan = planner.plan
    _inactive_concept_indicators(plan, concepts, life)
    stable = np.flatnonzero(life.stable & (concepts.kind[: graph.n_active] == KIND_ACTIVE)).tolist()
    for v in rnd.sample(stable, min(round(0.35 * graph.n_active), len(stable))):
        if concepts.created[v] < INT_V1:
            planner.inactive_synonym(v, planner.later_than(int(concepts.created[v])))
    _v2_changes(profile, planner, stable)
    _legacy_members(plan, rnd)
    return plan


def _legacy_members(plan: DescriptionPlan, rnd: random.Random) -> None:
    """Members re-issued with a new UUID at the 2014 format migration: the old one stays as an inactive row.

    This is the second source (after inactive descriptions) of the about 15 % inactive language rows
    (§6.3 ``dialects``).
    """
    m = plan.members
    for i in range(len(m)):
        if m.created[i] < LEGACY_CUTOFF and not m.off[i] and not m.flip[i] and rnd.random() < LEGACY_SHARE:
            m.append(m.desc[i], m.refset[i], m.acceptability[i], m.created[i], m.module[i], LEGACY_CUTOFF, 0, 1)
            m.created[i] = LEGACY_CUTOFF


def _inactive_concept_indicators(plan: DescriptionPlan, concepts: Concepts, life: Lifecycle) -> None:
    """ "Concept non-current" on every description of an inactive (or formerly inactive) concept."""
    owner = plan.descs.np("concept")
    for i in np.flatnonzero(concepts.kind[owner] == KIND_INACTIVE).tolist():
        plan.indicators.append((i, s.CONCEPT_NON_CURRENT, int(concepts.inactivated[owner[i]]), 0))
    for i in np.flatnonzero(owner == life.reactivated).tolist():
        plan.indicators.append((i, s.CONCEPT_NON_CURRENT, life.reactivated_off, INT_V2))


def _v2_changes(profile: Profile, planner: _Planner, stable: list[int]) -> None:
    """New, inactivated and case-changed synonyms, a module change and acceptability flips in V2."""
    rnd, plan, concepts, descs = planner.rnd, planner.plan, planner.concepts, planner.plan.descs
    n = profile.changes.description_changes
    old = [v for v in stable if concepts.created[v] < INT_V1]
    picks = rnd.sample(old, min(len(old), n))
    n_new, n_off = n * 4 // 10, n * 3 // 10
    for v in picks[:n_new]:
        term, case = planner.maker.variant(concepts.term[v])
        i = descs.add(v, s.SYNONYM, f"{term} (revised)", case, INT_V2, int(concepts.module[v]))
        planner.both(i, s.ACCEPTABLE, INT_V2, int(concepts.module[v]))
    for v in picks[n_new : n_new + n_off]:
        planner.inactive_synonym(v, INT_V2)
    acceptable = _acceptable_synonyms(plan)
    case_concepts = set(picks[n_new + n_off :])
    for i in acceptable:
        if descs.concept[i] in case_concepts:
            old_case = descs.case[i]
            new_case = s.ENTIRE_TERM_CASE_SENSITIVE if old_case != s.ENTIRE_TERM_CASE_SENSITIVE else s.CASE_INSENSITIVE
            descs.extra.setdefault(i, []).append((INT_V2, 1, descs.module[i], new_case))
    moved = next(i for i in acceptable if i not in descs.extra)
    descs.extra[moved] = [(INT_V2, 1, descs.module[moved], descs.case[moved])]
    descs.module[moved] = s.MODEL_MODULE
    plan.module_change = moved
    plan.module_change_concept = descs.concept[moved]
    _acceptability_flips(profile, plan, rnd)


def _acceptable_synonyms(plan: DescriptionPlan) -> list[int]:
    """Active synonyms created before V1 that are acceptable in both dialects."""
    m, d = plan.members, plan.descs
    sel = (m.np("acceptability") == s.ACCEPTABLE) & (m.np("off") == 0)
    desc_ids, counts = np.unique(m.np("desc")[sel], return_counts=True)
    ok = (counts == 2) & (d.np("off")[desc_ids] == 0) & (d.np("type")[desc_ids] == s.SYNONYM)
    ok &= d.np("created")[desc_ids] < INT_V1
    return desc_ids[ok].tolist()


def _acceptability_flips(profile: Profile, plan: DescriptionPlan, rnd: random.Random) -> None:
    """Swap the US preferred synonym with an acceptable one in V2 (same member ids, new rows)."""
    m, d = plan.members, plan.descs
    desc = m.np("desc")
    sel = (m.np("refset") == s.US_ENGLISH) & (m.np("off") == 0) & (m.np("created") < INT_V1)
    sel &= d.np("type")[desc] == s.SYNONYM
    us_pref: dict[int, int] = {}
    us_acc: dict[int, int] = {}
    for i in np.flatnonzero(sel).tolist():
        target = us_pref if m.acceptability[i] == s.PREFERRED else us_acc
        target.setdefault(d.concept[desc[i]], i)
    concepts = sorted(set(us_pref) & set(us_acc))
    for v in rnd.sample(concepts, min(len(concepts), max(2, profile.changes.refset_changes // 10))):
        m.flip[us_pref[v]] = m.flip[us_acc[v]] = INT_V2
        plan.flips.append(v)


def write_descriptions(
    plan: DescriptionPlan,
    concepts: Concepts,
    alloc: ItemAllocator,
    descriptions: ComponentBuilder,
    language: RefsetBuilder,
    attribute_value: RefsetBuilder,
    association: RefsetBuilder,
) -> None:
    """Turn the plan into rows of the description, language, indicator and association tables."""
    d = plan.descs
    plan.ids = sctids(alloc.take(len(d)), "1")
    keys = descriptions.new(plan.ids)
    terms = np.array(d.term, dtype=object)
    concept_id = concepts.sctid[d.np("concept")]
    type_id = d.np("type")
    descriptions.add(
        key=keys,
        et=d.np("created"),
        active=1,
        moduleId=d.np("module"),
        caseSignificanceId=d.np("case"),
        conceptId=concept_id,
        languageCode="en",
        typeId=type_id,
        term=terms,
    )
    later = [
        (i, date, active, module, case) for i, rows in sorted(d.extra.items()) for date, active, module, case in rows
    ]
    off = d.np("off")
    later += [(i, int(off[i]), 0, d.module[i], d.case[i]) for i in np.flatnonzero(off).tolist()]
    if later:
        idx = np.array([r[0] for r in later], np.int64)
        descriptions.add(
            key=keys[idx],
            et=[r[1] for r in later],
            active=[r[2] for r in later],
            moduleId=[r[3] for r in later],
            caseSignificanceId=[r[4] for r in later],
            conceptId=concept_id[idx],
            languageCode="en",
            typeId=type_id[idx],
            term=terms[idx],
        )
    _write_language(plan, language)
    _write_indicators(plan, attribute_value, association, concepts)


def _write_language(plan: DescriptionPlan, language: RefsetBuilder) -> None:
    m = plan.members
    ref = plan.ids[m.np("desc")]
    refset, legacy = m.np("refset"), m.np("legacy")
    keys = language.keys(
        f"{r}|{d}{'|legacy' if x else ''}" for r, d, x in zip(refset.tolist(), ref.tolist(), legacy.tolist())
    )
    cols = dict(refsetId=refset, referencedComponentId=ref, moduleId=m.np("module"))
    acc = m.np("acceptability")
    language.add(key=keys, et=m.np("created"), active=1, acceptabilityId=acc, **cols)
    for attr, active in (("off", 0), ("flip", 1)):
        when = m.np(attr)
        sel = when > 0
        new_acc = acc if attr == "off" else np.where(acc == s.PREFERRED, s.ACCEPTABLE, s.PREFERRED)
        language.add(
            key=keys[sel],
            et=when[sel],
            active=active,
            acceptabilityId=new_acc[sel],
            **{k: v[sel] for k, v in cols.items()},
        )


def _write_indicators(
    plan: DescriptionPlan, attribute_value: RefsetBuilder, association: RefsetBuilder, concepts: Concepts
) -> None:
    refset = s.DESCRIPTION_INACTIVATION_INDICATOR
    rows = plan.indicators
    desc = np.array([r[0] for r in rows], np.int64)
    ref = plan.ids[desc]
    module = plan.descs.np("module")[desc]
    attribute_value.add_indicators(refset, ref, np.array([r[1] for r in rows], np.int64), [r[2] for r in rows],
                                   np.array([r[3] for r in rows], np.int64), module)
    rt = plan.refers_to
    if rt:
        ref = plan.ids[np.array([r[0] for r in rt], np.int64)]
        target = concepts.sctid[np.array([r[1] for r in rt], np.int64)]
        keys = association.keys(f"{s.REFERS_TO}|{a}|{b}" for a, b in zip(ref.tolist(), target.tolist()))
        association.add(
            key=keys,
            et=[r[2] for r in rt],
            active=1,
            moduleId=s.CORE_MODULE,
            refsetId=s.REFERS_TO,
            referencedComponentId=ref,
            targetComponentId=target,
        )
