"""National code systems stored as FHIR CodeSystems (both engines): read back over REST on both wire versions,
versions side by side, replacement, nothing stored from a bad file, and the command line."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from codesystems import national
from scripts import national as pipeline
from scripts.cli import main
from terminology import LoadError, ResourceRepository

REPO = Path(__file__).resolve().parents[1]
SE = REPO / "tests" / "data" / "se-codes"
SKOS = REPO / "tests" / "data" / "skos"
BOM = "\ufeff"


@pytest.fixture
def server(empty_server):
    """The test server with the demo's excerpts and example maps stored in its database."""
    pipeline.load_demo_national(empty_server.app.state.service.db)
    return empty_server


def _db(client):
    return client.app.state.service.db


def _entries(client, base: str, rtype: str, **params) -> list[dict]:
    r = client.get(f"{base}/{rtype}", params=params)
    assert r.status_code == 200, r.text
    return [e["resource"] for e in r.json().get("entry", [])]


@pytest.mark.parametrize("base", ["/fhir/r4", "/fhir/r5"])
def test_stored_code_systems_read_back_over_rest(server, base):
    from fhir.resources.codesystem import CodeSystem
    from fhir.resources.R4B.codesystem import CodeSystem as CodeSystemR4
    found = {r["url"]: r for r in _entries(server, base, "CodeSystem", _count=50)
             if r["url"].startswith("urn:oid:1.2.752")}
    assert set(found) == {national.KVA, national.ICD10SE, national.VERKSAMHETSKOD, national.VARDFORM}
    kva = server.get(f"{base}/CodeSystem/kva-2021").json()
    (CodeSystemR4 if base.endswith("r4") else CodeSystem).model_validate(kva)
    assert kva["version"] == "2021" and kva["content"] == "fragment" and kva["language"] == "sv"
    assert kva["identifier"][0]["value"] == "urn:oid:1.2.752.116.1.3.2.1.4"
    knee = next(c for c in kva["concept"] if c["code"] == "N")["concept"][1]["concept"][0]
    assert knee["code"] == "NGB" and [c["code"] for c in knee["concept"]][:2] == ["NGB09", "NGB19"]
    assert knee["concept"][4]["display"] == "Primär totalprotes i knäled med cement"
    by_name = _entries(server, base, "CodeSystem", name="HSAVerk")
    assert [r["title"] for r in by_name] == ["HSA verksamhetskod"]
    maps = _entries(server, base, "ConceptMap", url="https://vardterm.example/fhir/ConceptMap/sct-care-services-to-kva")
    assert len(maps) == 1 and maps[0]["version"] == "0.1.0"


def test_versions_side_by_side_and_replacement(empty_server, tmp_path):
    db = _db(empty_server)
    first = pipeline.load_icd10se(db, [SE / "icd10se-excerpt.txt"], version="2021")
    newer = tmp_path / "icd10se-2022.txt"
    newer.write_text((SE / "icd10se-excerpt.txt").read_text("utf-8-sig").replace(
        "M161\t\tAnnan primär koxartros", "M161\t\tPrimär koxartros, ensidig eller UNS"), "utf-8-sig")
    pipeline.load_icd10se(db, [newer], version="2022")
    versions = {r["version"]: r for r in _entries(empty_server, "/fhir/r5", "CodeSystem", url=national.ICD10SE)}
    assert set(versions) == {"2021", "2022"}

    def m161(resource: dict) -> str:
        m16 = next(c for c in resource["concept"] if c["code"] == "13")["concept"][0]["concept"][0]
        return next(c["display"] for c in m16["concept"] if c["code"] == "M161")
    assert m161(versions["2021"]) == "Annan primär koxartros"
    assert m161(versions["2022"]) == "Primär koxartros, ensidig eller UNS"
    again = pipeline.load_icd10se(db, [SE / "icd10se-excerpt.txt"], version="2021")
    assert first.saved.created and not again.saved.created and again.saved.version_id == 1  # unchanged: no new version
    assert len(_entries(empty_server, "/fhir/r5", "CodeSystem", url=national.ICD10SE)) == 2


