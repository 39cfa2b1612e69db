"""The RF2 reader: file-name recognition (synthetic-rf2.md §1.1), validation with file and line, history."""

from __future__ import annotations

import zipfile

import pytest

from codesystems import rf2
from terminology import LoadError, snomed

from .rf2_builder import CONCEPT_HEADER, Package, cid, tiny_international, write_rf2


@pytest.mark.parametrize("name, kind, release", [
    ("sct2_Concept_Snapshot_INT_20250701.txt", "concept", "Snapshot"),
    ("sct2_Description_Snapshot-en_INT_20250701.txt", "description", "Snapshot"),
    ("sct2_Description_Full-en-GB_GB1000000_20210512.txt", "description", "Full"),
    ("sct2_TextDefinition_Snapshot-en_INT_20250701.txt", "description", "Snapshot"),
    ("sct2_Concept_UKEDSnapshot_GB_20210512.txt", "concept", "Snapshot"),
    ("sct2_Relationship_MONOSnapshot_GB_20210512.txt", "relationship", "Snapshot"),
    ("sct2_RelationshipConcreteValues_Snapshot_INT_20250701.txt", "concrete_value", "Snapshot"),
    ("sct2_StatedRelationship_Snapshot_INT_20250701.txt", "skip", "Snapshot"),
    ("sct2_Stated_Relationship_Snapshot_INT_20250701.txt", "skip", "Snapshot"),
    ("sct2_sRefset_OWLExpressionSnapshot_INT_20250701.txt", "skip", "Snapshot"),
    ("sct2_Identifier_Snapshot_INT_20250701.txt", "skip", "Snapshot"),
    ("der2_cRefset_LanguageSnapshot-sv_SE1000052_20251130.txt", "refset", "Snapshot"),
    ("der2_iisssccRefset_ExtendedMapFull_INT_20250701.txt", "refset", "Full"),
    ("xder2_Refset_SimpleDelta_INT_20250701.txt", "refset", "Delta"),
    # A Swedish refset name holding UTF-8 and the word "Delta": the type is read from the suffix.
    ("der2_Refset_UrvalDeltagandetyperHälso-OchSjukvårdSimpleRefsetSnapshot_SE1000052_20161130.txt", "refset",
     "Snapshot"),
    ("rel2_Refset_UrvalDeltagandetyperHälso-OchSjukvårdSimpleRefsetDelta_SE1000052_20161130.txt", "refset", "Delta"),
])
def test_file_names_are_recognised_by_pattern(name, kind, release):
    found = rf2.classify(name)
    assert found is not None and found[0] == kind and found[1] == release


@pytest.mark.parametrize("name", ["Readme_en_20250701.txt", "doc_SnomedCTReleaseNotes_Current-en-US_INT_20250701.pdf", "release_package_information.json",
                                  "sct2_Concept_Snapshot_INT.txt", "sct2_Concept_INT_20250701.txt"])
def test_other_files_are_not_rf2(name):
    assert rf2.classify(name) is None


def _rows(batches, kind):
    return [r for b in batches if b.kind == kind for r in b.rows]


def test_reads_a_snapshot_folder_and_a_zip(tmp_path):
    pkg = tiny_international(tmp_path / "f")
    pkg.member(723264001, cid(9000002))
    folder = pkg.write()
    zipped = tmp_path / f"{folder.name}.zip"
    with zipfile.ZipFile(zipped, "w") as zf:
        for f in folder.rglob("*.txt"):
            zf.write(f, f"{folder.name}/{f.relative_to(folder)}")
    from_folder = list(rf2.read([folder]))
    from_zip = list(rf2.read([zipped]))
    assert len(_rows(from_folder, "concept")) == 9
    assert sorted(map(tuple, _rows(from_folder, "description"))) == sorted(map(tuple, _rows(from_zip, "description")))
    assert {b.kind for b in from_folder} == {"concept", "description", "relationship", "language", "refset"}
    release = rf2.scan([zipped])
    assert release.packages[0].release_date == "20250701" and release.release_types == {"Snapshot"}


def _bad(tmp_path, mutate) -> LoadError:
    pkg = tiny_international(tmp_path)
    mutate(pkg)
    root = pkg.write()
    with pytest.raises(LoadError) as err:
        list(rf2.read([root]))
    return err.value


def test_a_bad_sctid_names_file_line_and_problem(tmp_path):
    def mutate(p):
        p.concepts[3][0] = 9000001001  # wrong check digit
    err = _bad(tmp_path, mutate)
    assert "sct2_Concept_Snapshot_INT_20250701.txt" in str(err) and err.line == 5
    assert "Verhoeff" in str(err)


def test_a_description_id_in_the_concept_partition_is_refused(tmp_path):
    def mutate(p):
        p.descriptions[0][0] = cid(123456)
    err = _bad(tmp_path, mutate)
    assert err.line == 2 and "not a description partition" in str(err)


def test_a_broken_row_is_refused(tmp_path):
    def mutate(p):
        p.relationships[1] = p.relationships[1][:7]
    err = _bad(tmp_path, mutate)
    assert "sct2_Relationship" in str(err) and err.line == 3 and "expected 10 tab-separated columns" in str(err)


@pytest.mark.parametrize("field, value, message", [(2, "yes", "active must be 1 or 0"),
                                                   (1, "2025-07-01", "effectiveTime must be YYYYMMDD")])
