"""``truth/ecl_cases.jsonl``: format, coverage, determinism, and expected results re-derived from the RF2 files.

The oracle computes its answers from the generator's in-memory tables (``scripts/synth/ecl_oracle.py``).
These tests read the written RF2 Snapshot files and the truth closure instead, and recompute a good share
of the cases in plain Python, so the oracle is checked against data it never touched.
"""

from __future__ import annotations

import ast
import gzip
import json
import os
import re
import subprocess
import sys
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from scripts.synth.ecl_cases import FAMILIES, SECTIONS
from scripts.synth.ecl_oracle import fold, words
from terminology import snomed as s

INT_V2, SE_V2 = 20250701, 20251130
KEYS = ["name", "section", "ecl", "edition", "expected"]
ID = r"(\d+)(?: \|[^|]*\|)?"


@pytest.fixture(scope="module")
def cases(ci) -> list[dict]:
    path = ci.result.truth_dir / "ecl_cases.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def by_name(cases) -> dict[str, dict]:
    return {c["name"]: c for c in cases}


@dataclass
class Snapshot:
    """One edition read back from the RF2 Snapshot files (newest row per id across packages)."""

    concepts: dict[int, dict] = field(default_factory=dict)
    relationships: list[tuple[int, int, int, int]] = field(default_factory=list)
    concrete: list[tuple[int, int, str]] = field(default_factory=list)
    descriptions: dict[int, dict] = field(default_factory=dict)
    members: dict[str, list[dict]] = field(default_factory=dict)
    children: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    parents: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))

    @property
    def active(self) -> set[int]:
        return {c for c, row in self.concepts.items() if row["active"] == "1"}

    def below(self, v: int) -> set[int]:
        out, todo = set(), [v]
        while todo:
            for c in self.children.get(todo.pop(), ()):
                if c not in out:
                    out.add(c)
                    todo.append(c)
        return out


def _newest(rows: list[dict]) -> list[dict]:
    best: dict[str, dict] = {}
    for r in rows:
        if r["id"] not in best or r["effectiveTime"] >= best[r["id"]]["effectiveTime"]:
            best[r["id"]] = r
    return list(best.values())


def _read(ci, packages, content: str, lang: str = "") -> list[dict]:
    rows = []
    for kind, version in packages:
        try:
            rows += ci.table(kind, version, content, lang=lang)
        except AssertionError:
            continue
    return _newest(rows)


@pytest.fixture(scope="module")
def snapshots(ci) -> dict[str, Snapshot]:
    out = {}
    for edition, packages in (("intl", [("intl", INT_V2)]), ("se", [("intl", INT_V2), ("se", SE_V2)])):
        snap = Snapshot()
        snap.concepts = {int(r["id"]): r for r in _read(ci, packages, "Concept_")}
        active = snap.active
        for r in _read(ci, packages, "Relationship_"):
            src, dst, typ = int(r["sourceId"]), int(r["destinationId"]), int(r["typeId"])
            if r["active"] != "1" or src not in active or dst not in active:
                continue
            if typ == s.IS_A:
                snap.children[dst].add(src)
                snap.parents[src].add(dst)
            else:
                snap.relationships.append((src, typ, dst, int(r["relationshipGroup"])))
        for r in _read(ci, packages, "RelationshipConcreteValues_"):
            if r["active"] == "1":
                snap.concrete.append((int(r["sourceId"]), int(r["typeId"]), r["value"]))
        for lang in ("en", "sv"):
            for r in _read(ci, packages, "Description_", lang) + _read(ci, packages, "TextDefinition_", lang):
                if r["active"] == "1":
                    snap.descriptions[int(r["id"])] = r
        for name, content in (("simple", "Refset_Simple"), ("association", "cRefset_Association"),
                              ("map", "sRefset_SimpleMap")):
            snap.members[name] = [r for r in _read(ci, packages, content) if r["active"] == "1"]
        out[edition] = snap
    return out


def _family(case: dict) -> str:
    return case["name"].split(".")[1]


# --- format and coverage -------------------------------------------------------------------------------


