"""Agreements as an agreement administrator registers them (issue 8 "Agreements" and "Upload"): an avtal
with its uppdrag and the tjänster it covers, from a web form or from one row per service in a file.

A draft becomes records (Agreement + one Commission + CareServices) with ids derived from the region, the
agreement id, the unit and the code, so saving the same draft again updates instead of duplicating. The
records are stored through :meth:`CareDirectory.write_records`, so the rules of :mod:`.access` and the checks
of :mod:`.validate` apply exactly as for FHIR writes, and all of a file is stored or none of it.

Upload template (CSV, ``;`` or ``,`` separated, UTF-8; one row per service; header names as below, case and
å/ä/ö ignored): see :data:`TEMPLATE_COLUMNS` and :func:`template_csv`.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass, field, replace

import terminology as t

from . import codes as c
from . import model as m
from .directory import CareDirectory, Written

TEMPLATE_COLUMNS = {
    "avtals_id": "Avtalets id i regionen (krävs); rader med samma id hör till samma avtal",
    "avtalstitel": "Avtalets namn",
    "avtalstyp": "vardavtal, upphandlat, vardval, samverkan eller riksavtal",
    "giltig_fran": "Första giltighetsdag, ÅÅÅÅ-MM-DD (krävs)",
    "giltig_till": "Sista giltighetsdag, ÅÅÅÅ-MM-DD (tomt: tills vidare)",
    "sekretess": "ja om avtalet bara får visas för den egna regionen",
    "enhet_hsa_id": "Vårdenhetens HSA-id, t.ex. SE5590000012-U001 (krävs; enheten ska finnas i katalogen)",
    "tjanst": "Tjänstens namn (tomt: begreppets term)",
    "kodsystem": "snomed eller kva (tomt: snomed)",
    "kod": "Tjänstens kod: ett aktivt SNOMED CT-begrepp eller en KVÅ-kod (krävs)",
    "motesform": "fysiskt, digitalt eller båda (tomt: fysiskt)",
    "alder_min": "Lägsta ålder i år", "alder_max": "Högsta ålder i år",
    "kon": "kvinna eller man (tomt: båda)", "asa_max": "Högsta ASA-klass (1-6)", "bmi_max": "Högsta BMI",
    "remiss": "none, region, profession eller any", "villkor": "Övriga villkor i fritext",
}
"""The columns of the upload template and what each holds (shown on the upload page, in the template and in the
README)."""

SYSTEMS = {"snomed": c.SNOMED, "sct": c.SNOMED, "kva": c.KVA, c.SNOMED: c.SNOMED, c.KVA: c.KVA}
FORMS = {"fysiskt": ("physical",), "physical": ("physical",), "digitalt": ("virtual",), "virtual": ("virtual",),
         "båda": ("physical", "virtual"), "bada": ("physical", "virtual"), "both": ("physical", "virtual")}
SEXES = {"kvinna": "female", "female": "female", "man": "male", "male": "male"}


@dataclass(frozen=True, kw_only=True)
class ServiceDraft:
    """One tjänst of an agreement: where (unit), what (a coded concept) and for whom."""

    unit: str
    system: str
    code: str
    name: str | None = None
    id: str | None = None
    meeting_forms: tuple[str, ...] = ("physical",)
    eligibility: m.Eligibility = field(default_factory=m.Eligibility)
    referral: str | None = None
    payment_commitment: bool = False
    conditions: str | None = None


@dataclass(frozen=True, kw_only=True)
class AgreementDraft:
    """An avtal of ``region`` (an organisation id) as the form or one file's rows give it."""

    identifier: str
    region: str
    valid_from: str | None
    valid_to: str | None = None
    title: str | None = None
    type: str | None = None
    status: str = "active"
    extension_option: str | None = None
    description: str | None = None
    contact: str | None = None
    confidential: bool = False
    services: tuple[ServiceDraft, ...] = ()
    id: str | None = None


def agreement_id(region: str, identifier: str) -> str:
    """The record id of an agreement: stable for a region's agreement id (re-saving updates it)."""
    return f"ct-{_slug(region)}-{_slug(identifier)}"


