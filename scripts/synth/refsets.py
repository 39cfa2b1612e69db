"""International refsets other than language and OWL (synthetic-rf2.md §1.4, §1.6, §6.3, §6.6).

* Concept inactivation indicators (one per inactive concept) and historical associations (§6.6).
* ``simple_refsets``: (a) a simple refset on about 5 % of findings, 2 % of members inactive, 0.5 % of
  members pointing at inactive concepts (edge case 7); (b) a simple map refset with ``mapTarget``
  strings on 10 % of findings; (c) refset descriptor rows for every refset in the release.
* ``mrcm``: domain, attribute domain, attribute range and module scope rows consistent with the
  attribute types; ECL without terms.
* ``module_dependency``: core depends on the model module, one row per International release.
"""

from __future__ import annotations

import random

import numpy as np

from terminology import snomed as s

from . import metadata as md
from .attributes import Attributes, AttributeType
from .hierarchy import CODE_INDEX, Graph
from .lifecycle import Lifecycle
from .model import Concepts, RefsetBuilder
from .profile import HISTORY_START, INT_V1, INT_V2, MRCM_START, OWL_START, Profile

DESCRIPTORS: dict[str, tuple[tuple[int | str, int], ...]] = {
    "simple": ((md.REFERENCED_COMPONENT, md.CONCEPT_TYPE_COMPONENT),),
    "map": ((md.MAP_SOURCE_CONCEPT, md.CONCEPT_TYPE_COMPONENT), (md.SCHEME_VALUE, md.STRING_TYPE)),
    "language": (
        (md.DESCRIPTION_IN_DIALECT, md.DESCRIPTION_TYPE_COMPONENT),
        (md.ACCEPTABILITY, md.CONCEPT_TYPE_COMPONENT),
    ),
    "association": ((md.ASSOCIATION_SOURCE, md.COMPONENT_TYPE), (md.ASSOCIATION_TARGET, md.COMPONENT_TYPE)),
    "attribute_value": ((md.REFERENCED_COMPONENT, md.COMPONENT_TYPE), (md.ATTRIBUTE_VALUE, md.CONCEPT_TYPE_COMPONENT)),
    "owl": ((md.REFERENCED_COMPONENT, md.CONCEPT_TYPE_COMPONENT), ("owlExpression", md.OWL2_SYNTAX)),
    "descriptor": (
        (md.REFERENCED_COMPONENT, md.CONCEPT_TYPE_COMPONENT),
        (md.ATTRIBUTE_DESCRIPTION, md.CONCEPT_TYPE_COMPONENT),
        (md.ATTRIBUTE_TYPE, md.CONCEPT_TYPE_COMPONENT),
        (md.ATTRIBUTE_ORDER, md.UNSIGNED_INTEGER),
    ),
    "module_dependency": (
        (md.REFERENCED_COMPONENT, md.CONCEPT_TYPE_COMPONENT),
        (md.SOURCE_EFFECTIVE_TIME, md.TIME_TYPE),
        (md.TARGET_EFFECTIVE_TIME, md.TIME_TYPE),
    ),
    "mrcm_domain": (
        (md.REFERENCED_COMPONENT, md.CONCEPT_TYPE_COMPONENT),
        ("domainConstraint", md.PARSABLE_STRING),
        ("parentDomain", md.PARSABLE_STRING),
        ("proximalPrimitiveConstraint", md.PARSABLE_STRING),
        ("proximalPrimitiveRefinement", md.PARSABLE_STRING),
        ("domainTemplateForPrecoordination", md.PARSABLE_STRING),
        ("domainTemplateForPostcoordination", md.PARSABLE_STRING),
        ("guideURL", md.STRING_TYPE),
    ),
    "mrcm_attribute_domain": (
        (md.REFERENCED_COMPONENT, md.CONCEPT_TYPE_COMPONENT),
        ("domainId", md.CONCEPT_TYPE_COMPONENT),
        ("grouped", md.INTEGER_TYPE),
        ("attributeCardinality", md.STRING_TYPE),
        ("attributeInGroupCardinality", md.STRING_TYPE),
        ("ruleStrengthId", md.CONCEPT_TYPE_COMPONENT),
        ("contentTypeId", md.CONCEPT_TYPE_COMPONENT),
    ),
    "mrcm_attribute_range": (
        (md.REFERENCED_COMPONENT, md.CONCEPT_TYPE_COMPONENT),
        ("rangeConstraint", md.PARSABLE_STRING),
        ("attributeRule", md.PARSABLE_STRING),
        ("ruleStrengthId", md.CONCEPT_TYPE_COMPONENT),
        ("contentTypeId", md.CONCEPT_TYPE_COMPONENT),
    ),
    "mrcm_module_scope": (
        (md.REFERENCED_COMPONENT, md.CONCEPT_TYPE_COMPONENT),
        ("mrcmRuleRefsetId", md.CONCEPT_TYPE_COMPONENT),
    ),
}
"""Refset descriptor templates per refset pattern: (attributeDescription, attributeType) in column order."""


