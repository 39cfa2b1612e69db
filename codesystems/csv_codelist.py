"""Reader for code lists in CSV files, with a declared column mapping (RFC 4180 CSV; UTF-8, BOM optional).

The mapping says which column holds what: ``code`` (required), ``display``, ``parent`` (the code of the
parent; empty for a top-level code), ``definition``, ``synonym`` (an alternative name, in the code system's
language), ``designation.<lang>`` (a name in another language), ``property.<name>`` (a string property)
and ``ignore`` (a column to skip). Written as ``code=code,display=name,parent=parent,ignore=comment``.
Every column of the header must be mapped or ignored, and every mapped column must be in the header, so a
file of another shape (or a changed publication) is refused instead of being half-read. The separator is
the one of ``,``, ``;`` and TAB that occurs most often in the header.

Presets for the HSA code lists (``tests/data/se-codes/README.md``):

* ``verksamhetskod``: ``code,name,parent`` (two-digit main groups, four-digit codes under them);
* ``vard-och-omsorgsform``: ``code,name,alt_name`` (``alt_name`` is another spelling, a synonym);
* ``mvo``: medicinskt verksamhetsområde, ``code,name`` with an optional ``parent``. No canonical URL or
  OID for MVO was found in a public source, so the caller names the system.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from terminology.errors import LoadError

from . import national
from .records import CodeList, CodeSystemMeta, Concept, Designation, PropertyDef, Where
from .textfiles import decode



@dataclass(frozen=True)
class ColumnMapping:
    """Which CSV column holds which part of a concept."""

    code: str
    display: str | None = None
    parent: str | None = None
    definition: str | None = None
    synonyms: tuple[str, ...] = ()
    designations: tuple[tuple[str, str], ...] = ()
    """(language, column)."""
    properties: tuple[tuple[str, str], ...] = ()
    """(property code, column)."""
    ignored: tuple[str, ...] = ()
    optional: frozenset[str] = field(default_factory=frozenset)
    """Mapped columns a file may leave out."""

    @classmethod
    def parse(cls, spec: str) -> "ColumnMapping":
        """``code=kod,display=namn,parent=overordnad,designation.en=name,property.level=niva,ignore=x``."""
        values: dict[str, object] = {"synonyms": [], "designations": [], "properties": [], "ignored": []}
        for item in filter(None, (s.strip() for s in spec.split(","))):
            key, sep, column = item.partition("=")
            key, column = key.strip(), column.strip()
            if not sep or not column:
                raise LoadError(f"mapping item '{item}' is not field=column")
            if key in ("code", "display", "parent", "definition"):
                if key in values:
                    raise LoadError(f"mapping names '{key}' twice")
                values[key] = column
            elif key == "synonym":
                values["synonyms"].append(column)
            elif key == "ignore":
                values["ignored"].append(column)
            elif key.startswith("designation.") and len(key) > 12:
                values["designations"].append((key[12:], column))
            elif key.startswith("property.") and len(key) > 9:
                values["properties"].append((key[9:], column))
            else:
                raise LoadError(f"unknown mapping field '{key}' (use code, display, parent, definition, synonym, "
                                "designation.<lang>, property.<name> or ignore)")
        if "code" not in values:
            raise LoadError("the mapping has no code=<column>")
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})

    def columns(self) -> list[str]:
        cols = [self.code, self.display, self.parent, self.definition, *self.synonyms,
                *(c for _, c in self.designations), *(c for _, c in self.properties)]
        return [c for c in cols if c]


@dataclass(frozen=True)
class Preset:
    mapping: ColumnMapping
    meta: CodeSystemMeta


PRESETS: dict[str, Preset] = {
    "verksamhetskod": Preset(ColumnMapping("code", "name", "parent"), national.VERKSAMHETSKOD_META),
    "vard-och-omsorgsform": Preset(ColumnMapping("code", "name", synonyms=("alt_name",)), national.VARDFORM_META),
    "mvo": Preset(ColumnMapping("code", "name", "parent", optional=frozenset({"parent"})),
                  CodeSystemMeta(url="", name="MVO", title="Medicinskt verksamhetsområde (MVO)")),
}


def read(path: Path, mapping: ColumnMapping, meta: CodeSystemMeta) -> CodeList:
    """The concepts of a CSV code list under ``mapping``; ``meta`` describes the code system."""
    path = Path(path)
    if not path.is_file():
        raise LoadError("no such file", file=str(path))
    file = str(path)
    text = decode(path.read_bytes(), file)
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise LoadError("the file is empty (a header row is needed)", file=file, line=1) from None
    _check_header(header, mapping, file)
    index = {name: i for i, name in enumerate(header)}

    def value(row: list[str], column: str | None) -> str | None:
        if column is None or column not in index:
            return None
        return row[index[column]].strip() or None

    extra = tuple(PropertyDef(name, "string", f"Column '{col}' of the code list") for name, col in mapping.properties)
    concepts = []
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                raise LoadError(f"{len(row)} fields, but the header has {len(header)}", file=file, line=line)
            code = value(row, mapping.code)
            if code is None:
                raise LoadError(f"the code (column '{mapping.code}') is empty", file=file, line=line)
            display = value(row, mapping.display)
            if mapping.display and display is None:
                raise LoadError(f"code '{code}' has no name (column '{mapping.display}')", file=file, line=line)
            parent = value(row, mapping.parent)
            designations = [Designation(v, meta.language, "synonym") for v in (value(row, c) for c in mapping.synonyms)
                            if v]
            designations += [Designation(v, lang, "display") for lang, v in
                             ((lang, value(row, c)) for lang, c in mapping.designations) if v]
            props = tuple((name, v) for name, v in ((n, value(row, c)) for n, c in mapping.properties) if v)
            concepts.append(Concept(code, display, (parent,) if parent else (), value(row, mapping.definition),
                                    tuple(designations), props, where=Where(file, line)))
    except csv.Error as exc:
        raise LoadError(f"not readable as CSV: {exc}", file=file, line=reader.line_num) from None
    return CodeList(meta.but(properties=meta.properties + extra), concepts)


def _check_header(header: list[str], mapping: ColumnMapping, file: str) -> None:
    seen: set[str] = set()
    for name in header:
        if name in seen:
            raise LoadError(f"column '{name}' occurs twice in the header", file=file, line=1)
        seen.add(name)
    for column in mapping.columns():
        if column not in seen and column not in mapping.optional:
            raise LoadError(f"the mapping names column '{column}', which the header lacks (it has: "
                            f"{', '.join(header)})", file=file, line=1)
    known = set(mapping.columns()) | set(mapping.ignored)
    for name in header:
        if name not in known:
            raise LoadError(f"unknown column '{name}' (map it, or skip it with ignore={name})", file=file, line=1)
