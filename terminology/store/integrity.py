"""Referential integrity of a staged SNOMED CT version, checked in SQL before it is published.

A release cut short (a Concept file truncated at a line boundary parses as a valid, smaller file) or packages
that do not belong together would otherwise be published and, being an International edition, become the
default for unversioned requests. The rules (SNOMED CT Release File Specification, "Component" and
"Reference set" chapters; the module dependency reference set, §5.2.4.2):

* every description, inferred relationship, concrete value, language refset member and refset member refers
  to concepts (and descriptions) of the release: the version's storage holds the International release and
  the extensions it was loaded with, so "the release or its dependencies" is what is stored;
* every active concept has a fully specified name and a path to the root concept (the closure says so);
* every module a loaded module depends on (module dependency refset) is present, at the version named by
  ``targetEffectiveTime`` when that module says which version it is.

Each check is a set difference of two id-ordered scans (an index built by the load, or the table's own key
order; on PostgreSQL an anti-join), so the whole check takes seconds on an International-size release. A violation is reported with the kind of row and its id; the loader turns that
into the file and line (:func:`terminology.store.load_snomed`'s ``locate``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from .. import snomed

EXAMPLES = 5
"""How many violations of each rule are listed."""


@dataclass(frozen=True)
class Violation:
    """A row that breaks a rule: ``kind`` and ``columns`` find it in the RF2 files (column index -> value)."""

    kind: str
    """The RF2 file kind: concept, description, relationship, concrete_value, language or refset."""
    columns: dict[int, str]
    problem: str


_MISSING = "which is not a {what} of the release or of the packages loaded with it"

_REFERENCES = (
    ("description", "description", "concept_id", "id", "concept", "description {row} refers to concept {value}"),
    ("relationship", "relationship", "source_id", "id", "concept", "relationship {row} has source concept {value}"),
    ("relationship", "relationship", "destination_id", "id", "concept",
     "relationship {row} has destination concept {value}"),
    ("relationship", "relationship", "type_id", "id", "concept", "relationship {row} has type {value}"),
    ("concrete_value", "concrete_value", "source_id", "id", "concept",
     "concrete value {row} has source concept {value}"),
    ("concrete_value", "concrete_value", "type_id", "id", "concept", "concrete value {row} has type {value}"),
    ("refset", "refset_member", "refset_id", "id", "concept", "refset member {row} is in refset {value}"),
    ("refset", "refset_member", "target_id", "id", "concept",
     "refset member {row} has target (targetComponentId or valueId) {value}"),
    ("refset", "refset_member", "referenced_component_id", "id", "concept", "refset member {row} refers to concept "
                                                                            "{value}"),
    ("refset", "refset_member", "referenced_component_id", "id", "description",
     "refset member {row} refers to description {value}"),
    ("language", "language_member", "refset_id", "description_id", "concept",
     "the language refset member of description {row} is in refset {value}"),
    ("language", "language_member", "description_id", "description_id", "description",
     "a language refset member refers to description {value}"),
)
"""(RF2 kind, table, a column that must name a component, the column naming the row, the component's table,
the problem). A referenced component is a concept or a description by its SCTID's partition digit (the
second-last digit); members referring to relationships are not checked (only active relationships are kept)."""


def check(cur, dialect: str = "sqlite") -> list[Violation]:
    """Every violation found in the storage of ``cur`` (an open cursor), up to :data:`EXAMPLES` per rule."""
    missing_from = _anti_join if dialect == "postgresql" else _except
    found: list[Violation] = []
    for kind, table, column, row_column, target, problem in _REFERENCES:
        values = f"SELECT DISTINCT {column} FROM {table} WHERE {column} IS NOT NULL"
        if column == "referenced_component_id":
            values += f" AND ({column} / 10) % 10 = {0 if target == 'concept' else 1}"
        missing = missing_from(cur, values, f"SELECT id FROM {target}")
        if not missing:
            continue
        cur.execute(f"SELECT {column}, MIN({row_column}) FROM {table} WHERE {column} IN ({', '.join(missing)}) "
                    f"GROUP BY {column}")
        for value, row in cur.fetchall():
            columns = {5: str(row), 4: str(value)} if kind == "language" else {0: str(row)}
            if column == "description_id":
                columns = {5: str(value)}
            found.append(Violation(kind, columns, f"{problem.format(row=row, value=value)}, "
                                                  f"{_MISSING.format(what=target)}"))
    if not missing_from(cur, f"SELECT {snomed.ROOT}", "SELECT id FROM concept WHERE active = 1"):
        active = "SELECT id FROM concept WHERE active = 1"
        found += [Violation("concept", {0: v}, f"active concept {v} has no active fully specified name")
                  for v in missing_from(cur, active, "SELECT concept_id FROM concept_term WHERE refset_id = 0")]
        found += [Violation("concept", {0: v}, f"active concept {v} has no path of active is-a relationships to "
                                               f"the root {snomed.ROOT}")
                  for v in missing_from(cur, f"{active} AND id <> {snomed.ROOT}",
                                    f"SELECT descendant_id FROM closure WHERE ancestor_id = {snomed.ROOT}")]
    else:
        found.append(Violation("concept", {0: str(snomed.ROOT)}, f"the root concept {snomed.ROOT} is not an active "
                                                                 "concept of the release (is the International "
                                                                 "release missing?)"))
    found += _module_dependencies(cur)
    return found


def _except(cur, values: str, present: str) -> list[str]:
    """The first values of the query ``values`` that the query ``present`` does not give (one column of ids
    each). SQLite: a merge of two scans in id order (a compound SELECT with ORDER BY; both sides come from an
    index or the rowid order)."""
    cur.execute(f"{values} EXCEPT {present} ORDER BY 1 LIMIT {EXAMPLES}")
    return [str(r[0]) for r in cur.fetchall()]


def _anti_join(cur, values: str, present: str) -> list[str]:
    """The same on PostgreSQL, as an anti-join (hash or merge, which spill to disk within ``work_mem``): its
    ``EXCEPT`` is a HashSetOp holding every distinct value of both sides in memory, and during an
    International-size load it ran for more than four minutes on one rule (the anti-join: seconds)."""
    cur.execute(f"SELECT v.x FROM ({values}) AS v(x) WHERE NOT EXISTS (SELECT 1 FROM ({present}) AS p(y) "
                f"WHERE p.y = v.x) ORDER BY 1 LIMIT {EXAMPLES}")
    return [str(r[0]) for r in cur.fetchall()]



def _module_dependencies(cur) -> list[Violation]:
    """Module dependency refset (§5.2.4.2): each active member says module ``moduleId`` at
    ``sourceEffectiveTime`` needs module ``referencedComponentId`` at ``targetEffectiveTime``."""
    cur.execute(f"SELECT id, module_id, referenced_component_id, fields FROM refset_member "
                f"WHERE refset_id = {snomed.MODULE_DEPENDENCY_REFSET} AND active = 1")
    members = [(r[0], str(r[1]), str(r[2]), json.loads(r[3] or "{}")) for r in cur.fetchall()]
    if not members:
        return []
    versions: dict[str, set[str]] = {}
    for _, module, _, fields in members:
        if fields.get("sourceEffectiveTime"):
            versions.setdefault(module, set()).add(fields["sourceEffectiveTime"])
    targets = sorted({target for _, _, target, _ in members})
    cur.execute(f"SELECT id FROM concept WHERE id IN ({', '.join(targets)})")
    present = {str(r[0]) for r in cur.fetchall()}
    out = []
    for member_id, module, target, fields in members:
        wanted = fields.get("targetEffectiveTime")
        if target not in present:
            out.append(Violation("refset", {0: member_id}, f"module {module} depends on module {target}, which is not in "
                                                           "the release: load the package that has it too"))
        elif wanted and target in versions and wanted not in versions[target]:
            out.append(Violation("refset", {0: member_id}, f"module {module} depends on module {target} at {wanted}, "
                                                           f"but the release has it at {', '.join(sorted(versions[target]))}"))
        if len(out) >= EXAMPLES:
            break
    return out