def write_concept_history(
    life: Lifecycle, concepts: Concepts, attribute_value: RefsetBuilder, association: RefsetBuilder
) -> None:
    """Concept inactivation indicators and historical associations (§6.6)."""
    refset = s.CONCEPT_INACTIVATION_INDICATOR
    rows = [(v, life.reason[v], int(concepts.inactivated[v]), 0) for v in life.inactive]
    rows.append((life.reactivated, life.reason[life.reactivated], life.reactivated_off, INT_V2))
    ref = concepts.sctid[np.array([r[0] for r in rows], np.int64)]
    attribute_value.add_indicators(refset, ref, np.array([r[1] for r in rows], np.int64), [r[2] for r in rows],
                                   np.array([r[3] for r in rows], np.int64), s.CORE_MODULE)
    assoc = life.associations
    src = concepts.sctid[np.array([a.source for a in assoc], np.int64)]
    tgt = concepts.sctid[np.array([a.target for a in assoc], np.int64)]
    refsets = np.array([a.refset for a in assoc], np.int64)
    keys = association.keys(f"{r}|{a}|{b}" for r, a, b in zip(refsets.tolist(), src.tolist(), tgt.tolist()))
    association.add(
        key=keys,
        et=[a.created for a in assoc],
        active=1,
        moduleId=s.CORE_MODULE,
        refsetId=refsets,
        referencedComponentId=src,
        targetComponentId=tgt,
    )
    off = np.array([a.inactivated for a in assoc], np.int64)
    sel = off > 0
    association.add(
        key=keys[sel],
        et=off[sel],
        active=0,
        moduleId=s.CORE_MODULE,
        refsetId=refsets[sel],
        referencedComponentId=src[sel],
        targetComponentId=tgt[sel],
    )


def _member_dates(rnd: random.Random, dates: list[int], created: int, lo: int) -> int:
    choices = [d for d in dates if d >= max(created, lo) and d <= INT_V1]
    return choices[rnd.randrange(len(choices))] if choices else INT_V1


