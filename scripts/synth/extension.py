"""The Swedish-style extension (synthetic-rf2.md §6.4, §6.5 edge case 6).

The extension holds only module 45991000052106 rows, like a managed-service package:

* its metadata concepts: the module (45991000052106), the Swedish language refset (46011000052107),
  a Swedish simple refset and the "tricky" refset whose file name contains UTF-8 and "Delta";
* SE-only concepts (long-format ids, namespace 1000052) under stable International parents, with an
  English FSN (``-en`` file), a Swedish preferred term and inherited attributes; a few inactivated;
* Swedish descriptions (``languageCode`` sv) for 90 % of findings, procedures, body structures,
  situations and observables and 50 % of the rest, and the Swedish language refset rows, which also
  mark each translated concept's English FSN as Preferred;
* module dependency rows on the International core and model modules.

One SE-only concept is promoted to core in International V2: same ids, new rows in module
900000000000207008 at 20250701, so a multi-package merge must pick the newest row.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import numpy as np

from terminology import snomed as s

from .attributes import Attributes
from .components import RelState, add_relationship_rows, owl_expression
from .descriptions import DescriptionPlan
from .hierarchy import CODE_INDEX, CODES, Graph
from .ids import SE_NAMESPACE, ItemAllocator, sctids
from .lifecycle import Lifecycle
from .model import KIND_ACTIVE, KIND_INACTIVE, KIND_SE, ComponentBuilder, Concepts, RefsetBuilder
from .profile import HIERARCHIES, INT_V1, INT_V2, OWL_START, SE_V1, SE_V2, Profile
from .refsets import write_descriptors, write_module_dependency
from .terms import SwedishMaker, TermMaker, syllables_for

SE = s.SWEDISH_MODULE
SV = s.SWEDISH_LANGUAGE_REFSET
SE_ONLY_MIX = (
    ("finding", 0.4),
    ("procedure", 0.3),
    ("product", 0.1),
    ("body", 0.05),
    ("situation", 0.05),
    ("observable", 0.05),
    ("substance", 0.05),
)
HIGH_COVERAGE = ("finding", "procedure", "body", "situation", "observable")


@dataclass
class Extension:
    """Indices and ids the writer, the truth files and the tests need."""

    module_concept: int
    language_refset: int
    simple_refset: int
    tricky_refset: int
    se_concepts: list[int] = field(default_factory=list)
    promoted: int = -1
    inactivated: list[int] = field(default_factory=list)


def _next_se_date(dates: list[int], after: int) -> int:
    return next((d for d in dates if d >= after), SE_V2)


class _SwedishBuilder:
    """Adds SE rows to the shared builders."""

    def __init__(
        self,
        profile: Profile,
        concepts: Concepts,
        graph: Graph,
        life: Lifecycle,
        attrs: Attributes,
        builders: dict,
        alloc: ItemAllocator,
        int_alloc: ItemAllocator,
        rnd: random.Random,
    ) -> None:
        self.profile, self.concepts, self.graph, self.life, self.attrs = profile, concepts, graph, life, attrs
        self.b, self.alloc, self.int_alloc, self.rnd = builders, alloc, int_alloc, rnd
        self.promoted_fsn: tuple[int, int] = (-1, -1)
        self.promoted_relationships: list[tuple[int, RelState]] = []
        self.promoted_axiom: tuple[int, int, int, str] | None = None
        self.translated: list[int] = []
        self.sv = SwedishMaker(rnd)
        self.en = TermMaker(rnd, syllables_for(len(concepts) + profile.se_only + 100))
        self.dates = [d for d in profile.se_dates if d >= 20150531]

    def ids(self, n: int, partition: str) -> np.ndarray:
        return sctids(self.alloc.take(n), partition, SE_NAMESPACE)

    def add_concepts(self, rows: list[tuple[int, int, str, str, tuple[int, ...], int]]) -> range:
        """Append SE concepts: (sctid, code, term, tag, parents, created)."""
        c = self.concepts
        return c.extend(
            sctid=[r[0] for r in rows],
            code=[r[1] for r in rows],
            kind=KIND_SE,
            level=[1 + max((int(c.level[p]) for p in r[4]), default=0) for r in rows],
            module=SE,
            created=[r[5] for r in rows],
            term=[r[2] for r in rows],
            tag=[r[3] for r in rows],
            parents=[r[4] for r in rows],
        )

    def descriptions(self, rows: list[tuple[int, str, int, str, int, int, int]]) -> tuple[np.ndarray, np.ndarray]:
        """Add SE descriptions (concept, lang, type, term, case, created, module); returns their SCTIDs and keys."""
        ids = self.ids(len(rows), "1")
        b: ComponentBuilder = self.b["description"]
        keys = b.new(ids)
        b.add(
            key=keys,
            et=[r[5] for r in rows],
            active=1,
            moduleId=[r[6] for r in rows],
            conceptId=self.concepts.sctid[np.array([r[0] for r in rows], np.int64)],
            languageCode=[r[1] for r in rows],
            typeId=[r[2] for r in rows],
            term=[r[3] for r in rows],
            caseSignificanceId=[r[4] for r in rows],
        )
        return ids, keys

    def language(self, rows: list[tuple[int, int, int]], refset: int = SV, module: int = SE) -> None:
        """Language members: (description SCTID, acceptability, created)."""
        b: RefsetBuilder = self.b["language"]
        b.add(
            key=b.keys(f"{refset}|{d}" for d, _, _ in rows),
            et=[r[2] for r in rows],
            active=1,
            moduleId=module,
            refsetId=refset,
            referencedComponentId=[r[0] for r in rows],
            acceptabilityId=[r[1] for r in rows],
        )


def build_extension(
    profile: Profile,
    concepts: Concepts,
    graph: Graph,
    life: Lifecycle,
    attrs: Attributes,
    plan: DescriptionPlan,
    builders: dict,
    alloc: ItemAllocator,
    int_alloc: ItemAllocator,
    rng: np.random.Generator,
) -> Extension:
    """Add all SE content to the shared builders; returns the indices of its special concepts.

    ``alloc`` hands out SE item ids (long format); ``int_alloc`` International ones (the promoted
    concept's new core synonym).
    """
    rnd = random.Random(int(rng.integers(1 << 62)))
    sb = _SwedishBuilder(profile, concepts, graph, life, attrs, builders, alloc, int_alloc, rnd)
    ext = _metadata(sb)
    _se_only_concepts(sb, ext)
    _translations(sb, ext, plan)
    _se_refsets(sb, ext)
    _promote(sb, ext)
    releases = [(d, max(x for x in profile.int_dates if x <= d)) for d in profile.se_dates if d < SE_V1]
    releases += [(SE_V1, INT_V1), (SE_V2, INT_V2)]
    write_module_dependency(builders["module_dependency"], SE, (s.CORE_MODULE, s.MODEL_MODULE), releases)
    refsets = [
        (SV, "language", profile.se_dates[0]),
        (int(concepts.sctid[ext.simple_refset]), "simple", int(concepts.created[ext.simple_refset])),
        (int(concepts.sctid[ext.tricky_refset]), "simple", int(concepts.created[ext.tricky_refset])),
    ]
    write_descriptors(builders["descriptor"], refsets, {}, SE)
    return ext


def _metadata(sb: _SwedishBuilder) -> Extension:
    g = sb.graph
    first = sb.profile.se_dates[0]
    refset_ids = sb.ids(2, "0")
    meta = sb.add_concepts(
        [
            (
                SE,
                CODE_INDEX["metadata"],
                "Synthetic Swedish extension module",
                "core metadata concept",
                (g.index_of[s.MODULE],),
                first,
            ),
            (
                SV,
                CODE_INDEX["metadata"],
                "Synthetic Swedish language reference set",
                "foundation metadata concept",
                (g.index_of[s.LANGUAGE_TYPE_REFSET],),
                first,
            ),
            (
                int(refset_ids[0]),
                CODE_INDEX["metadata"],
                "Synthetic Swedish care selection reference set",
                "foundation metadata concept",
                (g.index_of[s.SIMPLE_TYPE_REFSET],),
                20180531,
            ),
            (
                int(refset_ids[1]),
                CODE_INDEX["metadata"],
                "Synthetic Swedish participation measures reference set",
                "foundation metadata concept",
                (g.index_of[s.SIMPLE_TYPE_REFSET],),
                20200531,
            ),
        ]
    )
    return Extension(meta.start, meta.start + 1, meta.start + 2, meta.start + 3)


def _se_only_concepts(sb: _SwedishBuilder, ext: Extension) -> None:
    """SE-only concepts with relationships and axioms; some inactivated with indicators and associations."""
    c, rnd, life, n = sb.concepts, sb.rnd, sb.life, sb.profile.se_only
    pools = {
        code: [
            v
            for v in np.flatnonzero(life.stable & (c.code[: sb.graph.n_active] == CODE_INDEX[code])).tolist()
            if c.kind[v] == 1 and c.created[v] < SE_V1 and v not in sb.attrs.v1_rows
        ]
        for code, _ in SE_ONLY_MIX
    }
    n_new = max(3, round(300 * sb.profile.factor))
    hierarchies = {h.code: h for h in HIERARCHIES}
    rows = []
    ids = sb.ids(n, "0")
    for k in range(n):
        code = rnd.choices([x for x, _ in SE_ONLY_MIX], weights=[w for _, w in SE_ONLY_MIX])[0]
        parent = pools[code][rnd.randrange(len(pools[code]))]
        created = (
            SE_V2 if k < n_new else _next_se_date(sb.dates[rnd.randrange(len(sb.dates) - 2) :], int(c.created[parent]))
        )
        created = min(created, SE_V1) if k >= n_new else created
        h = hierarchies[code]
        tag = rnd.choices([t for t, _ in h.tags], weights=[w for _, w in h.tags])[0]
        rows.append((int(ids[k]), CODE_INDEX[code], None, tag, (parent,), created))
    se = sb.add_concepts(rows)
    ext.se_concepts = list(se)
    for v in se:
        c.term[v] = sb.en.base(CODES[int(c.code[v])], v)[0]
        c.defined[v] = bool(sb.attrs.rows.get(c.parents[v][0])) and rnd.random() < 0.5
    olds = [v for v in se if c.created[v] < 20230531]
    ext.inactivated = sorted(rnd.sample(olds, min(len(olds), max(2, n // 30))))
    for v in ext.inactivated:
        c.inactivated[v] = _next_se_date(sb.dates, int(c.created[v]) + 1)
    promotable = [v for v in olds if v not in set(ext.inactivated) and c.created[v] < 20240531]
    ext.promoted = promotable[0]
    _se_concept_rows(sb, ext)
    _se_relationships(sb, ext)


def _se_concept_rows(sb: _SwedishBuilder, ext: Extension) -> None:
    c = sb.concepts
    idx = np.array([ext.module_concept, ext.language_refset, ext.simple_refset, ext.tricky_refset, *ext.se_concepts])
    status = np.where(c.defined[idx], s.DEFINED, s.PRIMITIVE)
    b = sb.b["concept"]
    b.add(key=idx, et=c.created[idx], active=1, moduleId=SE, definitionStatusId=status)
    off = np.array(ext.inactivated, np.int64)
    b.add(key=off, et=c.inactivated[off], active=0, moduleId=SE, definitionStatusId=s.PRIMITIVE)
    indicator: RefsetBuilder = sb.b["attribute_value"]
    ref = c.sctid[off]
    indicator.add(
        key=indicator.keys(f"{s.CONCEPT_INACTIVATION_INDICATOR}|{x}" for x in ref.tolist()),
        et=c.inactivated[off],
        active=1,
        moduleId=SE,
        refsetId=s.CONCEPT_INACTIVATION_INDICATOR,
        referencedComponentId=ref,
        valueId=s.OUTDATED,
    )
    assoc: RefsetBuilder = sb.b["association"]
    target = c.sctid[np.array([c.parents[v][0] for v in ext.inactivated], np.int64)]
    assoc.add(
        key=assoc.keys(f"{s.REPLACED_BY}|{a}|{t}" for a, t in zip(ref.tolist(), target.tolist())),
        et=c.inactivated[off],
        active=1,
        moduleId=SE,
        refsetId=s.REPLACED_BY,
        referencedComponentId=ref,
        targetComponentId=target,
    )


def _se_relationships(sb: _SwedishBuilder, ext: Extension) -> None:
    c, g = sb.concepts, sb.graph
    is_a = g.index_of[s.IS_A]
    states: list[RelState] = []
    meta = [ext.module_concept, ext.language_refset, ext.simple_refset, ext.tricky_refset]
    for v in meta + ext.se_concepts:
        created, off = int(c.created[v]), int(c.inactivated[v])
        states += [RelState(v, p, 0, is_a, created, off) for p in c.parents[v]]
        if v in meta:
            continue
        for grp, t, d in sb.attrs.rows.get(c.parents[v][0], []):
            start = max(created, _next_se_date(sb.profile.se_dates, int(c.created[d])))
            if not off or start < off:
                states.append(RelState(v, d, grp, t, start, off))
    ids = sb.ids(len(states), "2")
    module = np.full(len(states), SE, np.int64)
    keys = add_relationship_rows(sb.b["relationship"], states, c, ids, module)
    sb.promoted_relationships = [(k, x) for k, x in zip(keys.tolist(), states) if x.source == ext.promoted]
    owl: RefsetBuilder = sb.b["owl"]
    rows = []
    for v in meta + ext.se_concepts:
        parent = c.parents[v][0]
        expr = owl_expression(
            v, [parent], [] if v in meta else sb.attrs.rows.get(parent, []), [], bool(c.defined[v]), c.sctid
        )
        start, off = max(int(c.created[v]), OWL_START), int(c.inactivated[v])
        rows.append((v, start, 1, expr))
        if off:
            rows.append((v, off, 0, expr))
    owl.add(
        key=owl.keys(f"{s.OWL_AXIOM_REFSET}|{c.sctid[r[0]]}" for r in rows),
        et=[r[1] for r in rows],
        active=[r[2] for r in rows],
        moduleId=SE,
        refsetId=s.OWL_AXIOM_REFSET,
        referencedComponentId=[int(c.sctid[r[0]]) for r in rows],
        owlExpression=[r[3] for r in rows],
    )
    sb.promoted_axiom = next(r for r in rows if r[0] == ext.promoted)


def _translations(sb: _SwedishBuilder, ext: Extension, plan: DescriptionPlan) -> None:
    """Swedish descriptions of SE and International concepts, English FSNs of SE concepts, sv refset rows."""
    c, rnd, life = sb.concepts, sb.rnd, sb.life
    is_fsn = np.flatnonzero(plan.descs.np("type") == s.FSN)
    fsn_of = dict(zip(plan.descs.np("concept")[is_fsn].tolist(), plan.ids[is_fsn].tolist()))
    meta = [ext.module_concept, ext.language_refset, ext.simple_refset, ext.tricky_refset]
    rows: list[tuple[int, str, int, str, int, int, int]] = []
    lang: list[tuple[int, int, int]] = []
    for v in meta + ext.se_concepts:
        rows.append((v, "en", s.FSN, f"{c.term[v]} ({c.tag[v]})", s.CASE_INSENSITIVE, int(c.created[v]), SE))
    fsn_ids, fsn_keys = sb.descriptions(rows)
    promoted_at = len(meta) + ext.se_concepts.index(ext.promoted)
    sb.promoted_fsn = (int(fsn_keys[promoted_at]), int(fsn_ids[promoted_at]))
    _se_description_indicators(sb, rows, fsn_ids)
    sv_rows: list[tuple[int, str, int, str, int, int, int]] = []
    for (v, *_), fsn in zip(rows, fsn_ids.tolist()):
        lang.append((fsn, s.PREFERRED, int(c.created[v])))
        sv_rows += _swedish_terms(sb, v, int(c.created[v]))
    translated = []
    params = sb.profile.params
    for v in range(life.inactive.stop):
        off = int(c.inactivated[v])
        if not (c.kind[v] == KIND_ACTIVE or (c.kind[v] == KIND_INACTIVE and off == INT_V2)) or v == life.reactivated:
            continue
        code = CODES[int(c.code[v])]
        if rnd.random() >= (params.sv_coverage if code in HIGH_COVERAGE else params.sv_coverage_other):
            continue
        when = _next_se_date(sb.profile.se_dates, max(int(c.created[v]), 20130531))
        if rnd.random() < 0.3 and when < SE_V1:
            when = _next_se_date(sb.profile.se_dates, when + 1)
        if off and when >= off:
            continue
        fsn = fsn_of[v]
        lang.append((fsn, s.PREFERRED, when))
        sv_rows += _swedish_terms(sb, v, when)
        translated.append(v)
    sv_ids, _ = sb.descriptions(sv_rows)
    for (_, _, _, _, case, when, _), d in zip(sv_rows, sv_ids.tolist()):
        lang.append((d, s.PREFERRED if case == s.INITIAL_CHARACTER_CASE_INSENSITIVE else s.ACCEPTABLE, when))
    sb.language(lang)
    _se_description_indicators(sb, sv_rows, sv_ids)
    sb.translated = translated


def _swedish_terms(sb: _SwedishBuilder, v: int, when: int) -> list[tuple[int, str, int, str, int, int, int]]:
    """One preferred (initial character case insensitive) and 0-2 acceptable Swedish synonyms."""
    code = CODES[int(sb.concepts.code[v])]
    pt = sb.sv.preferred(code)
    out = [(v, "sv", s.SYNONYM, pt, s.INITIAL_CHARACTER_CASE_INSENSITIVE, when, SE)]
    k = sb.rnd.choices((0, 1, 2), weights=(0.6, 0.3, 0.1))[0]
    seen = {pt}
    for _ in range(k):
        term = sb.sv.acceptable(pt)
        if term not in seen:
            seen.add(term)
            out.append((v, "sv", s.SYNONYM, term, s.CASE_INSENSITIVE, when, SE))
    return out


def _se_description_indicators(sb: _SwedishBuilder, rows, ids: np.ndarray) -> None:
    """Concept non-current on Swedish descriptions of concepts inactivated after translation."""
    c = sb.concepts
    hits = [(d, int(c.inactivated[r[0]])) for r, d in zip(rows, ids.tolist()) if c.inactivated[r[0]]]
    if not hits:
        return
    b: RefsetBuilder = sb.b["attribute_value"]
    refset = s.DESCRIPTION_INACTIVATION_INDICATOR
    b.add(
        key=b.keys(f"{refset}|{d}" for d, _ in hits),
        et=[_next_se_date(sb.profile.se_dates, off) for _, off in hits],
        active=1,
        moduleId=SE,
        refsetId=refset,
        referencedComponentId=[d for d, _ in hits],
        valueId=s.CONCEPT_NON_CURRENT,
    )


def _se_refsets(sb: _SwedishBuilder, ext: Extension) -> None:
    """The Swedish simple refset and the tricky-named refset."""
    c, rnd = sb.concepts, sb.rnd
    pool = sorted(set(sb.translated) | set(ext.se_concepts) - set(ext.inactivated))
    for refset, size, start in (
        (ext.simple_refset, sb.profile.se_refset, 20180531),
        (ext.tricky_refset, sb.profile.tricky_refset, 20200531),
    ):
        members = rnd.sample(pool, min(len(pool), size))
        rows = []
        for k, v in enumerate(members):
            created = _next_se_date(sb.profile.se_dates, max(start, int(c.created[v])))
            off = 0
            if k % 50 == 1 and created < SE_V1:
                off = _next_se_date(sb.profile.se_dates, created + 1)
            rows.append((int(c.sctid[v]), created, off))
        name = "simple" if refset == ext.simple_refset else "tricky"
        b: RefsetBuilder = sb.b[name]
        rid = int(c.sctid[refset])
        keys = b.keys(f"{rid}|{r[0]}" for r in rows)
        b.add(
            key=keys,
            et=[r[1] for r in rows],
            active=1,
            moduleId=SE,
            refsetId=rid,
            referencedComponentId=[r[0] for r in rows],
        )
        sel = np.array([r[2] > 0 for r in rows])
        b.add(
            key=keys[sel],
            et=[r[2] for r in rows if r[2]],
            active=0,
            moduleId=SE,
            refsetId=rid,
            referencedComponentId=[r[0] for r in rows if r[2]],
        )


def _promote(sb: _SwedishBuilder, ext: Extension) -> None:
    """Edge case 6: the SE-only concept ``ext.promoted`` moves to core in International V2, same ids."""
    c, v = sb.concepts, ext.promoted
    status = s.DEFINED if c.defined[v] else s.PRIMITIVE
    sb.b["concept"].add(key=[v], et=INT_V2, active=1, moduleId=s.CORE_MODULE, definitionStatusId=status)
    desc: ComponentBuilder = sb.b["description"]
    fsn_key, fsn_id = sb.promoted_fsn
    desc.add(
        key=[fsn_key],
        et=INT_V2,
        active=1,
        moduleId=s.CORE_MODULE,
        conceptId=int(c.sctid[v]),
        languageCode="en",
        typeId=s.FSN,
        term=[f"{c.term[v]} ({c.tag[v]})"],
        caseSignificanceId=s.CASE_INSENSITIVE,
    )
    pt_id = sctids(sb.int_alloc.take(1), "1")
    desc.add(
        key=desc.new(pt_id),
        et=INT_V2,
        active=1,
        moduleId=s.CORE_MODULE,
        conceptId=int(c.sctid[v]),
        languageCode="en",
        typeId=s.SYNONYM,
        term=[c.term[v]],
        caseSignificanceId=s.CASE_INSENSITIVE,
    )
    for refset in (s.US_ENGLISH, s.GB_ENGLISH):
        sb.language([(fsn_id, s.PREFERRED, INT_V2), (int(pt_id[0]), s.PREFERRED, INT_V2)], refset, s.CORE_MODULE)
    rel: ComponentBuilder = sb.b["relationship"]
    for key, x in sb.promoted_relationships:
        rel.add(
            key=[key],
            et=INT_V2,
            active=1,
            moduleId=s.CORE_MODULE,
            sourceId=int(c.sctid[x.source]),
            destinationId=int(c.sctid[x.dest]),
            relationshipGroup=x.group,
            typeId=int(c.sctid[x.type]),
            characteristicTypeId=s.INFERRED,
            modifierId=s.EXISTENTIAL,
        )
    owl: RefsetBuilder = sb.b["owl"]
    expr = sb.promoted_axiom[3]
    owl.add(
        key=owl.keys([f"{s.OWL_AXIOM_REFSET}|{c.sctid[v]}"]),
        et=INT_V2,
        active=1,
        moduleId=s.CORE_MODULE,
        refsetId=s.OWL_AXIOM_REFSET,
        referencedComponentId=int(c.sctid[v]),
        owlExpression=[expr],
    )
