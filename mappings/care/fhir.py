"""The FHIR (R5) shape of the care records: parse a resource into a record, render a record as a resource.

Plain dicts in, plain dicts out (like :mod:`mappings.translate`); the API converts R4 at its edge. The
mapping follows care-search.md "Domain model"; elements the project defines itself use extensions under
:data:`codes.NS`. Parsing checks structure, identifier formats (HSA-id, orgnr) and date order as it reads,
and names the element of each problem (``HealthcareService.eligibility[1].valueRange.high``); code and
reference checks need the terminology and the directory and happen in :mod:`mappings.care.validate`.

=========================  ========================================================================
Record field               FHIR element
=========================  ========================================================================
Organization.kind          ``type`` coding in ``organisation-kind``; verksamhetskod and vård- och
                           omsorgsform are further ``type`` codings; ``partOf``; ``identifier``
                           orgnr / HSA-id; region län code: extension ``county``
Location                   ``address`` (line, postalCode, city, district = kommun, state = län, with
                           the codes as extensions), ``position``, ``managingOrganization`` = unit
CareService                ``providedBy`` = unit, ``type`` (one CodeableConcept per coding),
                           ``characteristic`` = meeting forms, ``comment`` = description, ``location``,
                           validity: extension ``validity-period``; Målgrupp and Villkor:
                           ``eligibility`` with code + extension ``eligibility-value`` holding
                           ``value[x]`` (age 424144002 ``valueRange``,
                           sex 184100006 ``valueCodeableConcept``, ASA 302132005 and BMI 60621009
                           ``valueRange.high``, referral / payment commitment / free-text conditions)
Commission                 ``organization`` = region, ``participatingOrganization`` = provider,
                           ``healthcareService``, ``period``, ``code[0].text`` = name
Agreement                  ``identifier``, ``status`` (FHIR contract-status), ``title``, ``type``,
                           ``applies``, ``authority`` = region, ``author`` = registering region,
                           ``subject`` = commissions, ``term[0].offer.text`` = description,
                           ``legallyBindingAttachment.url``, ``meta.security`` R (v3 Confidentiality)
                           = confidential; extensions extension-option, contact, channel
WaitingTime                MeasureReport (summary): ``reporter`` = unit, ``date`` = reported,
                           ``period``, ``group[0].code`` = measure, ``group[0].measureScoreQuantity``;
                           extensions service, activity, source
Capacity                   Observation: ``code`` temporary-free-capacity, ``focus`` = service,
                           ``performer`` = unit (and the reporting region), ``effectivePeriod``,
                           ``issued``, ``valueQuantity`` (volume) or ``valueBoolean``, ``note`` =
                           conditions; extensions activity, contact
=========================  ========================================================================
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

import terminology as t

from . import codes as c
from . import model as m

EXT = f"{c.NS}/StructureDefinition"
EXT_COUNTY = f"{EXT}/county"
EXT_MUNICIPALITY = f"{EXT}/municipality"
EXT_OPENING_HOURS = f"{EXT}/opening-hours"
EXT_VALIDITY = f"{EXT}/validity-period"
EXT_EXTENSION_OPTION = f"{EXT}/extension-option"
EXT_CONTACT = f"{EXT}/contact"
EXT_CHANNEL = f"{EXT}/registration-channel"
EXT_SERVICE = f"{EXT}/healthcare-service"
EXT_ACTIVITY = f"{EXT}/activity"
EXT_SOURCE = f"{EXT}/source"
EXT_ELIGIBILITY_VALUE = f"{EXT}/eligibility-value"
"""The value of an eligibility criterion (FHIR R4 and R5 ``HealthcareService.eligibility`` have only ``code``
and ``comment``; the value arrives as ``value[x]`` in later FHIR versions, which is also accepted)."""
MEASURE_URL = f"{c.NS}/Measure/waiting-time"

AGE, SEX, BMI, ASA = "424144002", "184100006", "60621009", "302132005"
"""SNOMED CT observables of HealthcareService.eligibility.code (care-search.md "Målgrupp")."""
REFERRAL, PAYMENT, CONDITIONS = "referral", "payment-commitment", "conditions"
CONDITION_SYSTEM = f"{c.NS}/CodeSystem/care-condition"

CONTRACT_IN_FORCE = ("executed", "amended", "renewed", "appended")
CONTRACT_ENDED = ("terminated", "cancelled", "revoked", "rejected", "entered-in-error")
CONTRACT_STATUSES = CONTRACT_IN_FORCE + CONTRACT_ENDED + ("offered", "negotiable", "policy", "disputed",
                                                           "resolved", "executable")
"""http://hl7.org/fhir/contract-status; in-force codes count as valid, ended ones as expired."""

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")

Resolver = Callable[[str, str, str], str]
"""``(reference, expected resource type, element path) -> record id``; raises InvalidRequest."""


def bad(path: str, problem: str) -> t.InvalidRequest:
    """The error for one element: its path names it, on the wire and in the text."""
    return t.InvalidRequest.plain(f"{path}: {problem}", expression=path)


