"""A region's own code list as a FHIR CodeSystem: its concepts as rows (code, display, Swedish and English
terms, definition, parent, status, properties), edited one at a time or replaced from a table (CSV or Excel)
with a row-level preview and an all-or-nothing commit, and exported as a table.

FHIR R5 codesystem.html: the hierarchy is nested ``concept`` elements (``hierarchyMeaning`` ``is-a``); a
retired code keeps its row and gets the property ``status`` = ``retired`` (the standard concept property
http://hl7.org/fhir/concept-properties#status), so expansions with ``activeOnly`` leave it out and
``$validate-code`` reports it as inactive. Editing one concept keeps everything else the concept says (other
designations, extensions), so a national code list can be maintained here without loss.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field

from .. import spreadsheet
from ..errors import InvalidRequest
from ..text import fold

STATUS_PROPERTY = {"code": "status", "uri": "http://hl7.org/fhir/concept-properties#status", "type": "code",
                   "description": "Kodens status: active eller retired"}
STATUS_WORDS = {"": "active", "aktiv": "active", "active": "active", "avvecklad": "retired", "retired": "retired",
                "inaktiv": "retired", "inactive": "retired"}
COLUMNS = {"kod": "Koden (krävs, unik)", "visningsnamn": "Visningsnamn (krävs)",
           "svenska": "Svensk term, om den skiljer sig från visningsnamnet", "engelska": "Engelsk term",
           "definition": "Definition", "förälder": "Överordnad kod (tomt: på översta nivån)",
           "status": "aktiv eller avvecklad (tomt: aktiv)",
           "egenskap:<namn>": "Valfri egenskap, en kolumn per egenskap (t.ex. egenskap:niva)"}
"""The import and export columns (shown on the import page and in the README)."""
_PROPERTY_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_\-]{0,63}")
_RESERVED = ("parent", "child", "status", "inactive")
MAX_PROBLEMS = 200


@dataclass(frozen=True)
class ConceptRow:
    code: str
    display: str
    sv: str = ""
    en: str = ""
    definition: str = ""
    parent: str = ""
    status: str = "active"
    properties: tuple[tuple[str, str], ...] = ()

    @property
    def retired(self) -> bool:
        return self.status == "retired"


@dataclass(frozen=True)
class ImportRow:
    line: int
    cells: dict[str, str]
    errors: tuple[str, ...] = ()


@dataclass(frozen=True)
class TablePreview:
    """What a file would make of the code list: every row with its problems."""

    file: str
    rows: tuple[ImportRow, ...]
    concepts: tuple[ConceptRow, ...] = ()
    problems: tuple[str, ...] = ()
    properties: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.rows) and all(not r.errors for r in self.rows)


# --- reading ---------------------------------------------------------------------------------------

def rows(cs: dict) -> list[ConceptRow]:
    """Every concept of ``cs`` as a row, parents before children, in the order of the resource."""
    return [_row(c, parent) for c, parent in _walk(cs.get("concept", []))]


def _walk(concepts: list, parent: str | None = None):
    for c in concepts:
        yield c, parent
        yield from _walk(c.get("concept", []), c.get("code"))


def _row(c: dict, nested_parent: str | None) -> ConceptRow:
    props, parent, status = [], nested_parent or "", "active"
    for p in c.get("property", []):
        value = next((v for k, v in p.items() if k.startswith("value")), "")
        code = p.get("code")
        if code == "parent" and not parent:
            parent = value.get("code", "") if isinstance(value, dict) else str(value)
        elif code == "status" and str(value) in ("retired", "inactive", "deprecated"):
            status = "retired"
        elif code == "inactive" and value is True:
            status = "retired"
        elif code not in _RESERVED:
            props.append((code, value.get("code", "") if isinstance(value, dict) else str(value)))
    designations = c.get("designation", [])
    return ConceptRow(code=c.get("code", ""), display=c.get("display", ""),
                      sv=_term(designations, "sv"), en=_term(designations, "en"),
                      definition=c.get("definition", ""), parent=parent, status=status, properties=tuple(props))


def _term(designations: list, language: str) -> str:
    for d in designations:
        lang = (d.get("language") or "").lower()
        if lang == language or lang.startswith(language + "-"):
            return d.get("value", "")
    return ""


# --- editing ---------------------------------------------------------------------------------------

def check_row(row: ConceptRow, known: set[str], parents: dict[str, str], *, original: str | None = None) -> list[str]:
    """What is wrong with ``row`` among the codes ``known`` (``parents``: code -> parent code)."""
    errors = []
    if not row.code.strip():
        errors.append("koden saknas")
    elif row.code != row.code.strip() or re.search(r"\s{2,}|[\t\r\n]", row.code):
        errors.append(f"koden '{row.code}' har blanksteg i början, slutet eller flera i rad")
    elif row.code != original and row.code in known:
        errors.append(f"koden {row.code} finns redan")
    if not row.display.strip():
        errors.append("visningsnamnet saknas")
    if row.status not in ("active", "retired"):
        errors.append(f"status '{row.status}' ska vara aktiv eller avvecklad")
    if row.parent:
        if row.parent == row.code:
            errors.append("koden kan inte vara sin egen förälder")
        elif row.parent not in known and row.parent != original:
            errors.append(f"föräldern {row.parent} finns inte i kodverket")
        else:
            seen, at = {row.code}, row.parent
            while at:
                if at in seen or at == original:
                    errors.append(f"föräldern {row.parent} ligger under {row.code} (en cykel)")
                    break
                seen.add(at)
                at = parents.get(at, "")
    for name, _ in row.properties:
        if not _PROPERTY_NAME.fullmatch(name) or name in _RESERVED:
            errors.append(f"egenskapen '{name}' går inte att använda som namn")
    return errors


def set_concept(cs: dict, row: ConceptRow, *, original: str | None = None) -> dict:
    """``cs`` with the concept ``original`` changed to ``row`` (None: ``row`` added); InvalidRequest in Swedish
    when the row does not fit."""
    flat = [(copy.deepcopy({k: v for k, v in c.items() if k != "concept"}), p) for c, p in _walk(cs.get("concept", []))]
    have = [c["code"] for c, _ in flat]
    if original is not None and original not in have:
        raise InvalidRequest.plain(f"Koden {original} finns inte i kodverket")
    parents = {c["code"]: (p or _row(c, p).parent) for c, p in flat if c["code"] != original}
    errors = check_row(row, set(have) - ({original} if original else set()), parents, original=original)
    if errors:
        raise InvalidRequest.plain(f"Koden {row.code or '(tom)'}: " + "; ".join(errors), expression="concept")
    out = []
    for c, p in flat:
        if c["code"] == original:
            out.append((_apply(c, row), row.parent or None))
        else:
            out.append((c, row.code if original is not None and p == original else p))
            if c.get("property"):
                for prop in c["property"]:
                    if prop.get("code") == "parent" and prop.get("valueCode") == original:
                        prop["valueCode"] = row.code
    if original is None:
        out.append((_apply({"code": row.code}, row), row.parent or None))
    return _with_concepts(cs, out)


def retire_concept(cs: dict, code: str) -> dict:
    """``cs`` with ``code`` marked retired (the row stays, so old data keeps its meaning)."""
    found = next((c for c, _ in _walk(cs.get("concept", [])) if c.get("code") == code), None)
    if found is None:
        raise InvalidRequest.plain(f"Koden {code} finns inte i kodverket")
    return set_concept(cs, ConceptRow(**{**_row(found, None).__dict__, "status": "retired",
                                          "parent": rows_by_code(cs)[code].parent}), original=code)


def rows_by_code(cs: dict) -> dict[str, ConceptRow]:
    return {r.code: r for r in rows(cs)}


def _apply(concept: dict, row: ConceptRow) -> dict:
    c = dict(concept)
    c["code"], c["display"] = row.code, row.display.strip()
    others = [d for d in c.get("designation", []) if (d.get("language") or "")[:2].lower() not in ("sv", "en")]
    designations = others + [{"language": lang, "value": value.strip()}
                             for lang, value in (("sv", row.sv), ("en", row.en)) if value.strip()]
    if designations:
        c["designation"] = designations
    else:
        c.pop("designation", None)
    if row.definition.strip():
        c["definition"] = row.definition.strip()
    else:
        c.pop("definition", None)
    kept = [p for p in c.get("property", []) if p.get("code") in ("parent", "child")]
    kept = [p for p in kept if p.get("code") != "parent"]
    props = kept + [{"code": name, "valueString": value} for name, value in row.properties if value != ""]
    if row.retired:
        props.append({"code": "status", "valueCode": "retired"})
    if props:
        c["property"] = props
    else:
        c.pop("property", None)
    return c


def _with_concepts(cs: dict, flat: list[tuple[dict, str | None]]) -> dict:
    """``cs`` with its concepts nested again under their parents (order kept)."""
    by_code = {c["code"]: c for c, _ in flat}
    roots = []
    for c, _ in flat:
        c.pop("concept", None)
    for c, parent in flat:
        if parent and parent in by_code:
            by_code[parent].setdefault("concept", []).append(c)
        else:
            roots.append(c)
    out = {k: v for k, v in cs.items() if k not in ("concept", "meta")}
    out["concept"] = roots
    used = {p.get("code") for c, _ in flat for p in c.get("property", [])}
    declared = {p.get("code") for p in out.get("property", [])}
    props = list(out.get("property", []))
    if "status" in used and "status" not in declared:
        props.append(STATUS_PROPERTY)
    props += [{"code": name, "type": "string"} for name in sorted(used - declared - {"status", "parent", "child"})]
    if props:
        out["property"] = props
    if any(p for _, p in flat) and not out.get("hierarchyMeaning"):
        out["hierarchyMeaning"] = "is-a"
    if "count" in out:
        out["count"] = len(flat)
    return out


# --- tables ----------------------------------------------------------------------------------------

def table_rows(cs: dict) -> list[list[str]]:
    """The concepts as the import/export table: header, then one row per concept."""
    props = sorted({name for r in rows(cs) for name, _ in r.properties})
    header = ["kod", "visningsnamn", "svenska", "engelska", "definition", "förälder", "status"] + \
        [f"egenskap:{p}" for p in props]
    out = [header]
    for r in rows(cs):
        values = dict(r.properties)
        out.append([r.code, r.display, r.sv, r.en, r.definition, r.parent,
                    "avvecklad" if r.retired else "aktiv"] + [values.get(p, "") for p in props])
    return out


def preview_table(data: bytes, file: str) -> TablePreview:
    """Read and check every row of a code-list file; nothing is stored."""
    try:
        table = spreadsheet.table(data, file)
    except spreadsheet.UnreadableFile as exc:
        return TablePreview(file, (), problems=(str(exc),))
    if not table or not any(x.strip() for x in table[0]):
        return TablePreview(file, (), problems=("Filen är tom",))
    header = [_column(h) for h in table[0]]
    unknown = [table[0][i] for i, h in enumerate(header) if h is None and table[0][i].strip()]
    problems = []
    if unknown:
        problems.append(f"Okända kolumner: {', '.join(unknown)}. Kolumnerna är kod, visningsnamn, svenska, "
                        "engelska, definition, förälder, status och egenskap:<namn>.")
    for needed in ("kod", "visningsnamn"):
        if needed not in header:
            problems.append(f"Kolumnen {needed} saknas")
    if problems:
        return TablePreview(file, (), problems=tuple(problems))
    raw: list[tuple[int, dict[str, str]]] = []
    for line, cells in enumerate(table[1:], start=2):
        if any(x.strip() for x in cells):
            raw.append((line, {h: (cells[i].strip() if i < len(cells) else "") for i, h in enumerate(header) if h}))
    if not raw:
        return TablePreview(file, (), problems=("Filen har inga rader under rubrikraden",))
    codes = [v.get("kod", "") for _, v in raw]
    known = set(codes)
    parents = {v.get("kod", ""): v.get("foralder", "") for _, v in raw}
    seen: set[str] = set()
    out_rows, concepts = [], []
    for line, v in raw:
        status = STATUS_WORDS.get(fold(v.get("status", "")), v.get("status", ""))
        row = ConceptRow(code=v.get("kod", ""), display=v.get("visningsnamn", ""), sv=v.get("svenska", ""),
                         en=v.get("engelska", ""), definition=v.get("definition", ""), parent=v.get("foralder", ""),
                         status=status, properties=tuple((k[9:], val) for k, val in v.items()
                                                         if k.startswith("egenskap:")))
        errors = check_row(row, known - {row.code}, parents, original=None)
        if row.code in seen:
            errors.append(f"koden {row.code} finns på flera rader")
        seen.add(row.code)
        out_rows.append(ImportRow(line, v, tuple(errors)))
        concepts.append(row)
    props = tuple(sorted({name for r in concepts for name, _ in r.properties}))
    return TablePreview(file, tuple(out_rows), tuple(concepts), properties=props)


def with_table(cs: dict, preview: TablePreview) -> dict:
    """``cs`` with every concept replaced by the rows of a checked file (all of them, or InvalidRequest)."""
    if not preview.ok:
        raise InvalidRequest.plain(f"{preview.file}: filen har fel; inget sparades")
    flat = [(_apply({"code": r.code}, r), r.parent or None) for r in preview.concepts]
    return _with_concepts({**cs, "property": [p for p in cs.get("property", [])
                                              if p.get("code") not in preview.properties]}, flat)


def _column(name: str) -> str | None:
    folded = fold(name.strip()).replace(" ", "")
    if folded.startswith("egenskap:") and len(folded) > 9:
        return "egenskap:" + name.strip().split(":", 1)[1].strip()
    aliases = {"kod": "kod", "code": "kod", "visningsnamn": "visningsnamn", "display": "visningsnamn",
               "namn": "visningsnamn", "svenska": "svenska", "sv": "svenska", "engelska": "engelska", "en": "engelska",
               "definition": "definition", "foralder": "foralder", "parent": "foralder", "overordnad": "foralder",
               "status": "status"}
    return aliases.get(folded)
