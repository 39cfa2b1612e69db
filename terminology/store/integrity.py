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

Each check reads distinct values through an index built by the load (the descendants of a few hundred
thousand concepts, not every row of the bigger tables), so the whole check takes a few seconds on an
International-size release. A violation is reported with the kind of row and its id; the loader turns that
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


_MISSING = "which is not a concept of the release or of the packages loaded with it"

# (kind, SQL giving (value, an example row id or columns...), problem template). {value} is the missing id.
_REFERENCES = (
    ("description", "SELECT d.concept_id, MIN(d.id) FROM description d WHERE d.concept_id IN ({missing}) "
                    "GROUP BY d.concept_id", "SELECT DISTINCT concept_id FROM description", 0,
     "description {row} refers to concept {value}, " + _MISSING),
    ("relationship", "SELECT r.source_id, MIN(r.id) FROM relationship r WHERE r.source_id IN ({missing}) "
                     "GROUP BY r.source_id", "SELECT DISTINCT source_id FROM relationship", 0,
     "relationship {row} has source concept {value}, " + _MISSING),
    ("relationship", "SELECT r.destination_id, MIN(r.id) FROM relationship r WHERE r.destination_id IN ({missing}) "
                     "GROUP BY r.destination_id", "SELECT DISTINCT destination_id FROM relationship", 0,
     "relationship {row} has destination concept {value}, " + _MISSING),
    ("relationship", "SELECT r.type_id, MIN(r.id) FROM relationship r WHERE r.type_id IN ({missing}) "
                     "GROUP BY r.type_id", "SELECT DISTINCT type_id FROM relationship", 0,
     "relationship {row} has type {value}, " + _MISSING),
    ("concrete_value", "SELECT v.source_id, MIN(v.id) FROM concrete_value v WHERE v.source_id IN ({missing}) "
                       "GROUP BY v.source_id", "SELECT DISTINCT source_id FROM concrete_value", 0,
     "concrete value {row} has source concept {value}, " + _MISSING),
    ("concrete_value", "SELECT v.type_id, MIN(v.id) FROM concrete_value v WHERE v.type_id IN ({missing}) "
                       "GROUP BY v.type_id", "SELECT DISTINCT type_id FROM concrete_value", 0,
     "concrete value {row} has type {value}, " + _MISSING),
    ("refset", "SELECT m.refset_id, MIN(m.id) FROM refset_member m WHERE m.refset_id IN ({missing}) "
               "GROUP BY m.refset_id", "SELECT DISTINCT refset_id FROM refset_member", 0,
     "refset member {row} is in refset {value}, " + _MISSING),
    ("refset", "SELECT m.target_id, MIN(m.id) FROM refset_member m WHERE m.target_id IN ({missing}) "
               "GROUP BY m.target_id", "SELECT DISTINCT target_id FROM refset_member WHERE target_id IS NOT NULL",
     0, "refset member {row} has target (targetComponentId or valueId) {value}, " + _MISSING),
    ("language", "SELECT l.refset_id, MIN(l.description_id) FROM language_member l WHERE l.refset_id IN ({missing}) "
                 "GROUP BY l.refset_id", "SELECT DISTINCT refset_id FROM language_member", 4,
     "the language refset member of description {row} is in refset {value}, " + _MISSING),
)


def check(cur, dialect: str) -> list[Violation]:
    """Every violation found in the storage of ``cur`` (an open cursor), up to :data:`EXAMPLES` per rule."""
    found: list[Violation] = []
    for kind, example_sql, values_sql, id_column, problem in _REFERENCES:
        missing = _not_concepts(cur, values_sql)
        if missing:
            cur.execute(example_sql.format(missing=", ".join(str(v) for v in missing[:EXAMPLES])))
            for value, row in cur.fetchall():
                columns = {5: str(row), 4: str(value)} if kind == "language" else {id_column: str(row)}
                found.append(Violation(kind, columns, problem.format(row=row, value=value)))
    found += _referenced_components(cur)
    found += _language_descriptions(cur)
    found += _fsn_and_root(cur)
    found += _module_dependencies(cur, dialect)
    return found


