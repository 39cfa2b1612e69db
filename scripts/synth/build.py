"""Generation pipeline: from ``SynthParams`` to the in-memory world of versioned tables (synthetic-rf2.md §6).

Stages, each with its own random stream (``ids.stage_rng``) so that changing one stage does not
reshuffle the others: hierarchy -> lifecycle -> attributes -> definition status -> descriptions ->
concept, relationship, concrete value and axiom rows -> refsets -> Swedish extension -> tables.
The edge-case concepts of §6.5 are collected into ``World.edge_cases`` (written as
``truth/edge_cases.json``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from terminology import snomed as s

from .attributes import Attributes, assign_attributes
from .components import (
    CONCRETE_FIELDS,
    RELATIONSHIP_FIELDS,
    assign_definition_status,
    build_axioms,
    build_concept_rows,
    build_concrete,
    build_relationships,
)
from .descriptions import DESCRIPTION_FIELDS, DescriptionPlan, plan_descriptions, write_descriptions
from .extension import Extension, build_extension
from .hierarchy import CODE_INDEX, DATA_ATTRIBUTES, OBJECT_ATTRIBUTES, Graph, build_active_graph
from .ids import ItemAllocator, MemberIds, sctids, stage_rng
from .lifecycle import Lifecycle, plan_lifecycle
from .metadata import SYNTHETIC_DESCRIPTOR_ATTRIBUTES, fixed_metadata
from .model import ComponentBuilder, Concepts, RefsetBuilder, RowBuilder, Table
from .profile import INT_V2, TOP_LEVEL_TAGS, Profile, SynthParams, make_profile
from .refsets import (
    international_descriptor_refsets,
    write_concept_history,
    write_descriptors,
    write_module_dependency,
    write_mrcm,
    write_simple_refsets,
)
from .writer import REFSET_FIELDS

Progress = Callable[[str, int, int], None]
SE_ITEM_BASE = 1_000_000
AUTHORING_DATE = 20250801


@dataclass
class World:
    """Everything generated: concepts, decisions of each stage, and the finished tables."""

    profile: Profile
    concepts: Concepts
    graph: Graph
    life: Lifecycle
    attrs: Attributes
    plan: DescriptionPlan
    ext: Extension | None
    tables: dict[str, Table]
    authoring: dict[str, Table]
    edge_cases: dict = field(default_factory=dict)


def _builders(member_ids: MemberIds) -> dict:
    builders: dict = {
        "concept": RowBuilder("concept", ("definitionStatusId",)),
        "description": ComponentBuilder("description", DESCRIPTION_FIELDS),
        "relationship": ComponentBuilder("relationship", RELATIONSHIP_FIELDS),
        "concrete": ComponentBuilder("concrete", CONCRETE_FIELDS),
    }
    builders.update({name: RefsetBuilder(name, fields, member_ids) for name, fields in REFSET_FIELDS.items()})
    return builders


def _allocators(params: SynthParams) -> dict[str, ItemAllocator]:
    n = params.active_concepts
    return {
        "concept": ItemAllocator(params.item_base, int(1.6 * n) + 50_000, stage_rng(params.seed, "concept-ids")),
        "description": ItemAllocator(params.item_base, 6 * n + 50_000, stage_rng(params.seed, "description-ids")),
        "relationship": ItemAllocator(params.item_base, 7 * n + 50_000, stage_rng(params.seed, "relationship-ids")),
        "se": ItemAllocator(SE_ITEM_BASE, 4 * n + 50_000, stage_rng(params.seed, "se-ids")),
    }


def build_world(params: SynthParams, progress: Progress | None = None) -> World:
    """Run every generation stage and return the world with finished tables."""
    report = progress or (lambda stage, done, total: None)
    n_fixed = (
        len(fixed_metadata(TOP_LEVEL_TAGS))
        + OBJECT_ATTRIBUTES
        + DATA_ATTRIBUTES
        + len(SYNTHETIC_DESCRIPTOR_ATTRIBUTES)
        + 2
    )
    profile = make_profile(params, n_fixed)
    seed = params.seed
    alloc = _allocators(params)
    concepts = Concepts()
    graph = build_active_graph(profile, concepts, alloc["concept"], seed, report)
    life = plan_lifecycle(profile, concepts, graph, alloc["concept"], stage_rng(seed, "lifecycle"))
    report("lifecycle", 1, 1)
    attrs = assign_attributes(profile, concepts, graph, life, stage_rng(seed, "attributes"), report)
    assign_definition_status(profile, concepts, graph, life, attrs, stage_rng(seed, "definition-status"))
    graph.release()
    report("attributes", 1, 1)
    member_ids = MemberIds(seed)
    b = _builders(member_ids)
    plan = plan_descriptions(profile, concepts, graph, life, attrs, stage_rng(seed, "descriptions"), report)
    write_descriptions(
        plan, concepts, alloc["description"], b["description"], b["language"], b["attribute_value"], b["association"]
    )
    report("descriptions", 1, 1)
    build_concept_rows(b["concept"], concepts, graph, life)
    build_relationships(b["relationship"], concepts, graph, life, attrs, alloc["relationship"])
    build_concrete(b["concrete"], concepts, life, attrs, alloc["relationship"])
    build_axioms(b["owl"], concepts, graph, life, attrs, stage_rng(seed, "axioms"))
    report("relationships", 1, 1)
    write_concept_history(life, concepts, b["attribute_value"], b["association"])
    refset_cases = write_simple_refsets(
        profile, concepts, graph, life, b["simple"], b["simple_map"], stage_rng(seed, "refsets")
    )
    write_descriptors(
        b["descriptor"],
        international_descriptor_refsets(concepts, graph),
        _field_concepts(concepts, graph),
        s.MODEL_MODULE,
    )
    write_mrcm(b, concepts, graph, attrs)
    write_module_dependency(
        b["module_dependency"], s.CORE_MODULE, (s.MODEL_MODULE,), [(d, d) for d in profile.int_dates]
    )
    ext = None
    if params.extension:
        ext = build_extension(
            profile,
            concepts,
            graph,
            life,
            attrs,
            plan,
            b,
            alloc["se"],
            alloc["description"],
            stage_rng(seed, "extension"),
        )
    plan.release()
    report("extension", 1, 1)
    authoring = _authoring_delta(concepts, graph, life, alloc, member_ids)
    tables = {}
    for i, (name, builder) in enumerate(b.items()):
        if isinstance(builder, (RefsetBuilder, ComponentBuilder)):
            tables[name] = builder.build_table()
        else:
            tables[name] = builder.build(concepts.sctid)
        report("tables", i + 1, len(b))
    world = World(profile, concepts, graph, life, attrs, plan, ext, tables, authoring)
    world.edge_cases = collect_edge_cases(world, refset_cases)
    return world


def _field_concepts(concepts: Concepts, graph: Graph) -> dict[str, int]:
    return {name: int(concepts.sctid[i]) for name, i in graph.descriptor_attributes.items()}


def _authoring_delta(
    concepts: Concepts, graph: Graph, life: Lifecycle, alloc: dict[str, ItemAllocator], member_ids: MemberIds
) -> dict[str, Table]:
    """A tiny unpublished Delta with blank effectiveTime (edge case 10): one new concept under a finding."""
    finding = CODE_INDEX["finding"]
    parent = next(
        v for v in range(graph.n_active) if concepts.code[v] == finding and life.stable[v] and concepts.kind[v] == 1
    )
    cid = int(sctids(alloc["concept"].take(1), "0")[0])
    fsn_id, pt_id = (int(x) for x in sctids(alloc["description"].take(2), "1"))
    rel_id = int(sctids(alloc["relationship"].take(1), "2")[0])
    term = f"Unpublished {concepts.term[parent].lower()} variant"
    tables = {}
    concept = RowBuilder("concept", ("definitionStatusId",))
    concept.add(key=[0], et=0, active=1, moduleId=s.CORE_MODULE, definitionStatusId=s.PRIMITIVE)
    tables["concept"] = concept.build(np.array([cid], np.int64))
    desc = RowBuilder("description", DESCRIPTION_FIELDS)
    desc.add(
        key=[0, 1],
        et=0,
        active=1,
        moduleId=s.CORE_MODULE,
        conceptId=cid,
        languageCode="en",
        typeId=[s.FSN, s.SYNONYM],
        term=[f"{term} (disorder)", term],
        caseSignificanceId=s.CASE_INSENSITIVE,
    )
    tables["description"] = desc.build(np.array([fsn_id, pt_id], np.int64))
    rel = RowBuilder("relationship", RELATIONSHIP_FIELDS)
    rel.add(
        key=[0],
        et=0,
        active=1,
        moduleId=s.CORE_MODULE,
        sourceId=cid,
        destinationId=int(concepts.sctid[parent]),
        relationshipGroup=0,
        typeId=s.IS_A,
        characteristicTypeId=s.INFERRED,
        modifierId=s.EXISTENTIAL,
    )
    tables["relationship"] = rel.build(np.array([rel_id], np.int64))
    lang = RefsetBuilder("language", ("acceptabilityId",), member_ids)
    rows = [(r, d) for r in (s.US_ENGLISH, s.GB_ENGLISH) for d in (fsn_id, pt_id)]
    lang.add(
        key=lang.keys(f"{r}|{d}" for r, d in rows),
        et=0,
        active=1,
        moduleId=s.CORE_MODULE,
        refsetId=[r for r, _ in rows],
        referencedComponentId=[d for _, d in rows],
        acceptabilityId=s.PREFERRED,
    )
    tables["language"] = lang.build_table()
    owl = RefsetBuilder("owl", ("owlExpression",), member_ids)
    owl.add(
        key=owl.keys([f"{s.OWL_AXIOM_REFSET}|{cid}"]),
        et=0,
        active=1,
        moduleId=s.CORE_MODULE,
        refsetId=s.OWL_AXIOM_REFSET,
        referencedComponentId=cid,
        owlExpression=[f"SubClassOf(:{cid} :{concepts.sctid[parent]})"],
    )
    tables["owl"] = owl.build_table()
    return tables


def collect_edge_cases(world: World, refset_cases: dict[str, list[int]]) -> dict:
    """Concept and component ids carrying each §6.5 must-have edge case (for tests and docs)."""
    c, life, plan, sctid = world.concepts, world.life, world.plan, world.concepts.sctid

    def ids(indices) -> list[int]:
        return [int(sctid[x]) for x in indices]

    three_rows = [life.reactivated, *life.defstatus_old]
    flips = ids(plan.flips)
    cases = {
        "1_component_with_three_or_more_rows": {"concepts": ids(three_rows)},
        "2_concept_inactivated_and_reactivated": {
            "concept": int(sctid[life.reactivated]),
            "inactivated": life.reactivated_off,
            "reactivated": INT_V2,
        },
        "3_language_member_acceptability_change": {"concepts": flips, "refset": s.US_ENGLISH},
        "4_relationship_destination_change": [
            {"source": int(sctid[v]), "old_destination": int(sctid[old]), "new_destination": int(sctid[new])}
            for v, old, new in life.reparent_v2[:10]
        ],
        "5_description_module_change": {
            "description": int(plan.ids[plan.module_change]),
            "concept": int(sctid[plan.module_change_concept]),
            "from_module": s.MODEL_MODULE,
            "to_module": s.CORE_MODULE,
        },
        "6_promoted_concept": (
            {
                "concept": int(sctid[world.ext.promoted]),
                "from_module": s.SWEDISH_MODULE,
                "to_module": s.CORE_MODULE,
                "effectiveTime": INT_V2,
            }
            if world.ext
            else None
        ),
        "7_refset_member_on_inactive_concept": {
            "refset": int(sctid[world.graph.simple_refset]),
            "concepts": ids(refset_cases["simple_refset_members_on_inactive_concepts"]),
        },
        "8_association_chains": [
            {"a": int(sctid[a]), "b": int(sctid[b]), "c": int(sctid[cc]), "a_to_b": s.SAME_AS, "b_to_c": s.REPLACED_BY}
            for a, b, cc in life.chains
        ],
        "9_association_member_inactivated": {
            "concepts": ids([life.reactivated] + ([life.retargeted] if life.retargeted >= 0 else []))
        },
        "10_blank_effective_time_delta": {
            "folder": f"authoring_delta_INT_{AUTHORING_DATE}",
            "concept": int(world.authoring["concept"].ids[0]),
        },
        "11_header_only_files": ["sct2_StatedRelationship_*", "sct2_Identifier_*"],
        "new_concepts_v2": ids(life.new_v2[:20].tolist()),
        "inactivated_v2": ids([v for v in life.inactive if c.inactivated[v] == INT_V2][:20]),
        "definition_status_changed_v2": ids(life.defstatus_v2.tolist()),
        "hubs": ids(world.graph.hubs[:30]),
    }
    return cases
