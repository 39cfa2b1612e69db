"""Every curl of the README works when pasted (issue 16): the README's code blocks that call the server are
run verbatim by bash (only the port changed) against a started ``vardterm demo`` in a fresh directory, as a
new user runs them after the README's first command; each curl must answer 2xx with the answer the README
promises (the care searches of a vårdlots of region 05 find hits on whatever day the test runs).

How: bash runs each block with ``curl`` replaced by a shell function that calls the real curl, keeps each call's
arguments, status and body (numbered through a counter file, so a curl inside ``$( )`` counts too) and prints
the body as curl would; the checks below are in README order, one per curl, and a curl without a check (or a
check without a curl) fails the test.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .serving import VARDTERM, vardterm_server

ROOT = Path(__file__).resolve().parents[1]
FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.S | re.M)
CURL = re.compile(r"^\s*curl\s", re.M)
CURL_CALL = re.compile(r"(?:^\s*|\$\()curl\s", re.M)
"""Every curl a block runs: at the start of a line, or inside ``$( )`` (the README reads ids that way)."""


def server_blocks(text: str) -> list[str]:
    """The README's code blocks that call the documented server (http://127.0.0.1:8080) with curl."""
    return [b for b in FENCE.findall(text) if CURL.search(b) and "127.0.0.1:8080" in b]


def _parameters(body: dict) -> dict:
    return {p["name"]: p for p in body.get("parameter", [])}


def _value(body: dict, name: str):
    p = _parameters(body)[name]
    return next(v for k, v in p.items() if k.startswith("value"))


def _resolution(bundle: dict) -> dict:
    return _parameters(next(e["resource"] for e in bundle["entry"] if e["resource"]["id"] == "care-search-resolution"))


