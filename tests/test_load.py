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
    assert v.stats["active_concepts"] == 9
    # procedure > knee op > knee replacement > revision, and knee replacement is-a joint replacement; and the
    # two language refsets under the root
    assert v.stats["closure_pairs"] == 1 + 1 + 2 + 2 + 4 + 5 + 2
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


# --- issue 15: a release is checked before it is published ---------------------------------------------

def _mini_copy(tmp_path):
    import shutil

    from .conftest import MINI
    target = tmp_path / "mini"
    shutil.copytree(MINI, target, ignore=shutil.ignore_patterns("Full", "*.py", "source", "*.md"))
    return target


def _rewrite(path, change) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(change(lines)), encoding="utf-8")


def test_a_cut_concept_file_is_refused_naming_file_line_and_what_is_missing(new_db, backend, tmp_path):
    db = new_db(backend)
    serving = load_rf2(db, [tiny_international(tmp_path / "good").write()])
    release = _mini_copy(tmp_path)
    concepts = next(release.glob("SnomedCT_International*/Snapshot/Terminology/sct2_Concept_*"))
    _rewrite(concepts, lambda lines: lines[:150])  # cut at a line boundary: still a well-formed file
    with pytest.raises(LoadError) as refused:
        load_rf2(db, [release])
    text = refused.value.text
    assert "not published" in text
    assert "sct2_Description_Snapshot-en_INT_20250701.txt, line " in text and "refers to concept" in text, text
    assert "which is not a concept of the release" in text
    assert [v.version for v in db.versions()] == [serving.version]  # the good version still serves
    assert len(db.versions(statuses=("failed",))) == 1


def test_active_concepts_need_a_fully_specified_name_and_a_path_to_the_root(new_db, backend, tmp_path):
    db = new_db(backend)
    p = tiny_international(tmp_path)
    lonely = p.concept(cid(9000020), "Lonely")  # no parent
    unnamed = p.concept(cid(9000021), "Unnamed", parents=(71388002,))
    p.descriptions = [d for d in p.descriptions if not (d[4] == unnamed and d[6] == snomed.FSN)]
    with pytest.raises(LoadError) as refused:
        load_rf2(db, [p.write()])
    text = refused.value.text
    assert f"sct2_Concept_Snapshot_INT_20250701.txt, line 11: active concept {lonely} has no path" in text, text
    assert f"line 12: active concept {unnamed} has no active fully specified name" in text
    assert db.versions() == []


def test_the_module_dependency_refset_must_be_satisfied(new_db, backend, tmp_path):
    db = new_db(backend)
    release = _mini_copy(tmp_path)
    dependencies = next(release.glob("SnomedCT_ManagedServiceSE*/Snapshot/Refset/Metadata/*ModuleDependency*"))
    _rewrite(dependencies, lambda lines: [x.replace("\t20250701\n", "\t20250101\n") for x in lines])
    with pytest.raises(LoadError) as refused:
        load_rf2(db, [release])
    assert ("der2_ssRefset_ModuleDependencySnapshot_SE1000052_20251130.txt, line 2: module 45991000052106 depends "
            "on module 900000000000207008 at 20250101, but the release has it at 20250701") in refused.value.text
    extension = next(release.glob("SnomedCT_ManagedServiceSE*"))
    _rewrite(dependencies, lambda lines: [x.replace("\t20250101\n", "\t20250701\n") for x in lines])
    with pytest.raises(LoadError, match="depends on module 900000000000207008, which is not in the release"):
        load_rf2(db, [extension])  # the extension without the International release
    assert db.versions() == []
    assert load_rf2(db, [release]).version.endswith(f"{SE}/version/20251130")  # both together: fine


MISSING = cid(9000050)
"""A concept id no package of the test has."""


def _dangling_relationship(p, column):
    """An is-a relationship (or one typed by a concept the release lacks) from/to/of :data:`MISSING`."""
    source, destination, type_id = cid(9000003), 71388002, snomed.IS_A
    if column == "source":
        source = MISSING
    elif column == "destination":
        destination = MISSING
    else:
        type_id = MISSING
    p.is_a(source, destination)
    p.relationships[-1][7] = type_id
    row = p.relationships[-1]
    return (f"sct2_Relationship_Snapshot_INT_20250701.txt, line {len(p.relationships) + 1}: relationship {row[0]} "
            f"has {'type' if column == 'type' else column + ' concept'} {MISSING}, which is not a concept of the "
            "release")


def _dangling_concrete_value(p, _):
    p.concrete_value(cid(9000003), 71388002, "#2")  # a good row first: the bad one is on line 3
    rid = p.concrete_value(MISSING, 71388002, "#5")
    return (f"sct2_RelationshipConcreteValues_Snapshot_INT_20250701.txt, line 3: concrete value {rid} has source "
            f"concept {MISSING}, which is not a concept of the release")


def _refset(p) -> int:
    return p.concept(cid(9000030), "Test refset", parents=(snomed.ROOT,))


def _dangling_simple_member(p, target):
    refset = _refset(p)
    p.member(refset, cid(9000003))
    component = MISSING if target == "concept" else p._id("1")  # a description id no file has
    p.member(refset, component)
    return (f"der2_Refset_SimpleSnapshot_INT_20250701.txt, line 3: refset member {p.simple[-1][0]} refers to "
            f"{target} {component}, which is not a {target} of the release")


