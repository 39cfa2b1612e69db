"""Records <-> table rows: one pair of functions per record type, nothing else."""

from __future__ import annotations

import json

import terminology as t

from .. import model as m
from . import schema as s


def type_key(system: str, code: str) -> str:
    """The one-column key of a coding, indexed for the concept -> services step of the search."""
    return f"{system}|{code}"


def _codings(value: tuple[t.Coding, ...]) -> str:
    return json.dumps([[c.system, c.code, c.display] for c in value], ensure_ascii=False)


def _uncodings(text: str) -> tuple[t.Coding, ...]:
    return tuple(t.Coding(a, b, c) for a, b, c in json.loads(text or "[]"))


def to_rows(record: m.Record) -> tuple[dict, dict]:
    """The main row (without id/version columns) and the link rows by table name of a record."""
    links: dict = {}
    if isinstance(record, m.Organization):
        row = dict(kind=record.kind, name=record.name, orgnr=record.orgnr, hsa_id=record.hsa_id,
                   county=record.county, part_of=record.part_of, activity_codes=_codings(record.activity_codes),
                   care_forms=_codings(record.care_forms), opening_hours=record.opening_hours,
                   phone=record.phone, email=record.email, web=record.web, active=record.active)
    elif isinstance(record, m.Location):
        row = dict(name=record.name, unit=record.unit, address=record.address, postal_code=record.postal_code,
                   city=record.city, municipality=record.municipality, county=record.county, lat=record.lat,
                   lon=record.lon, active=record.active)
    elif isinstance(record, m.CareService):
        e = record.eligibility
        row = dict(name=record.name, unit=record.unit, meeting_forms=",".join(record.meeting_forms),
                   description=record.description, valid_from=record.valid_from, valid_to=record.valid_to,
                   age_min=e.age_min, age_max=e.age_max, sex=e.sex, asa_max=e.asa_max, bmi_max=e.bmi_max,
                   referral=record.referral, payment_commitment=record.payment_commitment,
                   conditions=record.conditions, active=record.active)
        links[s.service_type.name] = [
            dict(service_id=record.id, position=i, system=c.system, code=c.code, display=c.display,
                 type_key=type_key(c.system, c.code)) for i, c in enumerate(record.types)]
        links[s.service_location.name] = [dict(service_id=record.id, location_id=x) for x in record.locations]
    elif isinstance(record, m.Commission):
        row = dict(region=record.region, provider=record.provider, valid_from=record.valid_from,
                   valid_to=record.valid_to, name=record.name, active=record.active)
        links[s.commission_service.name] = [dict(commission_id=record.id, service_id=x) for x in record.services]
    elif isinstance(record, m.Agreement):
        row = dict(identifier=record.identifier, region=record.region, title=record.title, type=record.type,
                   status=record.status, valid_from=record.valid_from, valid_to=record.valid_to,
                   extension_option=record.extension_option, description=record.description,
                   contact=record.contact, document_url=record.document_url, confidential=record.confidential,
                   registered_by=record.registered_by, channel=record.channel)
        links[s.agreement_commission.name] = [dict(agreement_id=record.id, commission_id=x)
                                              for x in record.commissions]
    elif isinstance(record, m.WaitingTime):
        a = record.activity
        row = dict(unit=record.unit, service=record.service, activity_system=a.system if a else None,
                   activity_code=a.code if a else None, activity_display=a.display if a else None,
                   measure=record.measure, value=record.value, reported=record.reported,
                   period_start=record.period_start, period_end=record.period_end, source=record.source)
    elif isinstance(record, m.Capacity):
        a = record.activity
        row = dict(unit=record.unit, service=record.service, activity_system=a.system if a else None,
                   activity_code=a.code if a else None, activity_display=a.display if a else None,
                   region=record.region, period_start=record.period_start, period_end=record.period_end,
                   volume=record.volume, available=record.available, conditions=record.conditions,
                   contact=record.contact, reported_at=record.reported_at)
    else:  # pragma: no cover - the Record union is closed
        raise TypeError(type(record))
    return row, links


def _activity(r) -> t.Coding | None:
    return t.Coding(r.activity_system, r.activity_code, r.activity_display) if r.activity_code else None


def from_row(rtype: str, r, links: dict[str, list]) -> m.Record:
    """A record from its main row and its link rows (``links[table name]`` = rows of that owner)."""
    if rtype == "Organization":
        return m.Organization(id=r.id, kind=r.kind, name=r.name, orgnr=r.orgnr, hsa_id=r.hsa_id, county=r.county,
                              part_of=r.part_of, activity_codes=_uncodings(r.activity_codes),
                              care_forms=_uncodings(r.care_forms), opening_hours=r.opening_hours, phone=r.phone,
                              email=r.email, web=r.web, active=bool(r.active))
    if rtype == "Location":
        return m.Location(id=r.id, name=r.name, unit=r.unit, address=r.address, postal_code=r.postal_code,
                          city=r.city, municipality=r.municipality, county=r.county, lat=r.lat, lon=r.lon,
                          active=bool(r.active))
    if rtype == "HealthcareService":
        types = sorted(links.get(s.service_type.name, []), key=lambda x: x.position)
        return m.CareService(
            id=r.id, name=r.name, unit=r.unit, types=tuple(t.Coding(x.system, x.code, x.display) for x in types),
            meeting_forms=tuple(f for f in r.meeting_forms.split(",") if f), description=r.description,
            valid_from=r.valid_from, valid_to=r.valid_to,
            locations=tuple(x.location_id for x in links.get(s.service_location.name, [])),
            eligibility=m.Eligibility(age_min=r.age_min, age_max=r.age_max, sex=r.sex, asa_max=r.asa_max,
                                      bmi_max=r.bmi_max),
            referral=r.referral, payment_commitment=bool(r.payment_commitment), conditions=r.conditions,
            active=bool(r.active))
    if rtype == "OrganizationAffiliation":
        return m.Commission(id=r.id, region=r.region, provider=r.provider,
                            services=tuple(x.service_id for x in links.get(s.commission_service.name, [])),
                            valid_from=r.valid_from, valid_to=r.valid_to, name=r.name, active=bool(r.active))
    if rtype == "Contract":
        return m.Agreement(id=r.id, identifier=r.identifier, region=r.region,
                           commissions=tuple(x.commission_id for x in links.get(s.agreement_commission.name, [])),
                           title=r.title, type=r.type, status=r.status, valid_from=r.valid_from, valid_to=r.valid_to,
                           extension_option=r.extension_option, description=r.description, contact=r.contact,
                           document_url=r.document_url, confidential=bool(r.confidential),
                           registered_by=r.registered_by, channel=r.channel)
    if rtype == "MeasureReport":
        return m.WaitingTime(id=r.id, unit=r.unit, measure=r.measure, value=r.value, reported=r.reported,
                             period_start=r.period_start, period_end=r.period_end, service=r.service,
                             activity=_activity(r), source=r.source)
    if rtype == "Observation":
        return m.Capacity(id=r.id, unit=r.unit, period_start=r.period_start, period_end=r.period_end,
                          reported_at=r.reported_at, service=r.service, activity=_activity(r), region=r.region,
                          volume=r.volume, available=bool(r.available), conditions=r.conditions, contact=r.contact)
    raise KeyError(rtype)  # pragma: no cover
