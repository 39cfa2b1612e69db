"""Avtal and Historik (issue 8 "Pages: Agreements", "History"): the region's agreements with validity and
"löper ut inom 90 dagar"; create, edit and end an agreement with its commission and services, with code
pickers over the terminology; the change history of each agreement. The directory decides who may write
what (``mappings.care.access``): another region's agreement answers 403, also when opened by its id."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

import terminology as t
from mappings import care

from .common import check_csrf, directory, page, user

router = APIRouter()

SERVICE_ROWS_EMPTY = 2
SYSTEMS = {"snomed": care.codes.SNOMED, "kva": care.codes.KVA}


def _own_agreements(request: Request, who: t.Principal) -> list[care.Stored]:
    d = directory(request)
    own = d.own_region(who)
    params = [("authority", f"Organization/{own}")] if own else []
    _, found = d.find("Contract", params, by=who, count=1000)
    return sorted(found, key=lambda s: (s.record.valid_to or "9999", s.record.identifier))


def _expiring(a: care.Agreement, today: str) -> bool:
    if not a.valid_to:
        return False
    days = (dt.date.fromisoformat(a.valid_to) - dt.date.fromisoformat(today)).days
    return 0 <= days <= 90


@router.get("/avtal")
def agreement_list(request: Request):
    who = user(request)
    today = dt.date.today().isoformat()
    rows = [(s.record, _expiring(s.record, today), bool(s.record.valid_to and s.record.valid_to < today))
            for s in _own_agreements(request, who)]
    return page(request, "avtal_lista.html", rows=rows, today=today, types=care.codes.AGREEMENT_TYPES)


def _units(request: Request, who: t.Principal) -> list[care.Organization]:
    _, found = directory(request).find("Organization", [("type", "unit")], by=who, count=5000)
    return sorted((s.record for s in found), key=lambda u: u.name)


def _form(request: Request, who: t.Principal, agreement: care.Agreement | None, services: list[care.CareService],
          *, values: dict | None = None, error: str | None = None, status: int = 200):
    units = _units(request, who)
    by_id = {u.id: u for u in units}
    rows = [{"id": s.id, "hsa": (by_id.get(s.unit) or s).hsa_id if s.unit in by_id else "", "name": s.name,
             "system": "kva" if s.types[0].system == care.codes.KVA else "snomed", "code": s.types[0].code,
             "display": s.types[0].display or "", "form": ",".join(s.meeting_forms),
             "age_min": s.eligibility.age_min, "age_max": s.eligibility.age_max, "sex": s.eligibility.sex or "",
             "asa_max": s.eligibility.asa_max, "bmi_max": s.eligibility.bmi_max, "referral": s.referral or "",
             "payment": s.payment_commitment, "conditions": s.conditions or ""} for s in services]
    rows += [{} for _ in range(SERVICE_ROWS_EMPTY)]
    regions = [] if who.region else sorted(directory(request).store.regions(), key=lambda r: r.county or "")
    return page(request, "avtal_form.html", status=status, agreement=agreement, rows=values["rows"] if values else rows,
                v=values or {}, error=error, units=units, types=care.codes.AGREEMENT_TYPES,
                statuses=care.codes.AGREEMENT_STATUSES, referrals=care.codes.REFERRALS, regions=regions)


@router.get("/avtal/ny")
def new_agreement(request: Request):
    who = user(request)
    t.require(who, "avtalsadmin", "admin", action="registrera avtal")
    return _form(request, who, None, [])


def _load(request: Request, who: t.Principal, agreement_id: str):
    d = directory(request)
    a = d.read("Contract", agreement_id, by=who).record
    commissions = [d.read("OrganizationAffiliation", c, by=who).record for c in a.commissions]
    services = [d.read("HealthcareService", s, by=who).record for c in commissions for s in c.services]
    return a, commissions, services


@router.get("/avtal/{agreement_id}")
def edit_agreement(request: Request, agreement_id: str):
    who = user(request)
    a, commissions, services = _load(request, who, agreement_id)
    directory(request).may_write([a, *commissions], by=who)
    return _form(request, who, a, services)


def _number(form, name: str, kind=int):
    v = str(form.get(name, "")).strip().replace(",", ".")
    if not v:
        return None
    try:
        return t.whole_number(name, v) if kind is int else t.decimal_number(name, v)
    except t.InvalidRequest:
        raise t.InvalidRequest.plain(f"'{v[:40]}' är inte ett tal i rimligt intervall ({name})") from None


def _draft(request: Request, who: t.Principal, form, agreement_id: str | None) -> tuple[care.agreements.AgreementDraft,
                                                                                        list[dict]]:
    d = directory(request)
    units = {u.hsa_id: u for u in _units(request, who) if u.hsa_id}
    region = d.own_region(who) or (d.region(form.get("region")).id if form.get("region") else None)
    if region is None:
        raise t.InvalidRequest.plain("Välj region för avtalet")
    services, rows, i = [], [], 0
    while f"s{i}_code" in form:
        row = {k: str(form.get(f"s{i}_{k}", "")).strip() for k in (
            "id", "hsa", "name", "system", "code", "display", "form", "age_min", "age_max", "sex", "asa_max",
            "bmi_max", "referral", "conditions")}
        row["payment"] = bool(form.get(f"s{i}_payment"))
        rows.append(row)
        i += 1
        if not row["code"] and not row["hsa"]:
            continue
        line = f"Tjänst {len(rows)}"
        if row["hsa"] not in units:
            raise t.InvalidRequest.plain(f"{line}: välj en enhet ur listan (HSA-id), inte '{row['hsa']}'")
        system = SYSTEMS.get(row["system"] or "snomed")
        problem, display = d.check_code(system, row["code"]) if row["code"] else ("ange en kod", None)
        if problem:
            raise t.InvalidRequest.plain(f"{line}: koden {row['code']} går inte att använda: {problem}. "
                                         "Välj ett aktivt begrepp med sökrutan.")
        services.append(care.agreements.ServiceDraft(
            id=row["id"] or None, unit=units[row["hsa"]].id, system=system, code=row["code"],
            name=row["name"] or display,
            meeting_forms=tuple(x for x in (row["form"] or "physical").split(",") if x),
            eligibility=care.Eligibility(age_min=_number(form, f"s{i - 1}_age_min"),
                                         age_max=_number(form, f"s{i - 1}_age_max"), sex=row["sex"] or None,
                                         asa_max=_number(form, f"s{i - 1}_asa_max"),
                                         bmi_max=_number(form, f"s{i - 1}_bmi_max", float)),
            referral=row["referral"] or None, payment_commitment=row["payment"], conditions=row["conditions"] or None))
    text = {k: str(form.get(k, "")).strip() or None for k in (
        "identifier", "title", "type", "status", "valid_from", "valid_to", "extension_option", "description",
        "contact")}
    for name in ("valid_from", "valid_to"):
        if text[name]:
            try:
                dt.date.fromisoformat(text[name])
            except ValueError:
                raise t.InvalidRequest.plain(f"'{text[name]}' är inte ett datum (ÅÅÅÅ-MM-DD)") from None
    draft = care.agreements.AgreementDraft(
        id=agreement_id, identifier=text["identifier"] or "", region=region, valid_from=text["valid_from"],
        valid_to=text["valid_to"], title=text["title"], type=text["type"], status=text["status"] or "active",
        extension_option=text["extension_option"], description=text["description"], contact=text["contact"],
        confidential=bool(form.get("confidential")), services=tuple(services))
    return draft, rows


async def _save(request: Request, agreement_id: str | None):
    who = user(request)
    form = await check_csrf(request)
    if agreement_id:
        a, commissions, _ = _load(request, who, agreement_id)
        directory(request).may_write([a, *commissions], by=who)
    values = {k: form.get(k, "") for k in form.keys()}
    try:
        draft, rows = _draft(request, who, form, agreement_id)
        values["rows"] = rows
        done = care.agreements.save(directory(request), draft, by=who)
    except t.InvalidRequest as exc:
        values.setdefault("rows", [])
        old = directory(request).read("Contract", agreement_id, by=who).record if agreement_id else None
        if not values["rows"]:
            values["rows"] = [{} for _ in range(SERVICE_ROWS_EMPTY)]
        return _form(request, who, old, [], values=values, error=exc.text, status=400)
    saved = next(w.stored.record for w in done if isinstance(w.stored.record, care.Agreement))
    return RedirectResponse(f"/app/avtal/{saved.id}/historik?sparat=1", status_code=303)


@router.post("/avtal/ny")
async def create_agreement(request: Request):
    return await _save(request, None)


@router.post("/avtal/{agreement_id}")
async def update_agreement(request: Request, agreement_id: str):
    return await _save(request, agreement_id)


@router.post("/avtal/{agreement_id}/avsluta")
async def end_agreement(request: Request, agreement_id: str):
    who = user(request)
    form = await check_csrf(request)
    last_day = str(form.get("last_day", "")).strip() or dt.date.today().isoformat()
    care.agreements.end(directory(request), agreement_id, last_day, by=who)
    return RedirectResponse(f"/app/avtal/{agreement_id}/historik?avslutat=1", status_code=303)


@router.get("/avtal/{agreement_id}/historik")
def agreement_history(request: Request, agreement_id: str):
    who = user(request)
    d = directory(request)
    a, commissions, services = _load(request, who, agreement_id)
    events = [e for rtype, rid in [("Contract", a.id)] + [("OrganizationAffiliation", c.id) for c in commissions]
              + [("HealthcareService", s.id) for s in services]
              for e in d.history(by=who, resource_type=rtype, resource_id=rid, limit=200)]
    events.sort(key=lambda e: e.seq, reverse=True)
    return page(request, "historik.html", agreement=a, commissions=commissions, services=services, events=events,
                saved=request.query_params.get("sparat"), ended=request.query_params.get("avslutat"))
