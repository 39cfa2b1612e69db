"""Truth files, statistics, determinism and the small building blocks of the generator (synthetic-rf2.md §6.2, §6.7)."""

from __future__ import annotations

import gzip
import hashlib
import json
import uuid
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from scripts.synth import SynthParams, generate, verify
from scripts.synth.ids import MemberIds, sctids
from scripts.synth.terms import core_word
from scripts.synth.truth import closure
from terminology.snomed import make_sctid


def _pairs(path: Path) -> list[tuple[str, str]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        lines = f.read().splitlines()
    return [tuple(line.split("\t")) for line in lines[1:]]


def _transitive_closure(edges):
    parents = defaultdict(set)
    for child, parent in edges:
        parents[child].add(parent)
    memo: dict[str, set[str]] = {}

    def anc(c):
        if c not in memo:
            memo[c] = set()
            for p in parents.get(c, ()):
                memo[c] |= {p} | anc(p)
        return memo[c]

    nodes = set(parents) | {p for ps in parents.values() for p in ps}
    return {(d, a) for d in nodes for a in anc(d)}


@pytest.mark.parametrize("folder", ["", "se"])
def test_closure_is_the_transitive_closure_of_edges(ci, folder):
    truth = ci.result.truth_dir / folder
    edges = _pairs(truth / "edges.tsv")
    closure_pairs = _pairs(truth / "closure.tsv.gz")
    assert len(edges) > 3000
    assert set(closure_pairs) == _transitive_closure(edges)
    assert len(closure_pairs) == len(set(closure_pairs))
    assert not any(d == a for d, a in closure_pairs)


def test_edges_match_the_v2_snapshot(ci):
    from_files = {
        (r["sourceId"], r["destinationId"])
        for r in ci.table("intl", 20250701, "Relationship_")
        if r["active"] == "1" and r["typeId"] == "116680003"
    }
    assert set(_pairs(ci.result.truth_dir / "edges.tsv")) == from_files


def test_stats_meet_the_acceptance_targets(ci):
    stats = json.loads((ci.result.truth_dir / "stats.json").read_text())
    failed = [
        k
        for k, v in stats.items()
        if isinstance(v, dict)
        for k2, v2 in v.items()
        if isinstance(v2, dict) and v2.get("pass") is False
    ]
    assert stats["summary"]["failed"] == 0, failed
    assert stats["summary"]["metrics"] > 30
    assert 3500 < stats["concepts"]["active"] < 3900
    assert ci.result.stats_passed


def test_result_and_progress(ci):
    assert {"hierarchy", "descriptions", "tables", "truth"} <= set(ci.stages)
    assert any(stage.startswith("write ") for stage in ci.stages)
    assert ci.result.counts["rows_written"] > 100_000
    assert ci.result.seconds < 30
    assert {p.kind for p in ci.result.packages} == {"intl", "se"}


def _digest_tree(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_same_seed_gives_byte_identical_output(tmp_path):
    params = SynthParams(scale=1000, seed=7, extension=True, versions=2, zip=True)
    generate(tmp_path / "a", params)
    generate(tmp_path / "b", params)
    a, b = _digest_tree(tmp_path / "a"), _digest_tree(tmp_path / "b")
    assert len(a) > 100 and a == b
    other = _digest_tree_after(tmp_path / "c", SynthParams(scale=1000, seed=8))
    key = "/".join(
        (
            "SnomedCT_InternationalRF2_PRODUCTION_20250701T120000Z",
            "Snapshot",
            "Terminology",
            "sct2_Concept_Snapshot_INT_20250701.txt",
        )
    )
    assert other[key] != a[key]


def _digest_tree_after(root: Path, params: SynthParams) -> dict[str, str]:
    generate(root, params)
    return _digest_tree(root)


def test_params_are_validated():
    with pytest.raises(ValueError):
        SynthParams(scale="huge")
    with pytest.raises(ValueError):
        SynthParams(versions=3)
    assert SynthParams(scale="intl").active_concepts == 370_000


def test_vectorised_sctids_match_make_sctid():
    items = np.array([1, 42, 800_000_123, 4599], np.int64)
    for partition in "012":
        assert sctids(items, partition).tolist() == [make_sctid(int(i), partition) for i in items]
        assert sctids(items, partition, 1000052).tolist() == [make_sctid(int(i), partition, 1000052) for i in items]


def test_member_ids_are_uuid5_of_the_seed_namespace():
    namespace = uuid.uuid5(uuid.NAMESPACE_URL, "urn:vardterm:synthetic-rf2:42")
    ids = MemberIds(42)
    for name in ("a", "900000000000509007|800012345017", "Ω|1"):
        assert ids.uuid(name) == str(uuid.uuid5(namespace, name))


def test_core_words_are_unique():
    words = [core_word(i) for i in range(50_000)]
    assert len(set(words)) == len(words)


def test_closure_rejects_cycles():
    with pytest.raises(ValueError):
        closure(np.array([[1, 2], [2, 3], [3, 1]], np.int64))
    nodes, pairs, level = closure(np.array([[2, 1], [3, 2], [4, 2], [4, 1]], np.int64))
    assert pairs.tolist() == [[2, 1], [3, 1], [3, 2], [4, 1], [4, 2]]
    assert level.tolist() == [0, 1, 2, 2]


def test_snapshot_only_release(tmp_path):
    result = generate(tmp_path, SynthParams(scale=1000, full=False))
    (package,) = result.packages
    assert package.kind == "intl" and package.version == "20250701"
    assert (package.path / "Snapshot").is_dir() and not (package.path / "Full").exists()
    assert result.authoring_delta is None
    assert verify(tmp_path) == []