def _not_concepts(cur, values_sql: str) -> list[int]:
    """The values of ``values_sql`` (distinct ids, read through an index) that are not concepts."""
    cur.execute(f"SELECT x.v FROM ({_aliased(values_sql)}) AS x WHERE NOT EXISTS "
                f"(SELECT 1 FROM concept c WHERE c.id = x.v) ORDER BY x.v LIMIT {EXAMPLES}")
    return [r[0] for r in cur.fetchall()]


def _aliased(values_sql: str) -> str:
    """``SELECT DISTINCT col FROM ...`` with the column named ``v``."""
    head, _, rest = values_sql.partition(" FROM ")
    return f"{head} AS v FROM {rest}"


def _referenced_components(cur) -> list[Violation]:
    """Refset members referring to a concept or a description that is not in the release (the partition digit,
    the second-last digit of an SCTID, tells which; relationships are stored active only and are not checked)."""
    out = []
    cur.execute(f"""
        SELECT x.v FROM (SELECT DISTINCT referenced_component_id AS v FROM refset_member) AS x
        WHERE ((x.v / 10) % 10 = 0 AND NOT EXISTS (SELECT 1 FROM concept c WHERE c.id = x.v))
           OR ((x.v / 10) % 10 = 1 AND NOT EXISTS (SELECT 1 FROM description d WHERE d.id = x.v))
        ORDER BY x.v LIMIT {EXAMPLES}""")
    for (value,) in cur.fetchall():
        cur.execute(f"SELECT MIN(id) FROM refset_member WHERE referenced_component_id = {int(value)}")
        row = cur.fetchone()[0]
        what = "concept" if (int(value) // 10) % 10 == 0 else "description"
        out.append(Violation("refset", {0: str(row)}, f"refset member {row} refers to {what} {value}, which is "
                                                      f"not a {what} of the release or of the packages loaded with it"))
    return out


def _language_descriptions(cur) -> list[Violation]:
    cur.execute(f"""
        SELECT x.v FROM (SELECT DISTINCT description_id AS v FROM language_member) AS x
        WHERE NOT EXISTS (SELECT 1 FROM description d WHERE d.id = x.v) ORDER BY x.v LIMIT {EXAMPLES}""")
    return [Violation("language", {5: str(v)}, f"a language refset member refers to description {v}, which is not a "
                                               "description of the release or of the packages loaded with it")
            for (v,) in cur.fetchall()]


def _fsn_and_root(cur) -> list[Violation]:
    out = []
    cur.execute(f"SELECT 1 FROM concept WHERE id = {snomed.ROOT} AND active = 1")
    if cur.fetchone() is None:
        return [Violation("concept", {0: str(snomed.ROOT)}, f"the root concept {snomed.ROOT} is not an active concept "
                                                            "of the release (is the International release missing?)")]
    cur.execute(f"""
        SELECT c.id FROM concept c WHERE c.active = 1
          AND NOT EXISTS (SELECT 1 FROM concept_term t WHERE t.concept_id = c.id AND t.refset_id = 0)
        ORDER BY c.id LIMIT {EXAMPLES}""")
    out += [Violation("concept", {0: str(v)}, f"active concept {v} has no active fully specified name")
            for (v,) in cur.fetchall()]
    cur.execute(f"""
        SELECT c.id FROM concept c WHERE c.active = 1 AND c.id <> {snomed.ROOT}
          AND NOT EXISTS (SELECT 1 FROM closure h WHERE h.ancestor_id = {snomed.ROOT} AND h.descendant_id = c.id)
        ORDER BY c.id LIMIT {EXAMPLES}""")
    out += [Violation("concept", {0: str(v)}, f"active concept {v} has no path of active is-a relationships to the "
                                              f"root {snomed.ROOT}") for (v,) in cur.fetchall()]
    return out


def _module_dependencies(cur, dialect: str) -> list[Violation]:
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
