"""A small programmatic RF2 writer for reader and loader edge cases (bad files, history, merges).

Not a generator of realistic content (that is ``scripts/synth``), just enough rows to exercise one rule.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path

from terminology import snomed
from terminology.snomed import make_sctid

CONCEPT_HEADER = ["id", "effectiveTime", "active", "moduleId", "definitionStatusId"]
DESCRIPTION_HEADER = ["id", "effectiveTime", "active", "moduleId", "conceptId", "languageCode", "typeId", "term",
                      "caseSignificanceId"]
RELATIONSHIP_HEADER = ["id", "effectiveTime", "active", "moduleId", "sourceId", "destinationId",
                       "relationshipGroup", "typeId", "characteristicTypeId", "modifierId"]
LANGUAGE_HEADER = ["id", "effectiveTime", "active", "moduleId", "refsetId", "referencedComponentId",
                   "acceptabilityId"]
SIMPLE_HEADER = ["id", "effectiveTime", "active", "moduleId", "refsetId", "referencedComponentId"]
ASSOCIATION_HEADER = SIMPLE_HEADER + ["targetComponentId"]
CONCRETE_VALUE_HEADER = ["id", "effectiveTime", "active", "moduleId", "sourceId", "value", "relationshipGroup",
                         "typeId", "characteristicTypeId", "modifierId"]


def cid(item: int, namespace: int | None = None) -> int:
    return make_sctid(item, "0", namespace)


@dataclass
class Package:
    """One RF2 package folder; rows are lists of values in file column order."""

    root: Path
    date: str = "20250701"
    namespace: str = "INT"
    product: str = "InternationalRF2"
    release: str = "Snapshot"
    module: int = snomed.CORE_MODULE
    concepts: list = field(default_factory=list)
    descriptions: list = field(default_factory=list)
    relationships: list = field(default_factory=list)
    language: list = field(default_factory=list)
    simple: list = field(default_factory=list)
    association: list = field(default_factory=list)
    """Association refset rows (written only when there are some, like the concrete values)."""
    concrete: list = field(default_factory=list)
    _next: int = 100000

    @property
    def name(self) -> str:
        tag = f"{self.namespace}_" if self.namespace != "INT" else ""
        return f"SnomedCT_{self.product}_PRODUCTION_{tag}{self.date}T120000Z"

    def _id(self, partition: str) -> int:
        self._next += 1
        ns = None if self.namespace == "INT" else 1000052
        return make_sctid(self._next, partition, ns)

    def concept(self, concept_id: int, term: str, *, parents: tuple[int, ...] = (), active: int = 1,
                et: str | None = None, sv: str | None = None) -> int:
        et = et or self.date
        self.concepts.append([concept_id, et, active, self.module, snomed.PRIMITIVE])
        for type_id, text in ((snomed.FSN, f"{term} (thing)"), (snomed.SYNONYM, term)):
            did = self._id("1")
            self.descriptions.append([did, et, 1, self.module, concept_id, "en", type_id, text,
                                      snomed.CASE_INSENSITIVE])
            self.language.append([_uuid(did, "us"), et, 1, self.module, snomed.US_ENGLISH, did, snomed.PREFERRED])
        if sv:
            did = self._id("1")
            self.descriptions.append([did, et, 1, self.module, concept_id, "sv", snomed.SYNONYM, sv,
                                      snomed.CASE_INSENSITIVE])
            self.language.append([_uuid(did, "sv"), et, 1, self.module, snomed.SWEDISH_LANGUAGE_REFSET, did,
                                  snomed.PREFERRED])
        for parent in parents:
            self.is_a(concept_id, parent, et=et)
        return concept_id

    def is_a(self, child: int, parent: int, *, et: str | None = None, active: int = 1) -> None:
        self.relationships.append([self._id("2"), et or self.date, active, self.module, child, parent, 0,
                                   snomed.IS_A, snomed.INFERRED, snomed.EXISTENTIAL])

    def member(self, refset: int, component: int, *, active: int = 1) -> None:
        self.simple.append([_uuid(component, str(refset)), self.date, active, self.module, refset, component])

    def associate(self, refset: int, component: int, target: int) -> str:
        """An association refset member (e.g. SAME AS); returns its UUID."""
        member = _uuid(component, f"{refset}/{target}")
        self.association.append([member, self.date, 1, self.module, refset, component, target])
        return member

    def concrete_value(self, source: int, type_id: int, value: str) -> int:
        """An inferred concrete value relationship (``#5``, ``"text"``); returns its id."""
        rid = self._id("2")
        self.concrete.append([rid, self.date, 1, self.module, source, value, 0, type_id, snomed.INFERRED,
                              snomed.EXISTENTIAL])
        return rid

    def write(self) -> Path:
        base = self.root / self.name / self.release
        ns, d, r = self.namespace, self.date, self.release
        lang = "sv" if self.namespace != "INT" else "en"
        files = {
            f"Terminology/sct2_Concept_{r}_{ns}_{d}.txt": (CONCEPT_HEADER, self.concepts),
            f"Terminology/sct2_Description_{r}-{lang}_{ns}_{d}.txt": (DESCRIPTION_HEADER, self.descriptions),
            f"Terminology/sct2_Relationship_{r}_{ns}_{d}.txt": (RELATIONSHIP_HEADER, self.relationships),
            f"Refset/Language/der2_cRefset_Language{r}-{lang}_{ns}_{d}.txt": (LANGUAGE_HEADER, self.language),
            f"Refset/Content/der2_Refset_Simple{r}_{ns}_{d}.txt": (SIMPLE_HEADER, self.simple),
        }
        if self.association:
            files[f"Refset/Content/der2_cRefset_Association{r}_{ns}_{d}.txt"] = (ASSOCIATION_HEADER, self.association)
        if self.concrete:
            files[f"Terminology/sct2_RelationshipConcreteValues_{r}_{ns}_{d}.txt"] = (CONCRETE_VALUE_HEADER,
                                                                                      self.concrete)
        for rel, (header, rows) in files.items():
            write_rf2(base / rel, header, rows)
        return self.root / self.name


def write_rf2(path: Path, header: list[str], rows: list[list]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("\t".join(header) + "\r\n")
        for row in rows:
            f.write("\t".join(str(v) for v in row) + "\r\n")


def _uuid(component: int, salt: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{salt}/{component}"))


def tiny_international(root: Path, **kwargs) -> Package:
    """Root, is-a, and a small procedure tree with a diamond: B is-a A and B is-a E; C is-a B."""
    p = Package(root, **kwargs)
    p.concept(snomed.ROOT, "Root", sv="Rot")
    p.concept(snomed.IS_A, "Is a", parents=(snomed.ROOT,))
    # The language refsets the descriptions are in are concepts of the release too (integrity check).
    p.concept(snomed.US_ENGLISH, "US English", parents=(snomed.ROOT,))
    p.concept(snomed.SWEDISH_LANGUAGE_REFSET, "Swedish", parents=(snomed.ROOT,))
    p.concept(71388002, "Procedure", parents=(snomed.ROOT,), sv="Åtgärd")
    a = p.concept(cid(9000001), "Knee operation", parents=(71388002,), sv="Knäoperation")
    e = p.concept(cid(9000004), "Joint replacement", parents=(71388002,), sv="Ledplastik")
    b = p.concept(cid(9000002), "Knee replacement", parents=(a, e), sv="Knäprotes")
    p.concept(cid(9000003), "Revision knee replacement", parents=(b,), sv="Revision av knäprotes")
    return p