def to_records(directory: CareDirectory, draft: AgreementDraft, *, channel: str) -> list[m.Record]:
    """The Agreement, its Commission and its services; InvalidRequest when the draft cannot be one.

    The provider (utförare) is the provider of the services' units; all of them must belong to one."""
    if not draft.identifier.strip():
        raise t.InvalidRequest.plain("Ange avtalets id", expression="identifier")
    if not draft.services:
        raise t.InvalidRequest.plain("Ett avtal behöver minst en tjänst", expression="services")
    aid = draft.id or agreement_id(draft.region, draft.identifier)
    old = directory.store.get("Contract", aid)
    cid = old.record.commissions[0] if old is not None and old.record.commissions else f"oa-{aid.removeprefix('ct-')}"
    providers, services = set(), []
    for s in draft.services:
        unit = directory.store.get("Organization", s.unit)
        if unit is None or unit.record.kind != "unit":
            raise t.InvalidRequest.plain(f"Enheten {s.unit} finns inte i katalogen", expression="unit")
        providers.add(unit.record.part_of)
        sid = s.id or "s-" + hashlib.sha1(f"{aid}|{s.unit}|{s.system}|{s.code}".encode()).hexdigest()[:16]
        services.append(m.CareService(
            id=sid, name=s.name or s.code, unit=s.unit, types=(t.Coding(s.system, s.code),),
            meeting_forms=s.meeting_forms, valid_from=draft.valid_from, valid_to=draft.valid_to,
            eligibility=s.eligibility, referral=s.referral, payment_commitment=s.payment_commitment,
            conditions=s.conditions))
    if len(providers) != 1 or None in providers:
        raise t.InvalidRequest.plain("Alla tjänster i ett avtal ska höra till enheter hos samma vårdgivare",
                                     expression="unit")
    commission = m.Commission(id=cid, region=draft.region, provider=providers.pop(),
                              services=tuple(s.id for s in services), valid_from=draft.valid_from,
                              valid_to=draft.valid_to, name=draft.title)
    agreement = m.Agreement(id=aid, identifier=draft.identifier.strip(), region=draft.region, commissions=(cid,),
                            title=draft.title, type=draft.type, status=draft.status, valid_from=draft.valid_from,
                            valid_to=draft.valid_to, extension_option=draft.extension_option,
                            description=draft.description, contact=draft.contact, confidential=draft.confidential,
                            registered_by=draft.region, channel=channel)
    return [*services, commission, agreement]


def save(directory: CareDirectory, draft: AgreementDraft, *, by: t.Principal) -> list[Written]:
    """Store one agreement from the web form (channel ``manual`` on the record, ``web`` in the history)."""
    return directory.write_records(to_records(directory, draft, channel="manual"), by=by)


def end(directory: CareDirectory, agreement_id_: str, last_day: str, *, by: t.Principal) -> list[Written]:
    """End an agreement and its commissions on ``last_day`` (inclusive): nothing is deleted, the history stays."""
    _date(last_day)
    found = directory.read("Contract", agreement_id_, by=by).record
    commissions = [directory.read("OrganizationAffiliation", x, by=by).record for x in found.commissions]
    status = "terminated" if last_day < dt.date.today().isoformat() else found.status
    records: list[m.Record] = [replace(x, valid_to=last_day) for x in commissions]
    records.append(replace(found, valid_to=last_day, status=status))
    return directory.write_records(records, by=by)


# --- file upload ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One data row of an uploaded file: its line, its cells (template names) and what is wrong with it."""

    line: int
    cells: dict[str, str]
    errors: tuple[str, ...] = ()


@dataclass(frozen=True)
class Preview:
    """What a file would store: every row with its problems, and the agreements when there are none."""

    file: str
    rows: tuple[Row, ...]
    drafts: tuple[AgreementDraft, ...]
    problems: tuple[str, ...] = ()
    """File-level problems (no header, unknown columns)."""

    @property
    def ok(self) -> bool:
        return not self.problems and all(not r.errors for r in self.rows) and bool(self.rows)


def template_csv() -> str:
    """The downloadable template: the header and two example rows (one agreement, two services)."""
    example = [
        ["AV-2026-001", "Gråstarr och knä", "upphandlat", "2026-01-01", "2027-12-31", "nej", "SE5590000012-U001",
         "Kataraktoperation", "snomed", "110473004", "fysiskt", "18", "", "", "3", "", "region", ""],
        ["AV-2026-001", "Gråstarr och knä", "upphandlat", "2026-01-01", "2027-12-31", "nej", "SE5590000012-U001",
         "Knäprotes", "snomed", "609588000", "fysiskt", "", "", "", "3", "35", "region", "Betalningsförbindelse"],
    ]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(list(TEMPLATE_COLUMNS))
    writer.writerows(example)
    return out.getvalue()