def _excluded_reasons(bundle: dict) -> set[str]:
    return {part["valueCode"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Parameters"
            for p in e["resource"].get("parameter", []) if p["name"] == "reason"
            for part in p["part"] if part["name"] == "code"}


def expression_valid(body):
    assert _value(body, "result") is True and "|" in _value(body, "display")


def expression_valid_in_swedish(body):
    expression_valid(body)
    assert "knä" in _value(body, "display").lower()


def expression_outside_the_concept_model(body):
    assert _value(body, "result") is False and "272741003" in json.dumps(body)


def expression_normal_form(body):
    props = {part["valueCode"] for p in body["parameter"] if p["name"] == "property"
             for part in p["part"] if part["name"] == "code"}
    assert {"normalForm", "normalFormTerse"} <= props


def expression_subsumed(body):
    assert _value(body, "outcome") == "subsumes"


def expressions_listed(body):
    codes = [c["code"] for c in body["expansion"]["contains"]]
    assert len(codes) == 2 and any(":" in c for c in codes)


def one_draft(body):
    assert body["total"] >= 1 and body["entry"][0]["resource"]["status"] == "draft"


def released(body):
    resources = [e["resource"] for e in body.get("entry", [])] if body["resourceType"] == "Bundle" else [body]
    assert any(r.get("status") == "active" for r in resources)


def a_value_set(body):
    assert body["resourceType"] == "ValueSet" and body["status"] == "active"


def refused_active(body):
    assert body["resourceType"] == "OperationOutcome" and "$draft" in json.dumps(body)


def new_draft(body):
    resources = [e["resource"] for e in body.get("entry", [])] if body["resourceType"] == "Bundle" else [body]
    assert any(r.get("status") == "draft" for r in resources)


def value_sets_found(body):
    assert body["resourceType"] == "Bundle" and body["total"] >= 1


def expanded_in_swedish(body):
    assert body["expansion"]["contains"] and all(c.get("display") for c in body["expansion"]["contains"])


def package_feed(text):
    assert "<feed" in text and "FHIR_Package" in text


def release_diff(body):
    assert any(i["code"] == "99900002004" and i["associations"][0]["code"] == "52734007"
               for i in body["inactivated"])


def release_impact(body):
    assert {f["kind"] for f in body["findings"]} == {"valueset", "conceptmap", "service"}


def kva_release_impact(body):
    """The demo's KVÅ pair (issue 20): the map made under 2020 lists the removed NFB59, a value set gains UJF32."""
    found = {(f["kind"], f["change"], f["code"]) for f in body["findings"]}
    assert found == {("conceptmap", "source-inactive", "NFB59"), ("valueset", "joined", "UJF32")}, found


def care_refset_members(body):
    """The implicit value set and the stored-style compose answer alike: the refset's first five members."""
    e = body["expansion"]
    assert e["total"] > 5 and len(e["contains"]) == 5
    assert {p["name"] for p in e["parameter"]} >= {"used-codesystem", "count"}


def lookup(body):
    assert body["resourceType"] == "Parameters" and _value(body, "display")


def lookup_sv(body):
    assert _value(body, "display") == "Total knäledsplastik"


def expand_knee(body):
    contains = body["expansion"]["contains"]
    assert contains and all("kn" in (c["display"]).lower() for c in contains), contains


def subsumes(body):
    assert _value(body, "outcome") == "subsumes"


def validate_display(body):
    assert _value(body, "result") is True, body


def terminology_capabilities(body):
    assert body["resourceType"] == "TerminologyCapabilities" and body["codeSystem"]


def kva_by_identifier(body):
    """The demo's two KVÅ versions (the 2021 excerpt and the project's 2020 one, issue 20), cut down."""
    assert body["total"] == 2
    versions = [e["resource"] for e in body["entry"]]
    assert sorted(kva["version"] for kva in versions) == ["2020", "2021"]
    for kva in versions:
        assert kva["url"] == "urn:oid:1.2.752.116.1.3.2.1.4" and kva["title"] and "concept" not in kva
        assert any(tag["code"] == "SUBSETTED" for tag in kva["meta"]["tag"])


def inera_summaries(body):
    assert body["total"] == 2 and all("concept" not in e["resource"] and e["resource"]["publisher"] == "Inera AB"
                                      for e in body["entry"])


def count_only(body):
    assert body["total"] == 2 and "entry" not in body  # KVÅ 2020 and 2021


def expand_tx_resource(body):
    assert {c["code"] for c in body["expansion"]["contains"]} >= {"609588000", "179344006"}


def translated(body):
    assert _value(body, "result") is True, body


def to_ngb49(body):
    translated(body)
    codes = {part["valueCoding"]["code"] for p in body["parameter"] if p["name"] == "match"
             for part in p["part"] if part["name"] == "concept"}
    assert "NGB49" in codes


def care_bundle_hits(body):
    assert body["resourceType"] == "Bundle" and body["total"] > 0, _resolution(body)["text"]


def hip_asa3(body):
    care_bundle_hits(body)
    assert "asa" in _excluded_reasons(body)  # the provider limited to ASA 1-2 (care-search.md question 2)
    assert _resolution(body)["excludedTotal"]["valueInteger"] > 0


def json_hits(body):
    assert body["total"] > 0 and body["hits"], body["resolution"]["text"]


def near_linkoping(body):
    json_hits(body)
    assert all(h["place"]["distanceKm"] is not None and h["place"]["distanceKm"] <= 100 for h in body["hits"])


def mapped_from_c18(body):
    json_hits(body)
    assert {h["match"]["type"] for h in body["hits"]} == {"mapped"}


def capacity_ahead(body):
    json_hits(body)
    assert all(h["capacity"] for h in body["hits"])


CHECKS = [
    ("CodeSystem/$lookup", lookup),
    ("displayLanguage=sv", lookup_sv),
    ("filter=knä", expand_knee),
    ("$subsumes", subsumes),
    ("display=Knäprotes", validate_display),
    ("mode=terminology", terminology_capabilities),
    ("tx-resource", expand_tx_resource),
    ("fhir_vs=refset/99900111000052105", care_refset_members),
    ('"op": "in"', care_refset_members),
    ("code=49076000%20%7CKnee", expression_valid),
    ("displayLanguage=sv", expression_valid_in_swedish),
    ("code=609588000 : 272741003 = 24028007", expression_outside_the_concept_model),
    ("CodeSystem/$lookup", expression_normal_form),
    ("$subsumes", expression_subsumed),
    ("fhir_vs=ecl/<< 71388002", expression_valid),
    ('609588000:{363704007', expressions_listed),
    ("identifier=urn:oid:1.2.752.116.1.3.2.1.4", kva_by_identifier),
    ("publisher=inera", inera_summaries),
    ("title:contains=vårdåtgärder", count_only),
    ("sourceCode=179344006", to_ngb49),
    ("code=609588000&targetsystem", to_ngb49),
    ("targetCode=NGB49", translated),
    ("sourceCode=C189", translated),
    ("fhir_cm%3D99900121000052102", translated),
    ("fhir_cm%3D900000000000527005", translated),
    ("Knaledsplastik&status=draft", one_draft),
    ("$release?releaseLabel=Demo", released),
    ("/fhir/r4/ValueSet/", a_value_set),  # the released version read back, to change it
    ("-X PUT", refused_active, 422),
    ("$draft", new_draft, 201),
    ("code=urn:oid:1.2.752.116.1.3.2.1.4|NGB49", value_sets_found),
    ("valueSetVersion=1.1.0", expanded_in_swedish),
    ("/feed", package_feed),
    ("api/terminology/diff", release_diff),
    ("api/terminology/impact", release_impact),
    ("system=urn:oid:1.2.752.116.1.3.2.1.4", kva_release_impact),
    ("text=kataraktoperation", care_bundle_hits),
    ("text=primär total höftledsplastik", hip_asa3),
    ("text=knäprotes", json_hits),
    ("text=koloskopi", near_linkoping),
    ("code=C18", mapped_from_c18),
    ("text=MR knä", capacity_ahead),
]
"""(a text the curl's arguments contain, the check of its answer[, the status the README says it gets]), in README
order; the check gets the answer as JSON, or as text when it is not JSON."""

RUN = """set -euo pipefail
curl() {{
    local n=$(( $(cat "{out}/n" 2>/dev/null || echo 0) + 1 ))
    echo "$n" > "{out}/n"
    printf '%s\\n' "$@" > "{out}/$n.args"
    command curl -sS --max-time 60 -o "{out}/$n.body" -w '%{{http_code}}' "$@" > "{out}/$n.status"
    cat "{out}/$n.body"
}}
"""


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The README's first command in a fresh directory: ``.venv/bin/vardterm demo`` (its default SQLite database
    ``data/vardterm.db``), served on a free port instead of 8080."""
    where = tmp_path_factory.mktemp("readme")
    (where / ".venv").symlink_to(Path(sys.executable).parent.parent)
    subprocess.run([VARDTERM, "--log-level", "WARNING", "demo", "--no-serve"], cwd=where, check=True,
                   capture_output=True, timeout=300)
    with vardterm_server(["--log-level", "WARNING", "demo"], cwd=where, timeout=120) as base:
        yield where, base


def test_every_readme_curl_works_against_the_demo(demo, tmp_path):
    where, base = demo
    port = base.rsplit(":", 1)[1]
    blocks = server_blocks((ROOT / "README.md").read_text(encoding="utf-8"))
    calls = []
    for i, block in enumerate(blocks):
        out = tmp_path / f"block{i}"
        out.mkdir()
        script = RUN.format(out=out) + block.replace("127.0.0.1:8080", f"127.0.0.1:{port}")
        done = subprocess.run(["bash", "-c", script], cwd=where, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"README block {i} failed:\n{block}\n{done.stdout}\n{done.stderr}"
        made = sorted(out.glob("*.status"), key=lambda p: int(p.stem))
        assert len(made) == len(CURL_CALL.findall(block)), f"not every curl of block {i} ran:\n{block}"
        for status in made:
            args = (out / f"{status.stem}.args").read_text(encoding="utf-8").replace("\n", " ")
            calls.append((args, int(status.read_text()), (out / f"{status.stem}.body").read_text(encoding="utf-8")))
        if "vardterm care search" in block:
            found = re.search(r"^(\d+) träff\(ar\)", done.stdout, re.M)
            assert found and int(found.group(1)) > 0, done.stdout
    assert len(calls) == len(CHECKS), [a for a, _, _ in calls]
    for (args, status, body), (marker, check, *expected) in zip(calls, CHECKS):
        assert marker in args, f"README curls are not in the order of CHECKS: expected {marker!r} in {args}"
        if expected:  # a refusal the README shows on purpose
            assert status == expected[0], f"{args} -> {status}: {body[:500]}"
        else:
            assert 200 <= status < 300, f"{args} -> {status}: {body[:500]}"
        check(json.loads(body) if body.lstrip().startswith("{") else body)
