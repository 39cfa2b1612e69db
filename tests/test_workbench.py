"""The mapping workbench's library (issue 21) on SQLite and PostgreSQL: suggestions from the terminology's text
search (typos, word order, split compounds, Swedish first, target restrictions, inactive sources), projects
stored all or nothing, decisions, the second reviewer, the ConceptMap, re-runs, and the ``vardterm map``
commands."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import terminology as t
from mappings import TranslateRequest, Translator
from mappings.workbench import FileRejected, Target, Workbench
from scripts.cli import main

from .conftest import MINI

DEMO_LIST = Path(__file__).resolve().parents[1] / "scripts" / "data" / "lokala_tjanster.csv"
SOURCE = "https://region.example/kodverk/tjanster"
INFO = t.Principal("info", frozenset({"informatiker"}), None, "cli")
INFO2 = t.Principal("info2", frozenset({"informatiker"}), None, "cli")


def _top(service, text, **target):
    return [s.code for s in service.suggester(t.SuggestTarget(**target)).suggest(text)]


@pytest.mark.parametrize("text, code", [
    ("Knäprotes", "609588000"),            # Swedish synonym, exact
    ("knaprotes", "609588000"),            # without diacritics
    ("KNÄPROTES", "609588000"),            # case
    ("Kataraktoperaton", "110473004"),     # a letter missing
    ("Gastroskpoi", "76009000"),           # two letters swapped
    ("protes knä", "609588000"),           # a compound split, in the other order
    ("total knee replacement", "609588000"),  # English
    ("replacement knee total", "609588000"),  # word order
    ("Gråstarrsoperation", "110473004"),   # a Swedish synonym
])
def test_suggestions_find_the_concept_first(mini_service, text, code):
    assert _top(mini_service, text)[0] == code


def test_an_exact_swedish_preferred_term_ranks_first_and_scores_one(mini_service):
    best = mini_service.suggester(t.SuggestTarget()).suggest("Koloskopi")[0]
    assert (best.code, best.score, best.how, best.language) == ("73761001", 1.0, "exact", "sv")


def test_nothing_is_suggested_for_unrelated_text_and_inactive_concepts_never(mini_service):
    assert _top(mini_service, "Parkeringstillstånd") == []
    inactive = {"99900001006", "99900002004", "99900003009"}
    for text in ("Kataraktoperation", "höftledsplastik", "knäprotes"):
        assert not inactive & set(_top(mini_service, text))


def test_the_target_set_restricts_suggestions(mini_service):
    assert _top(mini_service, "Knäledsartros", ecl="<< 71388002") != ["239873007"]
    assert "239873007" not in _top(mini_service, "Knäledsartros", ecl="<< 71388002")
    assert _top(mini_service, "Knäledsartros", ecl="<< 404684003")[0] == "239873007"
    with pytest.raises(t.InvalidEcl):
        mini_service.suggester(t.SuggestTarget(ecl="<< ("))


def test_an_inactive_source_code_gets_its_replacements(mini_service):
    found = mini_service.suggester(t.SuggestTarget()).suggest("gammal term", code="99900001006")
    assert found[0].code == "110473004" and found[0].how == "SAME AS"


def test_another_code_system_is_searched_by_its_terms(mini_service):
    cs = {"resourceType": "CodeSystem", "url": "https://region.example/cs/prio", "version": "1", "status": "active",
          "content": "complete", "concept": [{"code": "A", "display": "Akut bedömning"},
                                             {"code": "P", "display": "Planerad operation"}]}
    mini_service.repository.create(cs, by=t.COMMAND_LINE)
    try:
        s = mini_service.suggester(t.SuggestTarget(system=cs["url"]))
        assert [x.code for x in s.suggest("planerad operaton")][:1] == ["P"]
        assert [x.code for x in s.suggest("akut")][:1] == ["A"]
    finally:
        mini_service.repository.delete("CodeSystem", mini_service.repository.find("CodeSystem", cs["url"])[0]["id"],
                                       by=t.COMMAND_LINE)


@pytest.fixture
def workbench(new_db, backend):
    from scripts.loading import load_rf2

    db = new_db(backend)
    load_rf2(db, [MINI])
    service = t.TerminologyService(db, refresh_seconds=0)
    return Workbench(service, t.Authoring(service))


def test_a_project_from_the_demo_list_is_reviewed_published_and_translated(workbench):
    progress = []
    pid = workbench.create(title="Lokala tjänster", source_system=SOURCE, target=Target(),
                           data=DEMO_LIST.read_bytes(), file=DEMO_LIST.name, by=INFO,
                           progress=lambda done, total: progress.append((done, total)))
    assert progress[-1] == (50, 50)
    rows = workbench.rows(pid)
    assert len(rows) == 50 and rows[0]["context"] == ["Ögonkliniken", ""]
    assert {r["source_term"] for r in workbench.rows(pid, which="lag")} >= {"Parkeringstillstånd", "Tolkservice"}
    with pytest.raises(t.InvalidRequest, match="NO MAP kräver en kommentar"):
        workbench.decide(pid, 47, by=INFO, no_map=True)
    with pytest.raises(t.InvalidRequest, match="inaktiv"):
        workbench.decide(pid, 2, by=INFO, code="99900001006")
    with pytest.raises(t.InvalidRequest, match="relation"):
        workbench.decide(pid, 2, by=INFO, code="110473004", relationship="same")
    for r in rows:
        if r["top_score"] >= 60:
            workbench.decide(pid, r["row_no"], by=INFO, code=r["suggestions"][0]["code"])
        else:
            workbench.decide(pid, r["row_no"], by=INFO, no_map=True, comment="inget mål")
    workbench.decide(pid, 13, by=INFO, code="609588000", relationship="source-is-narrower-than-target")
    assert workbench.progress(pid) == (50, 50)
    with pytest.raises(t.Forbidden):
        workbench.publish(pid, by=INFO)
    with pytest.raises(t.Forbidden):
        workbench.publish(pid, by=t.Principal("lots", frozenset({"vardlots"})))
    saved = workbench.publish(pid, by=INFO2)
    cm = saved.resource
    assert cm["status"] == "draft" and cm["group"][0]["source"] == SOURCE
    by_code = {e["code"]: e for e in cm["group"][0]["element"]}
    assert by_code["LT012"]["target"][0]["relationship"] == "source-is-narrower-than-target"
    assert by_code["LT046"]["noMap"] is True
    translator = Translator(workbench.service.repository, workbench.service)
    result = translator.translate(TranslateRequest(code="LT002", system=SOURCE))
    assert [m.concept.code for m in result.matches] == ["110473004"]
    history = workbench.history(pid)
    assert history[0]["who"] == "info2" and any("rad 13" in e["what"] for e in history)
    name, data = workbench.export(pid, fmt="csv")
    assert name.endswith(".csv") and "LT012;Knäplastik total" in data.decode("utf-8-sig")
    # a second publication is the next version of the map
    workbench.decide(pid, 2, by=INFO, code="110473004")
    assert workbench.publish(pid, by=INFO2).resource["version"] == "1.1.0"


def test_a_bad_file_stores_nothing(workbench):
    with pytest.raises(FileRejected) as err:
        workbench.create(title="x", source_system=SOURCE, target=Target(), data=b"kod;term\nA;\nA;b\n",
                         file="x.csv", by=INFO)
    assert err.value.problems == ["Rad 2: termen är tom", "Rad 3: koden A finns redan på rad 2"]
    assert workbench.projects() == []
    with pytest.raises(t.InvalidEcl):
        workbench.create(title="x", source_system=SOURCE, target=Target(ecl="<<<"), data="term\nknä\n".encode(),
                         file="x.csv", by=INFO)
    assert workbench.projects() == []
    with pytest.raises(t.Forbidden):
        workbench.create(title="x", source_system=SOURCE, target=Target(), data="term\nknä\n".encode(), file="x.csv",
                         by=t.Principal("lots", frozenset({"vardlots"})))


def test_rerun_flags_rows_whose_target_is_inactive(workbench):
    pid = workbench.create(title="Gamla", source_system=SOURCE, target=Target(), data=b"kod;term\nG1;katarakt\n",
                           file="g.csv", by=INFO)
    # a decision recorded before the target was inactivated (written directly: the workbench refuses it now)
    workbench.store.update_row(pid, 2, {"target_code": "99900001006", "decided_by": "info", "decided_at": "2025"},
                               "info", "rad 2: 99900001006")
    assert workbench.rerun(pid, by=INFO) == 1
    row = workbench.row(pid, 2)
    assert row["flag"] and row["suggestions"][0]["code"] == "110473004" and not row["decided_at"]
    assert [r["row_no"] for r in workbench.rows(pid, which="flaggade")] == [2]


def test_the_map_commands(tmp_path):
    from scripts.loading import load_rf2

    url = f"sqlite:///{tmp_path / 'v.db'}"
    db = t.Database(url)
    db.initialise()
    load_rf2(db, [MINI])
    db.dispose()
    run = CliRunner().invoke
    started = run(main, ["--database-url", url, "map", "start", str(DEMO_LIST), "--title", "Lokala tjänster",
                         "--source-system", SOURCE, "--as", "info"])
    assert started.exit_code == 0, started.output
    assert "Projekt 1: 50 rader" in started.output
    shown = run(main, ["--database-url", url, "map", "show", "1", "--filter", "ogranskade"])
    assert "Kataraktoperaton" in shown.output and "110473004" in shown.output
    decided = run(main, ["--database-url", url, "map", "decide", "1", "3", "--code", "110473004", "--as", "info"])
    assert decided.exit_code == 0 and "Kataraktoperation" in decided.output
    nomap = run(main, ["--database-url", url, "map", "decide", "1", "47", "--no-map", "--as", "info"])
    assert nomap.exit_code != 0 and "NO MAP kräver en kommentar" in nomap.output
    unfinished = run(main, ["--database-url", url, "map", "publish", "1", "--as", "info2"])
    assert unfinished.exit_code != 0 and "inte granskade" in unfinished.output
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"kod;namn\n1;x\n")
    refused = run(main, ["--database-url", url, "map", "start", str(bad), "--title", "x", "--source-system", SOURCE])
    assert refused.exit_code != 0 and "kolumnen term saknas" in refused.output
    out = tmp_path / "ut.xlsx"
    assert run(main, ["--database-url", url, "map", "export", "1", "--out", str(out)]).exit_code == 0
    assert out.read_bytes()[:2] == b"PK"
    rerun = run(main, ["--database-url", url, "map", "rerun", "1", "--as", "info"])
    assert rerun.exit_code == 0 and "0 rader flaggade" in rerun.output
    assert "info" in run(main, ["--database-url", url, "map", "history", "1"]).output
    assert "0/50" not in run(main, ["--database-url", url, "map", "list"]).output


def test_the_labelled_set_is_reproducible_and_meets_the_targets(tmp_path):
    """The benchmark's labelled set (scripts/mapping_labels.py) on the CI-scale synthetic intl+se edition: the same
    set from the same seed, every rule used, and the suggestions' accuracy above the issue's targets."""
    from scripts import mapping_labels
    from scripts.loading import load_rf2
    from scripts.synth import SynthParams, generate

    result = generate(tmp_path / "synth", SynthParams(scale="ci", seed=42, extension=True, versions=1, full=False))
    db = t.Database(f"sqlite:///{tmp_path / 'v.db'}")
    db.initialise()
    load_rf2(db, [p.path for p in result.packages])
    service = t.TerminologyService(db, refresh_seconds=0)
    labels = mapping_labels.make(service.edition())
    assert len(labels) >= 200 and labels == mapping_labels.make(service.edition())
    assert {lb.rule for lb in labels} == set(mapping_labels.RULES)
    assert sum(lb.term != lb.source for lb in labels) > len(labels) // 2
    suggester = service.suggester(t.SuggestTarget())
    found = [[s.code for s in suggester.suggest(lb.term)] for lb in labels]
    top1 = sum(f[:1] == [lb.expected] for f, lb in zip(found, labels)) / len(labels)
    top5 = sum(lb.expected in f for f, lb in zip(found, labels)) / len(labels)
    assert top1 >= 0.8 and top5 >= 0.95, (top1, top5)
    db.dispose()
