"""Every path gives the same answer (issue 5): the library call, ``ValueSet/$expand`` over HTTP,
``ValueSet/$validate-code`` over HTTP and the ``vardterm ecl`` command, on SQLite and PostgreSQL."""

from __future__ import annotations

import warnings
from urllib.parse import quote

import pytest
from click.testing import CliRunner

from api import Settings, create_app
from terminology import ExpandRequest
from scripts.cli import main

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

SCT = "http://snomed.info/sct"
EXPRESSIONS = [
    "<< 90470006 |Prostatectomy| AND ^ 99900111000052105",
    "< 71388002 : { 260686004 = 129304002 }, { 260686004 = 129433002 }",
    '<< 609588000 {{ term = "knäprotes", dialect = sv-se (accept) }}',
    "<< 52734007 {{ + HISTORY-MOD }}",
    "(< 373873005 : 1142135004 >= #500) OR << 52734007",
]
OUTSIDE = "73761001"


@pytest.fixture
def url(mini_dbs, backend) -> str:
    return mini_dbs(backend).url.render_as_string(hide_password=False)


@pytest.fixture
def client(url):
    with TestClient(create_app(Settings(database_url=url, catalog_refresh_seconds=0))) as c:
        yield c


def _parameters(body: dict) -> dict:
    return {p["name"]: next(v for k, v in p.items() if k.startswith("value")) for p in body["parameter"]
            if any(k.startswith("value") for k in p)}


@pytest.mark.parametrize("expression", EXPRESSIONS)
def test_library_expand_validate_and_cli_agree(expression, mini_service, client, url):
    library = [i.code for i in mini_service.evaluate_ecl(expression).items]
    assert library

    vs = f"{SCT}?fhir_vs=ecl/{quote(expression, safe='')}"
    r = client.get("/fhir/r4/ValueSet/$expand", params={"url": vs})
    assert r.status_code == 200, r.text
    expanded = sorted(c["code"] for c in r.json()["expansion"].get("contains", []))
    assert expanded == sorted(library)

    for code in (library[0], library[-1], OUTSIDE):
        r = client.get("/fhir/r4/ValueSet/$validate-code", params={"url": vs, "system": SCT, "code": code})
        assert r.status_code == 200, r.text
        assert _parameters(r.json())["result"] is (code in library), code

    cli = CliRunner().invoke(main, ["ecl", "--db", url, expression])
    assert cli.exit_code == 0, cli.output
    assert [line.split("|")[0] for line in cli.output.splitlines()] == library

    for prop in ("constraint", "expression"):
        vs = {"resourceType": "ValueSet", "status": "active", "compose": {"include": [
            {"system": SCT, "filter": [{"property": prop, "op": "=", "value": expression}]}]}}
        composed = mini_service.expand(ExpandRequest(value_set=vs))
        assert sorted(i.code for i in composed.items) == sorted(library), prop


def test_errors_on_every_path(mini_service, client, url):
    bad = "<< 90470006 AND << 26294005 OR 90199006"
    vs = f"{SCT}?fhir_vs=ecl/{quote(bad, safe='')}"
    r = client.get("/fhir/r4/ValueSet/$expand", params={"url": vs})
    assert r.status_code == 400
    issue = r.json()["issue"][0]
    assert issue["code"] == "invalid" and "position 29" in issue["details"]["text"]
    r = client.get("/fhir/r4/ValueSet/$validate-code", params={"url": vs, "system": SCT, "code": "90470006"})
    assert r.status_code == 400 and "position 29" in r.json()["issue"][0]["details"]["text"]
    cli = CliRunner().invoke(main, ["ecl", "--db", url, bad])
    assert cli.exit_code == 1 and "position 29" in cli.output and "Traceback" not in cli.output


def test_cli_count_limit_and_version(url, mini_service):
    runner = CliRunner()
    count = runner.invoke(main, ["ecl", "--db", url, "--count", "<< 90470006"])
    assert count.exit_code == 0 and count.output.strip() == "7"
    page = runner.invoke(main, ["ecl", "--db", url, "--limit", "2", "--offset", "1", "--language", "sv",
                                "--version", mini_service.default_version(), "<< 90470006"])
    assert page.exit_code == 0 and page.output.splitlines() == ["65551008|Radikal retropubisk prostatektomi",
                                                                "90199006|Transuretral resektion av prostata"]
    unknown = runner.invoke(main, ["ecl", "--db", url, "--version", f"{SCT}/1234567/version/20200101", "*"])
    assert unknown.exit_code == 1 and "Traceback" not in unknown.output
