"""Swedish geography for the care search: the 21 län and their regions, the 290 kommuner, postal codes,
one WGS84 point per kommun, and great-circle distance.

Data (``mappings/care/data``, see its README): län, kommuner and postal codes from ``sjbrg/swedish-geodata``
(CC0 1.0); kommun points from GeoNames (CC BY 4.0; two kommuner, 0512 Ydre and 0513 Kinda, have none).
Distance rule (care-search.md "Place"): haversine with R = 6371 km.
"""

from __future__ import annotations

import csv
import functools
import io
import math
from dataclasses import dataclass
from importlib import resources

EARTH_RADIUS_KM = 6371.0

REGION_NAMES = {
    "01": "Region Stockholm", "03": "Region Uppsala", "04": "Region Sörmland", "05": "Region Östergötland",
    "06": "Region Jönköpings län", "07": "Region Kronoberg", "08": "Region Kalmar län", "09": "Region Gotland",
    "10": "Region Blekinge", "12": "Region Skåne", "13": "Region Halland", "14": "Västra Götalandsregionen",
    "17": "Region Värmland", "18": "Region Örebro län", "19": "Region Västmanland", "20": "Region Dalarna",
    "21": "Region Gävleborg", "22": "Region Västernorrland", "23": "Region Jämtland Härjedalen",
    "24": "Region Västerbotten", "25": "Region Norrbotten",
}
"""The 21 regions (huvudmän) by län code, with the names they use themselves."""


@dataclass(frozen=True)
class County:
    code: str
    name: str
    short: str


@dataclass(frozen=True)
class Municipality:
    code: str
    name: str
    short: str
    county: str
    lat: float | None
    lon: float | None


def _rows(name: str) -> list[dict[str, str]]:
    text = (resources.files("mappings.care") / "data" / name).read_text(encoding="utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


@functools.lru_cache(maxsize=1)
def counties() -> dict[str, County]:
    """The 21 län by two-digit code."""
    return {r["county_code"]: County(r["county_code"], r["county_name"], r["county_name_short"])
            for r in _rows("counties.csv")}


@functools.lru_cache(maxsize=1)
def municipalities() -> dict[str, Municipality]:
    """The 290 kommuner by four-digit code, with their point where known."""
    points = {r["municipality_code"]: (float(r["lat"]), float(r["lon"]))
              for r in _rows("municipality_coordinates.csv")}
    return {r["municipality_code"]: Municipality(r["municipality_code"], r["municipality_name"],
                                                 r["municipality_name_short"], r["county_code"],
                                                 *points.get(r["municipality_code"], (None, None)))
            for r in _rows("municipalities.csv")}


@functools.lru_cache(maxsize=1)
def postal_codes() -> dict[str, tuple[str, str]]:
    """Postal code (five digits) -> (locality, kommun code)."""
    return {r["postal_code"]: (r["locality"], r["municipality_code"]) for r in _rows("postal_codes.csv")}


def normal_postal_code(value: str) -> str:
    """``"581 85"`` -> ``"58185"``."""
    return "".join(ch for ch in value if ch.isdigit())


def postal_point(postal_code: str) -> tuple[float, float] | None:
    """The point of the kommun a postal code belongs to, or None when unknown."""
    found = postal_codes().get(normal_postal_code(postal_code))
    if found is None:
        return None
    m = municipalities().get(found[1])
    return (m.lat, m.lon) if m is not None and m.lat is not None else None


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in km between two (lat, lon) points, R = 6371 km."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))
