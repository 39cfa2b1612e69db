"""``$care-search`` parameters (the issue's contract) -> :class:`mappings.care.CareSearchRequest`.

The same names on every door: a GET query, a FHIR ``Parameters`` body (POST on the FHIR operation), a form
POST, or a JSON object (POST on the JSON API). ``matchTypes`` may be repeated or comma-separated; ``near``
is ``lat|lon`` (the FHIR ``near`` form ``lat|lon|distance|km`` is accepted too).
"""

from __future__ import annotations

from typing import Iterable

import terminology as t
from mappings import care

NAMES = ("text", "code", "system", "ecl", "region", "date", "age", "sex", "asa", "bmi", "meetingForm", "county",
         "municipality", "near", "postalCode", "distance", "maxWait", "capacityFrom", "capacityTo", "matchTypes",
         "sort", "includeExcluded", "_count", "_offset")


class _Values:
    def __init__(self, items: Iterable[tuple[str, object]]) -> None:
        self.items = [(n, v) for n, v in items if n not in ("_format", "_pretty")]
        unknown = sorted({n for n, _ in self.items} - set(NAMES))
        if unknown:
            raise t.InvalidRequest("OP_INVALID_PARAM", unknown[0], "", f"not a $care-search parameter (use "
                                                                        f"{', '.join(NAMES)})")

    def all(self, name: str) -> list:
        return [v for n, v in self.items if n == name and v not in (None, "")]

    def text(self, name: str) -> str | None:
        values = self.all(name)
        if len(values) > 1:
            raise t.InvalidRequest("OP_INVALID_PARAM", name, "(repeated)", "may appear only once")
        return str(values[0]).strip() if values else None

    def number(self, name: str, kind=float):
        v = self.text(name)
        if v is None:
            return None
        return t.whole_number(name, v) if kind is int else t.decimal_number(name, v)

    def boolean(self, name: str) -> bool:
        v = self.text(name)
        if v is None:
            return False
        if v.lower() not in ("true", "false"):
            raise t.InvalidRequest("OP_INVALID_PARAM", name, v, "must be true or false")
        return v.lower() == "true"


def search_request(items: Iterable[tuple[str, object]]) -> care.CareSearchRequest:
    """The request from (name, value) pairs; InvalidRequest naming the parameter on a bad value."""
    p = _Values(items)
    region = p.text("region")
    if region is None:
        raise t.InvalidRequest("OP_MISSING_PARAM", "region", "$care-search")
    near = None
    if p.text("near"):
        parts = p.text("near").split("|")
        try:
            near = (float(parts[0]), float(parts[1]))
        except (ValueError, IndexError):
            raise t.InvalidRequest("OP_INVALID_PARAM", "near", p.text("near"), "must be lat|lon (WGS84)") from None
        if not (-90 <= near[0] <= 90 and -180 <= near[1] <= 180):
            raise t.InvalidRequest("OP_INVALID_PARAM", "near", p.text("near"), "is not a WGS84 position")
    distance = p.number("distance")
    if distance is None and near is not None and len(p.text("near").split("|")) >= 3:
        distance = t.decimal_number("near", p.text("near").split("|")[2])
    match_types = tuple(x.strip() for v in p.all("matchTypes") for x in str(v).split(",") if x.strip())
    return care.CareSearchRequest(
        region=region, text=p.text("text"), code=p.text("code"), system=p.text("system"), ecl=p.text("ecl"),
        date=p.text("date"), age=p.number("age", int), sex=p.text("sex"), asa=p.number("asa", int),
        bmi=p.number("bmi"), meeting_form=p.text("meetingForm"), county=p.text("county"),
        municipality=p.text("municipality"), near=near, postal_code=p.text("postalCode"), distance_km=distance,
        max_wait_days=p.number("maxWait", int), capacity_from=p.text("capacityFrom"),
        capacity_to=p.text("capacityTo"), match_types=match_types or ("exact", "narrower"),
        sort=p.text("sort") or "match", include_excluded=p.boolean("includeExcluded"),
        count=p.number("_count", int) if p.text("_count") is not None else 50,
        offset=p.number("_offset", int) or 0)
