"""File imports: waiting times (CSV shaped like the national waiting-time reports) and temporary free
capacity (CSV or JSON). All or nothing: one bad row stores nothing, and the error names the file, the line
and the problem (care-search.md "Writes").

**Waiting times** (one row per unit, activity and period; ``;``, ``,`` or TAB separated, UTF-8 with or
without BOM; header names ignore case, å/ä/ö and punctuation, Swedish or English):

==========================================  ==========================================================
``Enhetens HSA-id`` (``hsa_id``)            the reporting unit, required
``MVO``, ``Aktivitet``                      kept as part of the source text
``KVÅ`` / ``KVÅ-kod`` (``kva``),            the activity: a KVÅ or SNOMED CT code, or the id of a
``SNOMED`` (``sctid``), ``Tjänst``          HealthcareService of the unit (one of them is required)
``Period``                                  ``YYYY-MM`` or ``YYYY-MM-DD/YYYY-MM-DD``, required
``Rapporterad`` (``reported``)              date of the report; default: the last day of the period
``Väntetid (dagar)`` (``current_estimate``) measures; at least one: current estimated wait in days,
``Median (dagar)``, ``Andel inom 90 dagar``  median of completed in days, share within 90 days (%),
``Antal väntande``                          number waiting
``Källa`` (``source``)                      default: the ``source`` argument
==========================================  ==========================================================

**Capacity** (CSV with a header, or JSON: a list of objects, or ``{"reports": [...]}``), keys:
``hsa_id``, ``tjanst`` / ``kva`` / ``snomed``, ``fran`` / ``from``, ``till`` / ``to``, ``antal`` /
``volume`` (free slots) or ``ledig`` / ``available`` (ja/nej), ``villkor`` / ``conditions``, ``kontakt`` /
``contact``, ``rapporterad`` / ``reported_at`` (default now), ``region`` (län code of a reporting region).

Re-importing the same rows updates them (ids are derived from unit, activity, period and measure).
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import hashlib
import io
import json
import re
import unicodedata
from dataclasses import replace
from pathlib import Path
from typing import Iterable

import terminology as t

from . import codes as c
from . import model as m
from .directory import CareDirectory, Written

MAX_PROBLEMS = 20

_ALIASES = {
    "hsa_id": ("hsa_id", "hsaid", "enhetens_hsa_id", "enhet_hsa_id", "enhetens_hsaid", "unit_hsa_id", "unit"),
    "mvo": ("mvo", "medicinskt_verksamhetsomrade"),
    "activity_text": ("aktivitet", "activity", "atgard"),
    "kva": ("kva", "kva_kod", "kvakod", "atgardskod"),
    "snomed": ("snomed", "sctid", "snomed_ct", "snomed_kod"),
    "service": ("tjanst", "tjanst_id", "service", "service_id", "healthcareservice"),
    "period": ("period", "matperiod", "manad"),
    "reported": ("rapporterad", "rapportdatum", "reported", "datum"),
    "current-estimate": ("vantetid_dagar", "vantetid", "aktuell_vantetid", "current_estimate", "wait_days"),
    "median-completed": ("median_dagar", "median", "median_vantetid", "median_completed"),
    "share-within-90": ("andel_inom_90_dagar", "andel_inom_90", "share_within_90"),
    "number-waiting": ("antal_vantande", "number_waiting"),
    "source": ("kalla", "source"),
    "from": ("fran", "from", "fran_och_med", "start"),
    "to": ("till", "to", "till_och_med", "end"),
    "volume": ("antal", "volym", "volume", "lediga_platser"),
    "available": ("ledig", "available", "ledig_kapacitet"),
    "conditions": ("villkor", "conditions"),
    "contact": ("kontakt", "contact"),
    "reported_at": ("rapporterad", "rapporterad_tid", "reported_at", "reported"),
    "region": ("region", "lan", "lanskod"),
}
_MONTH = re.compile(r"(\d{4})-(\d{2})")


def _fold(name: str) -> str:
    name = unicodedata.normalize("NFKD", name.strip().lower())
    name = "".join(ch for ch in name if not unicodedata.combining(ch))
    return re.sub(r"[^a-z0-9]+", "_", name).strip("_")


class _Problems:
    def __init__(self, file: str) -> None:
        self.file = file
        self.items: list[tuple[int, str]] = []

    def add(self, line: int, problem: str) -> None:
        self.items.append((line, problem))

    def raise_if_any(self) -> None:
        if not self.items:
            return
        (line, first), rest = self.items[0], self.items[1:MAX_PROBLEMS]
        more = "".join(f"\n  line {n}: {p}" for n, p in rest)
        if len(self.items) > MAX_PROBLEMS:
            more += f"\n  ... and {len(self.items) - MAX_PROBLEMS} more"
        raise t.LoadError(first + more + "\nNothing was stored.", file=self.file, line=line)


def _rows(text: str, file: str, keys: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    """(line number, {canonical key: value}) of a CSV file, with the delimiter found from the header."""
    text = text.lstrip("\ufeff")
    lines = text.splitlines()
    if not lines:
        raise t.LoadError("the file is empty", file=file)
    header = lines[0]
    delimiter = max((";", ",", "\t"), key=header.count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    names = [_fold(x) for x in next(reader)]
    mapping: dict[int, str] = {}
    for i, name in enumerate(names):
        for key in keys:
            if name in _ALIASES[key] and key not in mapping.values():
                mapping[i] = key
                break
    unknown = [h for i, h in enumerate(lines[0].split(delimiter)) if i not in mapping and h.strip()]
    if unknown:
        raise t.LoadError(f"unknown column(s) {', '.join(repr(u.strip()) for u in unknown)}; the columns are "
                          f"described in 'vardterm care import-waits --help'", file=file, line=1)
    out = []
    for number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        out.append((number, {mapping[i]: cell.strip() for i, cell in enumerate(row) if i in mapping and cell.strip()}))
    return out


def _period(value: str) -> tuple[str, str]:
    month = _MONTH.fullmatch(value)
    if month:
        year, mon = int(month[1]), int(month[2])
        if not 1 <= mon <= 12:
            raise ValueError(f"period '{value}' is not a month (YYYY-MM)")
        return f"{year}-{mon:02d}-01", f"{year}-{mon:02d}-{calendar.monthrange(year, mon)[1]:02d}"
    parts = re.split(r"/|--|\s+till\s+", value)
    if len(parts) == 2:
        start, end = (_date(p.strip()) for p in parts)
        if end < start:
            raise ValueError(f"period '{value}' ends before it starts")
        return start, end
    raise ValueError(f"period '{value}' is not a month (YYYY-MM) or a date range (YYYY-MM-DD/YYYY-MM-DD)")


def _date(value: str) -> str:
    try:
        return dt.date.fromisoformat(value.strip()[:10]).isoformat()
    except ValueError:
        raise ValueError(f"'{value}' is not a date (YYYY-MM-DD)") from None


def _number(value: str, what: str) -> float:
    try:
        n = float(value.replace(",", ".").replace(" ", "").replace("%", ""))
    except ValueError:
        raise ValueError(f"{what} '{value}' is not a number") from None
    if n < 0:
        raise ValueError(f"{what} '{value}' is negative")
    return n


def _stable_id(prefix: str, *parts: object) -> str:
    return f"{prefix}-" + hashlib.sha1("|".join(str(p) for p in parts).encode()).hexdigest()[:24]


class _Units:
    """HSA-id -> unit id, looked up once per id."""

    def __init__(self, directory: CareDirectory) -> None:
        self.directory = directory
        self.found: dict[str, str | None] = {}

    def __call__(self, hsa: str) -> str:
        problem = c.hsa_problem(hsa)
        if problem:
            raise ValueError(problem)
        if hsa not in self.found:
            # units are not confidential: the lookup of a row's unit is the reader's own, not the caller's read
            _, hits = self.directory.find("Organization", [("identifier", hsa)], by=t.COMMAND_LINE, count=1)
            self.found[hsa] = hits[0].record.id if hits and hits[0].record.kind == "unit" else None
        if self.found[hsa] is None:
            raise ValueError(f"no unit with HSA-id {hsa} in the directory")
        return self.found[hsa]


def _activity(row: dict[str, str]) -> tuple[str | None, t.Coding | None]:
    if row.get("service"):
        return row["service"], None
    if row.get("kva"):
        return None, t.Coding(c.KVA, row["kva"].upper())
    if row.get("snomed"):
        return None, t.Coding(c.SNOMED, row["snomed"])
    raise ValueError("needs a KVÅ code, a SNOMED CT code or a service id (tjänst)")


def read_waits(text: str, file: str, directory: CareDirectory, *, source: str | None = None
               ) -> tuple[list[m.WaitingTime], list[str]]:
    """The waiting-time records of a CSV text and a label (file, line) for each."""
    measures = tuple(c.MEASURES)
    rows = _rows(text, file, ("hsa_id", "mvo", "activity_text", "kva", "snomed", "service", "period", "reported",
                              *measures, "source"))
    problems, units = _Problems(file), _Units(directory)
    records, labels = [], []
    for line, row in rows:
        try:
            if not row.get("hsa_id"):
                raise ValueError("the unit's HSA-id is missing")
            unit = units(row["hsa_id"])
            service, activity = _activity(row)
            if not row.get("period"):
                raise ValueError("the period is missing")
            start, end = _period(row["period"])
            reported = _date(row["reported"]) if row.get("reported") else end
            given = [(k, _number(row[k], k)) for k in measures if row.get(k)]
            if not given:
                raise ValueError(f"no measure given (columns: {', '.join(measures)})")
            text_source = "; ".join(x for x in (row.get("source") or source, row.get("mvo") and f"MVO {row['mvo']}",
                                                row.get("activity_text")) if x) or None
            for measure, value in given:
                if measure == "share-within-90" and value > 100:
                    raise ValueError(f"share within 90 days {value:g} is over 100 %")
                key = service or f"{activity.system}|{activity.code}"
                records.append(m.WaitingTime(id=_stable_id("mr", unit, key, start, end, measure, reported), unit=unit,
                                             measure=measure, value=value, reported=reported, period_start=start,
                                             period_end=end, service=service, activity=activity, source=text_source))
                labels.append(f"{file}, line {line}")
        except ValueError as exc:
            problems.add(line, str(exc))
    problems.raise_if_any()
    return records, labels


def _capacity_rows(text: str, file: str) -> list[tuple[int, dict[str, str]]]:
    stripped = text.lstrip("\ufeff").lstrip()
    keys = ("hsa_id", "service", "kva", "snomed", "from", "to", "volume", "available", "conditions", "contact",
            "reported_at", "region")
    if not stripped.startswith(("[", "{")):
        return _rows(text, file, keys)
    try:
        data = json.loads(stripped)
    except json.JSONDecodeError as exc:
        raise t.LoadError(f"not valid JSON: {exc.msg}", file=file, line=exc.lineno) from None
    items = data.get("reports") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise t.LoadError("the JSON must be a list of reports or {\"reports\": [...]}", file=file)
    out = []
    for i, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise t.LoadError(f"report {i} is not an object", file=file)
        row = {}
        for name, value in item.items():
            key = next((k for k in keys if _fold(name) in _ALIASES[k]), None)
            if key is None:
                raise t.LoadError(f"report {i}: unknown key {name!r}", file=file)
            row[key] = str(value).lower() if isinstance(value, bool) else str(value)
        out.append((i, row))
    return out


def read_capacity(text: str, file: str, directory: CareDirectory) -> tuple[list[m.Capacity], list[str]]:
    """The capacity records of a CSV or JSON text and a label for each."""
    rows = _capacity_rows(text, file)
    is_json = text.lstrip("\ufeff").lstrip().startswith(("[", "{"))
    problems, units = _Problems(file), _Units(directory)
    records, labels = [], []
    now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    for line, row in rows:
        try:
            unit = units(row.get("hsa_id") or "")
            service, activity = _activity(row)
            if not row.get("from") or not row.get("to"):
                raise ValueError("the period needs from (från) and to (till)")
            start, end = _date(row["from"]), _date(row["to"])
            if end < start:
                raise ValueError(f"the period ends ({end}) before it starts ({start})")
            volume = None
            if row.get("volume"):
                v = _number(row["volume"], "volume")
                if v != int(v):
                    raise ValueError(f"volume '{row['volume']}' is not a whole number")
                volume = int(v)
            available = volume > 0 if volume is not None else True
            if row.get("available"):
                flag = row["available"].strip().lower()
                if flag not in ("ja", "nej", "true", "false", "yes", "no", "1", "0"):
                    raise ValueError(f"available '{row['available']}' is not ja/nej")
                available = flag in ("ja", "true", "yes", "1") and (volume is None or volume > 0)
            region = None
            if row.get("region"):
                region = directory.region(row["region"]).id
            reported = row.get("reported_at") or now
            if len(reported) == 10:
                reported = f"{_date(reported)}T00:00:00+00:00"
            records.append(m.Capacity(id=_stable_id("obs", unit, service or activity, start, end), unit=unit,
                                      service=service, activity=activity, region=region, period_start=start,
                                      period_end=end, volume=volume, available=available,
                                      conditions=row.get("conditions"), contact=row.get("contact"),
                                      reported_at=reported))
            labels.append(f"{file}, {'report' if is_json else 'line'} {line}")
        except (ValueError, t.InvalidRequest) as exc:
            problems.add(line, str(exc))
    problems.raise_if_any()
    return records, labels


def _text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise t.LoadError(f"the file is not UTF-8 (byte {exc.start}); save it as UTF-8", file=path.name) from None


def import_waits(directory: CareDirectory, path: Path, *, by: t.Principal, source: str | None = None) -> list[Written]:
    """Read and store a waiting-time CSV file as ``by`` (channel ``file``)."""
    records, labels = read_waits(_text(path), path.name, directory, source=source)
    return _store(directory, records, labels, by)


def import_capacity(directory: CareDirectory, path: Path, *, by: t.Principal) -> list[Written]:
    """Read and store a capacity CSV or JSON file as ``by`` (channel ``file``)."""
    records, labels = read_capacity(_text(path), path.name, directory)
    return _store(directory, records, labels, by)


def _store(directory: CareDirectory, records: Iterable[m.Record], labels: list[str], by: t.Principal) -> list[Written]:
    records = list(records)
    if not records:
        return []
    try:
        return directory.write_records(records, by=replace(by, channel="file"), where=labels)
    except t.InvalidRequest as exc:
        raise t.LoadError(exc.text + "\nNothing was stored.") from None


def load_bundle(directory: CareDirectory, path: Path, *, by: t.Principal) -> list[Written]:
    """Store a FHIR transaction Bundle file (R5 JSON, or R4 converted by the caller) in one transaction."""
    try:
        bundle = json.loads(_text(path))
    except json.JSONDecodeError as exc:
        raise t.LoadError(f"not valid JSON: {exc.msg}", file=path.name, line=exc.lineno) from None
    try:
        return directory.transaction(bundle, by=replace(by, channel="file"))
    except t.InvalidRequest as exc:
        raise t.LoadError(exc.text + "\nNothing was stored.", file=path.name) from None