def write_simple_refsets(
    profile: Profile,
    concepts: Concepts,
    graph: Graph,
    life: Lifecycle,
    simple: RefsetBuilder,
    simple_map: RefsetBuilder,
    rng: np.random.Generator,
) -> dict[str, list[int]]:
    """The International simple refset and simple map refset; returns edge-case concept indices."""
    rnd = random.Random(int(rng.integers(1 << 62)))
    finding = CODE_INDEX["finding"]
    active = [
        v
        for v in np.flatnonzero(life.stable & (concepts.code[: graph.n_active] == finding)).tolist()
        if concepts.kind[v] == 1 and concepts.created[v] < INT_V1
    ]
    inactive = [v for v in life.inactive if concepts.code[v] == finding and concepts.inactivated[v] < INT_V1]
    dates = profile.int_dates
    rows: list[tuple[int, int, int, int]] = []
    members = rnd.sample(active, min(len(active), max(20, round(0.05 * len(active) / 0.995))))
    n_change = profile.changes.refset_changes
    for k, v in enumerate(members):
        created = _member_dates(rnd, dates, int(concepts.created[v]), 20160131)
        if k < n_change // 4:
            rows.append((v, INT_V2, 1, 0))
        elif k < n_change // 2 and created < INT_V1:
            rows.append((v, created, 1, INT_V2))
        elif rnd.random() < 0.02 and created < INT_V1:
            rows.append((v, created, 1, _member_dates(rnd, dates, created + 1, created + 1)))
        else:
            rows.append((v, created, 1, 0))
    dangling = rnd.sample(inactive, min(len(inactive), max(2, round(0.005 * len(members)))))
    for v in dangling:
        created = _member_dates(rnd, dates, int(concepts.created[v]), int(concepts.created[v]))
        rows.append((v, min(created, int(concepts.inactivated[v])), 1, 0))
    _add_members(simple, concepts, graph.simple_refset, rows, {})
    map_members = rnd.sample(active, min(len(active), round(0.10 * len(active))))
    map_rows = []
    targets = {}
    for k, v in enumerate(map_members):
        created = _member_dates(rnd, dates, int(concepts.created[v]), 20100131)
        targets[v] = f"{chr(65 + rnd.randrange(26))}{rnd.randint(0, 99):02d}.{rnd.randint(0, 9)}"
        if k < n_change // 4:
            map_rows.append((v, INT_V2, 1, 0))
        elif rnd.random() < 0.02 and created < INT_V1:
            map_rows.append((v, created, 1, _member_dates(rnd, dates, created + 1, created + 1)))
        else:
            map_rows.append((v, created, 1, 0))
    _add_members(simple_map, concepts, graph.map_refset, map_rows, targets)
    return {
        "simple_refset_members_on_inactive_concepts": dangling,
        "simple_refset_members_inactivated_in_v2": [r[0] for r in rows if r[3] == INT_V2][:5],
    }


def _add_members(
    builder: RefsetBuilder,
    concepts: Concepts,
    refset_index: int,
    rows: list[tuple[int, int, int, int]],
    targets: dict[int, str],
) -> None:
    refset = int(concepts.sctid[refset_index])
    ref = concepts.sctid[np.array([r[0] for r in rows], np.int64)]
    extra = {"mapTarget": [targets[r[0]] for r in rows]} if targets else {}
    keys = builder.keys(f"{refset}|{x}" for x in ref.tolist())
    builder.add(
        key=keys,
        et=[r[1] for r in rows],
        active=1,
        moduleId=s.CORE_MODULE,
        refsetId=refset,
        referencedComponentId=ref,
        **extra,
    )
    off = np.array([r[3] for r in rows], np.int64)
    sel = off > 0
    if targets:
        extra = {"mapTarget": [t for t, keep in zip(extra["mapTarget"], sel.tolist()) if keep]}
    builder.add(
        key=keys[sel],
        et=off[sel],
        active=0,
        moduleId=s.CORE_MODULE,
        refsetId=refset,
        referencedComponentId=ref[sel],
        **extra,
    )


def write_descriptors(
    builder: RefsetBuilder, refsets: list[tuple[int, str, int]], field_concepts: dict[str, int], module: int
) -> None:
    """Refset descriptor rows: one per field of each (refset SCTID, pattern, effectiveTime)."""
    keys, ets, ref, desc, typ, order = [], [], [], [], [], []
    for refset, pattern, et in refsets:
        for i, (description, attribute_type) in enumerate(DESCRIPTORS[pattern]):
            d = field_concepts[description] if isinstance(description, str) else description
            keys.append(f"{s.REFSET_DESCRIPTOR_REFSET}|{refset}|{i}")
            ets.append(et)
            ref.append(refset)
            desc.append(d)
            typ.append(attribute_type)
            order.append(i)
    builder.add(
        key=builder.keys(keys),
        et=ets,
        active=1,
        moduleId=module,
        refsetId=s.REFSET_DESCRIPTOR_REFSET,
        referencedComponentId=ref,
        attributeDescription=desc,
        attributeType=typ,
        attributeOrder=order,
    )


