"""Reader for concept maps written as CSV, and the FHIR R5 ConceptMap they make.

Columns (a header row is required; UTF-8, BOM optional; separator ``,``, ``;`` or TAB as in the header):

==================== ======================================================================================
``source_code``      the code mapped from (also accepted: ``source``, ``code``)
``target_code``      the code mapped to (also ``target``); empty for "no map" (then the relationship must be
                     empty or ``not-related-to``)
``relationship``     FHIR R5 ``ConceptMapRelationship`` (``equivalent``, ``related-to``,
                     ``source-is-narrower-than-target``, ``source-is-broader-than-target``,
                     ``not-related-to``) or an R4 ``ConceptMapEquivalence`` code (``equal``, ``wider``,
                     ``inexact``, ...), converted by the R4 -> R5 table of FHIR R5 conceptmap.html
                     (also ``equivalence``); default ``related-to``
``source_display``,  optional texts
``target_display``
``comment``          optional, kept on the target
``source_system``,   optional: per-row systems, overriding the ones given for the whole file (a map with
``target_system``    several groups)
==================== ======================================================================================

One group per (source system, target system), one element per source code, targets in file order.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from terminology.errors import LoadError

from .records import Where, logical_id
from .textfiles import decode

RELATIONSHIPS = ("related-to", "equivalent", "source-is-narrower-than-target", "source-is-broader-than-target",
                 "not-related-to")
EQUIVALENCE_TO_RELATIONSHIP = {
    "equal": "equivalent", "equivalent": "equivalent", "wider": "source-is-narrower-than-target",
    "subsumes": "source-is-narrower-than-target", "narrower": "source-is-broader-than-target",
    "specializes": "source-is-broader-than-target", "relatedto": "related-to", "inexact": "related-to",
    "unmatched": "not-related-to", "disjoint": "not-related-to",
}
"""R4 ConceptMapEquivalence -> R5 ConceptMapRelationship (FHIR R5 conceptmap.html, R4 conversion table)."""

ALIASES = {"source_code": ("source_code", "source", "code"), "target_code": ("target_code", "target"),
           "relationship": ("relationship", "equivalence"), "source_display": ("source_display",),
           "target_display": ("target_display",), "comment": ("comment",), "source_system": ("source_system",),
           "target_system": ("target_system",)}


@dataclass(frozen=True)
class MapRow:
    source_system: str
    source_code: str
    source_display: str | None
    target_system: str
    target_code: str | None
    target_display: str | None
    relationship: str
    comment: str | None
    where: Where


@dataclass(frozen=True)
class MapMeta:
    url: str
    name: str
    title: str
    version: str | None = None
    status: str = "active"
    publisher: str | None = None
    description: str | None = None
    source_scope: str | None = None
    target_scope: str | None = None


def read(path: Path, *, source_system: str | None = None, target_system: str | None = None) -> list[MapRow]:
    """The rows of a concept-map CSV; systems from the columns or, lacking them, the arguments."""
    path = Path(path)
    file = str(path)
    if not path.is_file():
        raise LoadError("no such file", file=file)
    text = decode(path.read_bytes(), file)
    delimiter = max((",", ";", "\t"), key=text.split("\n", 1)[0].count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [h.strip().lower() for h in next(reader, [])]
    if not header:
        raise LoadError("the file is empty (a header row is needed)", file=file, line=1)
    columns: dict[str, int] = {}
    for i, name in enumerate(header):
        field = next((f for f, names in ALIASES.items() if name in names), None)
        if field is None:
            raise LoadError(f"unknown column '{name}' (known: {', '.join(ALIASES)})", file=file, line=1)
        if field in columns:
            raise LoadError(f"column '{name}' repeats {field}", file=file, line=1)
        columns[field] = i
    for needed in ("source_code", "target_code"):
        if needed not in columns:
            raise LoadError(f"no {needed} column in the header", file=file, line=1)
    if "source_system" not in columns and not source_system:
        raise LoadError("no source system: give one for the file or add a source_system column", file=file)
    if "target_system" not in columns and not target_system:
        raise LoadError("no target system: give one for the file or add a target_system column", file=file)

    rows: list[MapRow] = []
    seen: dict[tuple, int] = {}
    seen_code: dict[tuple, bool] = {}
    try:
        for row in reader:
            line = reader.line_num
            if not any(c.strip() for c in row):
                continue
            if len(row) != len(header):
                raise LoadError(f"{len(row)} fields, but the header has {len(header)}", file=file, line=line)

            def cell(name: str, row: list[str] = row) -> str | None:
                return row[columns[name]].strip() or None if name in columns else None
            src, tgt = cell("source_system") or source_system, cell("target_system") or target_system
            code, target = cell("source_code"), cell("target_code")
            if code is None:
                raise LoadError("the source code is empty", file=file, line=line)
            relationship = _relationship(cell("relationship"), target, file, line)
            key = (src, tgt, code, target)
            if key in seen:
                raise LoadError(f"the mapping {code} -> {target or '(no map)'} repeats line {seen[key]}", file=file,
                                line=line)
            seen[key] = line
            mapped = seen_code.setdefault((src, tgt, code), target is not None)
            if mapped != (target is not None):
                raise LoadError(f"source code '{code}' has both targets and a row without a target", file=file,
                                line=line)
            rows.append(MapRow(src, code, cell("source_display"), tgt, target, cell("target_display"), relationship,
                               cell("comment"), Where(file, line)))
    except csv.Error as exc:
        raise LoadError(f"not readable as CSV: {exc}", file=file, line=reader.line_num) from None
    if not rows:
        raise LoadError("the file has a header but no mappings", file=file)
    return rows


def _relationship(value: str | None, target: str | None, file: str, line: int) -> str:
    if value is None:
        return "related-to" if target else "not-related-to"
    v = value.strip()
    relationship = v if v in RELATIONSHIPS else EQUIVALENCE_TO_RELATIONSHIP.get(v.lower())
    if relationship is None:
        raise LoadError(f"unknown relationship '{v}' (use {', '.join(RELATIONSHIPS)}, or an R4 equivalence)",
                        file=file, line=line)
    if target is None and relationship != "not-related-to":
        raise LoadError(f"no target code, but the relationship is '{relationship}' (leave it empty or write "
                        "not-related-to for a code that has no map)", file=file, line=line)
    return relationship


def to_concept_map(meta: MapMeta, rows: list[MapRow]) -> dict:
    """The R5 ConceptMap: a group per system pair, an element per source code, ``noMap`` where unmapped."""
    groups: dict[tuple[str, str], dict[str, dict]] = {}
    for r in rows:
        elements = groups.setdefault((r.source_system, r.target_system), {})
        element = elements.setdefault(r.source_code, {"code": r.source_code})
        if r.source_display and "display" not in element:
            element["display"] = r.source_display
        if r.target_code is None:
            element["noMap"] = True
            continue
        target = {"code": r.target_code}
        if r.target_display:
            target["display"] = r.target_display
        target["relationship"] = r.relationship
        if r.comment:
            target["comment"] = r.comment
        element.setdefault("target", []).append(target)
    out: dict = {"resourceType": "ConceptMap", "id": logical_id(meta.name, meta.version),
                 "url": meta.url}
    if meta.version:
        out["version"] = meta.version
    out.update({"name": meta.name, "title": meta.title, "status": meta.status, "experimental": False})
    for key, value in (("publisher", meta.publisher), ("description", meta.description),
                       ("sourceScopeUri", meta.source_scope), ("targetScopeUri", meta.target_scope)):
        if value:
            out[key] = value
    out["group"] = [{"source": src, "target": tgt, "element": list(elements.values())}
                    for (src, tgt), elements in groups.items()]
    return out
