"""``HealthcareService/$care-search``: from a care-service query to the services the searching region has
agreements for, who can take the patient, and how long the wait is.

Implements care-search.md "Search semantics" and "Precise rules": resolve the query to concepts
(:mod:`.concepts`), walk the hierarchy (exact, narrower, broader, mapped; a shortest is-a path each), take
the services of those types, keep those an own-region agreement *and* its commission cover on the search
date (inclusive dates, open ends open), judge only the patient facts given, filter by meeting form, place,
distance (haversine), waiting time (the latest report on or before the date; fresh when at most 42 days
old) and capacity (periods overlapping, touching counts), explain every hit, and list the excluded
candidates with every reason in the rules' order when asked. Confidential agreements of other regions are
never shown: such a candidate appears only as excluded, without the agreement.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Iterable

import terminology as t

from . import codes as c
from . import geo
from . import model as m
from .concepts import Candidate, Concept, ConceptIndex
from .fhir import CONTRACT_ENDED, CONTRACT_IN_FORCE
from .store import CareStore, Filter, type_key

STALE_AFTER_DAYS = 42
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
    """True when the covering agreement is another region's confidential one (nothing of it is shown)."""
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

    def region(self, value: str) -> m.Organization:
        """The region named by a län code, an orgnr or an organisation id."""
        value = value.strip()
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
        hits, excluded = self._evaluate(req, region, targets)
        hits.sort(key=_sort_key(req.sort))
        excluded.sort(key=_sort_key(req.sort))
        notes = []
        if "mapped" in req.match_types and self.index.translator is None:
            notes.append("mapped: inga ConceptMaps finns att använda")
        return CareSearchResult(request=req, region=region, date=req.date, resolution=resolution,
                                hits=tuple(hits[:req.count]), total=len(hits),
                                excluded=tuple(excluded[:req.count]) if req.include_excluded else (),
                                excluded_total=len(excluded) if req.include_excluded else 0,
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
                 queries: list[Concept] | frozenset[str]) -> dict[str, Match]:
        types = self.index.service_types()
        out: dict[str, Match] = {}

        def coding(key: str) -> t.Coding:
            concept = self.index.get(key)
            if concept is not None:
                return concept.coding
            system, _, code = key.partition("|")
            return t.Coding(system, code)

        def offer(key: str, match: Match) -> None:
            have = out.get(key)
            if have is None or _match_rank(match) < _match_rank(have):
                out[key] = match

        if resolution.how == "ecl":
            for key in set(queries) & types:  # type: ignore[operator]
                offer(key, Match("exact", (coding(key),)))
            return out
        wanted = req.match_types
        for q in queries:  # type: ignore[union-attr]
            if "exact" in wanted and q.key in types:
                offer(q.key, Match("exact", (q.coding,)))
            if "narrower" in wanted:
                for s in self.index.narrower_types(q.key):
                    offer(s, Match("narrower", tuple(coding(k) for k in self.index.path_down(q.key, s))))
            if "broader" in wanted:
                for s in self.index.broader_types(q.key):
                    offer(s, Match("broader", tuple(coding(k) for k in reversed(self.index.path_down(s, q.key)))))
            if "mapped" in wanted:
                for target, origin in self.index.translations(q.key):
                    reach = ([target] if target in types else []) + self.index.narrower_types(target)
                    for s in reach:
                        path = (q.coding,) + tuple(coding(k) for k in self.index.path_down(target, s))
                        offer(s, Match("mapped", path, origin))
        return out

    # --- 3-4. candidates, filters, explanations ---------------------------------------------------

    def _evaluate(self, req: CareSearchRequest, region: m.Organization,
                  targets: dict[str, Match]) -> tuple[list[Hit], list[Hit]]:
        if not targets:
            return [], []
        by_service = self.store.services_by_type(targets)
        coverage = self.store.coverage(by_service, None if req.include_excluded else region.id)
        pairs: dict[str, list[tuple[str, str]]] = {}
        for sid, commission_id, agreement_id in coverage:
            pairs.setdefault(sid, []).append((commission_id, agreement_id))
        services = self.store.get_many("HealthcareService", pairs)
        commissions = self.store.get_many("OrganizationAffiliation", {x for p in pairs.values() for x, _ in p})
        agreements = self.store.get_many("Contract", {a for p in pairs.values() for _, a in p})
        unit_ids = {s.record.unit for s in services.values()}
        units = self.store.get_many("Organization", unit_ids)
        providers = self.store.get_many("Organization", {u.record.part_of for u in units.values() if u.record.part_of})
        explicit = self.store.get_many("Location", {x for s in services.values() for x in s.record.locations})
        by_unit = self.store.unit_locations(unit_ids)
        waits = self.store.waits(unit_ids, req.date)
        cap_start = req.capacity_from or req.date
        capacities = self.store.capacities(unit_ids, cap_start, req.capacity_to)
        point = req.near or (geo.postal_point(req.postal_code) if req.postal_code else None)
        hits, excluded = [], []
        for sid, stored in services.items():
            service = stored.record
            match = min((targets[k] for k in by_service[sid]), key=_match_rank)
            keys = {type_key(x.system, x.code) for x in service.types}
            commission, agreement, reasons = self._best_pair(pairs[sid], commissions, agreements, region, req.date)
            withheld = agreement is not None and agreement.record.confidential and agreement.record.region != region.id
            reasons += _validity(service.valid_from, service.valid_to, req.date, "service", service.active)
            verdicts = _eligibility(service.eligibility, req)
            reasons += [v.criterion for v in verdicts if v.verdict == "not-met"]
            if req.meeting_form and req.meeting_form not in service.meeting_forms:
                reasons.append("meeting-form")
            locations = [explicit[x].record for x in service.locations if x in explicit] or by_unit.get(service.unit, [])
            places = _places(locations, point)
            if req.county and not any(p.location.county == req.county for p in places):
                reasons.append("county")
            if req.municipality and not any(p.location.municipality == req.municipality for p in places):
                reasons.append("municipality")
            if req.distance_km is not None and (not places or places[0].distance_km is None
                                                or places[0].distance_km > req.distance_km):
                reasons.append("distance")
            wait = _wait(waits.get(service.unit, []), sid, keys, req.date)
            if req.max_wait_days is not None and (wait.status != "fresh" or wait.days > req.max_wait_days):
                reasons.append("wait")
            capacity = tuple(x for x in capacities.get(service.unit, []) if _for_service(x, sid, keys))
            if (req.capacity_from or req.capacity_to) and not any(x.available for x in capacity):
                reasons.append("no-capacity")
            expiring = agreement is not None and not withheld and _expires_within(agreement.record.valid_to,
                                                                                 req.date, 90)
            hit = Hit(service=stored, match=match, unit=units.get(service.unit),
                      provider=providers.get(units[service.unit].record.part_of) if service.unit in units else None,
                      places=tuple(places), commission=None if withheld else commission,
                      agreement=None if withheld else agreement, agreement_withheld=withheld,
                      eligibility=verdicts, wait=wait, capacity=capacity,
                      reasons=tuple(sorted(set(reasons), key=REASONS.index)), expires_within_90_days=expiring)
            (excluded if hit.reasons else hits).append(hit)
        return hits, excluded

    @staticmethod
    def _best_pair(pairs: Iterable[tuple[str, str]], commissions: dict[str, m.Stored], agreements: dict[str, m.Stored],
                   region: m.Organization, date: str) -> tuple[m.Stored | None, m.Stored | None, list[str]]:
        best = None
        for commission_id, agreement_id in pairs:
            cm, ag = commissions.get(commission_id), agreements.get(agreement_id)
            if cm is None or ag is None:
                continue
            a = ag.record
            reasons = []
            if a.region != region.id:
                reasons.append("other-region")
                if a.confidential:
                    reasons.append("confidential")
            if a.status in CONTRACT_ENDED:
                reasons.append("agreement-expired")
            elif a.status not in CONTRACT_IN_FORCE:
                reasons.append("agreement-not-started")
            reasons += _validity(a.valid_from, a.valid_to, date, "agreement", True)
            reasons += _validity(cm.record.valid_from, cm.record.valid_to, date, "commission", cm.record.active)
            if cm.record.region != a.region and "other-region" not in reasons and cm.record.region != region.id:
                reasons.append("other-region")
            key = ("other-region" in reasons, len(set(reasons)), a.valid_to or "9999", a.id)
            if best is None or key < best[0]:
                best = (key, cm, ag, reasons)
        if best is None:
            return None, None, []
        return best[1], best[2], best[3]


