"""Loading into the store, on SQLite and PostgreSQL: versions side by side, merges, atomic publication,
and failed loads that leave what was serving intact."""

from __future__ import annotations

import pytest

from scripts.loading import load_rf2
from terminology import (ExpandRequest, LoadError, LookupRequest, SubsumesRequest, TerminologyService,
                         UnknownCodeSystemVersion, snomed)
from terminology.store import SnomedLoad, load_snomed

from .rf2_builder import Package, cid, tiny_international

CORE = str(snomed.CORE_MODULE)
SE = str(snomed.SWEDISH_MODULE)


def _service(db) -> TerminologyService:
    return TerminologyService(db, refresh_seconds=0)


def test_a_snapshot_loads_with_its_closure(new_db, backend, tmp_path):
    db = new_db(backend)
    v = load_rf2(db, [tiny_international(tmp_path).write()])
    assert v.version == f"http://snomed.info/sct/{CORE}/version/20250701"
    assert v.stats["active_concepts"] == 7
    # procedure > knee op > knee replacement > revision, and knee replacement is-a joint replacement
    assert v.stats["closure_pairs"] == 1 + 1 + 2 + 2 + 4 + 5
    svc = _service(db)
    revision = str(cid(9000003))
    assert svc.subsumes(SubsumesRequest(system=snomed.SYSTEM, code_a="71388002", code_b=revision)) == "subsumes"
    assert svc.subsumes(SubsumesRequest(system=snomed.SYSTEM, code_a=str(cid(9000004)), code_b=revision)) == "subsumes"
    assert svc.subsumes(SubsumesRequest(system=snomed.SYSTEM, code_a=str(cid(9000001)),
                                        code_b=str(cid(9000004)))) == "not-subsumed"


def test_versions_live_side_by_side(new_db, backend, tmp_path):
    db = new_db(backend)
    load_rf2(db, [tiny_international(tmp_path / "v1", date="20250601").write()])
    newer = tiny_international(tmp_path / "v2", date="20250701")
    newer.concept(cid(9000010), "New procedure", parents=(71388002,))
    load_rf2(db, [newer.write()])
    svc = _service(db)
    assert sorted(v.version for v in svc.versions()) == [f"http://snomed.info/sct/{CORE}/version/20250601",
                                                          f"http://snomed.info/sct/{CORE}/version/20250701"]
    url = "http://snomed.info/sct?fhir_vs=isa/71388002"
    assert svc.expand(ExpandRequest(url=url)).total == 6
    old = f"http://snomed.info/sct/{CORE}/version/20250601"
    assert svc.expand(ExpandRequest(url=url, system_versions=(f"{snomed.SYSTEM}|{old}",))).total == 5
    assert svc.expand(ExpandRequest(url=f"{old}?fhir_vs=isa/71388002")).total == 5
    with pytest.raises(UnknownCodeSystemVersion):
        svc.lookup(LookupRequest(system=snomed.SYSTEM, code="71388002",
                                 version=f"http://snomed.info/sct/{CORE}/version/20240101"))


def test_international_and_swedish_packages_merge_into_the_swedish_edition(new_db, backend, tmp_path):
    db = new_db(backend)
    tiny_international(tmp_path).write()
    se = Package(tmp_path, date="20251130", namespace="SE1000052", product="ManagedServiceSE",
                 module=snomed.SWEDISH_MODULE)
    se_only = snomed.make_sctid(9100, "0", 1000052)
    se.concept(se_only, "Swedish-only procedure", parents=(cid(9000002),), sv="Svensk åtgärd")
    se.write()
    v = load_rf2(db, [tmp_path])
    assert v.version == f"http://snomed.info/sct/{SE}/version/20251130"
    svc = _service(db)
    result = svc.lookup(LookupRequest(system=snomed.SYSTEM, code=str(cid(9000002)), display_language="sv"))
    assert result.display == "Knäprotes"
    assert svc.lookup(LookupRequest(system=snomed.SYSTEM, code=str(se_only))).display == "Swedish-only procedure"
    assert svc.subsumes(SubsumesRequest(system=snomed.SYSTEM, code_a="71388002", code_b=str(se_only))) == "subsumes"