def international_descriptor_refsets(concepts: Concepts, graph: Graph) -> list[tuple[int, str, int]]:
    """Every International refset concept (types and concrete refsets) with its pattern."""
    rows = [
        (s.SIMPLE_TYPE_REFSET, "simple", HISTORY_START),
        (int(concepts.sctid[graph.simple_refset]), "simple", 20160131),
        (s.SIMPLE_MAP_TYPE_REFSET, "map", HISTORY_START),
        (int(concepts.sctid[graph.map_refset]), "map", 20100131),
        (s.LANGUAGE_TYPE_REFSET, "language", HISTORY_START),
        (s.US_ENGLISH, "language", HISTORY_START),
        (s.GB_ENGLISH, "language", HISTORY_START),
        (s.ASSOCIATION_TYPE_REFSET, "association", HISTORY_START),
        *((r, "association", HISTORY_START) for r in s.HISTORICAL_ASSOCIATIONS),
        (s.ATTRIBUTE_VALUE_TYPE_REFSET, "attribute_value", HISTORY_START),
        (s.CONCEPT_INACTIVATION_INDICATOR, "attribute_value", HISTORY_START),
        (s.DESCRIPTION_INACTIVATION_INDICATOR, "attribute_value", HISTORY_START),
        (s.OWL_EXPRESSION_TYPE_REFSET, "owl", OWL_START),
        (s.OWL_AXIOM_REFSET, "owl", OWL_START),
        (s.OWL_ONTOLOGY_REFSET, "owl", OWL_START),
        (s.REFSET_DESCRIPTOR_REFSET, "descriptor", HISTORY_START),
        (s.MODULE_DEPENDENCY_REFSET, "module_dependency", HISTORY_START),
        (s.MRCM_DOMAIN_TYPE_REFSET, "mrcm_domain", MRCM_START),
        (s.MRCM_DOMAIN_INTERNATIONAL, "mrcm_domain", MRCM_START),
        (s.MRCM_ATTRIBUTE_DOMAIN_TYPE_REFSET, "mrcm_attribute_domain", MRCM_START),
        (s.MRCM_ATTRIBUTE_DOMAIN_INTERNATIONAL, "mrcm_attribute_domain", MRCM_START),
        (s.MRCM_ATTRIBUTE_RANGE_TYPE_REFSET, "mrcm_attribute_range", MRCM_START),
        (s.MRCM_ATTRIBUTE_RANGE_INTERNATIONAL, "mrcm_attribute_range", MRCM_START),
        (s.MRCM_MODULE_SCOPE, "mrcm_module_scope", MRCM_START),
    ]
    return rows


def _range_ecl(t: AttributeType, sctid: np.ndarray) -> str:
    if t.data_type == "str":
        return "str"
    if t.data_type:
        return f"{t.data_type}(>#0..)"
    return f"<< {sctid[t.range_root]}"