def test_nothing_is_stored_from_a_bad_file(empty_server, tmp_path):
    db = _db(empty_server)
    pipeline.load_kva(db, [SE / "kva-excerpt.txt"], version="2021")
    bad = tmp_path / "kva.txt"
    bad.write_text((SE / "kva-excerpt.txt").read_text("utf-8-sig") + "\nNGB49\t\tEn gång till", "utf-8-sig")
    for version in ("2021", "2022"):
        with pytest.raises(LoadError, match="duplicate code 'NGB49'"):
            pipeline.load_kva(db, [bad], version=version)
    stored = ResourceRepository(db).find("CodeSystem", national.KVA)
    assert [(r["version"], r["count"]) for r in stored] == [("2021", 120)]


def test_loaders_for_every_format(empty_server):
    db = _db(empty_server)
    claml = pipeline.load_claml(db, SE / "kva-excerpt.claml.xml", version="2021-claml",
                                grouping_kinds=("chapter", "section", "category"))
    assert claml.concepts == 120 and claml.saved.resource["url"] == national.KVA
    skos = pipeline.load_skos(db, SKOS / "vardniva.rdf")
    assert skos.saved.resource["version"] == "1.0.0" and skos.saved.resource["id"] == "vardnivatestvokabular-1.0.0"
    form = pipeline.load_csv(db, SE / "vard-och-omsorgsform.csv", preset="vard-och-omsorgsform", version="4.1")
    assert form.saved.resource["concept"][1]["display"] == "Sluten vård"
    with pytest.raises(LoadError, match="no canonical URL"):
        pipeline.load_csv(db, SE / "vard-och-omsorgsform.csv", preset="mvo", version="1",
                          mapping="code=code,display=name,ignore=alt_name")


def _cli(tmp_path, *args):
    return CliRunner().invoke(main, ["--database-url", f"sqlite:///{tmp_path}/cli.db", *map(str, args)])


def test_cli_load_commands(tmp_path):
    out = _cli(tmp_path, "load", "kva", "--version", "2021", "--content", "fragment", SE / "kva-excerpt" / "kka",
               SE / "kva-excerpt" / "kma")
    assert out.exit_code == 0, out.output
    assert "Loaded CodeSystem urn:oid:1.2.752.116.1.3.2.1.4|2021 (id kva-2021): 120 concepts" in out.output
    runs = [
        (["load", "icd10se", "--version", "2021", SE / "icd10se-excerpt"], "134 concepts"),
        (["load", "claml", SE / "kva-excerpt.claml.xml", "--version", "2021-xml", "--grouping-kind", "chapter"],
         "120 concepts"),
        (["load", "csv", SE / "verksamhetskod.csv", "--preset", "verksamhetskod", "--version", "2025"],
         "283 concepts"),
        (["load", "csv", SE / "vard-och-omsorgsform.csv", "--mapping", "code=code,display=name,synonym=alt_name",
          "--system", "https://ex.se/cs/vardform", "--version", "1", "--title", "Vård- och omsorgsform"],
         "CodeSystem https://ex.se/cs/vardform|1 (id vardochomsorgsform-1): 4 concepts"),
        (["load", "skos", SKOS / "vardniva.ttl", "--version", "2"], "7 concepts"),
        (["load", "kva", "--version", "2021", SE / "kva-excerpt.txt"], "replaced, versionId 2"),
    ]
    for args, expected in runs:
        out = _cli(tmp_path, *args)
        assert out.exit_code == 0 and expected in out.output, (args, out.output)
    maps = tmp_path / "map.csv"
    maps.write_text("source_code,target_code,relationship\nNGB49,179344006,equivalent\n", "utf-8")
    out = _cli(tmp_path, "load", "conceptmap-csv", maps, "--url", "https://ex.se/cm/kva-sct", "--version", "1",
               "--source", national.KVA, "--target", "http://snomed.info/sct")
    assert out.exit_code == 0 and "ConceptMap https://ex.se/cm/kva-sct|1" in out.output and "1 mappings" in out.output


