"""The request pools of ``vardterm bench --suite http``, built through the FHIR API of the server under test.

The tests follow the SNOMED CT tests of the public HealthSamurai tx-benchmark (its k6 scripts LK01, LK05, VC01-03,
EX01-03, EX05, EX08, SS01, CM01: one request drawn at random from a pool for every request sent) and the
requests (a)-(h) of issue 18, plus three of our own (i-k). The pools are of the same kind as tx-benchmark's but
drawn from whatever edition the server has loaded: random concepts, their displays and attributes (``$lookup``),
``is-a`` hierarchies of every size (``$expand ... count=0`` gives a subtree's size), words of the displays as
text filters, subsumption pairs of every outcome, the inactive concepts of the REPLACED BY association refset.
Reading through the API rather than the database works against any FHIR terminology server and any backend.

Each pool entry is a request (method, path below the FHIR base, JSON body) with what its answer must be
(:func:`scripts.http_bench.check`): the HTTP status, and where the pool knows it, the validation ``result``, the
subsumption ``outcome``, the expansion's ``total`` or the number of codes it ``contains``.
"""

from __future__ import annotations

import json
import math
import random
import re
import time
from dataclasses import asdict, dataclass, field
from typing import Callable
from urllib.parse import quote, urlencode

import httpx

SCT = "http://snomed.info/sct"
ROOT = "138875005"
MODEL_COMPONENT = "900000000000441003"
"""The metadata hierarchy (SNOMED CT Model Component): left out of the clinical hierarchies."""
REPLACED_BY = "900000000000526001"
BENCH_VALUE_SET = "http://example.org/vardterm-bench/ValueSet/"
WORD = re.compile(r"[^\W\d_]{3,}")


@dataclass
class Entry:
    """One request of a pool and what its answer must be."""
    method: str
    path: str
    body: dict | None = None
    expect: dict = field(default_factory=lambda: {"status": 200})


@dataclass
class Test:
    id: str
    title: str
    source: str
    """Where the request shape comes from: the tx-benchmark script, issue 18's letter, or ours."""
    entries: list[Entry]
    expected_status: int = 200


def _q(params: dict) -> str:
    return urlencode(params, quote_via=quote, safe="")


def _get(path: str, expect: dict | None = None, **params) -> Entry:
    return Entry("GET", f"{path}?{_q(params)}", None, {"status": 200, **(expect or {})})


def _post(path: str, parameters: list[dict], expect: dict | None = None) -> Entry:
    return Entry("POST", path, {"resourceType": "Parameters", "parameter": parameters},
                 {"status": 200, **(expect or {})})


def _vs(*includes: list[dict]) -> dict:
    """An ad hoc ValueSet whose compose includes SNOMED CT once per filter list (the includes are OR-ed,
    the filters of one include AND-ed)."""
    return {"resourceType": "ValueSet", "status": "active",
            "compose": {"include": [{"system": SCT, "filter": filters} for filters in includes]}}


def isa(code: str) -> dict:
    return {"property": "concept", "op": "is-a", "value": code}


def attribute(type_id: str, value: str) -> dict:
    """``<attribute> = <value>`` written as the ECL constraint every server understands. tx-benchmark writes it
    ``{"property": "<attribute id>", "op": "=", "value": ...}``, a form tx.fhir.org accepts but the FHIR SNOMED
    CT page does not define (this server answers it 400 FILTER_NOT_UNDERSTOOD)."""
    return {"property": "constraint", "op": "=", "value": f"* : {type_id} = {value}"}