def _dangling_association_member(p, column):
    refset = _refset(p)
    p.associate(refset, cid(9000002), cid(9000003))
    member = (p.associate(refset, MISSING, cid(9000003)) if column == "referenced" else
              p.associate(refset, cid(9000001), MISSING))
    what = "refers to concept" if column == "referenced" else "has target (targetComponentId or valueId)"
    return (f"der2_cRefset_AssociationSnapshot_INT_20250701.txt, line 3: refset member {member} {what} {MISSING}, "
            "which is not a concept of the release")


def _dangling_language_member(p, _):
    description = p._id("1")
    p.language.append(["5d3c1a8e-0000-4000-8000-000000000001", p.date, 1, p.module, snomed.US_ENGLISH, description,
                       snomed.PREFERRED])
    return (f"der2_cRefset_LanguageSnapshot-en_INT_20250701.txt, line {len(p.language) + 1}: a language refset member "
            f"refers to description {description}, which is not a description of the release")


@pytest.mark.parametrize("break_it, which", [
    (_dangling_relationship, "source"), (_dangling_relationship, "destination"), (_dangling_relationship, "type"),
    (_dangling_concrete_value, None),
    (_dangling_simple_member, "concept"), (_dangling_simple_member, "description"),
    (_dangling_association_member, "referenced"), (_dangling_association_member, "target"),
    (_dangling_language_member, None),
])
def test_rows_referring_to_components_the_release_lacks_are_refused(new_db, backend, tmp_path, break_it, which):
    """Issue 15: every reference rule of terminology.store.integrity refuses the release, names the file, the
    line and what is missing, publishes nothing and leaves what was serving."""
    db = new_db(backend)
    serving = load_rf2(db, [tiny_international(tmp_path / "good").write()])
    p = tiny_international(tmp_path / "bad")
    expected = break_it(p, which)
    with pytest.raises(LoadError) as refused:
        load_rf2(db, [p.write()])
    text = refused.value.text
    assert "not published" in text and expected in text, text
    assert [v.version for v in db.versions()] == [serving.version]
    assert len(db.versions(statuses=("failed",))) == 1
    assert _service(db).lookup(LookupRequest(system=snomed.SYSTEM, code="71388002")).display == "Procedure"


def test_a_damaged_zip_member_is_named(new_db, tmp_path):
    import zipfile

    release = _mini_copy(tmp_path)
    package = next(release.glob("SnomedCT_International*"))
    archive = tmp_path / f"{package.name}.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for f in sorted(package.rglob("*")):
            if f.is_file():
                z.write(f, f"{package.name}/{f.relative_to(package)}")
    with zipfile.ZipFile(archive) as z:
        member = next(i for i in z.infolist() if "sct2_Description" in i.filename)
    data = bytearray(archive.read_bytes())
    start = member.header_offset + 30 + len(member.filename.encode()) + len(member.extra)
    for i in range(start + 20, start + min(member.compress_size, 400)):
        data[i] ^= 0x5A
    archive.write_bytes(bytes(data))
    with pytest.raises(LoadError) as refused:
        load_rf2(new_db("sqlite"), [archive])
    assert member.filename in refused.value.text and "damaged" in refused.value.text, refused.value.text


def test_versions_shows_failed_and_interrupted_loads_and_the_default(new_db, backend, tmp_path):
    import json as _json

    from click.testing import CliRunner
    from sqlalchemy import text

    from scripts.cli import main
    from terminology.store import schema

    db = new_db(backend)
    url = db.url.render_as_string(hide_password=False)
    run = CliRunner().invoke
    loaded = run(main, ["--database-url", url, "load", "rf2", str(tiny_international(tmp_path / "good").write())])
    assert loaded.exit_code == 0, loaded.output
    assert (f"Requests without a SNOMED CT version now use http://snomed.info/sct/{CORE}/version/20250701"
            in loaded.output)
    assert f"VARDTERM_DEFAULT_SNOMED_EDITION={CORE}" in loaded.output
    bad = tiny_international(tmp_path / "bad", date="20250801")
    bad.relationships[2][5] = 1234567
    assert run(main, ["--database-url", url, "load", "rf2", str(bad.write())]).exit_code == 1
    # A load killed half way: its row says "loading", its storage holds what it wrote, its process is gone.
    key, storage = db.begin_version(kind="snomed", system=snomed.SYSTEM, version="(loading 20250901)",
                                    module_id=None, effective_date=None, title="SNOMED CT (loading)", source={})
    engine = db.storage_engine(storage, write=True)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE half (x TEXT)"))
        conn.execute(text("INSERT INTO half VALUES (:x)"), [{"x": "x" * 1000}] * 300)
    engine.dispose()
    t = schema.code_system_version
    with db.engine.begin() as conn:
        conn.execute(t.update().where(t.c.key == key).values(stats=_json.dumps({"pid": 2 ** 22 + 7, "host": __import__(
            "socket").gethostname()})))
    listed = run(main, ["--database-url", url, "versions"])
    assert listed.exit_code == 0, listed.output
    out = listed.output
    assert f"http://snomed.info/sct/{CORE}/version/20250701" in out and "Requests without a SNOMED CT version" in out
    assert "failed (" in out and "is not a valid SCTID" in out
    assert "interrupted (the loading process is gone)" in out
    interrupted = next(line for line in out.splitlines() if "interrupted" in line)
    assert "KiB on disk" in interrupted or "MiB on disk" in interrupted
    assert not interrupted.rstrip().endswith(" 0 KiB on disk")
    assert "'vardterm gc' removes them" in out
    assert run(main, ["--database-url", url, "gc"]).exit_code == 0
    after = run(main, ["--database-url", url, "versions"]).output
    assert "Not serving" not in after and not db.storage_exists(storage)