def write_mrcm(builders: dict[str, RefsetBuilder], concepts: Concepts, graph: Graph, attrs: Attributes) -> None:
    """MRCM domain, attribute domain, attribute range and module scope rows (§1.4, §6.3 ``mrcm``)."""
    sctid = concepts.sctid
    by_domain: dict[str, list[AttributeType]] = {}
    for t in attrs.types:
        by_domain.setdefault(t.domain, []).append(t)
    domain_rows = []
    for code, types in by_domain.items():
        top = int(sctid[graph.top[code]])
        inner = ", ".join(f"[[0..1]] {sctid[t.concept]} = [[+id({_range_ecl(t, sctid)})]]" for t in types)
        post = inner.replace("+id(", "+scg(")
        domain_rows.append(
            (
                top,
                f"<< {top}",
                f"<< {top}",
                f"[[+id(<< {top})]]: [[0..*]] {{ {inner} }}",
                f"[[+scg(<< {top})]]: [[0..*]] {{ {post} }}",
                f"http://snomed.org/dom{top}",
            )
        )
    b = builders["mrcm_domain"]
    b.add(
        key=b.keys(f"{s.MRCM_DOMAIN_INTERNATIONAL}|{r[0]}" for r in domain_rows),
        et=MRCM_START,
        active=1,
        moduleId=s.MODEL_MODULE,
        refsetId=s.MRCM_DOMAIN_INTERNATIONAL,
        referencedComponentId=[r[0] for r in domain_rows],
        domainConstraint=[r[1] for r in domain_rows],
        parentDomain="",
        proximalPrimitiveConstraint=[r[2] for r in domain_rows],
        proximalPrimitiveRefinement="",
        domainTemplateForPrecoordination=[r[3] for r in domain_rows],
        domainTemplateForPostcoordination=[r[4] for r in domain_rows],
        guideURL=[r[5] for r in domain_rows],
    )
    types = attrs.types
    attr_ids = [int(sctid[t.concept]) for t in types]
    domains = [int(sctid[graph.top[t.domain]]) for t in types]
    b = builders["mrcm_attribute_domain"]
    b.add(
        key=b.keys(f"{s.MRCM_ATTRIBUTE_DOMAIN_INTERNATIONAL}|{a}|{d}" for a, d in zip(attr_ids, domains)),
        et=MRCM_START,
        active=1,
        moduleId=s.MODEL_MODULE,
        refsetId=s.MRCM_ATTRIBUTE_DOMAIN_INTERNATIONAL,
        referencedComponentId=attr_ids,
        domainId=domains,
        grouped=[int(t.grouped) for t in types],
        attributeCardinality=["0..*" if t.grouped else "0..1" for t in types],
        attributeInGroupCardinality=["0..1" if t.grouped else "0..0" for t in types],
        ruleStrengthId=s.MRCM_MANDATORY,
        contentTypeId=s.MRCM_ALL_CONTENT,
    )
    rules = []
    for t, a, d in zip(types, attr_ids, domains):
        rng = _range_ecl(t, sctid)
        rules.append(f"<< {d}: [0..*] {{ [0..1] {a} = {rng} }}" if t.grouped else f"<< {d}: [0..1] {a} = {rng}")
    b = builders["mrcm_attribute_range"]
    b.add(
        key=b.keys(f"{s.MRCM_ATTRIBUTE_RANGE_INTERNATIONAL}|{a}|{d}" for a, d in zip(attr_ids, domains)),
        et=MRCM_START,
        active=1,
        moduleId=s.MODEL_MODULE,
        refsetId=s.MRCM_ATTRIBUTE_RANGE_INTERNATIONAL,
        referencedComponentId=attr_ids,
        rangeConstraint=[_range_ecl(t, sctid) for t in types],
        attributeRule=rules,
        ruleStrengthId=s.MRCM_MANDATORY,
        contentTypeId=s.MRCM_ALL_CONTENT,
    )
    scoped = (s.MRCM_DOMAIN_INTERNATIONAL, s.MRCM_ATTRIBUTE_DOMAIN_INTERNATIONAL, s.MRCM_ATTRIBUTE_RANGE_INTERNATIONAL)
    b = builders["mrcm_module_scope"]
    b.add(
        key=b.keys(f"{s.MRCM_MODULE_SCOPE}|{s.CORE_MODULE}|{r}" for r in scoped),
        et=MRCM_START,
        active=1,
        moduleId=s.MODEL_MODULE,
        refsetId=s.MRCM_MODULE_SCOPE,
        referencedComponentId=s.CORE_MODULE,
        mrcmRuleRefsetId=list(scoped),
    )


def write_module_dependency(
    builder: RefsetBuilder, module: int, targets: tuple[int, ...], releases: list[tuple[int, int]]
) -> None:
    """One row per release for each dependency of ``module``: (release date, target release date)."""
    for target in targets:
        key = builder.keys([f"{s.MODULE_DEPENDENCY_REFSET}|{module}|{target}"])[0]
        builder.add(
            key=np.full(len(releases), key),
            et=[r for r, _ in releases],
            active=1,
            moduleId=module,
            refsetId=s.MODULE_DEPENDENCY_REFSET,
            referencedComponentId=target,
            sourceEffectiveTime=[str(r) for r, _ in releases],
            targetEffectiveTime=[str(t) for _, t in releases],
        )