@dataclass
class Parsed:
    """A parsed resource: the record, and what still needs checking against terminology and directory."""

    record: m.Record
    codes: list[tuple[str, t.Coding]] = field(default_factory=list)
    refs: list[tuple[str, str, str]] = field(default_factory=list)
    """``(element path, resource type, id)`` of every reference."""


# --- small readers ------------------------------------------------------------------------------------


def _obj(v, path: str) -> dict:
    if not isinstance(v, dict):
        raise bad(path, "must be an object")
    return v


def _list(res: dict, key: str, path: str) -> list[tuple[str, object]]:
    v = res.get(key)
    if v is None:
        return []
    if not isinstance(v, list):
        raise bad(f"{path}.{key}", "must be an array")
    return [(f"{path}.{key}[{i}]", x) for i, x in enumerate(v)]


def _str(res: dict, key: str, path: str, *, required: bool = False) -> str | None:
    v = res.get(key)
    if v is None or v == "":
        if required:
            raise bad(f"{path}.{key}", "is required")
        return None
    if not isinstance(v, str):
        raise bad(f"{path}.{key}", "must be a string")
    return v.strip()


def _bool(res: dict, key: str, path: str, default: bool) -> bool:
    v = res.get(key)
    if v is None:
        return default
    if not isinstance(v, bool):
        raise bad(f"{path}.{key}", "must be true or false")
    return v