def test_file_format(ci, cases):
    data = (ci.result.truth_dir / "ecl_cases.jsonl").read_bytes()
    assert b"\r" not in data and data.endswith(b"\n")
    names = [c["name"] for c in cases]
    assert names == sorted(names) and len(set(names)) == len(names)
    for c in cases:
        assert list(c) == KEYS, c["name"]
        assert c["edition"] in ("intl", "se") and c["name"].startswith(c["edition"] + ".")
        assert c["section"] == SECTIONS[_family(c)]
        assert c["expected"] == sorted(set(c["expected"])) and all(isinstance(x, int) for x in c["expected"])
        assert "\n" not in c["ecl"] and c["ecl"] == c["ecl"].strip()
    assert 120 <= len(cases) <= 260


def test_every_template_family_and_section_is_covered(cases):
    assert {_family(c) for c in cases} == set(FAMILIES)
    assert {c["section"] for c in cases} == {f"6.{i}" for i in range(1, 13)}
    assert {c["edition"] for c in cases} == {"intl", "se"}
    empty = [c["name"] for c in cases if not c["expected"]]
    assert len(empty) <= 8, empty


def test_expected_ids_are_concepts_of_the_edition(cases, snapshots):
    for c in cases:
        concepts = snapshots[c["edition"]].concepts
        assert set(c["expected"]) <= set(concepts), c["name"]