def test_a_failed_load_leaves_the_previous_versions_serving(new_db, backend, tmp_path):
    db = new_db(backend)
    first = load_rf2(db, [tiny_international(tmp_path / "good").write()])
    svc = _service(db)
    assert svc.lookup(LookupRequest(system=snomed.SYSTEM, code="71388002")).display == "Procedure"
    bad = tiny_international(tmp_path / "bad", date="20250801")
    bad.relationships[2][5] = 1234567  # a destination that is not an SCTID
    with pytest.raises(LoadError, match=r"sct2_Relationship_Snapshot_INT_20250801.txt, line 4"):
        load_rf2(db, [bad.write()])
    assert [v.version for v in db.versions()] == [first.version]
    failed = db.versions(statuses=("failed",))
    assert len(failed) == 1 and not db.storage_exists(failed[0].storage)
    assert svc.lookup(LookupRequest(system=snomed.SYSTEM, code="71388002")).display == "Procedure"


def test_an_interrupted_load_publishes_nothing(new_db, backend, tmp_path):
    from codesystems import rf2

    db = new_db(backend)
    load_rf2(db, [tiny_international(tmp_path / "good").write()])
    root = tiny_international(tmp_path / "next", date="20250801").write()

    def dies_half_way():
        for i, batch in enumerate(rf2.read([root])):
            if i == 2:
                raise OSError("disk unplugged")
            yield batch

    with pytest.raises(LoadError, match="disk unplugged"):
        load_snomed(db, dies_half_way(), SnomedLoad(release_date="20250801", source={}),
                    edition_of=rf2.edition_module)
    assert [v.effective_date for v in db.versions()] == ["20250701"]


def test_reloading_a_version_replaces_it_atomically(new_db, backend, tmp_path):
    db = new_db(backend)
    load_rf2(db, [tiny_international(tmp_path / "a").write()])
    svc = _service(db)
    generation = db.generation()
    changed = tiny_international(tmp_path / "b")
    synonym = next(d for d in changed.descriptions if d[7] == "Procedure")
    synonym[7] = "Procedure, corrected"
    load_rf2(db, [changed.write()])
    assert db.generation() > generation
    assert len(db.versions()) == 1
    assert svc.lookup(LookupRequest(system=snomed.SYSTEM, code="71388002")).display == "Procedure, corrected"


def test_full_release_gives_a_snapshot_as_of_a_date(new_db, backend, tmp_path):
    db = new_db(backend)
    p = tiny_international(tmp_path, release="Full", date="20240101")
    p.date = "20250701"
    knee = cid(9000001)
    p.concepts.append([knee, "20250601", 0, snomed.CORE_MODULE, snomed.PRIMITIVE])
    for rel in [r for r in p.relationships if knee in (r[4], r[5])]:
        p.relationships.append([rel[0], "20250601", 0] + rel[3:])
    root = p.write()
    v = load_rf2(db, [root], release_type="Full", as_of="20250601")
    assert v.effective_date == "20250601"
    svc = _service(db)
    inactive = lambda: {p.code: p.value for p in svc.lookup(  # noqa: E731
        LookupRequest(system=snomed.SYSTEM, code=str(knee), properties=("inactive",))).properties}["inactive"]
    assert inactive() is True
    # the knee operation drops out; its child stays below procedure through joint replacement
    assert svc.expand(ExpandRequest(url="http://snomed.info/sct?fhir_vs=isa/71388002")).total == 4
    v2 = load_rf2(db, [root], release_type="Full", as_of="20250501")
    assert v2.version.endswith("/version/20250501")
    assert svc.expand(ExpandRequest(url="http://snomed.info/sct?fhir_vs=isa/71388002",
                                    system_versions=(f"{snomed.SYSTEM}|{v2.version}",))).total == 5


def test_experimental_versions_use_xsct(new_db, backend, tmp_path):
    db = new_db(backend)
    v = load_rf2(db, [tiny_international(tmp_path).write()], experimental=True)
    assert v.version == f"http://snomed.info/xsct/{CORE}/version/20250701"
    assert _service(db).lookup(LookupRequest(system=snomed.SYSTEM, code="71388002", version=v.version)).version \
        == v.version