def _num(v, path: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise bad(path, "must be a number")
    return float(v)


def _date(res: dict, key: str, path: str, *, required: bool = False) -> str | None:
    v = _str(res, key, path, required=required)
    if v is None:
        return None
    if not _DATE.match(v):
        raise bad(f"{path}.{key}", f"'{v}' is not a date (YYYY-MM-DD)")
    return v[:10]


def _period(res: dict, key: str, path: str) -> tuple[str | None, str | None]:
    p = res.get(key)
    if p is None:
        return None, None
    p = _obj(p, f"{path}.{key}")
    start, end = _date(p, "start", f"{path}.{key}"), _date(p, "end", f"{path}.{key}")
    if start and end and end < start:
        raise bad(f"{path}.{key}", f"ends ({end}) before it starts ({start})")
    return start, end


def _codings(cc, path: str) -> list[tuple[str, t.Coding]]:
    cc = _obj(cc, path)
    out = []
    for p, coding in _list(cc, "coding", path):
        coding = _obj(coding, p)
        system = _str(coding, "system", p, required=True)
        code = _str(coding, "code", p, required=True)
        out.append((p, t.Coding(system, code, _str(coding, "display", p))))
    return out


def _ext(res: dict, url: str):
    for e in res.get("extension") or []:
        if isinstance(e, dict) and e.get("url") == url:
            return e
    return None


def _ext_str(res: dict, url: str, path: str) -> str | None:
    e = _ext(res, url)
    return _str(e, "valueString", f"{path}.extension('{url.rsplit('/', 1)[1]}')") if e else None


def _ref(res: dict, key: str, path: str, rtype: str, resolve: Resolver, *, required: bool = False) -> str | None:
    r = res.get(key)
    if r is None:
        if required:
            raise bad(f"{path}.{key}", f"is required (a reference to a {rtype})")
        return None
    r = _obj(r, f"{path}.{key}")
    ref = _str(r, "reference", f"{path}.{key}", required=True)
    return resolve(ref, rtype, f"{path}.{key}")


def _refs(res: dict, key: str, path: str, rtype: str, resolve: Resolver) -> list[str]:
    out = []
    for p, r in _list(res, key, path):
        ref = _str(_obj(r, p), "reference", p, required=True)
        out.append(resolve(ref, rtype, p))
    return out


def _identifiers(res: dict, path: str) -> tuple[str | None, str | None]:
    """(orgnr, HSA-id) from ``identifier``, format-checked."""
    orgnr = hsa = None
    for p, ident in _list(res, "identifier", path):
        ident = _obj(ident, p)
        system, value = _str(ident, "system", p), _str(ident, "value", p)
        if value is None:
            continue
        if system == c.ORGNR_SYSTEM:
            problem = c.orgnr_problem(value)
            if problem:
                raise bad(f"{p}.value", problem)
            orgnr = c.normal_orgnr(value)
        elif system in c.HSA_SYSTEMS:
            problem = c.hsa_problem(value)
            if problem:
                raise bad(f"{p}.value", problem)
            hsa = value
    return orgnr, hsa


def _telecom(res: dict, path: str) -> tuple[str | None, str | None, str | None]:
    """(phone, email, web) from R5 ``contact[*].telecom``."""
    found: dict[str, str] = {}
    for p, contact in _list(res, "contact", path):
        for q, tel in _list(_obj(contact, p), "telecom", p):
            tel = _obj(tel, q)
            system, value = _str(tel, "system", q), _str(tel, "value", q)
            if system and value:
                found.setdefault(system, value)
    return found.get("phone"), found.get("email"), found.get("url")


def _id(resource: dict, path: str) -> str:
    v = resource.get("id")
    if not isinstance(v, str) or not _ID.fullmatch(v):
        raise bad(f"{path}.id", f"'{v}' is not a valid id (1-64 letters, digits, '-' and '.')")
    return v


# --- parse ----------------------------------------------------------------------------------------------


def parse(resource: dict, resolve: Resolver, path: str | None = None) -> Parsed:
    """The record of an R5 resource that already carries its ``id``. Raises InvalidRequest naming the element."""
    rtype = resource.get("resourceType")
    if rtype not in m.RESOURCE_TYPES:
        raise bad(path or "resourceType", f"the care directory keeps {', '.join(m.RESOURCE_TYPES)}, not {rtype}")
    path = path or rtype
    return _PARSERS[rtype](resource, path, resolve)


def _organization(res: dict, path: str, resolve: Resolver) -> Parsed:
    out = Parsed(record=None)  # type: ignore[arg-type]
    kind, activity, forms = None, [], []
    for p, cc in _list(res, "type", path):
        for q, coding in _codings(cc, p):
            if coding.system == c.ORG_KIND_SYSTEM:
                if coding.code not in c.ORG_KINDS:
                    raise bad(f"{q}.code", f"'{coding.code}' is not one of {', '.join(c.ORG_KINDS)}")
                kind = coding.code
            elif coding.system == c.VERKSAMHETSKOD:
                activity.append(coding)
                out.codes.append((q, coding))
            elif coding.system == c.VARDFORM:
                forms.append(coding)
                out.codes.append((q, coding))
    part_of = _ref(res, "partOf", path, "Organization", resolve)
    kind = kind or ("unit" if part_of else "provider")
    orgnr, hsa = _identifiers(res, path)
    county = None
    e = _ext(res, EXT_COUNTY)
    if e is not None:
        county = _codings({"coding": [e.get("valueCoding")]}, f"{path}.extension('county')")[0][1].code
    if kind == "region":
        if county not in _counties():
            raise bad(f"{path}.extension('county')", f"a region needs its län code (one of the 21), not {county!r}")
    if kind == "unit" and not hsa:
        raise bad(f"{path}.identifier", "a unit (vårdenhet) needs an HSA-id (system urn:oid:1.2.752.29.4.19)")
    if kind in ("region", "provider") and not orgnr:
        raise bad(f"{path}.identifier", f"a {kind} needs an organisationsnummer (system urn:oid:2.5.4.97)")
    if part_of:
        out.refs.append((f"{path}.partOf", "Organization", part_of))
    phone, email, web = _telecom(res, path)
    out.record = m.Organization(
        id=_id(res, path), kind=kind, name=_str(res, "name", path, required=True), orgnr=orgnr, hsa_id=hsa,
        county=county, part_of=part_of, activity_codes=tuple(activity), care_forms=tuple(forms),
        opening_hours=_ext_str(res, EXT_OPENING_HOURS, path), phone=phone, email=email, web=web,
        active=_bool(res, "active", path, True))
    return out


def _counties() -> set[str]:
    from .geo import counties
    return set(counties())


def _location(res: dict, path: str, resolve: Resolver) -> Parsed:
    address = _obj(res.get("address") or {}, f"{path}.address")
    ap = f"{path}.address"
    lines = [x for _, x in _list(address, "line", ap) if isinstance(x, str)]
    municipality = county = None
    for url in (EXT_MUNICIPALITY, EXT_COUNTY):
        e = _ext(address, url)
        if e is not None:
            code = _codings({"coding": [e.get("valueCoding")]}, f"{ap}.extension('{url.rsplit('/', 1)[1]}')")[0][1].code
            if url == EXT_MUNICIPALITY:
                municipality = code
            else:
                county = code
    from .geo import municipalities
    if municipality is not None:
        known = municipalities().get(municipality)
        if known is None:
            raise bad(f"{ap}.extension('municipality')", f"'{municipality}' is not a kommun code")
        if county is not None and county != known.county:
            raise bad(f"{ap}.extension('county')", f"kommun {municipality} is in län {known.county}, not {county}")
        county = known.county
    lat = lon = None
    if res.get("position") is not None:
        pos = _obj(res["position"], f"{path}.position")
        lat = _num(pos.get("latitude"), f"{path}.position.latitude")
        lon = _num(pos.get("longitude"), f"{path}.position.longitude")
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise bad(f"{path}.position", "is not a WGS84 position")
    unit = _ref(res, "managingOrganization", path, "Organization", resolve)
    out = Parsed(record=m.Location(
        id=_id(res, path), name=_str(res, "name", path, required=True), unit=unit,
        address=", ".join(lines) or None, postal_code=_str(address, "postalCode", ap),
        city=_str(address, "city", ap), municipality=municipality, county=county, lat=lat, lon=lon,
        active=(res.get("status") or "active") == "active"))
    if unit:
        out.refs.append((f"{path}.managingOrganization", "Organization", unit))
    return out


def _range_limits(e: dict, p: str) -> tuple[float | None, float | None]:
    r = e.get("valueRange")
    if r is None:
        raise bad(p, "needs valueRange (low and/or high)")
    r = _obj(r, f"{p}.valueRange")
    low = _num(r["low"].get("value"), f"{p}.valueRange.low.value") if isinstance(r.get("low"), dict) else None
    high = _num(r["high"].get("value"), f"{p}.valueRange.high.value") if isinstance(r.get("high"), dict) else None
    if low is not None and high is not None and high < low:
        raise bad(f"{p}.valueRange", f"high ({high:g}) is below low ({low:g})")
    return low, high


def _healthcare_service(res: dict, path: str, resolve: Resolver) -> Parsed:
    out = Parsed(record=None)  # type: ignore[arg-type]
    types = []
    for p, cc in _list(res, "type", path):
        for q, coding in _codings(cc, p):
            types.append(coding)
            out.codes.append((q, coding))
    if not types:
        raise bad(f"{path}.type", "is required: the service type is a coded concept (SNOMED CT or KVÅ)")
    forms = []
    for p, cc in _list(res, "characteristic", path):
        for q, coding in _codings(cc, p):
            if coding.system == c.MEETING_FORM_SYSTEM:
                if coding.code not in c.MEETING_FORMS:
                    raise bad(f"{q}.code", f"'{coding.code}' is not a meeting form ({', '.join(c.MEETING_FORMS)})")
                forms.append(coding.code)
    age_min = age_max = sex = asa = bmi = referral = None
    payment, conditions = False, None
    for p, e in _list(res, "eligibility", path):
        e = _obj(e, p)
        value_ext = _ext(e, EXT_ELIGIBILITY_VALUE)
        if value_ext is not None:
            e = {**e, **{k: v for k, v in value_ext.items() if k.startswith("value")}}
        codings = _codings(e.get("code") or {}, f"{p}.code")
        code = codings[0][1].code if codings else None
        if code == AGE:
            low, high = _range_limits(e, p)
            age_min, age_max = (int(low) if low is not None else None), (int(high) if high is not None else None)
        elif code == ASA:
            _, high = _range_limits(e, p)
            if high is None or not 1 <= high <= 6:
                raise bad(f"{p}.valueRange.high", "the ASA limit must be a class from 1 to 6")
            asa = int(high)
        elif code == BMI:
            _, high = _range_limits(e, p)
            if high is None:
                raise bad(f"{p}.valueRange.high", "the BMI limit is a maximum")
            bmi = high
        elif code == SEX:
            cc = e.get("valueCodeableConcept")
            found = _codings(cc, f"{p}.valueCodeableConcept") if cc is not None else []
            if not found or found[0][1].code not in c.SEXES:
                raise bad(f"{p}.valueCodeableConcept", "sex must be female or male (administrative-gender)")
            sex = found[0][1].code
        elif code == REFERRAL:
            cc = e.get("valueCodeableConcept")
            found = _codings(cc, f"{p}.valueCodeableConcept") if cc is not None else []
            if not found or found[0][1].code not in c.REFERRALS:
                raise bad(f"{p}.valueCodeableConcept", f"referral must be one of {', '.join(c.REFERRALS)}")
            referral = found[0][1].code
        elif code == PAYMENT:
            payment = _bool(e, "valueBoolean", p, True)
        elif code == CONDITIONS or code is None:
            conditions = _str(e, "comment", p) or conditions
        else:
            raise bad(f"{p}.code", f"unknown eligibility criterion {code}: use age {AGE}, sex {SEX}, BMI {BMI}, "
                                   f"ASA {ASA}, or {REFERRAL} / {PAYMENT} / {CONDITIONS}")
    valid_from = valid_to = None
    e = _ext(res, EXT_VALIDITY)
    if e is not None:
        valid_from, valid_to = _period(e, "valuePeriod", f"{path}.extension('validity-period')")
    unit = _ref(res, "providedBy", path, "Organization", resolve, required=True)
    locations = _refs(res, "location", path, "Location", resolve)
    out.refs.append((f"{path}.providedBy", "Organization", unit))
    out.refs += [(f"{path}.location[{i}]", "Location", x) for i, x in enumerate(locations)]
    out.record = m.CareService(
        id=_id(res, path), name=_str(res, "name", path) or (types[0].display or types[0].code), unit=unit,
        types=tuple(types), meeting_forms=tuple(forms) or ("physical",), description=_str(res, "comment", path),
        valid_from=valid_from, valid_to=valid_to, locations=tuple(locations),
        eligibility=m.Eligibility(age_min=age_min, age_max=age_max, sex=sex, asa_max=asa, bmi_max=bmi),
        referral=referral, payment_commitment=payment, conditions=conditions, active=_bool(res, "active", path, True))
    return out


def _affiliation(res: dict, path: str, resolve: Resolver) -> Parsed:
    region = _ref(res, "organization", path, "Organization", resolve, required=True)
    provider = _ref(res, "participatingOrganization", path, "Organization", resolve, required=True)
    services = _refs(res, "healthcareService", path, "HealthcareService", resolve)
    start, end = _period(res, "period", path)
    name = None
    for p, cc in _list(res, "code", path):
        name = name or _str(_obj(cc, p), "text", p)
    out = Parsed(record=m.Commission(id=_id(res, path), region=region, provider=provider, services=tuple(services),
                                     valid_from=start, valid_to=end, name=name,
                                     active=_bool(res, "active", path, True)))
    out.refs += [(f"{path}.organization", "Organization", region),
                 (f"{path}.participatingOrganization", "Organization", provider)]
    out.refs += [(f"{path}.healthcareService[{i}]", "HealthcareService", x) for i, x in enumerate(services)]
    return out


def _contract(res: dict, path: str, resolve: Resolver) -> Parsed:
    identifier = None
    for p, ident in _list(res, "identifier", path):
        identifier = identifier or _str(_obj(ident, p), "value", p)
    status = _str(res, "status", path) or "executed"
    if status not in CONTRACT_STATUSES:
        raise bad(f"{path}.status", f"'{status}' is not a contract status (http://hl7.org/fhir/contract-status)")
    authority = _refs(res, "authority", path, "Organization", resolve)
    if len(authority) != 1:
        raise bad(f"{path}.authority", "names the one region that owns the agreement")
    type_ = None
    if res.get("type") is not None:
        found = [x for _, x in _codings(res["type"], f"{path}.type") if x.system == c.AGREEMENT_TYPE_SYSTEM]
        if found and found[0].code not in c.AGREEMENT_TYPES:
            raise bad(f"{path}.type", f"'{found[0].code}' is not an agreement type ({', '.join(c.AGREEMENT_TYPES)})")
        type_ = found[0].code if found else None
    start, end = _period(res, "applies", path)
    commissions = _refs(res, "subject", path, "OrganizationAffiliation", resolve)
    author = _ref(res, "author", path, "Organization", resolve)
    description = None
    for p, term in _list(res, "term", path):
        term = _obj(term, p)
        offer = _obj(term.get("offer") or {}, f"{p}.offer")
        description = description or _str(offer, "text", f"{p}.offer") or _str(term, "text", p)
    document = None
    if isinstance(res.get("legallyBindingAttachment"), dict):
        document = _str(res["legallyBindingAttachment"], "url", f"{path}.legallyBindingAttachment")
    meta = _obj(res.get("meta") or {}, f"{path}.meta")
    confidential = any(isinstance(x, dict) and x.get("system") == c.CONFIDENTIALITY_SYSTEM
                       and x.get("code") in ("R", "V") for x in meta.get("security") or [])
    channel = None
    e = _ext(res, EXT_CHANNEL)
    if e is not None:
        channel = _str(e, "valueCode", f"{path}.extension('registration-channel')")
        if channel not in c.CHANNELS:
            raise bad(f"{path}.extension('registration-channel')", f"'{channel}' is not one of {', '.join(c.CHANNELS)}")
    out = Parsed(record=m.Agreement(
        id=_id(res, path), identifier=identifier or res.get("id"), region=authority[0], commissions=tuple(commissions),
        title=_str(res, "title", path), type=type_, status=status, valid_from=start, valid_to=end,
        extension_option=_ext_str(res, EXT_EXTENSION_OPTION, path), description=description,
        contact=_ext_str(res, EXT_CONTACT, path), document_url=document, confidential=confidential,
        registered_by=author or authority[0], channel=channel))
    out.refs.append((f"{path}.authority[0]", "Organization", authority[0]))
    if author:
        out.refs.append((f"{path}.author", "Organization", author))
    out.refs += [(f"{path}.subject[{i}]", "OrganizationAffiliation", x) for i, x in enumerate(commissions)]
    return out


def _activity(res: dict, path: str, out: Parsed) -> t.Coding | None:
    e = _ext(res, EXT_ACTIVITY)
    if e is None:
        return None
    found = _codings(e.get("valueCodeableConcept") or {}, f"{path}.extension('activity').valueCodeableConcept")
    if not found:
        return None
    out.codes.append(found[0])
    return found[0][1]


def _service_ext(res: dict, path: str, resolve: Resolver) -> str | None:
    e = _ext(res, EXT_SERVICE)
    return _ref(e, "valueReference", f"{path}.extension('healthcare-service')", "HealthcareService", resolve) \
        if e is not None else None


def _measure_report(res: dict, path: str, resolve: Resolver) -> Parsed:
    out = Parsed(record=None)  # type: ignore[arg-type]
    unit = _ref(res, "reporter", path, "Organization", resolve, required=True)
    groups = _list(res, "group", path)
    if len(groups) != 1:
        raise bad(f"{path}.group", "must hold exactly one group: one measure per MeasureReport")
    gp, group = groups[0]
    group = _obj(group, gp)
    measure = next((x.code for _, x in _codings(group.get("code") or {}, f"{gp}.code")
                    if x.system == c.MEASURE_SYSTEM), None)
    if measure not in c.MEASURES:
        raise bad(f"{gp}.code", f"the measure must be one of {', '.join(c.MEASURES)} ({c.MEASURE_SYSTEM})")
    score = group.get("measureScoreQuantity")
    if not isinstance(score, dict):
        raise bad(f"{gp}.measureScoreQuantity", "is required")
    value = _num(score.get("value"), f"{gp}.measureScoreQuantity.value")
    if value < 0 or measure == "share-within-90" and value > 100:
        raise bad(f"{gp}.measureScoreQuantity.value", f"{value:g} is out of range for {measure}")
    reported = _date(res, "date", path, required=True)
    start, end = _period(res, "period", path)
    service = _service_ext(res, path, resolve)
    activity = _activity(res, path, out)
    if service is None and activity is None:
        raise bad(f"{path}.extension", "a waiting time is for a service (extension healthcare-service) or an "
                                      "activity code (extension activity)")
    out.refs.append((f"{path}.reporter", "Organization", unit))
    if service:
        out.refs.append((f"{path}.extension('healthcare-service')", "HealthcareService", service))
    out.record = m.WaitingTime(id=_id(res, path), unit=unit, measure=measure, value=value, reported=reported,
                               period_start=start, period_end=end, service=service, activity=activity,
                               source=_ext_str(res, EXT_SOURCE, path))
    return out


def _observation(res: dict, path: str, resolve: Resolver) -> Parsed:
    out = Parsed(record=None)  # type: ignore[arg-type]
    code = [x for _, x in _codings(res.get("code") or {}, f"{path}.code")]
    if not any((x.system, x.code) == c.CAPACITY_CODE for x in code):
        raise bad(f"{path}.code", f"the care directory keeps capacity observations ({c.CAPACITY_CODE[0]}#"
                                  f"{c.CAPACITY_CODE[1]})")
    performers = _refs(res, "performer", path, "Organization", resolve)
    if not performers:
        raise bad(f"{path}.performer", "names the reporting unit (and optionally its region)")
    services = _refs(res, "focus", path, "HealthcareService", resolve)
    start, end = _period(res, "effectivePeriod", path)
    if start is None or end is None:
        raise bad(f"{path}.effectivePeriod", "needs start and end")
    volume, available = None, True
    if isinstance(res.get("valueQuantity"), dict):
        v = _num(res["valueQuantity"].get("value"), f"{path}.valueQuantity.value")
        if v < 0 or v != int(v):
            raise bad(f"{path}.valueQuantity.value", "the volume is a whole number of free slots")
        volume, available = int(v), v > 0
    elif "valueBoolean" in res:
        available = _bool(res, "valueBoolean", path, True)
    notes = [_str(_obj(n, p), "text", p) for p, n in _list(res, "note", path)]
    activity = _activity(res, path, out)
    if not services and activity is None:
        raise bad(f"{path}.focus", "a capacity report is for a service (focus) or an activity code (extension activity)")
    out.refs += [(f"{path}.performer[{i}]", "Organization", x) for i, x in enumerate(performers)]
    out.refs += [(f"{path}.focus[0]", "HealthcareService", services[0])] if services else []
    issued = _str(res, "issued", path, required=True)
    out.record = m.Capacity(id=_id(res, path), unit=performers[0], period_start=start, period_end=end,
                            reported_at=issued, service=services[0] if services else None, activity=activity,
                            region=performers[1] if len(performers) > 1 else None, volume=volume,
                            available=available, conditions="\n".join(n for n in notes if n) or None,
                            contact=_ext_str(res, EXT_CONTACT, path))
    return out


_PARSERS = {"Organization": _organization, "Location": _location, "HealthcareService": _healthcare_service,
            "OrganizationAffiliation": _affiliation, "Contract": _contract, "MeasureReport": _measure_report,
            "Observation": _observation}


# --- render -------------------------------------------------------------------------------------------


def _coding(x: t.Coding) -> dict:
    out = {"system": x.system, "code": x.code}
    if x.display:
        out["display"] = x.display
    return out


def _ref_to(rtype: str, id_: str, display: str | None = None) -> dict:
    out = {"reference": f"{rtype}/{id_}"}
    if display:
        out["display"] = display
    return out


def _contact(phone, email, web) -> list[dict]:
    telecom = [{"system": s, "value": v} for s, v in (("phone", phone), ("email", email), ("url", web)) if v]
    return [{"telecom": telecom}] if telecom else []


def _period_of(start, end) -> dict:
    return {k: v for k, v in (("start", start), ("end", end)) if v}


def render(stored: m.Stored) -> dict:
    """The R5 resource of a stored record, with ``meta.versionId`` and ``meta.lastUpdated``."""
    r = stored.record
    rtype = m.resource_type(r)
    body = _RENDERERS[rtype](r)
    meta = {"versionId": str(stored.version_id), "lastUpdated": stored.last_updated, **body.pop("meta", {})}
    return {"resourceType": rtype, "id": r.id, "meta": meta, **body}


def _r_organization(r: m.Organization) -> dict:
    ident = []
    if r.orgnr:
        ident.append({"system": c.ORGNR_SYSTEM, "value": r.orgnr})
    if r.hsa_id:
        ident.append({"system": c.HSA_SYSTEM, "value": r.hsa_id})
    types = [{"coding": [{"system": c.ORG_KIND_SYSTEM, "code": r.kind}]}]
    types += [{"coding": [_coding(x)]} for x in r.activity_codes + r.care_forms]
    out: dict = {}
    ext = []
    if r.county:
        ext.append({"url": EXT_COUNTY, "valueCoding": {"system": c.COUNTY_SYSTEM, "code": r.county}})
    if r.opening_hours:
        ext.append({"url": EXT_OPENING_HOURS, "valueString": r.opening_hours})
    if ext:
        out["extension"] = ext
    out.update({"identifier": ident, "active": r.active, "type": types, "name": r.name})
    contact = _contact(r.phone, r.email, r.web)
    if contact:
        out["contact"] = contact
    if r.part_of:
        out["partOf"] = _ref_to("Organization", r.part_of)
    return out


def _r_location(r: m.Location) -> dict:
    address: dict = {}
    ext = []
    if r.municipality:
        ext.append({"url": EXT_MUNICIPALITY, "valueCoding": {"system": c.MUNICIPALITY_SYSTEM, "code": r.municipality}})
    if r.county:
        ext.append({"url": EXT_COUNTY, "valueCoding": {"system": c.COUNTY_SYSTEM, "code": r.county}})
    if ext:
        address["extension"] = ext
    if r.address:
        address["line"] = [r.address]
    if r.city:
        address["city"] = r.city
    from .geo import counties, municipalities
    if r.municipality and r.municipality in municipalities():
        address["district"] = municipalities()[r.municipality].name
    if r.county and r.county in counties():
        address["state"] = counties()[r.county].name
    if r.postal_code:
        address["postalCode"] = r.postal_code
    address["country"] = "SE"
    out: dict = {"status": "active" if r.active else "inactive", "name": r.name, "address": address}
    if r.lat is not None and r.lon is not None:
        out["position"] = {"longitude": r.lon, "latitude": r.lat}
    if r.unit:
        out["managingOrganization"] = _ref_to("Organization", r.unit)
    return out


def _quantity(value: float, unit: str) -> dict:
    return {"value": int(value) if value == int(value) else value, "unit": unit, "system": "http://unitsofmeasure.org",
            "code": unit}


def _eligibility(r: m.CareService) -> list[dict]:
    e = r.eligibility
    out = []

    def sct(code: str, display: str) -> dict:
        return {"coding": [{"system": c.SNOMED, "code": code, "display": display}]}

    if e.age_min is not None or e.age_max is not None:
        rng = {}
        if e.age_min is not None:
            rng["low"] = _quantity(e.age_min, "a")
        if e.age_max is not None:
            rng["high"] = _quantity(e.age_max, "a")
        out.append({"code": sct(AGE, "Current chronological age"), "valueRange": rng})
    if e.sex:
        out.append({"code": sct(SEX, "Patient sex"),
                    "valueCodeableConcept": {"coding": [{"system": c.GENDER_SYSTEM, "code": e.sex}]}})
    if e.asa_max is not None:
        out.append({"code": sct(ASA, "ASA physical status class"), "valueRange": {"high": {"value": e.asa_max}}})
    if e.bmi_max is not None:
        out.append({"code": sct(BMI, "Body mass index"), "valueRange": {"high": _quantity(e.bmi_max, "kg/m2")}})
    if r.referral:
        out.append({"code": {"coding": [{"system": CONDITION_SYSTEM, "code": REFERRAL}]},
                    "valueCodeableConcept": {"coding": [{"system": c.REFERRAL_SYSTEM, "code": r.referral,
                                                         "display": c.REFERRALS[r.referral]}]}})
    if r.payment_commitment:
        out.append({"code": {"coding": [{"system": CONDITION_SYSTEM, "code": PAYMENT}]}, "valueBoolean": True,
                    "comment": "Betalningsförbindelse från beställande region krävs"})
    if r.conditions:
        out.append({"code": {"coding": [{"system": CONDITION_SYSTEM, "code": CONDITIONS}]}, "comment": r.conditions})
    return out


def _with_value_extension(criterion: dict) -> dict:
    out = {k: v for k, v in criterion.items() if not k.startswith("value")}
    values = {k: v for k, v in criterion.items() if k.startswith("value")}
    if values:
        out = {"extension": [{"url": EXT_ELIGIBILITY_VALUE, **values}], **out}
    return out


def _r_service(r: m.CareService) -> dict:
    out: dict = {}
    if r.valid_from or r.valid_to:
        out["extension"] = [{"url": EXT_VALIDITY, "valuePeriod": _period_of(r.valid_from, r.valid_to)}]
    out.update({"active": r.active, "providedBy": _ref_to("Organization", r.unit),
                "type": [{"coding": [_coding(x)]} for x in r.types]})
    if r.locations:
        out["location"] = [_ref_to("Location", x) for x in r.locations]
    out["name"] = r.name
    if r.description:
        out["comment"] = r.description
    out["characteristic"] = [{"coding": [{"system": c.MEETING_FORM_SYSTEM, "code": f}]} for f in r.meeting_forms]
    elig = _eligibility(r)
    if elig:
        out["eligibility"] = [_with_value_extension(x) for x in elig]
    return out


def _r_affiliation(r: m.Commission) -> dict:
    out: dict = {"active": r.active}
    if r.valid_from or r.valid_to:
        out["period"] = _period_of(r.valid_from, r.valid_to)
    out["organization"] = _ref_to("Organization", r.region)
    out["participatingOrganization"] = _ref_to("Organization", r.provider)
    if r.name:
        out["code"] = [{"text": r.name}]
    if r.services:
        out["healthcareService"] = [_ref_to("HealthcareService", x) for x in r.services]
    return out


def _r_contract(r: m.Agreement) -> dict:
    out: dict = {}
    if r.confidential:
        out["meta"] = {"security": [{"system": c.CONFIDENTIALITY_SYSTEM, "code": "R", "display": "restricted"}]}
    ext = []
    if r.extension_option:
        ext.append({"url": EXT_EXTENSION_OPTION, "valueString": r.extension_option})
    if r.contact:
        ext.append({"url": EXT_CONTACT, "valueString": r.contact})
    if r.channel:
        ext.append({"url": EXT_CHANNEL, "valueCode": r.channel})
    if ext:
        out["extension"] = ext
    out["identifier"] = [{"system": c.AGREEMENT_ID_SYSTEM, "value": r.identifier}]
    out["status"] = r.status
    if r.valid_from or r.valid_to:
        out["applies"] = _period_of(r.valid_from, r.valid_to)
    if r.commissions:
        out["subject"] = [_ref_to("OrganizationAffiliation", x) for x in r.commissions]
    out["authority"] = [_ref_to("Organization", r.region)]
    if r.title:
        out["title"] = r.title
    if r.registered_by:
        out["author"] = _ref_to("Organization", r.registered_by)
    if r.type:
        out["type"] = {"coding": [{"system": c.AGREEMENT_TYPE_SYSTEM, "code": r.type,
                                   "display": c.AGREEMENT_TYPES[r.type]}]}
    if r.description:
        out["term"] = [{"offer": {"text": r.description}}]
    if r.document_url:
        out["legallyBindingAttachment"] = {"url": r.document_url}
    return out


def _activity_ext(activity: t.Coding | None) -> list[dict]:
    return [{"url": EXT_ACTIVITY, "valueCodeableConcept": {"coding": [_coding(activity)]}}] if activity else []


def _r_measure_report(r: m.WaitingTime) -> dict:
    ext = []
    if r.service:
        ext.append({"url": EXT_SERVICE, "valueReference": _ref_to("HealthcareService", r.service)})
    ext += _activity_ext(r.activity)
    if r.source:
        ext.append({"url": EXT_SOURCE, "valueString": r.source})
    label, unit = c.MEASURES[r.measure]
    return {"extension": ext, "status": "complete", "type": "summary", "measure": f"{MEASURE_URL}-{r.measure}",
            "date": r.reported, "reporter": _ref_to("Organization", r.unit),
            "period": _period_of(r.period_start or r.reported, r.period_end or r.reported),
            "group": [{"code": {"coding": [{"system": c.MEASURE_SYSTEM, "code": r.measure, "display": label}]},
                       "measureScoreQuantity": _quantity(r.value, unit)}]}


def _r_observation(r: m.Capacity) -> dict:
    ext = _activity_ext(r.activity)
    if r.contact:
        ext.append({"url": EXT_CONTACT, "valueString": r.contact})
    out: dict = {}
    if ext:
        out["extension"] = ext
    out.update({"status": "final",
                "code": {"coding": [{"system": c.CAPACITY_CODE[0], "code": c.CAPACITY_CODE[1],
                                     "display": "Tillfällig ledig kapacitet"}]}})
    if r.service:
        out["focus"] = [_ref_to("HealthcareService", r.service)]
    out["effectivePeriod"] = _period_of(r.period_start, r.period_end)
    out["issued"] = r.reported_at
    out["performer"] = [_ref_to("Organization", r.unit)] + ([_ref_to("Organization", r.region)] if r.region else [])
    if r.volume is not None:
        out["valueQuantity"] = {"value": r.volume, "unit": "st"}
    else:
        out["valueBoolean"] = r.available
    if r.conditions:
        out["note"] = [{"text": r.conditions}]
    return out


_RENDERERS = {"Organization": _r_organization, "Location": _r_location, "HealthcareService": _r_service,
              "OrganizationAffiliation": _r_affiliation, "Contract": _r_contract, "MeasureReport": _r_measure_report,
              "Observation": _r_observation}
