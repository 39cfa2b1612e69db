"""Pure functions of the core: SCTIDs, text folding, the closure, language tags, version URIs."""

from __future__ import annotations

import itertools
import random

import pytest

from terminology import InvalidRequest, UnknownCodeSystemVersion, UnknownValueSet, snomed
from terminology.editions import resolve
from terminology.hierarchy import ancestor_sets, closure_arrays
from terminology.providers.snomed_implicit import definition
from terminology.languages import parse_language_list, refsets_for
from terminology.model import CodeSystemVersion
from terminology.text import fold, tokens


@pytest.mark.parametrize("sctid", ["138875005", "116680003", "45991000052106", "46011000052107",
                                   "900000000000207008", "1186924009"])
def test_real_ids_pass_the_sctid_rules(sctid):
    assert snomed.sctid_problem(sctid) is None


@pytest.mark.parametrize("value, problem", [
    ("138875006", "Verhoeff"), ("12345", "6 to 18"), ("0138875005", "start with 0"), ("13887500a", "number"),
    ("1388750035", "partition 03"),
])
def test_bad_sctids_say_why(value, problem):
    assert problem in snomed.sctid_problem(value)


def test_make_sctid_builds_short_and_long_formats():
    assert snomed.make_sctid(4599, "0", 1000052) == snomed.SWEDISH_MODULE
    assert snomed.namespace_of(snomed.SWEDISH_LANGUAGE_REFSET) == 1000052
    assert snomed.namespace_of(snomed.ROOT) is None
    for item in range(1, 2000, 37):
        for part in "012":
            assert snomed.is_valid_sctid(str(snomed.make_sctid(item * 1000, part)), part)


def test_every_single_digit_error_is_caught():
    sctid = "45991000052106"
    for i, d in itertools.product(range(len(sctid)), "0123456789"):
        changed = sctid[:i] + d + sctid[i + 1:]
        if changed != sctid and changed[0] != "0":
            assert not snomed.verhoeff_valid(changed)


@pytest.mark.parametrize("text, folded", [("Knäprotes", "knaprotes"), ("HÖFTLEDSPLASTIK", "hoftledsplastik"),
                                          ("Ångström", "angstrom"), ("Søren Æble", "soren aeble"),
                                          ("café", "cafe"), ("Straße", "strasse")])
def test_fold_removes_case_and_diacritics(text, folded):
    assert fold(text) == folded


def test_tokens_split_on_non_letters():
    assert tokens("Total knä-protes (procedure), vänster") == ["total", "kna", "protes", "procedure", "vanster"]


def _brute_closure(edges):
    parents = {}
    for c, p in edges:
        parents.setdefault(c, set()).add(p)
    out = set()
    for node in parents:
        stack, seen = list(parents[node]), set()
        while stack:
            p = stack.pop()
            if p not in seen:
                seen.add(p)
                stack.extend(parents.get(p, ()))
        out |= {(node, a) for a in seen}
    return out


@pytest.mark.parametrize("seed", range(5))
def test_closure_matches_brute_force_on_random_dags(seed):
    rng = random.Random(seed)
    edges = set()
    for child in range(1, 300):
        for parent in rng.sample(range(child), k=min(child, rng.choice([1, 1, 1, 2, 3]))):
            edges.add((child, parent))
    a, d = closure_arrays(edges)
    assert set(zip(d.tolist(), a.tolist())) == _brute_closure(edges)
    assert list(zip(a.tolist(), d.tolist())) == sorted(zip(a.tolist(), d.tolist()))


def test_closure_reports_cycles():
    with pytest.raises(Exception, match="cycle"):
        list(ancestor_sets([(1, 2), (2, 3), (3, 1), (4, 1)]))


def test_accept_language_is_ordered_by_quality():
    tags = parse_language_list("en;q=0.5, sv-SE, de;q=0.9, *;q=0.1")
    assert [t.tag for t in tags] == ["sv-SE", "de", "en", "*"]
    with pytest.raises(InvalidRequest):
        parse_language_list("sv;q=high")


def test_language_tags_pick_refsets():
    available = {snomed.US_ENGLISH: ["en"], snomed.GB_ENGLISH: ["en"], snomed.SWEDISH_LANGUAGE_REFSET: ["sv"]}
    pick = lambda v: refsets_for(parse_language_list(v), available)  # noqa: E731
    assert pick("sv")[0] == snomed.SWEDISH_LANGUAGE_REFSET
    assert pick("sv-SE")[0] == snomed.SWEDISH_LANGUAGE_REFSET
    assert pick("sv-x-46011000052107") == [snomed.SWEDISH_LANGUAGE_REFSET]
    assert pick("en-GB")[0] == snomed.GB_ENGLISH
    assert pick("en-x-900000000000508004") == [snomed.GB_ENGLISH]
    assert pick("en")[0] == snomed.US_ENGLISH
    assert pick("fr") == []


def _version(key, module, date, x=False):
    prefix = snomed.EXPERIMENTAL_VERSION_PREFIX if x else snomed.VERSION_PREFIX
    return CodeSystemVersion(key, snomed.SYSTEM, f"{prefix}{module}/version/{date}", module, date, "t", "", "s")


def test_version_resolution_follows_the_snomed_on_fhir_rules():
    core, se = str(snomed.CORE_MODULE), str(snomed.SWEDISH_MODULE)
    vs = [_version(1, core, "20250601"), _version(2, core, "20250701"), _version(3, se, "20251130")]
    assert resolve(vs, None).key == 2
    assert resolve(vs, None, se).key == 3
    assert resolve(vs, f"http://snomed.info/sct/{core}").key == 2
    assert resolve(vs, f"http://snomed.info/sct/{core}/version/20250601").key == 1
    with pytest.raises(UnknownCodeSystemVersion, match="Valid versions"):
        resolve(vs, f"http://snomed.info/sct/{core}/version/20240101")
    with pytest.raises(UnknownCodeSystemVersion):
        resolve(vs, "20250701")


def test_implicit_value_set_urls_are_value_set_definitions():
    def include(url: str) -> dict:
        vs = definition(url)
        assert vs["url"] == url and vs["status"] == "active"
        [inc] = vs["compose"]["include"]
        return inc
    assert include("http://snomed.info/sct?fhir_vs") == {"system": "http://snomed.info/sct"}
    assert include("http://snomed.info/sct/45991000052106/version/20251130?fhir_vs=isa/71388002") == {
        "system": "http://snomed.info/sct", "version": "http://snomed.info/sct/45991000052106/version/20251130",
        "filter": [{"property": "concept", "op": "is-a", "value": "71388002"}]}
    assert include("http://snomed.info/sct?fhir_vs=refset")["filter"] == [
        {"property": "refset", "op": "exists", "value": "true"}]
    assert include("http://snomed.info/sct%3Ffhir_vs%3Drefset%2F723264001")["filter"] == [
        {"property": "concept", "op": "in", "value": "723264001"}]
    assert include("http://snomed.info/sct?fhir_vs=ecl/%3C%3C%2071388002")["filter"] == [
        {"property": "constraint", "op": "=", "value": "<< 71388002"}]
    with pytest.raises(UnknownValueSet):  # names no concept: no value set (tx.fhir.org: not-found)
        definition("http://snomed.info/sct?fhir_vs=isa/123")
    with pytest.raises(InvalidRequest):
        definition("http://snomed.info/sct?fhir_vs=banana")