def preview(directory: CareDirectory, data: bytes, file: str, *, by: t.Principal) -> Preview:
    """Read and check every row of an uploaded agreements file; nothing is stored (issue 8 "Upload")."""
    region = directory.own_region(by)
    try:
        cells_of = t.spreadsheet.table(data, file)
    except t.spreadsheet.UnreadableFile as exc:
        return Preview(file, (), (), (str(exc),))
    if not cells_of or not any(x.strip() for x in cells_of[0]):
        return Preview(file, (), (), ("Filen är tom",))
    reader = iter(cells_of)
    header = [_fold(h) for h in next(reader)]
    unknown = [h for h in header if h and h not in TEMPLATE_COLUMNS]
    if unknown:
        return Preview(file, (), (), (f"Okända kolumner: {', '.join(unknown)}. Använd mallens kolumner.",))
    rows: list[Row] = []
    for line, cells in enumerate(reader, start=2):
        if not any(x.strip() for x in cells):
            continue
        values = {name: cells[i].strip() for i, name in enumerate(header) if name and i < len(cells)}
        rows.append(Row(line, values, tuple(_row_errors(directory, values, region))))
    rows = _cross_row_errors(rows)
    if not rows:
        return Preview(file, (), (), ("Filen har inga rader under rubrikraden",))
    drafts: list[AgreementDraft] = []
    if all(not r.errors for r in rows):
        drafts = _drafts(directory, rows, region)
        rows = _check_drafts(directory, rows, drafts)
    return Preview(file, tuple(rows), tuple(drafts) if all(not r.errors for r in rows) else ())


def commit(directory: CareDirectory, data: bytes, file: str, *, by: t.Principal) -> list[Written]:
    """Store a previewed file: checked again, then every agreement in one transaction, or nothing."""
    checked = preview(directory, data, file, by=by)
    if not checked.ok:
        raise t.InvalidRequest.plain(f"{file}: the file has errors; nothing was stored")
    records = [r for d in checked.drafts for r in to_records(directory, d, channel="file")]
    return directory.write_records(records, by=replace(by, channel="file"))


def _row_errors(directory: CareDirectory, v: dict[str, str], region: str | None) -> list[str]:
    errors = []
    if region is None:
        errors.append("Du har ingen region: bara en användare med region kan ladda upp avtal")
    if not v.get("avtals_id"):
        errors.append("avtals_id saknas")
    start, end = v.get("giltig_fran"), v.get("giltig_till")
    for name, value in (("giltig_fran", start), ("giltig_till", end)):
        if value and _date(value, raise_=False) is None:
            errors.append(f"{name}: '{value}' är inte ett datum (ÅÅÅÅ-MM-DD)")
    if not start:
        errors.append("giltig_fran saknas")
    elif end and _date(start, raise_=False) and _date(end, raise_=False) and end < start:
        errors.append("giltig_till är före giltig_fran")
    if v.get("avtalstyp") and v["avtalstyp"] not in c.AGREEMENT_TYPES:
        errors.append(f"avtalstyp: '{v['avtalstyp']}' ska vara en av {', '.join(c.AGREEMENT_TYPES)}")
    if v.get("sekretess", "").lower() not in ("", "ja", "nej", "true", "false"):
        errors.append("sekretess: skriv ja eller nej")
    hsa = v.get("enhet_hsa_id", "")
    if not hsa:
        errors.append("enhet_hsa_id saknas")
    elif c.hsa_problem(hsa):
        errors.append(f"enhet_hsa_id: {c.hsa_problem(hsa)}")
    elif _unit(directory, hsa) is None:
        errors.append(f"enhet_hsa_id: ingen enhet med HSA-id {hsa} finns i katalogen")
    system = SYSTEMS.get(v.get("kodsystem", "").lower() or "snomed")
    if system is None:
        errors.append(f"kodsystem: '{v['kodsystem']}' ska vara snomed eller kva")
    elif not v.get("kod"):
        errors.append("kod saknas")
    else:
        problem, _ = directory.checker.check(t.Coding(system, v["kod"]))
        if problem:
            errors.append(f"kod {v['kod']}: {problem}")
    if v.get("motesform") and v["motesform"].lower() not in FORMS:
        errors.append("motesform: skriv fysiskt, digitalt eller båda")
    if v.get("kon") and v["kon"].lower() not in SEXES:
        errors.append("kon: skriv kvinna eller man")
    for name, kind, low, high in (("alder_min", int, 0, 130), ("alder_max", int, 0, 130), ("asa_max", int, 1, 6),
                                  ("bmi_max", float, 5, 150)):
        if v.get(name):
            try:
                n = kind(v[name].replace(",", "."))
                if not low <= n <= high:
                    raise ValueError
            except ValueError:
                errors.append(f"{name}: '{v[name]}' ska vara ett tal från {low} till {high}")
    if v.get("remiss") and v["remiss"] not in c.REFERRALS:
        errors.append(f"remiss: '{v['remiss']}' ska vara en av {', '.join(c.REFERRALS)}")
    return errors