def test_bad_booleans_and_dates_are_refused(tmp_path, field, value, message):
    def mutate(p):
        p.concepts[2][field] = value
    err = _bad(tmp_path, mutate)
    assert message in str(err) and err.line == 4


def test_a_wrong_header_is_refused(tmp_path):
    root = tiny_international(tmp_path).write()
    concept_file = next(root.rglob("sct2_Concept_*"))
    write_rf2(concept_file, CONCEPT_HEADER[:4] + ["definitionStatus"], [])
    with pytest.raises(LoadError, match="wrong header") as err:
        list(rf2.read([root]))
    assert err.value.line == 1


def test_bad_utf8_and_bom_are_refused(tmp_path):
    root = tiny_international(tmp_path).write()
    desc = next(root.rglob("sct2_Description_*"))
    desc.write_bytes(desc.read_bytes().replace("Knäoperation".encode(), b"Kn\xe4operation"))
    with pytest.raises(LoadError, match="not valid UTF-8"):
        list(rf2.read([root]))
    concept_file = next(root.rglob("sct2_Concept_*"))
    concept_file.write_bytes(b"\xef\xbb\xbf" + concept_file.read_bytes())
    with pytest.raises(LoadError, match="byte order mark"):
        list(rf2.read([concept_file.parent.parent.parent]))


def test_missing_sources_and_empty_folders_are_refused(tmp_path):
    with pytest.raises(LoadError, match="no such file"):
        rf2.scan([tmp_path / "nope.zip"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(LoadError, match="no RF2 data files"):
        rf2.scan([tmp_path / "empty"])
    (tmp_path / "notzip.zip").write_text("hello")
    with pytest.raises(LoadError, match="not a zip"):
        rf2.scan([tmp_path / "notzip.zip"])


def test_full_gives_the_snapshot_as_of_a_date(tmp_path):
    p = tiny_international(tmp_path, release="Full")
    a = cid(9000001)
    # Three rows for one concept: the snapshot at T takes the newest row on or before T (§1.7).
    p.concepts.append([a, "20250101", 0, snomed.CORE_MODULE, snomed.PRIMITIVE])
    p.concepts.append([a, "20260101", 1, snomed.CORE_MODULE, snomed.DEFINED])
    p.concepts[3][1] = "20240101"
    root = p.write()
    rows = {r[0]: r for r in _rows(rf2.read([root], as_of="20250601"), "concept")}
    assert rows[str(a)][1:3] == ["20250101", "0"]
    rows = {r[0]: r for r in _rows(rf2.read([root]), "concept")}
    assert rows[str(a)][1:3] == ["20260101", "1"]
    rows = {r[0]: r for r in _rows(rf2.read([root], as_of="20200101"), "concept")}
    assert str(a) not in rows


def test_packages_merge_with_the_newest_row_winning(tmp_path):
    intl = tiny_international(tmp_path)
    intl.write()
    se = Package(tmp_path, date="20251130", namespace="SE1000052", product="ManagedServiceSE",
                 module=snomed.SWEDISH_MODULE)
    promoted = cid(9000002)
    # The extension ships a newer row for an International concept: the newer row wins.
    se.concepts.append([promoted, "20251130", 1, snomed.SWEDISH_MODULE, snomed.DEFINED])
    se.write()
    rows = {r[0]: r for r in _rows(rf2.read([tmp_path]), "concept")}
    assert rows[str(promoted)][3] == str(snomed.SWEDISH_MODULE)
    assert len(rows) == 9


def test_blank_effective_time_is_newer_than_any_date(tmp_path):
    p = tiny_international(tmp_path, release="Full")
    a = cid(9000001)
    p.concepts.append([a, "", 0, snomed.CORE_MODULE, snomed.PRIMITIVE])
    rows = {r[0]: r for r in _rows(rf2.read([p.write()]), "concept")}
    assert rows[str(a)][2] == "0"


def test_edition_module_is_the_most_dependent_module():
    core, model, se = str(snomed.CORE_MODULE), str(snomed.MODEL_MODULE), str(snomed.SWEDISH_MODULE)
    assert rf2.edition_module({core: 100, model: 10}, [(core, model)]) == core
    assert rf2.edition_module({core: 100, model: 10, se: 5}, [(se, core), (se, model), (core, model)]) == se
    assert rf2.edition_module({core: 100, se: 5}, []) == se
    assert rf2.edition_module({core: 100, model: 10}, []) == core  # the model module never names an edition


def test_release_type_must_exist(tmp_path):
    root = tiny_international(tmp_path).write()
    with pytest.raises(LoadError, match="no Full files"):
        list(rf2.read([root], release_type="Full"))


def test_empty_lines_are_skipped_and_line_numbers_stay_right(tmp_path):
    root = tiny_international(tmp_path).write()
    concept_file = next(root.rglob("sct2_Concept_*"))
    lines = concept_file.read_bytes().decode("utf-8").split("\r\n")
    lines.insert(2, "")
    lines[4] = lines[4].replace("\t1\t", "\tx\t", 1)
    concept_file.write_bytes("\r\n".join(lines).encode("utf-8"))
    with pytest.raises(LoadError) as err:
        list(rf2.read([root]))
    assert err.value.line == 5
