"""One engine: a SNOMED CT question asked as an implicit value set and as a stored ValueSet with the equivalent
``compose`` gets the same answer (expansion parameters, contains with status and properties, paging, languages,
versions, errors, and ``$validate-code`` issues and messages), on SQLite and PostgreSQL.

The implicit value sets of "Using SNOMED CT with FHIR" are turned into their ValueSet definitions
(``terminology/providers/snomed_implicit.py``) and evaluated by the same engine as every stored value set, so
these tests would catch a second path coming back.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from urllib.parse import quote

import pytest

from scripts.loading import load_rf2
from terminology import (COMMAND_LINE, Coding, ExpandRequest, TerminologyError, TerminologyService, ValidateRequest,
                         snomed)

from .conftest import MINI

SCT = snomed.SYSTEM
EDITION = "http://snomed.info/sct/45991000052106/version/20251130"
TKR = "609588000"  # total knee replacement
CARE_REFSET = "99900111000052105"
STORED = "http://example.org/fhir/ValueSet/same-as-implicit-"

IMPLICIT = {
    "all": (f"{SCT}?fhir_vs", {}),
    "isa": (f"{SCT}?fhir_vs=isa/71388002", {"filter": [{"property": "concept", "op": "is-a", "value": "71388002"}]}),
    "refsets": (f"{SCT}?fhir_vs=refset", {"filter": [{"property": "refset", "op": "exists", "value": "true"}]}),
    "refset": (f"{SCT}?fhir_vs=refset/{CARE_REFSET}",
               {"filter": [{"property": "concept", "op": "in", "value": CARE_REFSET}]}),
    "ecl": (f"{SCT}?fhir_vs=ecl/{quote('<< 71388002 MINUS << 609588000', safe='')}",
            {"filter": [{"property": "constraint", "op": "=", "value": "<< 71388002 MINUS << 609588000"}]}),
    "edition": (f"{EDITION}?fhir_vs=isa/71388002",
                {"version": EDITION, "filter": [{"property": "concept", "op": "is-a", "value": "71388002"}]}),
}


@pytest.fixture(scope="module")
def service(request, tmp_path_factory):
    """The hand-made fixture with one stored ValueSet per implicit form, on each backend."""
    made = {}

    def get(backend: str) -> TerminologyService:
        if backend not in made:
            from terminology import Database
            if backend == "sqlite":
                url = f"sqlite:///{tmp_path_factory.mktemp('one') / 'vardterm.db'}"
            else:
                url = request.getfixturevalue("pg_databases").new_url()
            db = Database(url, pool_size=2)
            db.initialise()
            load_rf2(db, [MINI])
            svc = TerminologyService(db, refresh_seconds=0)
            for name, (_, selection) in IMPLICIT.items():
                svc.repository.create({"resourceType": "ValueSet", "url": STORED + name, "status": "active",
                                       "compose": {"include": [{"system": SCT, **selection}]}}, by=COMMAND_LINE)
            made[backend] = svc
        return made[backend]
    yield get
    for svc in made.values():
        svc.db.dispose()


@pytest.fixture
def svc(service, backend) -> TerminologyService:
    return service(backend)


def _same_expansion(svc: TerminologyService, name: str, **options):
    implicit_url, _ = IMPLICIT[name]
    implicit = svc.expand(ExpandRequest(url=implicit_url, **options))
    stored = svc.expand(ExpandRequest(url=STORED + name, **options))
    assert replace(implicit, url=None, value_set=None) == replace(stored, url=None, value_set=None)
    assert implicit.url == implicit_url and stored.url == STORED + name
    return implicit


@pytest.mark.parametrize("name", sorted(IMPLICIT))
def test_the_same_expansion_either_way(svc, name):
    e = _same_expansion(svc, name)
    assert e.unclosed and e.total == len(e.items) > 0
    used = [p.value for p in e.parameters if p.name == "used-codesystem"]
    assert used == [f"{SCT}|{EDITION}"]


@pytest.mark.parametrize("options", [
    {"count": 3, "offset": 2},
    {"count": 0},
    {"filter": "knä", "display_language": "sv"},
    {"filter": "KNAPROTES"},
    {"active_only": True},
    {"include_designations": True, "count": 2},
    {"properties": ("inactive", "parent", "moduleId"), "count": 4},
    {"display_language": "en-GB", "count": 5},
    {"system_versions": (f"{SCT}|{EDITION}",), "count": 2},
    {"exclude_nested": True, "count": 1},
], ids=lambda o: ",".join(o))
@pytest.mark.parametrize("name", ["isa", "refset", "all"])
def test_the_same_parameters_paging_languages_and_properties(svc, name, options):
    e = _same_expansion(svc, name, **options)
    echoed = {p.name for p in e.parameters}
    if "count" in options:
        assert "count" in echoed and e.offset == options.get("offset", 0)
    if "system_versions" in options:
        assert "system-version" in echoed


def test_inactive_members_carry_their_status(svc):
    e = _same_expansion(svc, "refset")
    assert {i.code: i.inactive for i in e.items}["99900002004"] is True  # an active member of an inactive concept
    assert "99900002004" not in {i.code for i in _same_expansion(svc, "refset", active_only=True).items}


def test_the_same_errors(svc):
    broken = {
        "unknown-version": ("http://snomed.info/sct/45991000052106/version/20000101?fhir_vs=isa/71388002",
                            {"version": "http://snomed.info/sct/45991000052106/version/20000101",
                             "filter": [{"property": "concept", "op": "is-a", "value": "71388002"}]}),
        "bad-ecl": (f"{SCT}?fhir_vs=ecl/{quote('<< 71388002 AND', safe='')}",
                    {"filter": [{"property": "constraint", "op": "=", "value": "<< 71388002 AND"}]}),
    }
    for name, (implicit_url, selection) in broken.items():
        inline = {"resourceType": "ValueSet", "url": STORED + name, "status": "active",
                  "compose": {"include": [{"system": SCT, **selection}]}}
        with pytest.raises(TerminologyError) as implicit:
            svc.expand(ExpandRequest(url=implicit_url))
        with pytest.raises(TerminologyError) as stored:
            svc.expand(ExpandRequest(value_set=inline))
        assert type(implicit.value) is type(stored.value), name
        assert (implicit.value.message_id, implicit.value.text) == (stored.value.message_id, stored.value.text), name


CODINGS = [
    (TKR, None, None),
    (TKR, "Knäprotes", "sv"),  # a Swedish synonym
    (TKR, "Total knee replacement", "sv"),  # right concept, wrong language
    (TKR, "Höftprotes", None),  # wrong display
    ("110473004", "Cataract extraction", None),  # an inactive description
    ("99900001006", None, None),  # an inactive concept
    ("363406005", None, None),  # a concept outside the value set
    ("123456789", None, None),  # not a concept
]


@pytest.mark.parametrize("code, display, language", CODINGS)
@pytest.mark.parametrize("name", ["isa", "ecl", "edition"])
def test_the_same_validate_code_answer(svc, name, code, display, language):
    implicit_url, _ = IMPLICIT[name]

    def validate(url: str):
        r = svc.validate(ValidateRequest(target="ValueSet", mode="coding", url=url,
                                         codings=(Coding(SCT, code, display),), display_language=language))
        d = asdict(r)
        d["issues"] = [{**i, "text": i["text"].replace(url, "(the value set)")} for i in d["issues"]]
        d["message_text"] = (d["message_text"] or "").replace(url, "(the value set)")
        return r, d

    implicit, a = validate(implicit_url)
    _, b = validate(STORED + name)
    assert a == b
    if name == "ecl" and code == TKR:  # << 71388002 MINUS << 609588000 leaves the knee replacement out
        assert not implicit.result and any(i.tx_code == "not-in-vs" for i in implicit.issues)
        return
    if code == "123456789" or code == "363406005":
        assert not implicit.result and any(i.tx_code == "not-in-vs" for i in implicit.issues)
    if display == "Höftprotes":
        assert not implicit.result and implicit.issues[-1].tx_code == "invalid-display"
    if display == "Cataract extraction":
        assert implicit.result and implicit.issues[0].message_id == "INACTIVE_DISPLAY_FOUND"
    if language == "sv" and display == "Knäprotes":
        assert implicit.result and implicit.display == "Total knäledsplastik"


def test_implicit_value_sets_can_be_imported(svc):
    """A compose may import an implicit value set (``include.valueSet``), as Snowstorm's examples do."""
    vs = {"resourceType": "ValueSet", "status": "active", "compose": {"include": [
        {"valueSet": [IMPLICIT["isa"][0]]}]}}
    imported = {i.code for i in svc.expand(ExpandRequest(value_set=vs)).items}
    assert imported == {i.code for i in svc.expand(ExpandRequest(url=IMPLICIT["isa"][0])).items}


def test_a_listed_snomed_code_list_is_closed(svc):
    """Only a selection by filter or of the whole code system is unclosed (expressions are members too); an
    explicit list of codes is exactly those codes."""
    listed = {"resourceType": "ValueSet", "status": "active", "compose": {"include": [
        {"system": SCT, "concept": [{"code": TKR}, {"code": "71388002"}]}]}}
    e = svc.expand(ExpandRequest(value_set=listed))
    assert [i.code for i in e.items] == [TKR, "71388002"] and not e.unclosed