_AGREEMENT_FIELDS = ("avtalstitel", "avtalstyp", "giltig_fran", "giltig_till", "sekretess")


def _cross_row_errors(rows: list[Row]) -> list[Row]:
    """Duplicates (the same service twice in one agreement) and rows of one agreement that disagree."""
    seen: dict[tuple, int] = {}
    first: dict[str, Row] = {}
    out = []
    for r in rows:
        v, errors = r.cells, list(r.errors)
        key = (v.get("avtals_id"), v.get("enhet_hsa_id"), SYSTEMS.get(v.get("kodsystem", "").lower() or "snomed"),
               v.get("kod"))
        if key in seen:
            errors.append(f"dubblett: samma tjänst som rad {seen[key]} (samma avtal, enhet och kod)")
        else:
            seen[key] = r.line
        head = first.setdefault(v.get("avtals_id", ""), r)
        differ = [f for f in _AGREEMENT_FIELDS if head is not r and v.get(f, "") != head.cells.get(f, "")]
        if differ:
            errors.append(f"{', '.join(differ)} skiljer sig från rad {head.line} för samma avtal")
        out.append(replace(r, errors=tuple(errors)))
    return out


def _drafts(directory: CareDirectory, rows: list[Row], region: str | None) -> list[AgreementDraft]:
    by_id: dict[str, list[Row]] = {}
    for r in rows:
        by_id.setdefault(r.cells["avtals_id"], []).append(r)
    out = []
    for identifier, group in by_id.items():
        v = group[0].cells
        services = []
        for r in group:
            x = r.cells
            system = SYSTEMS[x.get("kodsystem", "").lower() or "snomed"]
            _, display = directory.checker.check(t.Coding(system, x["kod"]))
            services.append(ServiceDraft(
                unit=_unit(directory, x["enhet_hsa_id"]).id, system=system, code=x["kod"],
                name=x.get("tjanst") or display, meeting_forms=FORMS[x.get("motesform", "").lower() or "fysiskt"],
                eligibility=m.Eligibility(age_min=_int(x.get("alder_min")), age_max=_int(x.get("alder_max")),
                                          sex=SEXES.get(x.get("kon", "").lower()), asa_max=_int(x.get("asa_max")),
                                          bmi_max=float(x["bmi_max"].replace(",", ".")) if x.get("bmi_max") else None),
                referral=x.get("remiss") or None, conditions=x.get("villkor") or None))
        out.append(AgreementDraft(identifier=identifier, region=region or "", valid_from=v.get("giltig_fran"),
                                  valid_to=v.get("giltig_till") or None, title=v.get("avtalstitel") or None,
                                  type=v.get("avtalstyp") or None,
                                  confidential=v.get("sekretess", "").lower() in ("ja", "true"),
                                  services=tuple(services)))
    return out


def _check_drafts(directory: CareDirectory, rows: list[Row], drafts: list[AgreementDraft]) -> list[Row]:
    """Agreement-level problems (units of several providers) go on the agreement's first row."""
    problems = {}
    for d in drafts:
        try:
            to_records(directory, d, channel="file")
        except t.InvalidRequest as exc:
            problems[d.identifier] = exc.text
    out, done = [], set()
    for r in rows:
        aid = r.cells["avtals_id"]
        if aid in problems and aid not in done:
            done.add(aid)
            r = replace(r, errors=r.errors + (problems[aid],))
        out.append(r)
    return out


def _unit(directory: CareDirectory, hsa: str) -> m.Organization | None:
    _, found = directory.find("Organization", [("identifier", hsa.strip())], by=t.COMMAND_LINE, count=1)
    return found[0].record if found and found[0].record.kind == "unit" else None


def _int(value: str | None) -> int | None:
    return int(value) if value else None


def _date(value: str, *, raise_: bool = True) -> str | None:
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        if raise_:
            raise t.InvalidRequest.plain(f"'{value}' är inte ett datum (ÅÅÅÅ-MM-DD)") from None
        return None


def _fold(name: str) -> str:
    name = unicodedata.normalize("NFKD", name.strip().lower())
    name = "".join(ch for ch in name if not unicodedata.combining(ch))
    return re.sub(r"[^a-z0-9]+", "_", name).strip("_")


def _slug(value: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", _fold(value)).strip("-").lower()[:48] or "x"
