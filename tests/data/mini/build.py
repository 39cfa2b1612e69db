#!/usr/bin/env python3
"""Build the hand-made mini SNOMED CT RF2 fixture from ``source/*.tsv``.

Writes two RF2 packages next to this file (International 20250701 and the Swedish extension 20251130), each
with Snapshot and Full, deterministically: the same source gives byte-identical files. Description and
relationship identifiers are numbered from the source order, refset member ids are UUID v5.

    python tests/data/mini/build.py           # rebuild the packages
    python tests/data/mini/build.py --check   # verify the committed files equal a fresh build

Standard library only, plus the project's ``terminology.snomed`` for the SCTID rules and constants. Every
rule the fixture promises (valid SCTIDs, one FSN per concept, one preferred synonym per language refset,
proximal acyclic is-a, ...) is checked before anything is written; a problem stops the build.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import re
import shutil
import sys
import tempfile
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
sys.path.insert(0, str(REPO))

from terminology import snomed as s  # noqa: E402
from terminology.snomed import make_sctid, namespace_of, sctid_problem  # noqa: E402

SOURCE = HERE / "source"
NAMESPACE = 1000052
MEMBER_NS = uuid.uuid5(uuid.NAMESPACE_URL, "urn:vardterm:tests/data/mini")

INT_DATE = "20250701"
SE_DATE = "20251130"
SE_RELEASES = ("20121130", "20240531", "20241130", "20250531", "20251130")
SV_DEFAULT_DATE = "20241130"

MODULES = {"core": s.CORE_MODULE, "model": s.MODEL_MODULE, "se": s.SWEDISH_MODULE}
CASES = {"ci": s.CASE_INSENSITIVE, "ic": s.INITIAL_CHARACTER_CASE_INSENSITIVE, "cs": s.ENTIRE_TERM_CASE_SENSITIVE}
TYPES = {"FSN": s.FSN, "SYN": s.SYNONYM, "DEF": s.DEFINITION}
ACCEPT = {"P": s.PREFERRED, "A": s.ACCEPTABLE}
DIALECTS = (("us", s.US_ENGLISH), ("gb", s.GB_ENGLISH), ("sv", s.SWEDISH_LANGUAGE_REFSET))

# Item ranges of the identifiers the fixture makes up (README "Identifiers").
INT_ITEM = 99900000  # short format: concepts 99900001006.., descriptions ..01x, relationships ..02x
SE_ITEM = 9990000  # long format in namespace 1000052

PACKAGES = {
    "INT": ("SnomedCT_InternationalRF2_PRODUCTION_20250701T120000Z", "INT", INT_DATE),
    "SE": ("SnomedCT_ManagedServiceSE_PRODUCTION_SE1000052_20251130T120000Z", "SE1000052", SE_DATE),
}
PACKAGE_INFO = {
    "INT": {
        "effectiveTime": INT_DATE,
        "previousPublishedPackage": "SnomedCT_InternationalRF2_PRODUCTION_20250601T120000Z.zip",
        "languageRefsets": [str(s.GB_ENGLISH), str(s.US_ENGLISH)],
        "editionModule": str(s.CORE_MODULE),
    },
    "SE": {
        "effectiveTime": SE_DATE,
        "previousPublishedPackage": "SnomedCT_ManagedServiceSE_PRODUCTION_SE1000052_20250531T120000Z.zip",
        "languageRefsets": [str(s.SWEDISH_LANGUAGE_REFSET)],
        "editionModule": str(s.SWEDISH_MODULE),
        "dependsOn": "SnomedCT_InternationalRF2_PRODUCTION_20250701T120000Z.zip",
    },
}
LICENCE = ("Hand-made test and demo data of the vardterm project (tests/data/mini). Real SNOMED CT concept "
           "identifiers with the project's own terms and hierarchy; no SNOMED CT release content.")

COMMON = ["id", "effectiveTime", "active", "moduleId"]
REFSET = COMMON + ["refsetId", "referencedComponentId"]
HEADERS = {
    "concept": COMMON + ["definitionStatusId"],
    "description": COMMON + ["conceptId", "languageCode", "typeId", "term", "caseSignificanceId"],
    "relationship": COMMON + ["sourceId", "destinationId", "relationshipGroup", "typeId", "characteristicTypeId",
                              "modifierId"],
    "concrete": COMMON + ["sourceId", "value", "relationshipGroup", "typeId", "characteristicTypeId", "modifierId"],
    "language": REFSET + ["acceptabilityId"],
    "association": REFSET + ["targetComponentId"],
    "attribute_value": REFSET + ["valueId"],
    "simple": REFSET,
    "simple_map": REFSET + ["mapTarget"],
    "descriptor": REFSET + ["attributeDescription", "attributeType", "attributeOrder"],
    "module_dependency": REFSET + ["sourceEffectiveTime", "targetEffectiveTime"],
    "mrcm_domain": REFSET + ["domainId", "grouped", "attributeCardinality", "attributeInGroupCardinality",
                             "ruleStrengthId", "contentTypeId"],
    "mrcm_range": REFSET + ["rangeConstraint", "attributeRule", "ruleStrengthId", "contentTypeId"],
}

# Refset descriptor templates: (attributeDescription, attributeType) per column, from the Release File
# Specification's reference set descriptor sample (README "Sources").
REFERENCED_COMPONENT = 449608002
CONCEPT_TYPE = 900000000000461009
DESCRIPTION_TYPE = 900000000000462002
COMPONENT_TYPE = 900000000000460005
STRING_TYPE = 900000000000465000
TIME_TYPE = 900000000000475002
UNSIGNED_INTEGER = 900000000000478000
DESCRIPTOR_TEMPLATES = {
    "simple": ((REFERENCED_COMPONENT, CONCEPT_TYPE),),
    "simple_map": ((900000000000500006, CONCEPT_TYPE), (900000000000499002, STRING_TYPE)),
    "language": ((900000000000510002, DESCRIPTION_TYPE), (900000000000511003, CONCEPT_TYPE)),
    "association": ((900000000000532006, COMPONENT_TYPE), (900000000000533001, COMPONENT_TYPE)),
    "attribute_value": ((REFERENCED_COMPONENT, COMPONENT_TYPE), (900000000000491004, CONCEPT_TYPE)),
    "module_dependency": ((900000000000535008, CONCEPT_TYPE), (900000000000536009, TIME_TYPE),
                          (900000000000537000, TIME_TYPE)),
    "descriptor": ((REFERENCED_COMPONENT, CONCEPT_TYPE), (900000000000458008, CONCEPT_TYPE),
                   (900000000000459000, CONCEPT_TYPE), (900000000000479008, UNSIGNED_INTEGER)),
    # The field concepts of the MRCM patterns are not in the fixture (not confirmed in public material): the
    # MRCM refsets have no descriptor rows.
    "mrcm_domain": (),
    "mrcm_range": (),
}
MRCM_PATTERN = {s.MRCM_ATTRIBUTE_DOMAIN_TYPE_REFSET: "mrcm_domain", s.MRCM_ATTRIBUTE_RANGE_TYPE_REFSET: "mrcm_range"}
MRCM_STRENGTH = {"M": s.MRCM_MANDATORY, "O": s.MRCM_OPTIONAL}
MRCM_CONTENT = {"all": s.MRCM_ALL_CONTENT, "post": s.MRCM_ALL_POSTCOORDINATED, "pre": s.MRCM_ALL_PRECOORDINATED}
TYPE_REFSET_PATTERN = {
    s.SIMPLE_TYPE_REFSET: "simple",
    s.SIMPLE_MAP_TYPE_REFSET: "simple_map",
    s.LANGUAGE_TYPE_REFSET: "language",
    s.ASSOCIATION_TYPE_REFSET: "association",
    s.ATTRIBUTE_VALUE_TYPE_REFSET: "attribute_value",
}

# Module dependencies of the Snapshot (older versions come from history.tsv).
MODULE_DEPENDENCIES = {
    "INT": [(s.CORE_MODULE, s.MODEL_MODULE, INT_DATE, INT_DATE, INT_DATE)],
    "SE": [(s.SWEDISH_MODULE, s.CORE_MODULE, SE_DATE, SE_DATE, INT_DATE),
           (s.SWEDISH_MODULE, s.MODEL_MODULE, SE_DATE, SE_DATE, INT_DATE)],
}


class BuildError(Exception):
    """The source breaks a rule of the fixture."""


# --- reading the source ---------------------------------------------------------------------------


def read_tsv(name: str) -> list[dict[str, str]]:
    """Rows of a source TSV as dicts; '#' lines and blank lines are comments, the first other line is the header."""
    rows: list[dict[str, str]] = []
    header: list[str] | None = None
    for number, line in enumerate((SOURCE / name).read_text("utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        cells = line.split("\t")
        if header is None:
            header = cells
            continue
        if len(cells) > len(header):
            raise BuildError(f"{name}:{number}: {len(cells)} cells, header has {len(header)}")
        row = dict(zip(header, cells + [""] * (len(header) - len(cells))))
        row["_where"] = f"{name}:{number}"
        rows.append(row)
    return rows


@dataclass
class Concept:
    id: int
    module: int
    created: str
    effective: str
    active: bool
    defined: bool
    parents: list[tuple[int, str]]
    fsn: str
    role: str
    where: str

    @property
    def package(self) -> str:
        return "SE" if self.module == s.SWEDISH_MODULE else "INT"


@dataclass
class Description:
    concept: Concept
    lang: str
    type: int
    term: str
    case: int
    accept: dict[int, str]
    effective: str
    active: bool
    created: str
    inactivation: str
    where: str
    package: str = ""
    id: int = 0
    history: list[tuple[str, str]] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.concept.id}|{self.lang}|{self.term}"


def tag_of(fsn: str) -> str | None:
    if not fsn.endswith(")") or " (" not in fsn:
        return None
    return fsn[fsn.rindex(" (") + 2:-1]


def without_tag(fsn: str) -> str:
    return fsn[:fsn.rindex(" (")]


def default_case(term: str) -> str:
    """Terms that start with an acronym (two capitals) are case sensitive; the rest case insensitive."""
    first = term.split(" ")[0]
    return "cs" if sum(ch.isupper() for ch in first[:2]) == 2 else "ci"


def need(cond: bool, message: str) -> None:
    if not cond:
        raise BuildError(message)


def sctid(value: str, where: str, partition: str = "0") -> int:
    problem = sctid_problem(value, partition)
    need(problem is None, f"{where}: {value!r} is not a valid SCTID ({problem})")
    return int(value)


def date(value: str, where: str) -> str:
    need(len(value) == 8 and value.isdigit() and value.startswith(("19", "20")), f"{where}: bad date {value!r}")
    return value


# --- the model --------------------------------------------------------------------------------------


class Fixture:
    def __init__(self) -> None:
        self.concepts: dict[int, Concept] = {}
        self.descriptions: list[Description] = []
        # Full rows per package and file kind: lists of (component id, row); Snapshot derived from them.
        self.rows: dict[tuple[str, str], list[tuple[str, list]]] = defaultdict(list)
        self.refset_members: dict[str, set[int]] = defaultdict(set)

    # -- concepts
    def load_concepts(self) -> None:
        for r in read_tsv("concepts.tsv"):
            w = r["_where"]
            cid = sctid(r["id"], w)
            need(cid not in self.concepts, f"{w}: concept {cid} listed twice")
            need(r["module"] in MODULES, f"{w}: unknown module {r['module']!r}")
            module = MODULES[r["module"]]
            ns = namespace_of(cid)
            if module == s.SWEDISH_MODULE and cid not in (s.SWEDISH_MODULE, s.SWEDISH_LANGUAGE_REFSET):
                need(ns == NAMESPACE, f"{w}: Swedish concept {cid} is not in namespace {NAMESPACE}")
            if module != s.SWEDISH_MODULE:
                need(ns is None, f"{w}: International concept {cid} must have a short-format id")
            need(r["active"] in ("0", "1") and r["def"] in ("P", "D"), f"{w}: active must be 0/1, def P/D")
            parents = []
            for p in r["parents"].split():
                pid, _, when = p.partition("@")
                parents.append((sctid(pid, w), date(when, w) if when else ""))
            need(tag_of(r["fsn"]) is not None, f"{w}: FSN {r['fsn']!r} has no semantic tag")
            created, effective = date(r["created"], w), date(r["effectiveTime"], w)
            need(created <= effective, f"{w}: created after effectiveTime")
            self.concepts[cid] = Concept(cid, module, created, effective, r["active"] == "1", r["def"] == "D",
                                         parents, r["fsn"], r["role"], w)

    def concept(self, value: int | str, where: str) -> Concept:
        cid = int(value)
        need(cid in self.concepts, f"{where}: {cid} is not a concept of the fixture")
        return self.concepts[cid]

    # -- descriptions
    def load_descriptions(self) -> None:
        explicit: dict[int, list[dict[str, str]]] = defaultdict(list)
        for r in read_tsv("descriptions.tsv"):
            self.concept(sctid(r["conceptId"], r["_where"]), r["_where"])
            explicit[int(r["conceptId"])].append(r)
        for c in self.concepts.values():
            rows = explicit.get(c.id, [])
            us_pt = any(r["lang"] == "en" and r["type"] == "SYN" and r["us"] == "P" and r["active"] != "0"
                        for r in rows)
            self._add(c, "en", "FSN", c.fsn, default_case(c.fsn), {"us": "P", "gb": "P"}, "", "", "", c.where)
            if not us_pt:
                pt = without_tag(c.fsn)
                self._add(c, "en", "SYN", pt, default_case(pt), {"us": "P", "gb": "P"}, "", "", "", c.where)
            for r in rows:
                w = r["_where"]
                need(r["lang"] in ("en", "sv") and r["type"] in ("SYN", "DEF") and r["case"] in CASES,
                     f"{w}: bad lang/type/case")
                accept = {d: r[d] for d, _ in DIALECTS if r[d] != "-"}
                need(all(v in ACCEPT for v in accept.values()), f"{w}: acceptability must be P, A or -")
                need(r["lang"] == "sv" or "sv" not in accept, f"{w}: an English term in the Swedish refset")
                need(r["lang"] == "en" or set(accept) <= {"sv"}, f"{w}: a Swedish term in an English refset")
                self._add(c, r["lang"], r["type"], r["term"], r["case"], accept, r["effectiveTime"], r["active"],
                          r["inactivation"], w)
        keys = [d.key for d in self.descriptions if d.type != s.FSN]
        dupes = {k for k in keys if keys.count(k) > 1}
        need(not dupes, f"descriptions listed twice: {sorted(dupes)}")

    def _add(self, c: Concept, lang: str, type_: str, term: str, case: str, accept: dict[str, str],
             effective: str, active: str, inactivation: str, where: str) -> None:
        need(not any(ch in term for ch in "\t\r\n|"), f"{where}: term {term!r} holds TAB, CR, LF or '|'")
        need(term == term.strip() and "  " not in term, f"{where}: term {term!r} has stray spaces")
        package = "SE" if lang == "sv" or c.package == "SE" else "INT"
        default = c.created if (lang == "en" or c.package == "SE") else SV_DEFAULT_DATE
        effective = date(effective, where) if effective else default
        need(active in ("", "0", "1"), f"{where}: active must be blank, 0 or 1")
        is_active = active != "0"
        need(is_active or inactivation, f"{where}: an inactive description needs an inactivation reason")
        created = default if not is_active else effective
        refsets = {dict(DIALECTS)[d]: v for d, v in accept.items()}
        self.descriptions.append(Description(c, lang, TYPES[type_], term, CASES[case], refsets, effective,
                                             is_active, created, inactivation, where, package))

    # -- history
    def load_history(self) -> dict[str, list[dict[str, str]]]:
        by_kind: dict[str, list[dict[str, str]]] = defaultdict(list)
        for r in read_tsv("history.tsv"):
            date(r["effectiveTime"], r["_where"])
            by_kind[r["kind"]].append(r)
        unknown = set(by_kind) - {"concept", "description", "language", "relationship", "moddep"}
        need(not unknown, f"history.tsv: unknown kinds {sorted(unknown)}")
        by_key = {d.key: d for d in self.descriptions}
        for r in by_kind["description"]:
            need(r["key"] in by_key, f"{r['_where']}: no description {r['key']!r}")
            d = by_key[r["key"]]
            need(r["effectiveTime"] < d.effective, f"{r['_where']}: history row is not older than the Snapshot row")
            d.history.append((r["effectiveTime"], r["a"]))
            d.created = min(d.created, r["effectiveTime"])
        return by_kind

    # -- identifiers
    def assign_description_ids(self) -> None:
        counters = {"INT": 0, "SE": 0}
        for d in self.descriptions:
            counters[d.package] += 1
            n = counters[d.package]
            d.id = make_sctid(INT_ITEM + n, "1") if d.package == "INT" else make_sctid(SE_ITEM + n, "1", NAMESPACE)

    # -- emitting rows
    def add(self, package: str, kind: str, key: str, row: list) -> None:
        self.rows[(package, kind)].append((key, [str(v) for v in row]))

    def member(self, package: str, kind: str, name: str, et: str, active: bool, module: int, refset: int,
               component: int, *extra) -> None:
        self.refset_members[package].add(refset)
        mid = str(uuid.uuid5(MEMBER_NS, f"{kind}/{refset}/{component}/{name}"))
        self.add(package, kind, mid, [mid, et, int(active), module, refset, component, *extra])

    def build(self) -> None:
        self.load_concepts()
        self.load_descriptions()
        history = self.load_history()
        self.assign_description_ids()
        self.emit_concepts(history["concept"])
        self.emit_descriptions(history["language"])
        self.emit_relationships(history["relationship"])
        self.emit_inactivations()
        self.emit_refsets()
        self.emit_mrcm()
        self.emit_module_dependencies(history["moddep"])
        self.emit_descriptors()

    def emit_concepts(self, history: list[dict[str, str]]) -> None:
        older: dict[int, list[dict[str, str]]] = defaultdict(list)
        for r in history:
            older[self.concept(r["key"], r["_where"]).id].append(r)
        for c in self.concepts.values():
            rows = sorted(older.get(c.id, []), key=lambda r: r["effectiveTime"])
            if not rows and c.created < c.effective:
                need(not c.active, f"{c.where}: created before effectiveTime but no history row says what changed")
                rows = [{"effectiveTime": c.created, "active": "1", "a": "D" if c.defined else "P"}]
            need(all(r["effectiveTime"] < c.effective for r in rows), f"{c.where}: history row not older")
            for r in rows:
                status = s.DEFINED if r["a"] == "D" else s.PRIMITIVE
                self.add(c.package, "concept", str(c.id), [c.id, r["effectiveTime"], r["active"], c.module, status])
            self.add(c.package, "concept", str(c.id),
                     [c.id, c.effective, int(c.active), c.module, s.DEFINED if c.defined else s.PRIMITIVE])

    def emit_descriptions(self, language_history: list[dict[str, str]]) -> None:
        by_key = {d.key: d for d in self.descriptions}
        older_members: dict[tuple[str, int], list[dict[str, str]]] = defaultdict(list)
        for r in language_history:
            need(r["key"] in by_key, f"{r['_where']}: no description {r['key']!r}")
            older_members[(r["key"], int(r["a"]))].append(r)
        for d in self.descriptions:
            module = s.SWEDISH_MODULE if d.package == "SE" else d.concept.module
            kind = "definition" if d.type == s.DEFINITION else "description"
            kind = f"{kind}-{d.lang}"
            versions = [(et, 1, term) for et, term in d.history]
            if not d.active and d.created < d.effective:
                versions.append((d.created, 1, d.term))
            versions.append((d.effective, int(d.active), d.term))
            for et, active, term in sorted(versions):
                self.add(d.package, kind, str(d.id), [d.id, et, active, module, d.concept.id, d.lang, d.type, term,
                                                      d.case])
            for refset, acc in d.accept.items():
                member_rows = []
                old = older_members.pop((d.key, refset), [])
                for r in sorted(old, key=lambda r: r["effectiveTime"]):
                    need(r["b"] in ACCEPT and r["c"], f"{r['_where']}: language history needs b (P/A) and c (date)")
                    member_rows.append((r["effectiveTime"], 1, ACCEPT[r["b"]]))
                if not d.active:
                    if d.created < d.effective:
                        member_rows.append((d.created, 1, ACCEPT[acc]))
                    member_rows.append((d.effective, 0, ACCEPT[acc]))
                else:
                    current = old[-1]["c"] if old else d.created
                    member_rows.append((date(current, d.where), 1, ACCEPT[acc]))
                lang_file = f"language-{d.lang}"
                for et, active, acceptability in member_rows:
                    self.member(d.package, lang_file, "", et, bool(active), module, refset, d.id, acceptability)
        need(not older_members, f"language history for a member that does not exist: {sorted(older_members)}")

    def emit_relationships(self, history: list[dict[str, str]]) -> None:
        rels: dict[str, list[tuple]] = {"INT": [], "SE": []}
        for c in self.concepts.values():
            for parent, when in c.parents:
                self.concept(parent, c.where)
                created = when or c.created
                rels[c.package].append((c, 0, s.IS_A, parent, created, "rel"))
        for r in read_tsv("relationships.tsv"):
            w = r["_where"]
            c = self.concept(sctid(r["sourceId"], w), w)
            need(c.active, f"{w}: an inactive concept must not have attribute relationships")
            type_ = self.concept(sctid(r["typeId"], w), w).id
            dest = self.concept(sctid(r["destinationId"], w), w).id
            need(r["group"].isdigit(), f"{w}: bad group")
            created = date(r["effectiveTime"], w) if r["effectiveTime"] else c.created
            rels[c.package].append((c, int(r["group"]), type_, dest, created, "rel"))
        for r in read_tsv("concrete_values.tsv"):
            w = r["_where"]
            c = self.concept(sctid(r["sourceId"], w), w)
            type_ = self.concept(sctid(r["typeId"], w), w).id
            value = r["value"]
            need((value.startswith("#") and value[1:].replace(".", "", 1).lstrip("-").isdigit())
                 or (value.startswith('"') and value.endswith('"')), f"{w}: bad concrete value {value!r}")
            created = date(r["effectiveTime"], w) if r["effectiveTime"] else c.created
            rels[c.package].append((c, int(r["group"]), type_, value, created, "concrete"))
        for package, items in rels.items():
            seen = set()
            for n, (c, group, type_, dest, created, kind) in enumerate(items, 1):
                key = (c.id, group, type_, dest)
                need(key not in seen, f"{c.where}: relationship {key} listed twice")
                seen.add(key)
                rid = make_sctid(INT_ITEM + n, "2") if package == "INT" else make_sctid(SE_ITEM + n, "2", NAMESPACE)
                tail = [group, type_, s.INFERRED, s.EXISTENTIAL]
                body = [c.id, dest]
                need(created >= c.created, f"{c.where}: relationship older than its concept")
                self.add(package, kind, str(rid), [rid, created, 1, c.module, *body, *tail])
                if not c.active:  # the is-a rows of an inactive concept end with it
                    self.add(package, kind, str(rid), [rid, c.effective, 0, c.module, *body, *tail])
        for r in history:
            w = r["_where"]
            rid = make_sctid(int(r["key"]), "2")
            c = self.concept(r["a"], w)
            self.concept(r["b"], w)
            self.concept(r["c"], w)
            self.add(c.package, "rel", str(rid), [rid, r["effectiveTime"], r["active"], c.module, c.id, int(r["c"]), 0,
                                                  int(r["b"]), s.INFERRED, s.EXISTENTIAL])

    def emit_inactivations(self) -> None:
        listed = set()
        for r in read_tsv("inactivations.tsv"):
            w = r["_where"]
            c = self.concept(sctid(r["conceptId"], w), w)
            need(not c.active, f"{w}: {c.id} is active")
            listed.add(c.id)
            reason = self.concept(r["reason"], w).id
            self.member(c.package, "attribute_value", "", c.effective, True, c.module,
                        s.CONCEPT_INACTIVATION_INDICATOR, c.id, reason)
            for assoc in r["associations"].split():
                refset, _, target = assoc.partition(":")
                refset_id = self.concept(refset, w).id
                need(refset_id in s.HISTORICAL_ASSOCIATIONS, f"{w}: {refset} is not a historical association")
                target_id = self.concept(target, w).id
                self.member(c.package, "association", str(target_id), c.effective, True, c.module, refset_id, c.id,
                            target_id)
        missing = [c.id for c in self.concepts.values() if not c.active and c.id not in listed]
        need(not missing, f"inactive concepts without an inactivation indicator: {missing}")
        for d in self.descriptions:
            module = s.SWEDISH_MODULE if d.package == "SE" else d.concept.module
            if not d.concept.active:
                need(d.active, f"{d.where}: descriptions of inactive concepts stay active")
                when = d.concept.effective
                if d.package == "SE":
                    when = min(r for r in SE_RELEASES if r >= when)
                self.member(d.package, "attribute_value", "", max(when, d.effective), True, module,
                            s.DESCRIPTION_INACTIVATION_INDICATOR, d.id, s.CONCEPT_NON_CURRENT)
            if not d.active:
                reason, *assocs = d.inactivation.split()
                self.member(d.package, "attribute_value", "", d.effective, True, module,
                            s.DESCRIPTION_INACTIVATION_INDICATOR, d.id, self.concept(reason, d.where).id)
                for assoc in assocs:
                    refset, _, target = assoc.partition(":")
                    refset_id = self.concept(refset, d.where).id
                    target_id = self.concept(target, d.where).id
                    self.member(d.package, "association", str(target_id), d.effective, True, module, refset_id, d.id,
                                target_id)

    def emit_refsets(self) -> None:
        for r in read_tsv("refsets.tsv"):
            w = r["_where"]
            refset = self.concept(sctid(r["refsetId"], w), w)
            component = self.concept(sctid(r["referencedComponentId"], w), w)
            ancestors = self.ancestors(refset.id)
            kind = "simple_map" if s.SIMPLE_MAP_TYPE_REFSET in ancestors else "simple"
            need(kind == "simple_map" or s.SIMPLE_TYPE_REFSET in ancestors, f"{w}: {refset.id} is not a simple refset")
            need((kind == "simple_map") == bool(r["mapTarget"]), f"{w}: mapTarget only (and always) for map refsets")
            effective = date(r["effectiveTime"], w)
            created = date(r["created"], w) if r["created"] else effective
            active = r["active"] == "1"
            extra = [r["mapTarget"]] if kind == "simple_map" else []
            name = r["mapTarget"]
            if created < effective:
                need(not active, f"{w}: an active member with an older created date needs a history row")
                self.member(refset.package, kind, name, created, True, refset.module, refset.id, component.id, *extra)
            self.member(refset.package, kind, name, effective, active, refset.module, refset.id, component.id, *extra)

    def emit_mrcm(self) -> None:
        for r in read_tsv("mrcm.tsv"):
            w = r["_where"]
            refset = self.concept(sctid(r["refsetId"], w), w)
            attribute = self.concept(sctid(r["referencedComponentId"], w), w)
            kind = next((p for t, p in MRCM_PATTERN.items() if t in self.ancestors(refset.id)), None)
            need(kind is not None, f"{w}: {refset.id} is not an MRCM attribute domain or range refset")
            need(s.CONCEPT_MODEL_ATTRIBUTE in self.ancestors(attribute.id), f"{w}: {attribute.id} is no attribute")
            need(r["strength"] in MRCM_STRENGTH and r["content"] in MRCM_CONTENT, f"{w}: strength M/O, content "
                                                                                  "all/post/pre")
            et = date(r["effectiveTime"], w)
            tail = [MRCM_STRENGTH[r["strength"]], MRCM_CONTENT[r["content"]]]
            if kind == "mrcm_domain":
                domain = self.concept(sctid(r["domainId"], w), w)
                need(r["grouped"] in ("0", "1") and not r["rangeConstraint"], f"{w}: a domain row has grouped 0/1 "
                                                                              "and no range")
                extra = [domain.id, r["grouped"], r["attributeCardinality"], r["attributeInGroupCardinality"], *tail]
                name = f"{domain.id}"
            else:
                need(bool(r["rangeConstraint"]) and not r["domainId"], f"{w}: a range row has a range, no domain")
                for cid in re.findall(r"\b\d{6,18}\b", r["rangeConstraint"] + " " + r["attributeRule"]):
                    self.concept(sctid(cid, w), w)
                extra = [r["rangeConstraint"], r["attributeRule"], *tail]
                name = r["content"]
            self.member(refset.package, kind, name, et, True, refset.module, refset.id, attribute.id, *extra)

    def emit_module_dependencies(self, history: list[dict[str, str]]) -> None:
        versions = []
        for package, deps in MODULE_DEPENDENCIES.items():
            for module, target, et, source_time, target_time in deps:
                versions.append((package, module, target, et, 1, source_time, target_time))
        for r in history:
            module, _, target = r["key"].partition("|")
            package = self.concept(module, r["_where"]).package
            versions.append((package, int(module), int(target), r["effectiveTime"], int(r["active"]), r["a"], r["b"]))
        for package, module, target, et, active, source_time, target_time in sorted(versions, key=lambda v: v[3]):
            self.concept(target, "module dependency")
            self.member(package, "module_dependency", str(module), et, bool(active), module,
                        s.MODULE_DEPENDENCY_REFSET, target, source_time, target_time)

    def emit_descriptors(self) -> None:
        for package in ("INT", "SE"):
            refsets = set(self.refset_members[package]) | {s.REFSET_DESCRIPTOR_REFSET}
            described = set(TYPE_REFSET_PATTERN) if package == "INT" else set()
            for refset in refsets:
                described.add(refset)
                described |= {a for a in self.ancestors(refset) if a in TYPE_REFSET_PATTERN}
            for refset in sorted(described, key=lambda r: (self.concepts[r].created, r)):
                c = self.concepts[refset]
                if c.package != package:
                    continue
                pattern = self.pattern_of(refset)
                for order, (description, type_) in enumerate(DESCRIPTOR_TEMPLATES[pattern]):
                    self.member(package, "descriptor", str(order), c.created, True, c.module,
                                s.REFSET_DESCRIPTOR_REFSET, refset, description, type_, order)

    def pattern_of(self, refset: int) -> str:
        special = {s.MODULE_DEPENDENCY_REFSET: "module_dependency", s.REFSET_DESCRIPTOR_REFSET: "descriptor"}
        if refset in special:
            return special[refset]
        for type_refset, pattern in MRCM_PATTERN.items():
            if type_refset in self.ancestors(refset):
                return pattern
        for type_refset, pattern in TYPE_REFSET_PATTERN.items():
            if refset == type_refset or type_refset in self.ancestors(refset):
                return pattern
        raise BuildError(f"no refset pattern for {refset}")

    def ancestors(self, cid: int) -> set[int]:
        out: set[int] = set()
        todo = [p for p, _ in self.concepts[cid].parents]
        while todo:
            p = todo.pop()
            if p not in out:
                out.add(p)
                todo.extend(q for q, _ in self.concepts[p].parents)
        return out

    # -- snapshot and checks
    def snapshot(self, package: str, kind: str) -> list[list[str]]:
        latest: dict[str, list[str]] = {}
        order: list[str] = []
        for key, row in self.rows[(package, kind)]:
            if key not in latest:
                order.append(key)
                latest[key] = row
            elif row[1] >= latest[key][1]:
                latest[key] = row
        return [latest[k] for k in order]

    def full(self, package: str, kind: str) -> list[list[str]]:
        grouped: dict[str, list[list[str]]] = defaultdict(list)
        for key, row in self.rows[(package, kind)]:
            grouped[key].append(row)
        out = []
        for rows in grouped.values():
            rows.sort(key=lambda r: r[1])
            times = [r[1] for r in rows]
            need(len(times) == len(set(times)), f"{kind} {rows[0][0]}: two rows with the same effectiveTime")
            out.extend(rows)
        return out

    def check(self) -> None:
        check_fixture(self)


def check_fixture(f: Fixture) -> None:
    """The fixture-wide rules (README "Guarantees"), on the Snapshot of both packages together."""
    concepts = {int(r[0]): r for p in PACKAGES for r in f.snapshot(p, "concept")}
    active = {cid for cid, r in concepts.items() if r[2] == "1"}
    # identifiers
    for p in PACKAGES:
        for kind, partition in (("concept", "0"), ("rel", "2"), ("concrete", "2")):
            for row in f.full(p, kind):
                need(sctid_problem(row[0], partition) is None, f"{kind} id {row[0]} is not valid")
        for kind in [k for (pp, k) in f.rows if pp == p and k.startswith(("description", "definition"))]:
            for row in f.full(p, kind):
                need(sctid_problem(row[0], "1") is None, f"description id {row[0]} is not valid")
        want_ns = NAMESPACE if p == "SE" else None
        for (pp, kind), rows in f.rows.items():
            if pp != p or not kind.startswith(("description", "definition", "rel", "concrete")):
                continue
            for _, row in rows:
                need(namespace_of(row[0]) == want_ns, f"{kind} {row[0]} has the wrong namespace for {p}")
    # every constant of terminology.snomed is a concept
    for name in dir(s):
        value = getattr(s, name)
        if name.isupper() and isinstance(value, int) and not isinstance(value, bool):
            need(value in concepts, f"terminology.snomed.{name} = {value} is not a concept of the fixture")
    # hierarchy
    parents: dict[int, set[int]] = defaultdict(set)
    for p in PACKAGES:
        for row in f.snapshot(p, "rel"):
            source, dest, type_ = int(row[4]), int(row[5]), int(row[7])
            if row[2] == "1":
                need(int(row[4]) in active, f"relationship {row[0]} of inactive concept {row[4]} is active")
                need(dest in active and type_ in active, f"relationship {row[0]} points at an inactive concept")
                if type_ == s.IS_A:
                    parents[source].add(dest)
    for cid in active - {s.ROOT}:
        need(parents.get(cid), f"active concept {cid} has no active is-a")
    need(not parents.get(s.ROOT), "the root has parents")

    def ancestors(cid: int, trail: tuple[int, ...] = ()) -> set[int]:
        need(cid not in trail, f"is-a cycle through {cid}")
        out: set[int] = set()
        for p in parents.get(cid, ()):
            out |= {p} | ancestors(p, trail + (cid,))
        return out

    for cid, ps in parents.items():
        for p in ps:
            need(not (ancestors(p) & ps), f"{cid}: parent {p} has another parent as ancestor (not proximal)")
    # descriptions and language
    descriptions: dict[str, list[str]] = {}
    for (p, kind) in list(f.rows):
        if kind.startswith(("description", "definition")):
            for row in f.snapshot(p, kind):
                descriptions[row[0]] = row
    fsns: dict[int, list[str]] = defaultdict(list)
    for row in descriptions.values():
        if row[2] == "1" and int(row[6]) == s.FSN:
            fsns[int(row[4])].append(row[7])
    for cid in concepts:
        need(len(fsns.get(cid, [])) == 1, f"concept {cid} has {len(fsns.get(cid, []))} active FSNs")
    active_fsns = [fsns[c][0] for c in active]
    need(len(active_fsns) == len(set(active_fsns)), "FSNs of active concepts are not unique")
    preferred: dict[tuple[int, int], list[str]] = defaultdict(list)
    members: set[tuple[int, int]] = set()
    for (p, kind) in list(f.rows):
        if not kind.startswith("language"):
            continue
        for row in f.snapshot(p, kind):
            d = descriptions.get(row[5])
            need(d is not None, f"language member {row[0]} points at an unknown description")
            if row[2] != "1":
                continue
            need(d[2] == "1", f"active language member {row[0]} of an inactive description")
            cid, refset = int(d[4]), int(row[4])
            members.add((cid, refset))
            if int(d[6]) == s.SYNONYM and int(row[6]) == s.PREFERRED:
                preferred[(cid, refset)].append(d[7])
            if int(d[6]) == s.FSN:
                need(int(row[6]) == s.PREFERRED, f"FSN {d[0]} is not preferred in {refset}")
    for key in members:
        need(len(preferred.get(key, [])) == 1, f"concept {key[0]} has {preferred.get(key)} preferred in {key[1]}")
    for cid in concepts:
        for refset in (s.US_ENGLISH, s.GB_ENGLISH):
            need((cid, refset) in members, f"concept {cid} has no {refset} members")


# --- writing -----------------------------------------------------------------------------------------

FILES = {
    # kind: (folder, file name pattern with {R} release type, {NS} namespace, {D} date, header)
    "concept": ("Terminology", "sct2_Concept_{R}_{NS}_{D}.txt", "concept"),
    "description-en": ("Terminology", "sct2_Description_{R}-en_{NS}_{D}.txt", "description"),
    "description-sv": ("Terminology", "sct2_Description_{R}-sv_{NS}_{D}.txt", "description"),
    "definition-en": ("Terminology", "sct2_TextDefinition_{R}-en_{NS}_{D}.txt", "description"),
    "rel": ("Terminology", "sct2_Relationship_{R}_{NS}_{D}.txt", "relationship"),
    "concrete": ("Terminology", "sct2_RelationshipConcreteValues_{R}_{NS}_{D}.txt", "concrete"),
    "association": ("Refset/Content", "der2_cRefset_Association{R}_{NS}_{D}.txt", "association"),
    "attribute_value": ("Refset/Content", "der2_cRefset_AttributeValue{R}_{NS}_{D}.txt", "attribute_value"),
    "simple": ("Refset/Content", "der2_Refset_Simple{R}_{NS}_{D}.txt", "simple"),
    "language-en": ("Refset/Language", "der2_cRefset_Language{R}-en_{NS}_{D}.txt", "language"),
    "language-sv": ("Refset/Language", "der2_cRefset_Language{R}-sv_{NS}_{D}.txt", "language"),
    "simple_map": ("Refset/Map", "der2_sRefset_SimpleMap{R}_{NS}_{D}.txt", "simple_map"),
    "descriptor": ("Refset/Metadata", "der2_cciRefset_RefsetDescriptor{R}_{NS}_{D}.txt", "descriptor"),
    "module_dependency": ("Refset/Metadata", "der2_ssRefset_ModuleDependency{R}_{NS}_{D}.txt", "module_dependency"),
    "mrcm_domain": ("Refset/Metadata", "der2_cissccRefset_MRCMAttributeDomain{R}_{NS}_{D}.txt", "mrcm_domain"),
    "mrcm_range": ("Refset/Metadata", "der2_ssccRefset_MRCMAttributeRange{R}_{NS}_{D}.txt", "mrcm_range"),
}
# Files written even when empty (header only), per package.
ALWAYS = {
    "INT": ["concept", "description-en", "definition-en", "rel", "concrete", "association", "attribute_value",
            "simple", "language-en", "simple_map", "descriptor", "module_dependency", "mrcm_domain", "mrcm_range"],
    "SE": ["concept", "description-en", "description-sv", "rel", "concrete", "association", "attribute_value",
           "simple", "language-en", "language-sv", "simple_map", "descriptor", "module_dependency"],
}


def write_rf2(path: Path, header: list[str], rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["\t".join(header)] + ["\t".join(r) for r in rows]
    for r in rows:
        need(len(r) == len(header), f"{path.name}: row {r[0]} has {len(r)} columns, header {len(header)}")
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8"))


def write(f: Fixture, out: Path) -> None:
    for package, (name, ns, day) in PACKAGES.items():
        kinds = {k for (p, k) in f.rows if p == package}
        unknown = kinds - set(ALWAYS[package])
        need(not unknown, f"{package}: rows of kinds without a file: {sorted(unknown)}")
        for release in ("Snapshot", "Full"):
            for kind in ALWAYS[package]:
                folder, pattern, header = FILES[kind]
                rows = f.snapshot(package, kind) if release == "Snapshot" else f.full(package, kind)
                need(all(r[1] <= day for r in rows), f"{package} {kind}: a row newer than the release")
                file_name = pattern.format(R=release, NS=ns, D=day)
                write_rf2(out / name / release / folder / file_name, HEADERS[header], rows)
        info = dict(PACKAGE_INFO[package], licenceStatement=LICENCE)
        (out / name / "release_package_information.json").write_bytes(
            (json.dumps(info, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8"))


def is_fictitious(concept_id: int) -> bool:
    """The identifiers the fixture makes up: short format items from 99900000, Swedish namespace items from 9990000."""
    item = int(str(concept_id)[: -10 if namespace_of(concept_id) else -3])
    first = SE_ITEM if namespace_of(concept_id) else INT_ITEM
    return first <= item < first + 100000


def load_sources(f: Fixture) -> tuple[list[dict[str, str]], dict[int, list[str]]]:
    """The source legend and the confirmation keys of every real identifier (README "Where the ids were confirmed")."""
    legend = read_tsv("sources.tsv")
    keys = {r["key"] for r in legend}
    confirmed: dict[int, list[str]] = {}
    for r in read_tsv("confirmed.tsv"):
        cid = f.concept(sctid(r["id"], r["_where"]), r["_where"]).id
        need(not is_fictitious(cid), f"{r['_where']}: {cid} is fictitious and needs no source")
        used = r["sources"].split()
        need(used and set(used) <= keys, f"{r['_where']}: unknown source keys {sorted(set(used) - keys)}")
        confirmed[cid] = used
    missing = [c for c in f.concepts if not is_fictitious(c) and c not in confirmed]
    need(not missing, f"real identifiers without a source in confirmed.tsv: {missing}")
    return legend, confirmed


def markdown_tables(f: Fixture) -> dict[str, str]:
    """The generated README sections: the concept table and the source legend."""
    legend, confirmed = load_sources(f)
    swedish = {d.concept.id: d.term for d in f.descriptions
               if d.lang == "sv" and d.accept.get(s.SWEDISH_LANGUAGE_REFSET) == "P" and d.active}

    def top_level(cid: int) -> str:
        if cid == s.ROOT:
            return "root"
        chain = [cid]
        while s.ROOT not in [p for p, _ in f.concepts[chain[-1]].parents]:
            chain.append(f.concepts[chain[-1]].parents[0][0])
        return without_tag(f.concepts[chain[-1]].fsn)

    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    lines = ["| id | module | English FSN (ours) | Swedish preferred term (ours) | hierarchy | why it is here | "
             "confirmed in |", "|---|---|---|---|---|---|---|"]
    names = {v: k for k, v in MODULES.items()}
    for c in f.concepts.values():
        status = "" if c.active else " (inactive)"
        source = ", ".join(confirmed.get(c.id, [])) or "fictitious id"
        lines.append(f"| {c.id} | {names[c.module]} | {cell(c.fsn)}{status} | {cell(swedish.get(c.id, ''))} | "
                     f"{top_level(c.id)} | {cell(c.role)} | {source} |")
    sources = ["| key | where | what it confirms |", "|---|---|---|"]
    sources += [f"| {r['key']} | {cell(r['where'])} | {cell(r['what it confirms'])} |" for r in legend]
    return {"concepts": "\n".join(lines), "sources": "\n".join(sources)}


def readme_text(f: Fixture, current: str) -> str:
    """README.md with its generated sections replaced by a fresh rendering."""
    text = current
    for name, body in markdown_tables(f).items():
        start, end = f"<!-- BEGIN GENERATED {name} -->", f"<!-- END GENERATED {name} -->"
        need(start in text and end in text, f"README.md lacks the markers of the generated {name} section")
        head, rest = text.split(start, 1)
        _, tail = rest.split(end, 1)
        text = f"{head}{start}\n{body}\n{end}{tail}"
    return text


def build_into(out: Path) -> Fixture:
    f = Fixture()
    f.build()
    f.check()
    load_sources(f)
    for name, _, _ in PACKAGES.values():
        shutil.rmtree(out / name, ignore_errors=True)
    write(f, out)
    return f


def compare(fresh: Path, committed: Path) -> list[str]:
    problems = []
    for name, _, _ in PACKAGES.values():
        a, b = fresh / name, committed / name
        files_a = {p.relative_to(a) for p in a.rglob("*") if p.is_file()}
        files_b = {p.relative_to(b) for p in b.rglob("*") if p.is_file()} if b.exists() else set()
        problems += [f"missing: {name}/{p}" for p in sorted(files_a - files_b)]
        problems += [f"not built by build.py: {name}/{p}" for p in sorted(files_b - files_a)]
        problems += [f"differs: {name}/{p}" for p in sorted(files_a & files_b)
                     if not filecmp.cmp(a / p, b / p, shallow=False)]
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="verify the committed files equal a fresh build")
    args = parser.parse_args(argv)
    try:
        if args.check:
            with tempfile.TemporaryDirectory() as tmp:
                f = build_into(Path(tmp))
                problems = compare(Path(tmp), HERE)
            readme = (HERE / "README.md").read_text("utf-8")
            if readme_text(f, readme) != readme:
                problems.append("differs: README.md (generated tables)")
            for p in problems:
                print(p, file=sys.stderr)
            if problems:
                print("the committed fixture is not what build.py makes; run python tests/data/mini/build.py",
                      file=sys.stderr)
                return 1
            print("mini fixture is up to date")
            return 0
        f = build_into(HERE)
        readme = HERE / "README.md"
        readme.write_text(readme_text(f, readme.read_text("utf-8")), "utf-8")
    except BuildError as exc:
        print(f"build.py: {exc}", file=sys.stderr)
        return 2
    counts = {p: sum(1 for r in f.snapshot(p, "concept")) for p in PACKAGES}
    print(f"wrote {', '.join(f'{p}: {n} concepts' for p, n in counts.items())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