def _match_rank(match: Match) -> tuple[int, int]:
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


def _places(locations: list[m.Location], point: tuple[float, float] | None) -> list[Place]:
    out = []
    for loc in locations:
        d = None
        if point is not None and loc.lat is not None and loc.lon is not None:
            d = round(geo.haversine_km(point, (loc.lat, loc.lon)), 1)
        out.append(Place(loc, d))
    return sorted(out, key=lambda p: (p.distance_km is None, p.distance_km or 0, p.location.id))


def _for_service(record: m.WaitingTime | m.Capacity, service_id: str, keys: set[str]) -> bool:
    if record.service is not None:
        return record.service == service_id
    return record.activity is not None and type_key(record.activity.system, record.activity.code) in keys


def _wait(reports: list[m.WaitingTime], service_id: str, keys: set[str], date: str) -> Wait:
    """The latest report (on or before the date) of a wait in days; fresh when at most 42 days old."""
    mine = [w for w in reports if _for_service(w, service_id, keys)]
    in_days = [w for w in mine if w.measure in c.WAIT_MEASURES_IN_DAYS]
    if not in_days:
        return Wait("missing")
    latest = max(in_days, key=lambda w: (w.reported, w.measure == "current-estimate"))
    others = tuple((w.measure, w.value) for w in mine if w.reported == latest.reported and w is not latest
                   and w.measure not in c.WAIT_MEASURES_IN_DAYS)
    age = (dt.date.fromisoformat(date) - dt.date.fromisoformat(latest.reported)).days
    source = f", källa: {latest.source}" if latest.source else ""
    if age > STALE_AFTER_DAYS:
        return Wait("stale", latest.value, latest.measure, latest.reported, latest.source,
                    (latest.period_start, latest.period_end), others,
                    f"Uppgift saknas (senaste rapport {latest.reported} är äldre än 6 veckor{source})")
    return Wait("fresh", latest.value, latest.measure, latest.reported, latest.source,
                (latest.period_start, latest.period_end), others,
                f"{latest.value:g} dagar ({c.MEASURES[latest.measure][0].lower()}, rapporterad {latest.reported}"
                f"{source})")


def _sort_key(sort: str):
    def wait_key(h: Hit):
        return (h.wait.status != "fresh", h.wait.days if h.wait.status == "fresh" else 0)

    def name(h: Hit):
        return (h.provider.record.name if h.provider else "", h.service.record.name, h.service.record.id)

    if sort == "wait":
        return lambda h: (wait_key(h), _match_rank(h.match), name(h))
    if sort == "distance":
        return lambda h: (h.distance_km is None, h.distance_km or 0, wait_key(h), name(h))
    return lambda h: (_match_rank(h.match), wait_key(h), name(h))
