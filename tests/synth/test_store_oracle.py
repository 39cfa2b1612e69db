"""The loader and store checked against the generator's truth files (synthetic-rf2.md §6.7 item 1).

The CI-scale release is loaded as a real user would load it; the closure the store builds must equal the
closure the generator computed from its own graph, and the §6.5 edge cases must come out as a snapshot reader
is bound to see them.
"""

from __future__ import annotations

import gzip
import json

import pytest
from sqlalchemy import text

from scripts.loading import load_rf2
from terminology import Coding, LookupRequest, SubsumesRequest, TerminologyService, ValidateRequest, snomed


def _valid(svc: TerminologyService, code, version: str | None = None):
    """``CodeSystem/$validate-code`` of a SNOMED CT concept id (in ``version``)."""
    return svc.validate(ValidateRequest(target="CodeSystem", mode="code", url=snomed.SYSTEM, version=version,
                                        codings=(Coding(snomed.SYSTEM, str(code), None, version),)))


def _truth_closure(path) -> set[tuple[int, int]]:
    with gzip.open(path, "rt") as f:
        next(f)
        return {(int(a), int(b)) for a, b in (line.split("\t") for line in f)}


def _store_closure(db, version) -> set[tuple[int, int]]:
    with db.storage_engine(version.storage).connect() as conn:
        return {(int(d), int(a)) for d, a in conn.execute(text("SELECT descendant_id, ancestor_id FROM closure"))}


@pytest.fixture(scope="module")
def swedish_edition(ci, tmp_path_factory, request):
    """International V2 + Swedish V2 loaded once per backend into the Swedish edition."""
    loaded = {}

    def get(backend: str, new_db):
        if backend not in loaded:
            db = new_db(backend)
            version = load_rf2(db, [ci.package("intl", 20250701), ci.package("se", 20251130)])
            loaded[backend] = (db, version)
        return loaded[backend]

    return get


def test_the_merged_edition_closure_equals_the_truth(ci, swedish_edition, new_db, backend):
    db, version = swedish_edition(backend, new_db)
    assert version.version == f"{snomed.SYSTEM}/{snomed.SWEDISH_MODULE}/version/20251130"
    truth = _truth_closure(ci.root / "truth" / "se" / "closure.tsv.gz")
    store = _store_closure(db, version)
    assert len(store) == len(truth) == version.stats["closure_pairs"]
    assert store == truth


def test_edge_cases_of_the_merged_edition(ci, swedish_edition, new_db, backend):
    db, version = swedish_edition(backend, new_db)
    svc = TerminologyService(db, refresh_seconds=0)
    cases = _edge_cases(ci)
    # 6: the concept promoted from the Swedish module to core in International V2: the newest row wins.
    promoted = str(cases["6_promoted_concept"]["concept"])
    found = svc.lookup(LookupRequest(system=snomed.SYSTEM, code=promoted, version=version.version,
                                     properties=("moduleId",)))
    assert {p.code: p.value for p in found.properties}["moduleId"] == str(snomed.CORE_MODULE)
    # 2: inactivated in 20250501 and reactivated in V2: active in the snapshot.
    reactivated = str(cases["2_concept_inactivated_and_reactivated"]["concept"])
    assert _valid(svc, reactivated).result is True
    # 8: the chain's middle concept (B) is inactive, but still a known code.
    chain = cases["8_association_chains"][0]
    middle = svc.lookup(LookupRequest(system=snomed.SYSTEM, code=str(chain["b"]), properties=("inactive",)))
    assert {p.code: p.value for p in middle.properties}["inactive"] is True
    # The Swedish language refset gives Swedish displays.
    hub = str(cases["hubs"][0])
    sv = svc.lookup(LookupRequest(system=snomed.SYSTEM, code=hub, display_language="sv"))
    en = svc.lookup(LookupRequest(system=snomed.SYSTEM, code=hub, display_language="en"))
    assert sv.display and en.display
    # The refset file whose name holds "Delta" and UTF-8 characters is a Snapshot file and is loaded.
    with db.storage_engine(version.storage).connect() as conn:
        modules = {int(m) for (m,) in conn.execute(text("SELECT DISTINCT module_id FROM refset_member"))}
    assert snomed.SWEDISH_MODULE in modules


def test_full_as_of_the_first_version_sees_that_version(ci, new_db):
    """Full files read as of V1 give the V1 edition: the reactivated concept is still inactive there."""
    db = new_db("sqlite")
    cases = _edge_cases(ci)
    reactivated = str(cases["2_concept_inactivated_and_reactivated"]["concept"])
    new_in_v2 = str(cases["new_concepts_v2"][0])
    v1 = load_rf2(db, [ci.package("intl", 20250701)], release_type="Full", as_of="20250601")
    assert v1.version.endswith("/version/20250601")
    svc = TerminologyService(db, refresh_seconds=0)
    def inactive(code: str, version: str) -> bool:
        found = svc.lookup(LookupRequest(system=snomed.SYSTEM, code=code, version=version, properties=("inactive",)))
        return {p.code: p.value for p in found.properties}["inactive"]

    assert inactive(reactivated, v1.version) is True
    assert _valid(svc, new_in_v2, v1.version).result is False
    v2 = load_rf2(db, [ci.package("intl", 20250701)])
    assert _valid(svc, new_in_v2, v2.version).result is True
    assert inactive(reactivated, v2.version) is False
    # The international snapshot's closure is the International truth.
    assert _store_closure(db, v2) == _truth_closure(ci.root / "truth" / "closure.tsv.gz")
    # A concept is subsumed by its hub parent in both versions.
    hub = str(cases["hubs"][0])
    assert svc.subsumes(SubsumesRequest(system=snomed.SYSTEM, code_a=hub, code_b=hub)) == "equivalent"


def _edge_cases(ci) -> dict:
    return json.loads((ci.root / "truth" / "edge_cases.json").read_text())