@pytest.mark.parametrize("args, content, message", [
    (["load", "kva", "--version", "1"], "Kod:\t\tKodtext:\nC\t\tÖgon\nC\t\tÖgon", "codes.txt, line 3: duplicate code"),
    (["load", "csv", "--preset", "verksamhetskod", "--version", "1"], "code,name,parent,x\n",
     "codes.txt, line 1: unknown column 'x'"),
    (["load", "csv", "--version", "1"], "code,name\n", "give --preset, or --mapping with --system"),
    (["load", "skos", "--format", "turtle"], "<a> <b> .", "codes.txt, line 1: not readable as turtle"),
    (["load", "claml", "--version", "1"], "<ClaML><Class></ClaML>", "codes.txt, line 1: not well-formed XML"),
])
def test_cli_reports_bad_files_in_one_line(tmp_path, args, content, message):
    f = tmp_path / "codes.txt"
    f.write_text(content, "utf-8")
    out = _cli(tmp_path, *args, f)
    assert out.exit_code == 1 and message in out.output and "Traceback" not in out.output, out.output


def test_cli_synth_kodtextfil_writes_loadable_files(tmp_path):
    for shape, codes in (("kva", 500), ("icd10se", 700)):
        out = _cli(tmp_path, "synth", "kodtextfil", "--shape", shape, "--codes", codes, tmp_path / shape)
        assert out.exit_code == 0 and f"Wrote {codes:,} codes" in out.output, out.output
    assert (tmp_path / "kva" / "kka" / "level4.txt").read_bytes().startswith(BOM.encode())
    out = _cli(tmp_path, "load", "kva", "--version", "synth", tmp_path / "kva")
    assert out.exit_code == 0, out.output
    out = _cli(tmp_path, "load", "icd10se", "--version", "synth", tmp_path / "icd10se")
    assert out.exit_code == 0, out.output
    a = _cli(tmp_path, "synth", "kodtextfil", "--codes", 300, tmp_path / "a")
    b = _cli(tmp_path, "synth", "kodtextfil", "--codes", 300, tmp_path / "b")
    assert a.exit_code == b.exit_code == 0
    assert (tmp_path / "a/kka/level4.txt").read_bytes() == (tmp_path / "b/kka/level4.txt").read_bytes()


def test_demo_loads_the_national_excerpts_once(tmp_path):
    from scripts.cli import _demo_national
    from terminology import Database

    out = _cli(tmp_path, "demo", "--no-serve")
    assert out.exit_code == 0 and "KVÅ, ICD-10-SE, HSA verksamhetskod" in out.output, out.output
    db = Database(f"sqlite:///{tmp_path}/cli.db")
    repo = ResourceRepository(db)
    # the demo's 2021 excerpt, and the older 2020 one of the release review (issue 20, scripts/demo_release.py)
    assert sorted(r["version"] for r in repo.find("CodeSystem", national.KVA)) == ["2020", "2021"]
    assert len(repo.find("ConceptMap", "https://vardterm.example/fhir/ConceptMap/sct-care-services-to-kva")) == 1
    again = _cli(tmp_path, "demo", "--no-serve")
    assert again.exit_code == 0
    assert len(repo.store.history("CodeSystem", "kva-2021")) == 1  # not loaded a second time
    assert len(repo.store.history("CodeSystem", "kva-2020")) == 1
    from api.settings import Settings
    settings = _demo_national(db, Settings(database_url=db.url.render_as_string(hide_password=False)))
    assert settings.snomed_map_targets == {"99900121000052102": national.ICD10SE}
    db.dispose()
