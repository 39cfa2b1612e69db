"""``HealthcareService/$care-search``: from a care-service query to the services the searching region has
agreements for, who can take the patient, and how long the wait is.

Implements care-search.md "Search semantics" and "Precise rules": resolve the query to concepts
(:mod:`.concepts`), walk the hierarchy (exact, narrower, broader, mapped; a shortest is-a path each), take
the services of those types, keep those an own-region agreement *and* its commission cover on the search
date (inclusive dates, open ends open), judge only the patient facts given, filter by meeting form, place,
distance (haversine), waiting time (the latest report on or before the date; fresh when at most 42 days
old) and capacity (periods overlapping, touching counts), explain every hit, and list the excluded
candidates with every reason in the rules' order when asked. Other regions' agreements are never shown: a
candidate only they cover appears only as excluded (``other-region``, plus ``confidential`` when they all are),
without the agreement, and the validity reasons are about the searching region's own routes only.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace

import terminology as t

from . import codes as c
from . import geo
from . import model as m
from .concepts import Candidate, Concept, ConceptIndex
from .fhir import CONTRACT_ENDED, CONTRACT_IN_FORCE
from .store import CareStore, Filter

STALE_AFTER_DAYS = 42
COVERAGE_CACHE = 32
MATCH_TYPES = ("exact", "narrower", "broader", "mapped")
SORTS = ("wait", "distance", "match")
MAX_COUNT = 500

REASONS = ("other-region", "confidential", "agreement-not-started", "agreement-expired", "commission-not-started",
           "commission-expired", "service-not-started", "service-expired", "age", "sex", "asa", "bmi",
           "meeting-form", "county", "municipality", "distance", "wait", "no-capacity")
"""Exclusion reasons in the order the rules list them (care-search.md "Exclusion reasons")."""

REASON_TEXT = {
    "other-region": "Avtalet tillhör en annan region",
    "confidential": "Avtalet är sekretessmarkerat och visas bara för den egna regionen",
    "agreement-not-started": "Avtalet har inte börjat gälla",
    "agreement-expired": "Avtalet har upphört",
    "commission-not-started": "Uppdraget har inte börjat gälla",
    "commission-expired": "Uppdraget har upphört",
    "service-not-started": "Tjänsten har inte börjat gälla",
    "service-expired": "Tjänsten har upphört",
    "age": "Patientens ålder ligger utanför målgruppen",
    "sex": "Tjänsten gäller ett annat kön",
    "asa": "ASA-klassen är högre än tjänstens gräns",
    "bmi": "BMI är högre än tjänstens gräns",
    "meeting-form": "Mötesformen erbjuds inte",
    "county": "Ingen plats i valt län",
    "municipality": "Ingen plats i vald kommun",
    "distance": "Längre bort än valt avstånd, eller plats utan koordinater",
    "wait": "Väntetiden är längre än gränsen, för gammal eller saknas",
    "no-capacity": "Ingen anmäld ledig kapacitet under perioden",
}

MATCH_TEXT = {
    "exact": "Exakt träff på sökt begrepp",
    "narrower": "Smalare begrepp: tjänsten gäller ett underbegrepp till det sökta",
    "broader": "Bredare avtal – kontrollera omfattningen",
    "mapped": "Träff via mappning (ConceptMap)",
}


@dataclass(frozen=True, kw_only=True)
class CareSearchRequest:
    """The parameters of ``$care-search`` (the issue's contract), in Python names."""

    region: str
    """The searching region: its län code (``05``), orgnr or organisation id."""
    text: str | None = None
    code: str | None = None
    system: str | None = None
    ecl: str | None = None
    date: str | None = None
    age: int | None = None
    sex: str | None = None
    asa: int | None = None
    bmi: float | None = None
    meeting_form: str | None = None
    county: str | None = None
    municipality: str | None = None
    near: tuple[float, float] | None = None
    postal_code: str | None = None
    distance_km: float | None = None
    max_wait_days: int | None = None
    capacity_from: str | None = None
    capacity_to: str | None = None
    match_types: tuple[str, ...] = ("exact", "narrower")
    sort: str = "match"
    include_excluded: bool = False
    count: int = 50
    offset: int = 0
    """Where the page starts, in the hits and in the excluded candidates alike (one window over both lists)."""


@dataclass(frozen=True)
class Resolution:
    """Which concept(s) the query was resolved to, and what else the user might have meant."""

    how: str
    """``text``, ``code`` or ``ecl``."""
    query: str
    used: tuple[Candidate, ...]
    alternatives: tuple[Candidate, ...] = ()
    ambiguous: bool = False
    ecl_members: int | None = None


@dataclass(frozen=True)
class Match:
    type: str
    path: tuple[t.Coding, ...]
    """From the query concept to the service's concept (mapped: through the map's target)."""
    map: str | None = None


@dataclass(frozen=True)
class Verdict:
    criterion: str
    verdict: str
    """``met``, ``not-met`` or ``not-stated``."""
    asked: str
    stated: str | None


@dataclass(frozen=True)
class Wait:
    status: str
    """``fresh``, ``stale`` or ``missing``."""
    days: float | None = None
    measure: str | None = None
    reported: str | None = None
    source: str | None = None
    period: tuple[str | None, str | None] = (None, None)
    others: tuple[tuple[str, float], ...] = ()
    """Other measures of the same report (share within 90 days, number waiting)."""
    label: str = "Uppgift saknas"


@dataclass(frozen=True)
class Place:
    location: m.Location
    distance_km: float | None


@dataclass(frozen=True)
class Hit:
    """One service with everything needed to explain it; ``reasons`` is empty for a hit."""

    service: m.Stored
    match: Match
    unit: m.Stored | None = None
    provider: m.Stored | None = None
    places: tuple[Place, ...] = ()
    commission: m.Stored | None = None
    agreement: m.Stored | None = None
    agreement_withheld: bool = False
    """True when only other regions have agreements covering the service: the hit says that one exists
    (``other-region``, and ``confidential`` when they all are), nothing more."""
    eligibility: tuple[Verdict, ...] = ()
    wait: Wait = field(default_factory=lambda: Wait("missing"))
    capacity: tuple[m.Capacity, ...] = ()
    reasons: tuple[str, ...] = ()
    expires_within_90_days: bool = False

    @property
    def distance_km(self) -> float | None:
        return self.places[0].distance_km if self.places else None

    @property
    def place(self) -> m.Location | None:
        return self.places[0].location if self.places else None


@dataclass(frozen=True)
class CareSearchResult:
    request: CareSearchRequest
    region: m.Organization
    date: str
    resolution: Resolution
    hits: tuple[Hit, ...]
    total: int
    excluded: tuple[Hit, ...] = ()
    excluded_total: int = 0
    terminology_version: str | None = None
    notes: tuple[str, ...] = ()


# --- request checks ---------------------------------------------------------------------------------


def _bad(name: str, value, why: str) -> t.InvalidRequest:
    return t.InvalidRequest("OP_INVALID_PARAM", name, value, why)


def check_request(req: CareSearchRequest, today: str) -> CareSearchRequest:
    """The request with defaults filled in; InvalidRequest naming the parameter when it breaks the contract."""
    given = [n for n in ("text", "code", "ecl") if getattr(req, n)]
    if len(given) != 1:
        raise t.InvalidRequest.plain("give exactly one of text, code (with system) or ecl"
                                     + (f", not {' and '.join(given)}" if given else ""), expression="text")
    if req.system and not req.code:
        raise _bad("system", req.system, "goes with code")
    for name in ("date", "capacity_from", "capacity_to"):
        value = getattr(req, name)
        if value is not None:
            try:
                dt.date.fromisoformat(value)
            except ValueError:
                raise _bad(_wire(name), value, "must be a date YYYY-MM-DD") from None
    if req.capacity_from and req.capacity_to and req.capacity_to < req.capacity_from:
        raise _bad("capacityTo", req.capacity_to, "is before capacityFrom")
    if req.sex is not None and req.sex not in c.SEXES:
        raise _bad("sex", req.sex, "must be female or male")
    if req.asa is not None and not 1 <= req.asa <= 6:
        raise _bad("asa", req.asa, "must be an ASA class from 1 to 6")
    if req.age is not None and not 0 <= req.age <= 130:
        raise _bad("age", req.age, "must be an age in years")
    if req.bmi is not None and not 5 <= req.bmi <= 150:
        raise _bad("bmi", req.bmi, "must be a BMI")
    if req.meeting_form is not None and req.meeting_form not in c.MEETING_FORMS:
        raise _bad("meetingForm", req.meeting_form, "must be physical or virtual")
    if req.county is not None and req.county not in geo.counties():
        raise _bad("county", req.county, "must be a län code (two digits, e.g. 05)")
    if req.municipality is not None and req.municipality not in geo.municipalities():
        raise _bad("municipality", req.municipality, "must be a kommun code (four digits, e.g. 0580)")
    if req.near is not None and req.postal_code is not None:
        raise _bad("near", "|".join(map(str, req.near)), "give near or postalCode, not both")
    if req.postal_code is not None and geo.postal_point(req.postal_code) is None:
        raise _bad("postalCode", req.postal_code, "is not a known Swedish postal code with a position")
    if req.distance_km is not None and req.near is None and req.postal_code is None:
        raise _bad("distance", req.distance_km, "needs near or postalCode")
    bad_types = [x for x in req.match_types if x not in MATCH_TYPES]
    if bad_types or not req.match_types:
        raise _bad("matchTypes", ",".join(req.match_types), f"use any of {', '.join(MATCH_TYPES)}")
    if req.sort not in SORTS:
        raise _bad("sort", req.sort, f"use {', '.join(SORTS)}")
    if not 0 <= req.count <= MAX_COUNT:
        raise _bad("_count", req.count, f"must be 0 to {MAX_COUNT}")
    if req.offset < 0:
        raise _bad("_offset", req.offset, "must be 0 or more")
    return replace(req, date=req.date or today, match_types=tuple(dict.fromkeys(req.match_types)))


def _wire(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(x.title() for x in rest)


# --- the search -------------------------------------------------------------------------------------


class CareSearch:
    """The search over one directory and one terminology."""

    def __init__(self, store: CareStore, index: ConceptIndex) -> None:
        self.store = store
        self.index = index
        self._lock = threading.Lock()
        self._coverage: OrderedDict[tuple[str, int | None], dict[str, list]] = OrderedDict()
        self._regions: dict[tuple[str, int | None], m.Organization] = {}

    def _region_coverage(self, conn, region: str | None) -> dict[str, list]:
        """Type key -> candidate rows of the services the region's agreements (every region's, for None:
        ``includeExcluded``) cover, kept per directory generation for the most recently searching regions
        (safe to drop; rebuilt in one indexed query)."""
        key = (region, self.index.generation)
        with self._lock:
            found = self._coverage.get(key)
            if found is not None:
                self._coverage.move_to_end(key)
                return found
        by_type: dict[str, list] = {}
        for r in self.store.region_rows(conn, region):
            by_type.setdefault(r[1], []).append(r)
        with self._lock:
            self._coverage[key] = by_type
            for old in [k for k in self._coverage if k[1] != self.index.generation]:
                del self._coverage[old]
            while len(self._coverage) > COVERAGE_CACHE:
                self._coverage.popitem(last=False)
        return by_type

    def region(self, value: str) -> m.Organization:
        """The region named by a län code, an orgnr or an organisation id."""
        value = value.strip()
        key = (value, self.index.generation)
        if key not in self._regions:
            if len(self._regions) > 200:
                self._regions.clear()
            self._regions[key] = self._find_region(value)
        return self._regions[key]

    def _find_region(self, value: str) -> m.Organization:
        if len(value) == 2 and value.isdigit():
            found = self.store.search("Organization", [Filter("kind", "eq", "region"), Filter("county", "eq", value)],
                                      count=1)[1]
        elif c.orgnr_problem(value) is None:
            found = self.store.search("Organization", [Filter("kind", "eq", "region"),
                                                       Filter("orgnr", "eq", c.normal_orgnr(value))], count=1)[1]
        else:
            found = [x for x in [self.store.get("Organization", value)] if x is not None]
        if not found or found[0].record.kind != "region":
            raise _bad("region", value, "is not a region of the directory (give its län code, e.g. 05, or orgnr)")
        return found[0].record

    def search(self, req: CareSearchRequest, *, today: str | None = None) -> CareSearchResult:
        req = check_request(req, today or dt.date.today().isoformat())
        self.index.refresh()
        region = self.region(req.region)
        resolution, queries = self._resolve(req)
        targets = self._targets(req, resolution, queries)
        hits, total, excluded, excluded_total = self._evaluate(req, region, targets)
        notes = []
        if "mapped" in req.match_types and self.index.translator is None:
            notes.append("mapped: inga ConceptMaps finns att använda")
        return CareSearchResult(request=req, region=region, date=req.date, resolution=resolution, hits=hits,
                                total=total, excluded=excluded, excluded_total=excluded_total,
                                terminology_version=self.index.version, notes=tuple(notes))

    # --- 1. resolve ----------------------------------------------------------------------------

    def _resolve(self, req: CareSearchRequest) -> tuple[Resolution, list[Concept] | frozenset[str]]:
        if req.code:
            concept = self.index.from_code(req.system or c.SNOMED, req.code)
            used = Candidate(concept, concept.code, "", "code", self.index.reaches_services(concept.key))
            return Resolution("code", req.code, (used,)), [concept]
        if req.ecl:
            keys = self.index.from_ecl(req.ecl)
            return Resolution("ecl", req.ecl, (), ecl_members=len(keys)), keys
        candidates = self.index.from_text(req.text or "")
        if not candidates:
            return Resolution("text", req.text or "", ()), []
        top = candidates[0]
        others = [x for x in candidates[1:] if x.has_services]
        alternatives = list(others)
        seen = {top.concept.key} | {x.concept.key for x in others}
        for key in sorted(self.index.narrower_types(top.concept.key),
                          key=lambda k: (len(self.index.path_down(top.concept.key, k)), k)):
            concept = self.index.get(key)
            if concept is not None and key not in seen:
                seen.add(key)
                alternatives.append(Candidate(concept, concept.display, "sv", "narrower", True))
        return Resolution("text", req.text or "", (top,), tuple(alternatives[:10]), ambiguous=bool(others)), \
            [top.concept]

    # --- 2. hierarchy ---------------------------------------------------------------------------

    def _targets(self, req: CareSearchRequest, resolution: Resolution,
                 queries: list[Concept] | frozenset[str]) -> dict[str, "_Route"]:
        """Service type -> how it matches the query (the best route when there are several)."""
        types = self.index.service_types()
        index = self.index
        out: dict[str, _Route] = {}

        def offer(key: str, route: _Route) -> None:
            have = out.get(key)
            if have is None or MATCH_TYPES.index(route.type) < MATCH_TYPES.index(have.type):
                out[key] = route
            elif route.type == have.type and len(route.path) < len(have.path):
                out[key] = route

        if resolution.how == "ecl":
            for key in set(queries) & types:  # type: ignore[operator]
                offer(key, _Route("exact", lambda key=key: (key,)))
            return out
        wanted = req.match_types
        for q in queries:  # type: ignore[union-attr]
            if "exact" in wanted and q.key in types:
                offer(q.key, _Route("exact", lambda q=q: (q.key,)))
            if "narrower" in wanted:
                for s in index.narrower_types(q.key):
                    offer(s, _Route("narrower", lambda q=q, s=s: index.path_down(q.key, s)))
            if "broader" in wanted:
                for s in index.broader_types(q.key):
                    offer(s, _Route("broader", lambda q=q, s=s: tuple(reversed(index.path_down(s, q.key)))))
            if "mapped" in wanted:
                for target, origin in index.translations(q.key):
                    for s in ([target] if target in types else []) + index.narrower_types(target):
                        offer(s, _Route("mapped", lambda q=q, t_=target, s=s: (q.key,) + tuple(index.path_down(t_, s)),
                                        origin))
        return out

    # --- 3-4. candidates, filters, explanations ---------------------------------------------------

    def _evaluate(self, req: CareSearchRequest, region: m.Organization, targets: dict[str, "_Route"]
                  ) -> tuple[tuple[Hit, ...], int, tuple[Hit, ...], int]:
        """Judge every candidate on compact rows, sort, and read the full records of the returned page only:
        ``(hits page, hits total, excluded page, excluded total)``."""
        if not targets:
            return (), 0, (), 0
        store = self.store
        point = req.near or (geo.postal_point(req.postal_code) if req.postal_code else None)
        with store.engine.connect() as conn, store.db.budgeted(conn, "the care search"):
            candidates: dict[str, _Candidate] = {}
            coverage = self._region_coverage(conn, None if req.include_excluded else region.id)
            rows = [r for k in targets for r in coverage.get(k, ())]
            for r in rows:
                cand = candidates.get(r[0])
                if cand is None:
                    cand = candidates[r[0]] = _Candidate(r)
                cand.keys.add(r[1])
                cand.pairs[(r[13], r[18])] = r[14:18] + r[19:]
            if not candidates:
                return (), 0, (), 0
            units = list({c.unit for c in candidates.values()})
            places = store.place_rows(conn, list(candidates), {sid: c.unit for sid, c in candidates.items()})
            waits, unit_waits = store.wait_rows(conn, list(candidates), units, req.date)
            capacities = store.capacity_rows(conn, units, req.capacity_from or req.date, req.capacity_to)
            activity_units = set(unit_waits) | {u for u, rows in capacities.items() if any(r[2] for r in rows)}
            all_keys = store.type_keys_of(conn, [sid for sid, c in candidates.items() if c.unit in activity_units])
            for sid, cand in candidates.items():
                cand.judge(req, region, targets, point, places.get(sid, []),
                           waits.get(sid, []) + unit_waits.get(cand.unit, []), capacities.get(cand.unit, []),
                           all_keys.get(sid, cand.keys))
            hits = sorted((x for x in candidates.values() if not x.reasons), key=_sort_key(req.sort))
            excluded = sorted((x for x in candidates.values() if x.reasons), key=_sort_key(req.sort)) \
                if req.include_excluded else []
            window = slice(req.offset, req.offset + req.count)
            hits_page, excluded_page = hits[window], excluded[window]
            full = self._records(conn, hits_page + excluded_page)
        displays = self.index.displays({k for x in hits_page + excluded_page for k in x.match.path})
        return (tuple(x.hit(full, displays) for x in hits_page), len(hits),
                tuple(x.hit(full, displays) for x in excluded_page), len(excluded))

    def _records(self, conn, page: list["_Candidate"]) -> dict[str, dict[str, m.Stored]]:
        store = self.store
        services = store.get_many("HealthcareService", [x.sid for x in page], conn)
        units = store.get_many("Organization", [x.unit for x in page], conn)
        providers = store.get_many("Organization", [u.record.part_of for u in units.values() if u.record.part_of], conn)
        return {
            "HealthcareService": services, "Organization": {**units, **providers},
            "OrganizationAffiliation": store.get_many("OrganizationAffiliation", [x.commission for x in page
                                                                                  if x.commission], conn),
            "Contract": store.get_many("Contract", [x.agreement for x in page if x.agreement], conn),
            "Location": store.get_many("Location", [p[0][0] for x in page for p in x.places], conn),
            "Observation": store.get_many("Observation", [c for x in page for c in x.capacity], conn),
        }


class _Candidate:
    """One candidate service judged on compact rows (see :meth:`CareStore.region_rows`)."""

    __slots__ = ("sid", "unit", "name", "row", "keys", "pairs", "match", "commission", "agreement", "withheld",
                 "verdicts", "places", "wait", "capacity", "reasons", "expiring")

    def __init__(self, r) -> None:
        self.sid, self.unit, self.name, self.row = r[0], r[2], r[3], r
        self.keys: set[str] = set()
        self.pairs: dict[tuple[str, str], tuple] = {}

    def judge(self, req: CareSearchRequest, region: m.Organization, targets: dict[str, "_Route"],
              point: tuple[float, float] | None, places: list, waits: list, capacities: list, keys: set[str]) -> None:
        r = self.row
        routes = [targets[k] for k in self.keys]
        self.match = routes[0] if len(routes) == 1 else min(routes, key=_match_rank)
        (self.commission, self.agreement), reasons, self.withheld = _best_pair(self.pairs, region, req.date)
        reasons += _validity(r[4], r[5], req.date, "service", bool(r[6]))
        self.verdicts = _eligibility(m.Eligibility(age_min=r[7], age_max=r[8], sex=r[9], asa_max=r[10], bmi_max=r[11]),
                                     req)
        reasons += [v.criterion for v in self.verdicts if v.verdict == "not-met"]
        if req.meeting_form and req.meeting_form not in r[12].split(","):
            reasons.append("meeting-form")
        self.places = _places(places, point)
        if req.county and not any(p[0][3] == req.county for p in self.places):
            reasons.append("county")
        if req.municipality and not any(p[0][2] == req.municipality for p in self.places):
            reasons.append("municipality")
        if req.distance_km is not None and (not self.places or self.places[0][1] is None
                                            or self.places[0][1] > req.distance_km):
            reasons.append("distance")
        self.wait = _wait(waits, self.sid, keys, req.date)
        if req.max_wait_days is not None and (self.wait.status != "fresh" or self.wait.days > req.max_wait_days):
            reasons.append("wait")
        mine = [c for c in capacities if _for_service(c[1], c[2], self.sid, keys)]
        self.capacity = [c[0] for c in sorted(mine, key=lambda c: (c[4], c[0]))]
        if (req.capacity_from or req.capacity_to) and not any(c[3] for c in mine):
            reasons.append("no-capacity")
        self.reasons = tuple(sorted(set(reasons), key=REASONS.index))
        end = self.pairs[(self.commission, self.agreement)][8]
        self.expiring = not self.withheld and _expires_within(end, req.date, 90)

    @property
    def distance_km(self) -> float | None:
        return self.places[0][1] if self.places else None

    def hit(self, full: dict[str, dict[str, m.Stored]], displays: dict[str, str]) -> Hit:
        unit = full["Organization"].get(self.unit)
        provider = full["Organization"].get(unit.record.part_of) if unit and unit.record.part_of else None
        places = tuple(Place(full["Location"][p[0][0]].record, p[1]) for p in self.places
                       if p[0][0] in full["Location"])
        path = tuple(t.Coding(*k.split("|", 1), displays.get(k)) for k in self.match.path)
        match = Match(self.match.type, path, self.match.map)
        return Hit(service=full["HealthcareService"][self.sid], match=match, unit=unit, provider=provider,
                   places=places,
                   commission=None if self.withheld else full["OrganizationAffiliation"].get(self.commission),
                   agreement=None if self.withheld else full["Contract"].get(self.agreement),
                   agreement_withheld=self.withheld, eligibility=self.verdicts, wait=self.wait,
                   capacity=tuple(full["Observation"][c].record for c in self.capacity if c in full["Observation"]),
                   reasons=self.reasons, expires_within_90_days=self.expiring)


def _best_pair(pairs: dict[tuple[str, str], tuple], region: m.Organization, date: str
               ) -> tuple[tuple[str, str], list[str], bool]:
    """The (commission, agreement) that comes closest to making the service reachable, what it lacks, and
    whether it is another region's (then nothing of it may be shown).

    care-search.md "Scope": only the searching region's own routes count. A service that only other regions
    have agreements for is ``other-region`` (plus ``confidential`` when every one of those is confidential),
    and nothing more is said about them; the validity reasons judge the own routes only. A pair's columns:
    commission region, valid_from, valid_to, active; agreement region, confidential, status, valid_from,
    valid_to."""
    best = None
    for (cid, aid), (c_region, c_from, c_to, c_active, a_region, _, status, a_from, a_to) in pairs.items():
        if a_region != region.id or c_region != region.id:
            continue
        reasons = []
        if status in CONTRACT_ENDED:
            reasons.append("agreement-expired")
        elif status not in CONTRACT_IN_FORCE:
            reasons.append("agreement-not-started")
        reasons += _validity(a_from, a_to, date, "agreement", True)
        reasons += _validity(c_from, c_to, date, "commission", bool(c_active))
        key = (len(set(reasons)), a_to or "9999", aid, cid)
        if best is None or key < best[0]:
            best = (key, (cid, aid), reasons)
    if best is not None:
        return best[1], best[2], False
    confidential = all(v[5] for v in pairs.values())
    return min(pairs), ["other-region"] + (["confidential"] if confidential else []), True


class _Route:
    """How a service type matches the query: the match type, the ConceptMap for ``mapped``, and the concept
    path (keys), computed only when something needs it (sorting by match, or the returned page)."""

    __slots__ = ("type", "map", "_make", "_path")

    def __init__(self, type_: str, make, map_: str | None = None) -> None:
        self.type, self.map, self._make, self._path = type_, map_, make, None

    @property
    def path(self) -> tuple[str, ...]:
        if self._path is None:
            self._path = tuple(self._make())
        return self._path


def _match_rank(match) -> tuple[int, int]:
    return MATCH_TYPES.index(match.type), len(match.path)


def _validity(start: str | None, end: str | None, date: str, what: str, active: bool) -> list[str]:
    """Inclusive at both ends, an open end is open (care-search.md "Validity")."""
    out = []
    if start and date < start:
        out.append(f"{what}-not-started")
    if end and date > end or not active:
        out.append(f"{what}-expired")
    return out


def _expires_within(end: str | None, date: str, days: int) -> bool:
    if not end:
        return False
    delta = (dt.date.fromisoformat(end) - dt.date.fromisoformat(date)).days
    return 0 <= delta <= days


def _eligibility(e: m.Eligibility, req: CareSearchRequest) -> tuple[Verdict, ...]:
    """Only the criteria given in the query are judged; a stated limit met is ``met``, none is ``not-stated``."""
    out = []
    if req.age is not None:
        stated = None
        if e.age_min is not None or e.age_max is not None:
            stated = f"{e.age_min if e.age_min is not None else ''}–{e.age_max if e.age_max is not None else ''} år"
            ok = (e.age_min is None or req.age >= e.age_min) and (e.age_max is None or req.age <= e.age_max)
            out.append(Verdict("age", "met" if ok else "not-met", f"{req.age} år", stated))
        else:
            out.append(Verdict("age", "not-stated", f"{req.age} år", None))
    if req.sex is not None:
        label = {"female": "kvinna", "male": "man"}
        if e.sex:
            out.append(Verdict("sex", "met" if e.sex == req.sex else "not-met", label[req.sex], label[e.sex]))
        else:
            out.append(Verdict("sex", "not-stated", label[req.sex], None))
    if req.asa is not None:
        if e.asa_max is not None:
            out.append(Verdict("asa", "met" if req.asa <= e.asa_max else "not-met", f"ASA {req.asa}",
                               f"ASA 1–{e.asa_max}"))
        else:
            out.append(Verdict("asa", "not-stated", f"ASA {req.asa}", None))
    if req.bmi is not None:
        if e.bmi_max is not None:
            out.append(Verdict("bmi", "met" if req.bmi <= e.bmi_max else "not-met", f"BMI {req.bmi:g}",
                               f"BMI högst {e.bmi_max:g}"))
        else:
            out.append(Verdict("bmi", "not-stated", f"BMI {req.bmi:g}", None))
    return tuple(out)


def _places(places: list, point: tuple[float, float] | None) -> list[tuple[tuple, float | None]]:
    """Compact places ``(id, unit, municipality, county, lat, lon)`` with their distance, nearest first."""
    out = []
    for p in places:
        d = None
        if point is not None and p[4] is not None and p[5] is not None:
            d = round(geo.haversine_km(point, (p[4], p[5])), 1)
        out.append((p, d))
    return sorted(out, key=lambda x: (x[1] is None, x[1] or 0, x[0][0]))


def _for_service(service: str | None, activity: str | None, service_id: str, keys: set[str]) -> bool:
    """A report counts for a service when it names the service, or names none and its activity code is one of
    the service's types (a unit x activity report, as the national waiting-time reports are)."""
    if service is not None:
        return service == service_id
    return activity is not None and activity in keys


def _wait(reports: list, service_id: str, keys: set[str], date: str) -> Wait:
    """The latest report (on or before the date) of a wait in days; fresh when at most 42 days old.

    ``reports`` are compact rows ``(id, service, activity key, measure, value, reported, period_start,
    period_end, source)``."""
    mine = [w for w in reports if _for_service(w[1], w[2], service_id, keys)]
    in_days = [w for w in mine if w[3] in c.WAIT_MEASURES_IN_DAYS]
    if not in_days:
        return Wait("missing")
    latest = max(in_days, key=lambda w: (w[5], w[3] == "current-estimate", w[0]))
    _, _, _, measure, value, reported, start, end, source = latest
    others = tuple(sorted((w[3], w[4]) for w in mine if w[5] == reported and w[3] not in c.WAIT_MEASURES_IN_DAYS))
    age = (dt.date.fromisoformat(date) - dt.date.fromisoformat(reported)).days
    where = f", källa: {source}" if source else ""
    if age > STALE_AFTER_DAYS:
        return Wait("stale", value, measure, reported, source, (start, end), others,
                    f"Uppgift saknas (senaste rapport {reported} är äldre än 6 veckor{where})")
    return Wait("fresh", value, measure, reported, source, (start, end), others,
                f"{value:g} dagar ({c.MEASURES[measure][0].lower()}, rapporterad {reported}{where})")


def _sort_key(sort: str):
    """care-search.md "Sorting"; ties: service name, then id."""
    def wait_key(x: "_Candidate"):
        return (x.wait.status != "fresh", x.wait.days if x.wait.status == "fresh" else 0)

    def name(x: "_Candidate"):
        return (x.name, x.sid)

    if sort == "wait":
        return lambda x: (wait_key(x), _match_rank(x.match), name(x))
    if sort == "distance":
        return lambda x: (x.distance_km is None, x.distance_km or 0, wait_key(x), name(x))
    return lambda x: (_match_rank(x.match), wait_key(x), name(x))
