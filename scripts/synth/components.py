"""Concept, relationship, concrete value and OWL axiom rows with their history (synthetic-rf2.md §1.3, §6.3, §6.5).

Relationship rows are derived by diffing states: a concept's V1 state (parents and attribute rows)
against its V2 state gives the rows created in V2 and the rows inactivated in V2; a relationship
whose destination changes is an inactivated row plus a new row with a new id (§1.7, edge case 4).
Inactive concepts keep their former relationships as inactive rows; the reactivated concept gets a
third row on each of its relationships (edge cases 1 and 2).

OWL axioms (§6.3 ``owl_axioms``) are written in OWL functional syntax, one per active concept:
``SubClassOf`` when primitive, ``EquivalentClasses`` when defined, role groups as
``ObjectSomeValuesFrom(:609096000 …)``, concrete values as ``DataHasValue``; plus about 1 % extra GCI
axioms. The axioms are syntactically valid but not classified.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np

from terminology import snomed as s

from .attributes import Attributes, Row
from .hierarchy import CODE_INDEX, Graph
from .ids import ItemAllocator, sctids
from .lifecycle import Lifecycle
from .model import ComponentBuilder, Concepts, RefsetBuilder
from .profile import CONCRETE_START, HIERARCHIES, INT_V1, INT_V2, OWL_START, Profile

RELATIONSHIP_FIELDS = ("sourceId", "destinationId", "relationshipGroup", "typeId", "characteristicTypeId", "modifierId")
CONCRETE_FIELDS = ("sourceId", "value", "relationshipGroup", "typeId", "characteristicTypeId", "modifierId")


@dataclass(slots=True)
class RelState:
    """One relationship identity (concept indices) with its life: created, inactivated and reactivated (0 = never)."""

    source: int
    dest: int
    group: int
    type: int
    created: int
    off: int = 0
    back: int = 0


def assign_definition_status(
    profile: Profile, concepts: Concepts, graph: Graph, life: Lifecycle, attrs: Attributes, rng: np.random.Generator
) -> None:
    """Final definition status: per-hierarchy ratio (§6.3 ``defined_ratio``), only where a definition exists."""
    scale = profile.params.defined_ratio / 0.30
    active = np.flatnonzero(concepts.kind[: graph.n_active] == 1)
    eligible = np.array([bool(attrs.rows.get(v)) or len(concepts.parents[v]) > 1 for v in active.tolist()])
    draw = rng.random(len(active))
    for h in HIERARCHIES:
        in_h = concepts.code[active] == CODE_INDEX[h.code]
        n_h, n_ok = int(in_h.sum()), int((in_h & eligible).sum())
        if n_ok == 0:
            continue
        p = min(0.95, h.defined * scale * n_h / n_ok)
        concepts.defined[active[in_h & eligible & (draw < p)]] = True
    new = life.new_v2[np.isin(life.new_v2, active[eligible])]
    concepts.defined[new] = rng.random(len(new)) < 0.7


def build_concept_rows(builder, concepts: Concepts, graph: Graph, life: Lifecycle) -> None:
    """Concept rows of the International content (§6.5: creation, changes, inactivation, reactivation)."""
    status = np.where(concepts.defined, s.DEFINED, s.PRIMITIVE)
    flipped = np.where(concepts.defined, s.PRIMITIVE, s.DEFINED)
    n = graph.n_active
    idx = np.arange(n)
    plain = np.ones(n, bool)
    plain[life.defstatus_v2] = False
    plain[life.reactivated] = False
    builder.add(
        key=idx[plain],
        et=concepts.created[:n][plain],
        active=1,
        moduleId=concepts.module[:n][plain],
        definitionStatusId=status[:n][plain],
    )
    for v in life.defstatus_v2.tolist():
        dates = [(int(concepts.created[v]), status[v])]
        if v in life.defstatus_old:
            dates.append((life.defstatus_old[v], flipped[v]))
        else:
            dates[0] = (dates[0][0], flipped[v])
        dates.append((INT_V2, status[v]))
        builder.add(
            key=[v] * len(dates),
            et=[d for d, _ in dates],
            active=1,
            moduleId=int(concepts.module[v]),
            definitionStatusId=[x for _, x in dates],
        )
    v = life.reactivated
    builder.add(
        key=[v] * 3,
        et=[int(concepts.created[v]), life.reactivated_off, INT_V2],
        active=[1, 0, 1],
        moduleId=int(concepts.module[v]),
        definitionStatusId=int(status[v]),
    )
    inact = np.arange(life.inactive.start, life.inactive.stop)
    for et, active in ((concepts.created[inact], 1), (concepts.inactivated[inact], 0)):
        builder.add(key=inact, et=et, active=active, moduleId=concepts.module[inact], definitionStatusId=s.PRIMITIVE)


def relationship_states(concepts: Concepts, graph: Graph, life: Lifecycle, attrs: Attributes) -> list[RelState]:
    """Every International relationship identity with its dates."""
    created = concepts.created
    is_a = graph.index_of[s.IS_A]
    states: list[RelState] = []
    reparent_v2 = {v: (old, new) for v, old, new in life.reparent_v2}
    reparent_old = {v: (old, d) for v, old, d in life.reparent_old}
    for v in range(graph.n_active):
        c = int(created[v])
        back = INT_V2 if v == life.reactivated else 0
        off = life.reactivated_off if back else 0
        for p in concepts.parents[v]:
            start = c
            if v in reparent_v2 and p == reparent_v2[v][1]:
                states.append(RelState(v, reparent_v2[v][0], 0, is_a, c, INT_V2))
                start = INT_V2
            elif v in reparent_old and p == concepts.parents[v][0]:
                old, d = reparent_old[v]
                states.append(RelState(v, old, 0, is_a, c, d))
                start = d
            states.append(RelState(v, p, 0, is_a, start, off, back))
        states += _attribute_states(v, c, attrs, created, off, back)
    for v in life.inactive:
        states += _inactive_states(v, concepts, attrs, is_a)
    return states


def _attribute_states(v: int, c: int, attrs: Attributes, created: np.ndarray, off: int, back: int) -> list[RelState]:
    final = attrs.rows.get(v, [])
    if v not in attrs.v1_rows:
        return [RelState(v, d, g, t, max(c, int(created[d])), off, back) for g, t, d in final]
    v1, v2 = set(attrs.v1_rows[v]), set(final)
    out = [RelState(v, d, g, t, max(c, int(created[d]))) for g, t, d in sorted(v1 & v2)]
    out += [RelState(v, d, g, t, INT_V2) for g, t, d in sorted(v2 - v1)]
    out += [RelState(v, d, g, t, max(c, int(created[d])), INT_V2) for g, t, d in sorted(v1 - v2)]
    return out


def _inactive_states(v: int, concepts: Concepts, attrs: Attributes, is_a: int) -> list[RelState]:
    c, off = int(concepts.created[v]), int(concepts.inactivated[v])
    out = [RelState(v, p, 0, is_a, c, off) for p in concepts.parents[v]]
    if v % 2 == 0:
        for g, t, d in attrs.rows.get(concepts.parents[v][0], []):
            start = max(c, int(concepts.created[d]))
            if start < off:
                out.append(RelState(v, d, g, t, start, off))
    return out


def add_relationship_rows(
    builder: ComponentBuilder, states: list[RelState], concepts: Concepts, ids: np.ndarray, module: np.ndarray
) -> np.ndarray:
    """Rows for relationship identities: created, inactivated and reactivated rows; returns their keys."""
    keys = builder.new(ids)
    src = np.array([x.source for x in states], np.int64)
    cols = dict(
        sourceId=concepts.sctid[src],
        destinationId=concepts.sctid[np.array([x.dest for x in states], np.int64)],
        relationshipGroup=np.array([x.group for x in states], np.int64),
        typeId=concepts.sctid[np.array([x.type for x in states], np.int64)],
        characteristicTypeId=s.INFERRED,
        modifierId=s.EXISTENTIAL,
        moduleId=module,
    )
    created = np.array([x.created for x in states], np.int64)
    off = np.array([x.off for x in states], np.int64)
    back = np.array([x.back for x in states], np.int64)
    builder.add(key=keys, et=created, active=1, **cols)
    for when, flag in ((off, 0), (back, 1)):
        m = when > 0
        builder.add(
            key=keys[m],
            et=when[m],
            active=flag,
            **{k: (v[m] if isinstance(v, np.ndarray) else v) for k, v in cols.items()},
        )
    return keys


def build_relationships(
    builder: ComponentBuilder,
    concepts: Concepts,
    graph: Graph,
    life: Lifecycle,
    attrs: Attributes,
    alloc: ItemAllocator,
) -> int:
    """All International inferred relationship rows; returns the number of relationship identities."""
    states = relationship_states(concepts, graph, life, attrs)
    ids = sctids(alloc.take(len(states)), "2")
    module = concepts.module[np.array([x.source for x in states], np.int64)]
    add_relationship_rows(builder, states, concepts, ids, module)
    return len(states)


def build_concrete(
    builder: ComponentBuilder, concepts: Concepts, life: Lifecycle, attrs: Attributes, alloc: ItemAllocator
) -> None:
    """Concrete value rows of products (§6.3 ``concrete_values``)."""
    rows = [(v, g, t, val) for v, cv in sorted(attrs.concrete.items()) for g, t, val in cv]
    if not rows:
        return
    keys = builder.new(sctids(alloc.take(len(rows)), "2"))
    src = np.array([r[0] for r in rows], np.int64)
    created = np.maximum(concepts.created[src], CONCRETE_START)
    builder.add(
        key=keys,
        et=created,
        active=1,
        moduleId=concepts.module[src],
        sourceId=concepts.sctid[src],
        value=[r[3] for r in rows],
        relationshipGroup=np.array([r[1] for r in rows], np.int64),
        typeId=concepts.sctid[np.array([r[2] for r in rows], np.int64)],
        characteristicTypeId=s.INFERRED,
        modifierId=s.EXISTENTIAL,
    )


def owl_expression(
    concept: int,
    parents: list[int],
    rows: list[Row],
    concrete: list[tuple[int, int, str]],
    defined: bool,
    sctid: np.ndarray,
) -> str:
    """An OWL functional-syntax class axiom for a concept (§6.3 ``owl_axioms``)."""
    terms = [f":{sctid[p]}" for p in parents]
    groups: dict[int, list[str]] = {}
    for g, t, d in rows:
        groups.setdefault(g, []).append(f"ObjectSomeValuesFrom(:{sctid[t]} :{sctid[d]})")
    for g, t, value in concrete:
        groups.setdefault(g, []).append(f"DataHasValue(:{sctid[t]} {_literal(value)})")
    terms += groups.pop(0, [])
    for g in sorted(groups):
        inner = groups[g][0] if len(groups[g]) == 1 else f"ObjectIntersectionOf({' '.join(groups[g])})"
        terms.append(f"ObjectSomeValuesFrom(:{s.ROLE_GROUP} {inner})")
    body = terms[0] if len(terms) == 1 else f"ObjectIntersectionOf({' '.join(terms)})"
    head = "EquivalentClasses" if defined and len(terms) > 1 else "SubClassOf"
    return f"{head}(:{sctid[concept]} {body})"


def _literal(value: str) -> str:
    if value.startswith('"'):
        return value
    number = value[1:]
    return f'"{number}"^^xsd:decimal' if "." in number else f'"{number}"^^xsd:integer'


def _property_axiom(v: int, concepts: Concepts, graph: Graph) -> str | None:
    """Object and data property axioms for concept model attributes (found by walking up the parents)."""
    kinds = {
        graph.index_of[s.CONCEPT_MODEL_OBJECT_ATTRIBUTE]: "SubObjectPropertyOf",
        graph.index_of[s.CONCEPT_MODEL_DATA_ATTRIBUTE]: "SubDataPropertyOf",
    }
    if v == graph.index_of[s.IS_A]:
        return f"SubObjectPropertyOf(:{concepts.sctid[v]} :{concepts.sctid[concepts.parents[v][0]]})"
    if concepts.code[v] != concepts.code[graph.index_of[s.IS_A]]:
        return None
    x = v
    while concepts.parents[x]:
        head = kinds.get(x)
        if head:
            return f"{head}(:{concepts.sctid[v]} :{concepts.sctid[concepts.parents[v][0]]})"
        x = concepts.parents[x][0]
    return None


def build_axioms(
    builder: RefsetBuilder,
    concepts: Concepts,
    graph: Graph,
    life: Lifecycle,
    attrs: Attributes,
    rng: np.random.Generator,
) -> None:
    """One OWL axiom member per concept with history, plus GCI axioms and the ontology header rows."""
    rnd = random.Random(int(rng.integers(1 << 62)))
    sctid = concepts.sctid
    flipped = set(life.defstatus_v2.tolist())
    changed = {v for v, _, _ in life.reparent_v2} | set(attrs.v1_rows) | flipped
    v1_parent = {v: old for v, old, _ in life.reparent_v2}
    keys, ets, actives, exprs, refcomp, modules = [], [], [], [], [], []

    def emit(key_name: str, v: int, rows: list[tuple[int, int, str]]) -> None:
        key = builder.keys([key_name])[0]
        for et, active, expr in rows:
            keys.append(key)
            ets.append(et)
            actives.append(active)
            exprs.append(expr)
            refcomp.append(int(sctid[v]))
            modules.append(int(concepts.module[v]))

    for v in range(graph.n_active):
        prop = _property_axiom(v, concepts, graph)
        parents = list(concepts.parents[v])
        if not parents:
            continue
        final = prop or owl_expression(
            v, parents, attrs.rows.get(v, []), attrs.concrete.get(v, []), bool(concepts.defined[v]), sctid
        )
        start = max(int(concepts.created[v]), OWL_START)
        name = f"{s.OWL_AXIOM_REFSET}|{sctid[v]}"
        if v == life.reactivated:
            emit(name, v, [(start, 1, final), (life.reactivated_off, 0, final), (INT_V2, 1, final)])
        elif v in changed and start < INT_V2:
            p1 = [v1_parent.get(v, p) if i == 0 else p for i, p in enumerate(parents)]
            d1 = bool(concepts.defined[v]) != (v in flipped)
            old = owl_expression(
                v, p1, attrs.v1_rows.get(v, attrs.rows.get(v, [])), attrs.concrete.get(v, []), d1, sctid
            )
            emit(name, v, [(start, 1, old), (INT_V2, 1, final)])
        else:
            emit(name, v, [(start, 1, final)])
        rows = attrs.rows.get(v)
        if rows and concepts.defined[v] and rnd.random() < 0.03 and start < INT_V1:
            g, t, d = rows[0]
            gci = (
                f"SubClassOf(ObjectIntersectionOf(:{sctid[parents[0]]} ObjectSomeValuesFrom(:{s.ROLE_GROUP} "
                f"ObjectSomeValuesFrom(:{sctid[t]} :{sctid[d]}))) :{sctid[v]})"
            )
            emit(f"{name}|gci", v, [(start, 1, gci)])
    for v in life.inactive:
        start, off = max(int(concepts.created[v]), OWL_START), int(concepts.inactivated[v])
        if start < off:
            expr = owl_expression(v, list(concepts.parents[v]), [], [], False, sctid)
            emit(f"{s.OWL_AXIOM_REFSET}|{sctid[v]}", v, [(start, 1, expr), (off, 0, expr)])
    builder.add(
        key=keys,
        et=ets,
        active=actives,
        moduleId=modules,
        refsetId=s.OWL_AXIOM_REFSET,
        referencedComponentId=refcomp,
        owlExpression=exprs,
    )
    _ontology_header(builder)


def _ontology_header(builder: RefsetBuilder) -> None:
    prefixes = [
        "Prefix(:=<http://snomed.info/id/>)",
        "Prefix(owl:=<http://www.w3.org/2002/07/owl#>)",
        "Prefix(rdf:=<http://www.w3.org/1999/02/22-rdf-syntax-ns#>)",
        "Prefix(rdfs:=<http://www.w3.org/2000/01/rdf-schema#>)",
        "Prefix(xml:=<http://www.w3.org/XML/1998/namespace>)",
        "Prefix(xsd:=<http://www.w3.org/2001/XMLSchema#>)",
    ]
    rows = [(s.OWL_ONTOLOGY_NAMESPACE, p) for p in prefixes]
    rows.append((s.OWL_ONTOLOGY_HEADER, f"Ontology(<http://snomed.info/sct/{s.CORE_MODULE}>)"))
    keys = builder.keys([f"{s.OWL_ONTOLOGY_REFSET}|{c}|{e}" for c, e in rows])
    builder.add(
        key=keys,
        et=OWL_START,
        active=1,
        moduleId=s.MODEL_MODULE,
        refsetId=s.OWL_ONTOLOGY_REFSET,
        referencedComponentId=[c for c, _ in rows],
        owlExpression=[e for _, e in rows],
    )