def test_the_oracle_is_independent_of_the_ecl_engine():
    """The oracle must not import the project's ECL engine (terminology.ecl): it is that engine's test oracle."""
    folder = Path(__file__).resolve().parents[2] / "scripts" / "synth"
    for path in folder.glob("ecl_*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith("terminology.ecl"), path.name
            if isinstance(node, ast.Import):
                assert not any(a.name.startswith("terminology.ecl") for a in node.names), path.name


# --- hierarchy operators against the truth closure -----------------------------------------------------


def _closure(path: Path) -> tuple[dict[int, set[int]], dict[int, set[int]]]:
    down: dict[int, set[int]] = defaultdict(set)
    up: dict[int, set[int]] = defaultdict(set)
    with gzip.open(path, "rt") as f:
        next(f)
        for line in f:
            d, a = (int(x) for x in line.split("\t"))
            down[a].add(d)
            up[d].add(a)
    return down, up


def _edges(path: Path) -> tuple[dict[int, set[int]], dict[int, set[int]]]:
    children: dict[int, set[int]] = defaultdict(set)
    parents: dict[int, set[int]] = defaultdict(set)
    for line in path.read_text().splitlines()[1:]:
        c, p = (int(x) for x in line.split("\t"))
        children[p].add(c)
        parents[c].add(p)
    return children, parents


def test_hierarchy_operators_agree_with_the_truth_closure(ci, cases, snapshots):
    checked = 0
    for edition, folder in (("intl", ""), ("se", "se")):
        truth = ci.result.truth_dir / folder
        down, up = _closure(truth / "closure.tsv.gz")
        children, parents = _edges(truth / "edges.tsv")
        active = snapshots[edition].active
        for c in cases:
            m = re.fullmatch(rf"(<<!|>>!|<<|>>|<!|>!|<|>) {ID}", c["ecl"])
            if c["edition"] != edition or not m:
                continue
            op, x = m.group(1), int(m.group(2))
            me = {x} & active
            expected = {
                "<": down[x], "<<": down[x] | me, ">": up[x], ">>": up[x] | me,
                "<!": children[x], "<<!": children[x] | me, ">!": parents[x], ">>!": parents[x] | me,
            }[op]
            assert set(c["expected"]) == expected, c["name"]
            checked += 1
        star = [c for c in cases if c["edition"] == edition and c["ecl"] == "*"]
        assert all(set(c["expected"]) == active for c in star)
    assert checked >= 20


def test_top_and_bottom_agree_with_the_closure(ci, cases, snapshots):
    down, up = _closure(ci.result.truth_dir / "closure.tsv.gz")
    snap = snapshots["intl"]
    checked = 0
    for c in cases:
        if c["edition"] != "intl" or _family(c) not in ("top", "bottom"):
            continue
        inner = c["ecl"][5:-1]
        dotted = re.fullmatch(rf"< {ID} \. {ID}", inner)
        member = re.fullmatch(rf"\^ {ID} AND < {s.ROOT}", inner)
        if dotted:
            x, typ = (int(v) for v in dotted.groups())
            inner_set = {r[2] for r in snap.relationships if r[1] == typ and r[0] in down[x]}
        elif member:
            refset = int(member.group(1))
            inner_set = {int(r["referencedComponentId"]) for r in snap.members["simple"]
                         if int(r["refsetId"]) == refset} & (snap.active - {s.ROOT})
        else:
            continue
        rel = up if c["ecl"].startswith("!!>") else down
        assert set(c["expected"]) == {x for x in inner_set if not rel[x] & inner_set}, c["name"]
        checked += 1
    assert checked >= 3


# --- hand-checked cases, recomputed from the RF2 files --------------------------------------------------


def _edge_cases(ci) -> dict:
    return json.loads((ci.result.truth_dir / "edge_cases.json").read_text())


def test_member_of_includes_members_on_inactive_concepts(ci, by_name, snapshots):
    edge = _edge_cases(ci)["7_refset_member_on_inactive_concept"]
    refset = edge["refset"]
    members = {int(r["referencedComponentId"]) for r in snapshots["intl"].members["simple"]
               if int(r["refsetId"]) == refset}
    assert set(by_name["intl.member_of.simple_refset"]["expected"]) == members
    assert set(edge["concepts"]) <= members
    assert by_name["intl.active.inactive_members"]["ecl"] == f"^ {refset} {{{{ C active = 0 }}}}"
    assert by_name["intl.active.inactive_members"]["expected"] == sorted(edge["concepts"])


def test_history_supplements_follow_one_association_step(ci, cases, snapshots):
    chains = _edge_cases(ci)["8_association_chains"]
    assoc = snapshots["intl"].members["association"]
    checked = 0
    for c in cases:
        m = re.fullmatch(rf"<< {ID} \{{\{{ \+ HISTORY-MOD \}}\}}", c["ecl"])
        if c["edition"] != "intl" or not m:
            continue
        root = int(m.group(1))
        base = snapshots["intl"].below(root) | {root}
        added = {int(r["referencedComponentId"]) for r in assoc
                 if int(r["refsetId"]) in s.HISTORY_MOD and int(r["targetComponentId"]) in base}
        added &= set(snapshots["intl"].concepts) - snapshots["intl"].active
        assert set(c["expected"]) == base | added, c["name"]
        for chain in chains:
            if chain["c"] == root:
                assert chain["b"] in c["expected"] and chain["a"] not in c["expected"]
                checked += 1
    two_steps = [c for c in cases if c["name"].startswith("intl.history_chain.two_steps")]
    assert {ch["a"] for ch in chains} <= {x for c in two_steps for x in c["expected"]}
    assert checked == len(chains) >= 1


def test_history_profiles_nest(by_name):
    for edition in ("intl", "se"):
        lo, mid, hi = (set(by_name[f"{edition}.history_{p}.subtree"]["expected"]) for p in ("min", "mod", "max"))
        assert lo <= mid <= hi and lo != hi


def test_extension_cases(ci, by_name, snapshots):
    promoted = _edge_cases(ci)["6_promoted_concept"]["concept"]
    assert by_name["se.module.promoted_concept"]["expected"] == [promoted]
    se = snapshots["se"]
    mine = {c for c in se.active if se.concepts[c]["moduleId"] == str(s.SWEDISH_MODULE)}
    assert set(by_name["se.module.extension"]["expected"]) == mine and promoted not in mine
    sv = {int(d["conceptId"]) for d in se.descriptions.values() if d["languageCode"] == "sv"}
    case = by_name["se.language.swedish"]
    op, top = re.match(r"(<<?) (\d+)", case["ecl"]).groups()
    focus = se.below(int(top)) | ({int(top)} if op == "<<" else set())
    assert set(case["expected"]) == focus & sv


def test_attribute_and_dotted_cases_recomputed(cases, snapshots):
    checked = 0
    for c in cases:
        snap = snapshots[c["edition"]]
        m = re.fullmatch(rf"< {ID} : {ID} = {ID}", c["ecl"])
        if m:
            top, typ, dst = (int(x) for x in m.groups())
            found = {r[0] for r in snap.relationships if r[1] == typ and r[2] == dst}
            assert set(c["expected"]) == snap.below(top) & found, c["name"]
            checked += 1
        m = re.fullmatch(rf"{ID} \. {ID}", c["ecl"])
        if m:
            src, typ = (int(x) for x in m.groups())
            assert set(c["expected"]) == {r[2] for r in snap.relationships if r[0] == src and r[1] == typ}
            checked += 1
        m = re.fullmatch(rf"< {ID} : {ID} (=|!=|<=|<|>=|>) #([\d.]+)", c["ecl"])
        if m:
            top, typ, op, value = int(m.group(1)), int(m.group(2)), m.group(3), float(m.group(4))
            compare = {"=": float.__eq__, "!=": float.__ne__, "<": float.__lt__, "<=": float.__le__,
                       ">": float.__gt__, ">=": float.__ge__}[op]
            found = {r[0] for r in snap.concrete if r[1] == typ and r[2].startswith("#")
                     and compare(float(r[2][1:]), value)}
            assert set(c["expected"]) == snap.below(top) & found, c["name"]
            checked += 1
    assert checked >= 8


def _plain_words(text: str) -> list[str]:
    text = "".join(ch for ch in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(ch))
    return re.findall(r"[^\W_]+", text)


def test_term_and_description_id_cases_recomputed(cases, snapshots):
    checked = 0
    for c in cases:
        snap = snapshots[c["edition"]]
        m = re.fullmatch(rf"(<<|<) {ID} \{{\{{ (?:D )?term = (?:match:)?\"([^\"]+)\" \}}\}}", c["ecl"])
        if m:
            op, top, query = m.group(1), int(m.group(2)), m.group(3)
            focus = snap.below(top) | ({top} if op == "<<" else set())
            wanted = _plain_words(query)
            hit = {int(d["conceptId"]) for d in snap.descriptions.values()
                   if all(any(w.startswith(q) for w in _plain_words(d["term"])) for q in wanted)}
            assert set(c["expected"]) == focus & hit, c["name"]
            checked += 1
        m = re.fullmatch(rf"< {ID} \{{\{{ D id = (\d+) \}}\}}", c["ecl"])
        if m:
            top, desc = int(m.group(1)), m.group(2)
            concept = int(snap.descriptions[int(desc)]["conceptId"])
            assert c["expected"] == ([concept] if concept in snap.below(top) else [])
            checked += 1
    assert checked >= 5


def test_term_folding():
    assert words("Hjärt-kärl (disorder)") == ["hjart", "karl", "disorder"]
    assert words("Hjärt-kärl", marks=True) == ["hjärt", "kärl"]
    assert words("Søn's d'ÉTÉ") == ["søn", "s", "d", "ete"]
    assert words("Søn", alt=True) == ["son"]
    assert fold("KERebrool * variant") == "kerebrool * variant"


def test_cases_do_not_depend_on_the_hash_seed(ci):
    """A fresh process with another string-hash seed writes the same file (sets never decide the output)."""
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from scripts.synth import SynthParams\n"
        "from scripts.synth.build import build_world\n"
        "from scripts.synth.ecl_cases import write_ecl_cases\n"
        "world = build_world(SynthParams(scale='ci', extension=True, versions=2))\n"
        "write_ecl_cases(Path(sys.argv[1]), world, 42)\n"
    )
    out = ci.root / "ecl_cases_again.jsonl"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", code, str(out)], check=True, cwd=root, env=env)
    assert out.read_bytes() == (ci.result.truth_dir / "ecl_cases.jsonl").read_bytes()