class Api:
    """The few FHIR reads the pools are built from."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client

    def _json(self, response: httpx.Response) -> dict:
        if response.status_code != 200:
            raise RuntimeError(f"{response.request.method} {response.request.url} answered "
                               f"{response.status_code}: {response.text[:300]}")
        return response.json()

    def expand(self, url: str, *, count: int, offset: int = 0, filter: str | None = None) -> dict:
        params = {"url": url, "count": count, "offset": offset} | ({"filter": filter} if filter else {})
        return self._json(self.client.get("/ValueSet/$expand", params=params))["expansion"]

    def total(self, url: str, *, filter: str | None = None) -> int:
        return self.expand(url, count=0, filter=filter)["total"]

    def lookup(self, code: str) -> dict:
        """display, parents, children and attributes ``[(type, value)]`` of a concept."""
        answer = self._json(self.client.get("/CodeSystem/$lookup", params={"system": SCT, "code": code}))
        found = {"code": code, "display": None, "parents": [], "children": [], "attributes": []}
        for p in answer.get("parameter", []):
            if p["name"] == "display":
                found["display"] = p.get("valueString")
            elif p["name"] == "property":
                parts = {q["name"]: q for q in p.get("part", [])}
                prop = parts.get("code", {}).get("valueCode", "")
                value = parts.get("value", {}).get("valueCode")
                if prop in ("parent", "child") and value:
                    found["children" if prop == "child" else "parents"].append(value)
                elif prop.isdigit() and value and value.isdigit():
                    found["attributes"].append((prop, value))
        return found


def implicit(code: str | None = None) -> str:
    return f"{SCT}?fhir_vs" + (f"=isa/{code}" if code else "")


@dataclass
class Hierarchy:
    code: str
    size: int
    """How many concepts ``isa/code`` holds (the concept itself included)."""


def _nearest(candidates: list[Hierarchy], target: float, taken: set[str]) -> Hierarchy | None:
    free = [h for h in candidates if h.code not in taken and h.size > 1]
    if not free:
        return None
    return min(free, key=lambda h: (abs(math.log(h.size) - math.log(target)), h.code))


def build(client: httpx.Client, *, seed: int = 42, lookups: int = 250, fhir: str = "r5",
          progress: Callable[[str], None] = print) -> tuple[list[Test], dict]:
    """Every test's pool, read from the default SNOMED CT edition of the server behind ``client`` (whose base
    URL is a FHIR base such as ``http://127.0.0.1:8080/fhir/r5``), and the ValueSet test i needs stored.
    ``lookups`` concepts are read whole (parents, attributes) for the subsumption, attribute and ECL pools."""
    api = Api(client)
    rng = random.Random(seed)
    started = time.monotonic()

    # Random active concepts with their displays: pages of the whole edition at random offsets (its
    # expansion lists the inactive concepts too, marked inactive).
    n_all = api.total(implicit())
    concepts: dict[str, str] = {}
    for _ in range(16):
        page = api.expand(implicit(), count=100, offset=rng.randrange(max(1, n_all - 100)))
        concepts.update({c["code"]: c.get("display") or "" for c in page.get("contains", [])
                         if not c.get("inactive")})
    # Clinical content only, as tx-benchmark's pools: the metadata hierarchy is left out.
    n_meta = api.total(implicit(MODEL_COMPONENT))
    meta = {c["code"] for c in api.expand(implicit(MODEL_COMPONENT), count=min(n_meta, 20_000)).get("contains", [])}
    codes = sorted(set(concepts) - meta - {ROOT})
    rng.shuffle(codes)
    progress(f"{len(codes)} random concepts of {n_all:,}")

    looked = [api.lookup(c) for c in codes[:lookups]]
    with_parent = [x for x in looked if x["parents"]]
    with_attributes = [x for x in with_parent if x["attributes"]]

    # Hierarchies of every size: the top level, the level below the largest, the parents of the concepts read.
    # The two large ones are distinct top-level hierarchies, so their members never subsume each other.
    top = {c: api.total(implicit(c)) for c in api.lookup(ROOT)["children"] if c != MODEL_COMPONENT}
    candidates = dict(top)
    for big in sorted(top, key=top.get, reverse=True)[:3]:
        for c in api.lookup(big)["children"][:25]:
            candidates.setdefault(c, api.total(implicit(c)))
    for x in with_parent[:60]:
        if x["parents"][0] != ROOT:
            candidates.setdefault(x["parents"][0], api.total(implicit(x["parents"][0])))
    ranked = sorted((Hierarchy(c, n) for c, n in candidates.items()), key=lambda h: (-h.size, h.code))
    sizes: dict[str, list[Hierarchy]] = {"large": [h for h in ranked if h.code in top][:2]}
    taken = {h.code for h in sizes["large"]}
    for label, target in (("medium", 5000), ("small", 300), ("tiny", 10)):
        sizes[label] = []
        for _ in range(2):
            h = _nearest(ranked, target, taken)
            if h:
                sizes[label].append(h)
                taken.add(h.code)
    hierarchies = [h for group in sizes.values() for h in group]
    progress("is-a hierarchies: " + ", ".join(f"{label} " + "/".join(f"{h.code} ({h.size:,})" for h in group)
                                              for label, group in sizes.items()))

    members: dict[str, list[str]] = {}
    for h in hierarchies:
        found: set[str] = set()
        for _ in range(3):
            page = api.expand(implicit(h.code), count=40, offset=rng.randrange(max(1, h.size - 40)))
            found.update(c["code"] for c in page.get("contains", []))
        members[h.code] = sorted(found)
        rng.shuffle(members[h.code])

    # Y of issue 18: a hierarchy near the 872 codes measured there, read whole.
    y = _nearest(ranked, 872, set()) or ranked[0]
    y_contains = api.expand(implicit(y.code), count=y.size).get("contains", [])
    progress(f"Y = {y.code} ({y.size:,} concepts)")

    tests = [
        *_lookup_tests(codes, concepts),
        *_validate_tests(codes, concepts, hierarchies, members, rng),
        *_expand_tests(api, n_all, codes, concepts, hierarchies, with_attributes, rng),
        _subsumes_test(with_parent, hierarchies, members, sizes, rng),
        _translate_test(api, fhir),
        *_issue_tests(api, y, y_contains, codes, with_attributes, rng),
    ]
    progress(", ".join(f"{t.id} {len(t.entries)}" for t in tests)
             + f" requests in the pools ({time.monotonic() - started:.0f} s)")
    return tests, stored_value_set(y.code)


def _lookup_tests(codes: list[str], concepts: dict[str, str]) -> list[Test]:
    lk01 = [_get("/CodeSystem/$lookup", system=SCT, code=c) for c in codes[:500]]
    # tx-benchmark makes its non-existent codes by writing 9999 before real ones; most then fail the check
    # digit, which a server may refuse before it looks: 404 not-found is what LK05 expects.
    lk05 = [_get("/CodeSystem/$lookup", {"status": 404}, system=SCT, code="9999" + c) for c in codes[:300]]
    return [Test("LK01", "CodeSystem/$lookup, random concepts", "tx-benchmark LK01", lk01),
            Test("LK05", "CodeSystem/$lookup, codes that do not exist (404 expected)", "tx-benchmark LK05", lk05,
                 expected_status=404)]


def _validate_tests(codes, concepts, hierarchies, members, rng) -> list[Test]:
    vc01 = [_get("/ValueSet/$validate-code", {"result": True}, url=implicit(), system=SCT, code=c)
            for c in codes[:500]]
    vc02 = [_get("/ValueSet/$validate-code", {"result": True}, url=implicit(), system=SCT, code=c,
                 display=concepts[c]) for c in codes[:500] if concepts[c]]
    vc03 = [_get("/ValueSet/$validate-code", {"result": True}, url=implicit(h.code), system=SCT, code=m)
            for h in hierarchies for m in members[h.code][:60]]
    rng.shuffle(vc03)
    return [Test("VC01", "ValueSet/$validate-code, all of SNOMED CT (?fhir_vs), code", "tx-benchmark VC01", vc01),
            Test("VC02", "ValueSet/$validate-code, all of SNOMED CT, code + display", "tx-benchmark VC02", vc02),
            Test("VC03", "ValueSet/$validate-code, isa/X of large, medium, small and tiny hierarchies",
                 "tx-benchmark VC03", vc03)]


def _words(texts) -> list[str]:
    return sorted({w.lower() for t in texts for w in WORD.findall(t or "")})


def _expand_tests(api, n_all, codes, concepts, hierarchies, with_attributes, rng) -> list[Test]:
    counts = (10, 100, 1000)
    ex01 = [_get("/ValueSet/$expand", {"contains": min(n, n_all)}, url=implicit(), count=n) for n in counts]
    everything = {"resourceType": "ValueSet", "status": "active", "compose": {"include": [{"system": SCT}]}}
    ex02 = [_post("/ValueSet/$expand", [{"name": "valueSet", "resource": everything},
                                        {"name": "count", "valueInteger": n}], {"contains": min(n, n_all)})
            for n in counts]

    # Text filters: short prefixes (many matches) to whole words (few), from the displays read.
    words = _words(concepts.values())
    rng.shuffle(words)
    terms = sorted({w[:n] for w in words[:40] for n in (1, 2, 3, 4, 5)} | set(words[:60]))
    ex03 = [_get("/ValueSet/$expand", {"nonempty": True}, url=implicit(), filter=t, count=rng.choice((20, 100)))
            for t in terms]

    # Intensional compose filters: is-a of every size, attribute, is-a AND attribute, attribute AND attribute,
    # OR of two includes.
    pairs = [(x, a) for x in with_attributes for a in x["attributes"]]
    rng.shuffle(pairs)
    composes: list[tuple[list[list[dict]], int]] = []
    composes += [([[isa(h.code)]], n) for h in hierarchies for n in counts]
    composes += [([[attribute(*a)]], n) for x, a in pairs[:12] for n in (10, 100)]
    composes += [([[isa(x["parents"][0]), attribute(*a)]], n) for x, a in pairs[12:30] for n in (10, 100)]
    composes += [([[attribute(*x["attributes"][0]), attribute(*x["attributes"][1])]], 10)
                 for x in with_attributes if len(x["attributes"]) > 1][:12]
    composes += [([[isa(a.code)], [isa(b.code)]], 20) for a, b in zip(hierarchies, reversed(hierarchies))]
    ex05 = [_post("/ValueSet/$expand", [{"name": "valueSet", "resource": _vs(*inc)},
                                        {"name": "count", "valueInteger": n}], {"nonempty": True})
            for inc, n in composes]

    # is-a + attribute + text filter; the word comes from the display of a concept that has both.
    ex08 = []
    for x, a in pairs[:30]:
        found = WORD.findall(x["display"] or "")
        if found:
            ex08 += [_post("/ValueSet/$expand", [
                {"name": "valueSet", "resource": _vs([isa(x["parents"][0]), attribute(*a)])},
                {"name": "filter", "valueString": rng.choice(found).lower()},
                {"name": "count", "valueInteger": n}], {"nonempty": True}) for n in (10, 25, 50)]
    return [Test("EX01", "ValueSet/$expand of all of SNOMED CT (?fhir_vs), count 10 / 100 / 1000",
                 "tx-benchmark EX01", ex01),
            Test("EX02", "POST $expand of an ad hoc ValueSet including all of SNOMED CT, count 10 / 100 / 1000",
                 "tx-benchmark EX02 (RxNorm there)", ex02),
            Test("EX03", "ValueSet/$expand of all of SNOMED CT with a text filter (1-5 letters or a word), "
                         "count 20 / 100", "tx-benchmark EX03", ex03),
            Test("EX05", "POST $expand of intensional composes: is-a, attribute, both, two attributes, two includes",
                 "tx-benchmark EX05", ex05),
            Test("EX08", "POST $expand of is-a + attribute with a text filter, count 10 / 25 / 50",
                 "tx-benchmark EX08", ex08)]


def _subsumes_test(with_parent, hierarchies, members, sizes, rng) -> Test:
    def pair(a: str, b: str, outcome: str) -> Entry:
        return _get("/CodeSystem/$subsumes", {"outcome": outcome}, system=SCT, codeA=a, codeB=b)

    entries = []
    for x in with_parent[:60]:
        entries += [pair(x["parents"][0], x["code"], "subsumes"), pair(x["code"], x["parents"][0], "subsumed-by"),
                    pair(x["code"], x["code"], "equivalent")]
    for h in hierarchies:  # deeper pairs: a hierarchy's top and its members
        for m in members[h.code][:10]:
            if m != h.code:
                entries += [pair(h.code, m, "subsumes"), pair(m, h.code, "subsumed-by")]
    a, b = sizes["large"][0].code, sizes["large"][-1].code
    if a != b:  # two top-level hierarchies never overlap
        for x, y in zip(members[a][:30], members[b][:30]):
            entries += [pair(x, y, "not-subsumed"), pair(y, x, "not-subsumed")]
    rng.shuffle(entries)
    return Test("SS01", "CodeSystem/$subsumes, pairs of every outcome", "tx-benchmark SS01", entries)


def _translate_test(api: Api, fhir: str) -> Test:
    url = f"{SCT}?fhir_cm={REPLACED_BY}"
    found = api.expand(f"{SCT}?fhir_vs=refset/{REPLACED_BY}", count=300).get("contains", [])
    names = ("system", "code", "targetsystem") if fhir == "r4" else ("sourceSystem", "sourceCode", "targetSystem")
    entries = [_get("/ConceptMap/$translate", {"result": True}, url=url,
                    **dict(zip(names, (SCT, c["code"], SCT)))) for c in found]
    return Test("CM01", "ConceptMap/$translate with the implicit REPLACED BY map (?fhir_cm=900000000000526001)",
                "tx-benchmark CM01", entries)


def stored_value_set(y: str) -> dict:
    """The stored ValueSet of test i: ``is-a Y`` on SNOMED CT (PUT before the run, deleted after)."""
    return {"resourceType": "ValueSet", "id": f"vardterm-bench-isa-{y}", "url": BENCH_VALUE_SET + f"isa-{y}",
            "version": "1", "name": "VardtermBenchIsa", "status": "active",
            "compose": {"include": [{"system": SCT, "filter": [isa(y)]}]}}


def _issue_tests(api, y, y_contains, codes, with_attributes, rng) -> list[Test]:
    y_members = [c["code"] for c in y_contains]
    y_set = set(y_members)
    shuffled = list(y_members)
    rng.shuffle(shuffled)
    xs = shuffled[:100] + codes[:100]  # X: half members of Y, half random concepts
    rng.shuffle(xs)
    yv = implicit(y.code)

    def member(x: str) -> bool:
        return x in y_set

    a = [_get("/CodeSystem/$lookup", system=SCT, code=x) for x in xs]
    b = [_get("/CodeSystem/$validate-code", {"result": True}, url=SCT, code=x) for x in xs]
    c = [_get("/ValueSet/$expand", {"total": y.size}, url=yv)]
    d = [_get("/CodeSystem/$subsumes",
              {"outcome": ["equivalent"] if x == y.code else ["subsumes"] if member(x)
               else ["not-subsumed", "subsumed-by"]}, system=SCT, codeA=y.code, codeB=x) for x in xs]
    e = [_post("/ValueSet/$expand", [{"name": "valueSet", "resource": _vs(
        [{"property": "constraint", "op": "=", "value": f"<< {y.code}"}])}], {"total": y.size})]
    f = [_get("/ValueSet/$validate-code", {"result": member(x)}, url=yv, system=SCT, code=x) for x in xs]

    # Text filter prefixes from the displays of Y's members; their totals are read once, so (g) and (k) must
    # agree with each other and with that count.
    prefixes = sorted({w[:n] for w in _words(c.get("display") for c in y_contains) for n in (3, 4, 5)})
    rng.shuffle(prefixes)
    totals = {p: api.total(yv, filter=p) for p in prefixes[:40]}
    totals = {p: n for p, n in totals.items() if n}
    g = [_get("/ValueSet/$expand", {"total": n, "contains": min(n, 20)}, url=yv, filter=p, count=20)
         for p, n in totals.items()]

    # (h) an ECL refinement with exactly one result: < parent : attribute = value of a concept read.
    tried = [f"< {x['parents'][0]} : {t} = {v}" for x in with_attributes for t, v in x["attributes"][:2]][:80]
    eclh = [ex for ex in tried if api.total(f"{SCT}?fhir_vs=ecl/{ex}") == 1][:20]
    h = [_post("/ValueSet/$expand", [{"name": "url", "valueUri": f"{SCT}?fhir_vs=ecl/{ex}"}], {"total": 1})
         for ex in eclh]

    stored = stored_value_set(y.code)
    i = [_get("/ValueSet/$validate-code", {"result": member(x)}, url=stored["url"], system=SCT, code=x)
         for x in xs]
    j = [_get("/ValueSet/$expand", {"contains": min(100, y.size - o)}, url=yv, count=100, offset=o)
         for o in sorted({rng.randrange(y.size) for _ in range(50)})]
    k = [_get("/ValueSet/$expand", {"total": n, "contains": n}, url=yv, filter=p) for p, n in totals.items()]
    issue = "issue 18 ({})"
    return [
        Test("a", "CodeSystem/$lookup of X", issue.format("a"), a),
        Test("b", "CodeSystem/$validate-code of X", issue.format("b"), b),
        Test("c", f"ValueSet/$expand of isa/Y, whole ({y.size:,} codes)", issue.format("c"), c),
        Test("d", "CodeSystem/$subsumes Y, X", issue.format("d"), d),
        Test("e", "POST $expand of a compose with constraint = << Y, whole", issue.format("e"), e),
        Test("f", "ValueSet/$validate-code of X in isa/Y", issue.format("f"), f),
        Test("g", "ValueSet/$expand of isa/Y with a text filter, count=20", issue.format("g"), g),
        Test("h", "POST $expand of an ECL refinement with one result (?fhir_vs=ecl/...)", issue.format("h"), h),
        Test("i", "ValueSet/$validate-code of X in a stored ValueSet (compose is-a Y)", "ours", i),
        Test("j", "ValueSet/$expand of isa/Y paged: count=100 at random offsets", "ours", j),
        Test("k", "ValueSet/$expand of isa/Y with a text filter, no count", "ours", k),
    ]


def to_json(tests: list[Test], *, y_value_set: dict | None = None) -> str:
    return json.dumps({"tests": [asdict(t) for t in tests], "stored_value_set": y_value_set}, ensure_ascii=False)


def from_json(text: str) -> tuple[list[Test], dict | None]:
    doc = json.loads(text)
    tests = [Test(**{**t, "entries": [Entry(**e) for e in t["entries"]]}) for t in doc["tests"]]
    return tests, doc.get("stored_value_set")
