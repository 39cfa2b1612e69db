"""Reader for Socialstyrelsen's text code files ("kodtextfiler") of KVÅ and ICD-10-SE.

Format (as in the 2021 files; ``tests/data/se-codes/README.md``):

* UTF-8, normally with a byte order mark; TAB-separated; LF or CRLF; no newline after the last row.
* Columns: 1 code, 2 marker (always empty in KVÅ; ``†`` dagger or ``*`` asterisk in ICD-10-SE), 3 text
  (Kodtext), 4 optional description (Beskrivning). A row has 3 or 4 fields; a trailing empty fifth field
  occurs in the real KMÅ file and is accepted. KVÅ files start with the header ``Kod:<TAB><TAB>Kodtext:``
  (with or without ``<TAB>Beskrivning:``); ICD-10-SE files have none.
* Distribution: KVÅ as ``level1.txt``..``level4.txt`` per part (KKÅ and KMÅ are separate downloads);
  ICD-10-SE as ``chapter.txt``, ``block.txt``, ``digit3.txt``, ``digit4.txt``, ``digit5.txt``. One file
  joining them in that order is read the same way.

Hierarchy rules:

* **KVÅ**: level 1 is a 1-letter chapter, level 2 a 2-letter section ("avsnitt"), level 3 a 3-character
  category, level 4 a 5-character code. The parent of a code is its longest proper prefix of 3, 2 or 1
  characters that is a code of the same part: ``CJE00`` -> ``CJE``; KMÅ has categories only in chapter V,
  so ``VB205`` -> ``VB2`` but ``AN042`` -> ``AN``; where the real files lack a level (chapter Y categories
  without a section row, ``ZSC00`` without ``ZSC``) the next shorter prefix is taken. Parts: KKÅ codes are
  ``LLLDD`` (categories ``LLL``), KMÅ codes ``LLDDD`` (categories ``LLD``); chapters and sections take the
  part of their folder (``kka/``, ``kma/``) or, in a joined file, of the block of rows they open. KKÅ and
  KMÅ reuse some chapter and section codes with other meanings (``A``, ``AA``, ``ZX`` in the full 2021
  files): such codes are qualified by their part (``KKÅ:A``, ``KMÅ:A``) and keep the written code in the
  ``sourceCode`` property; codes used by one part only are kept as they are.
* **ICD-10-SE**: codes are written without a dot (``C189``; a dot is removed). A 4- or 5-character code's
  parent is its longest proper prefix that is a code (``E113F`` -> ``E113`` -> ``E11``); a 3-character code
  belongs to the smallest block whose range holds it (``C18`` -> ``C15-C26``), a block to the smallest
  enclosing block or else to the chapter whose range, written at the end of its text as ``(C00-D48)``,
  holds it. Chapters and blocks are grouping concepts (``notSelectable``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

from terminology.errors import LoadError

from . import national
from .records import CodeList, Concept, Where
from .textfiles import lines

KVA_LEVEL_FILE = re.compile(r"level([1-4])\.txt$", re.IGNORECASE)
ICD_FILES = ("chapter.txt", "block.txt", "digit3.txt", "digit4.txt", "digit5.txt")
KKA, KMA = "KKÅ", "KMÅ"

_KVA_CODE = re.compile(r"[A-ZÅÄÖ]{1,3}|[A-ZÅÄÖ]{2}[0-9]|[A-ZÅÄÖ]{3}[0-9]{2}|[A-ZÅÄÖ]{2}[0-9]{3}")
_KVA_KINDS = {1: "chapter", 2: "section", 3: "category", 5: "code"}
_KVA_LEVELS = {1: 1, 2: 2, 3: 3, 5: 4}
_ICD_CODE = re.compile(r"[A-Z][0-9]{2}[0-9A-Z]{0,3}")
_ICD_BLOCK = re.compile(r"([A-Z][0-9]{2})-([A-Z][0-9]{2})")
_ICD_CHAPTER = re.compile(r"[0-9]{1,2}|[IVXL]{1,6}")
_ICD_CHAPTER_RANGE = re.compile(r"\(([A-Z][0-9]{2})-([A-Z][0-9]{2})\)\s*$")
_ICD_MARKERS = {"": None, "†": "dagger", "*": "aster"}


@dataclass(frozen=True)
class Row:
    """One row of a kodtextfil."""

    code: str
    marker: str
    text: str
    description: str | None
    where: Where


def read_rows(path: Path) -> Iterator[Row]:
    """The rows of one kodtextfil (header and empty lines skipped), fields checked."""
    for number, line in lines(path):
        if not line.strip():
            continue
        if number == 1 and line.startswith("Kod:"):
            continue
        fields = line.split("\t")
        where = Where(str(path), number)
        if len(fields) < 3:
            raise LoadError(f"expected at least 3 TAB-separated fields (code, marker, text), found {len(fields)}",
                            file=where.file, line=number)
        if any(f.strip() for f in fields[4:]):
            raise LoadError(f"unexpected field {5} '{fields[4].strip()}': a row has code, marker, text and an "
                            "optional description", file=where.file, line=number)
        code, text = fields[0].strip(), fields[2].strip()
        if not code:
            raise LoadError("the code (field 1) is empty", file=where.file, line=number)
        if not text:
            raise LoadError(f"code '{code}' has no text (field 3)", file=where.file, line=number)
        description = fields[3].strip() if len(fields) > 3 and fields[3].strip() else None
        yield Row(code, fields[1].strip(), text, description, where)


# --- KVÅ -------------------------------------------------------------------------------------------


def kva_files(sources: Sequence[Path]) -> list[tuple[Path, str | None, int | None]]:
    """``(file, part hint, level hint)`` of each file to read, in reading order (KKÅ before KMÅ, by level)."""
    out: list[tuple[Path, str | None, int | None]] = []
    for source in map(Path, sources):
        if source.is_dir():
            found = sorted((f for f in source.rglob("*.txt") if KVA_LEVEL_FILE.search(f.name)),
                           key=lambda f: (_part_hint(f.relative_to(source)) or "", f.as_posix().lower()))
            if not found:
                raise LoadError("no KVÅ text files (level1.txt .. level4.txt) in this folder", file=str(source))
            out += [(f, _part_hint(f.relative_to(source)) or _part_hint(source), _level_hint(f)) for f in found]
        elif source.exists():
            out.append((source, _part_hint(source) if _level_hint(source) else None, _level_hint(source)))
        else:
            raise LoadError("no such file or folder", file=str(source))
    return out


def read_kva(sources: Sequence[Path]) -> CodeList:
    """KVÅ concepts from kodtextfiler: one joined file, ``level1..4.txt`` files, or folders holding them."""
    rows: list[tuple[Row, str | None]] = []
    for path, part_hint, level_hint in kva_files(sources):
        block: list[tuple[Row, str | None]] = []
        blocks = [block]
        previous_len = 0
        for row in read_rows(path):
            if not _KVA_CODE.fullmatch(row.code):
                raise LoadError(f"'{row.code}' is not a KVÅ code (1, 2 or 3 characters, or 5 for a code)",
                                file=row.where.file, line=row.where.line)
            if row.marker:
                raise LoadError(f"unexpected marker '{row.marker}' in field 2 (always empty in KVÅ)",
                                file=row.where.file, line=row.where.line)
            if level_hint is not None and _KVA_LEVELS[len(row.code)] != level_hint:
                raise LoadError(f"code '{row.code}' does not belong in a level {level_hint} file",
                                file=row.where.file, line=row.where.line)
            if len(row.code) == 1 and previous_len > 1 and part_hint is None:
                block = []
                blocks.append(block)
            previous_len = len(row.code)
            block.append((row, part_hint or _part_of(row.code)))
        for block in blocks:
            known = [p for _, p in block if p]
            majority = max((KKA, KMA), key=known.count) if known else None
            rows += [(row, part or majority) for row, part in block]
    return CodeList(national.KVA_META, _kva_concepts(rows))


def _kva_concepts(rows: list[tuple[Row, str | None]]) -> list[Concept]:
    parts_of: dict[str, set[str | None]] = {}
    for row, part in rows:
        parts_of.setdefault(row.code, set()).add(part)
    clashing = {code for code, parts in parts_of.items() if len(parts) > 1}

    def fhir_code(code: str, part: str | None) -> str:
        return f"{part}:{code}" if code in clashing and part else code

    known = {(row.code, part) for row, part in rows}
    out = []
    for row, part in rows:
        parent = next((fhir_code(row.code[:n], part) for n in (3, 2, 1)
                       if n < len(row.code) and (row.code[:n], part) in known), None)
        props: list[tuple[str, str | int | bool]] = [("kind", _KVA_KINDS[len(row.code)]),
                                                     ("level", _KVA_LEVELS[len(row.code)])]
        if part:
            props.append(("part", part))
        code = fhir_code(row.code, part)
        if code != row.code:
            props.append(("sourceCode", row.code))
        out.append(Concept(code, row.text, (parent,) if parent else (), row.description, (), tuple(props),
                           not_selectable=len(row.code) != 5, where=row.where))
    return out


def uses_qualified_codes(code_list: CodeList) -> bool:
    """True when some KVÅ codes had to be qualified by their part (``KKÅ:A``)."""
    return any(c.code != dict(c.properties).get("sourceCode", c.code) for c in code_list.concepts)


def _part_of(code: str) -> str | None:
    if len(code) == 5:
        return KKA if code[2].isalpha() else KMA
    if len(code) == 3:
        return KKA if code[2].isalpha() else KMA
    return None


def _part_hint(path: Path) -> str | None:
    for name in reversed([p.lower() for p in path.parts]):
        if "kka" in name or "kkå" in name:
            return KKA
        if "kma" in name or "kmå" in name:
            return KMA
    return None


def _level_hint(path: Path) -> int | None:
    m = KVA_LEVEL_FILE.search(path.name)
    return int(m.group(1)) if m else None


# --- ICD-10-SE -------------------------------------------------------------------------------------


def icd10se_files(sources: Sequence[Path]) -> list[Path]:
    """The files to read, in the order chapter, block, digit3, digit4, digit5 within each folder."""
    out: list[Path] = []
    for source in map(Path, sources):
        if source.is_dir():
            found = {f.name.lower(): f for f in source.iterdir() if f.is_file()}
            picked = [found[name] for name in ICD_FILES if name in found]
            if not picked:
                raise LoadError("no ICD-10-SE text files (chapter.txt, block.txt, digit3.txt .. digit5.txt) in "
                                "this folder", file=str(source))
            out += picked
        elif source.exists():
            out.append(source)
        else:
            raise LoadError("no such file or folder", file=str(source))
    return out


def read_icd10se(sources: Sequence[Path]) -> CodeList:
    """ICD-10-SE concepts from kodtextfiler: one joined file, the five level files, or a folder of them."""
    chapters: list[tuple[str, str, Row]] = []
    blocks: list[tuple[str, str, Row]] = []
    rows: list[tuple[str, Row]] = []
    for path in icd10se_files(sources):
        for row in read_rows(path):
            if row.marker not in _ICD_MARKERS:
                raise LoadError(f"unknown marker '{row.marker}' in field 2 (expected †, * or nothing)",
                                file=row.where.file, line=row.where.line)
            code = row.code.replace(".", "")
            if _ICD_BLOCK.fullmatch(code):
                start, end = _ICD_BLOCK.fullmatch(code).groups()
                blocks.append((start, end, row))
                rows.append(("block", row))
            elif _ICD_CHAPTER.fullmatch(code):
                m = _ICD_CHAPTER_RANGE.search(row.text)
                if m is None:
                    raise LoadError(f"chapter '{code}' has no code range such as (C00-D48) at the end of its text",
                                    file=row.where.file, line=row.where.line)
                chapters.append((m.group(1), m.group(2), row))
                rows.append(("chapter", row))
            elif _ICD_CODE.fullmatch(code):
                rows.append(("category", Row(code, row.marker, row.text, row.description, row.where)))
            else:
                raise LoadError(f"'{row.code}' is not an ICD-10-SE code, block (C15-C26) or chapter number",
                                file=row.where.file, line=row.where.line)
    known = {row.code.replace(".", "") for kind, row in rows if kind == "category"}

    def enclosing(start: str, end: str, *, exclude: str | None = None) -> str | None:
        """The narrowest block holding the range (other than ``exclude``), else the chapter holding it."""
        holders = [(_width(s2, e2), row.code) for s2, e2, row in blocks
                   if s2 <= start and end <= e2 and row.code != exclude]
        if holders:
            return min(holders)[1]
        return next((row.code for s2, e2, row in chapters if s2 <= start and end <= e2), None)

    out = []
    for kind, row in rows:
        if kind == "chapter":
            parent = None
        elif kind == "block":
            start, end = _ICD_BLOCK.fullmatch(row.code).groups()
            parent = enclosing(start, end, exclude=row.code)
        else:
            parent = next((row.code[:n] for n in range(len(row.code) - 1, 2, -1) if row.code[:n] in known), None)
            if parent is None:
                parent = enclosing(row.code[:3], row.code[:3])
        props: list[tuple[str, str | int | bool]] = [("kind", kind)]
        if _ICD_MARKERS[row.marker]:
            props.append(("usage", _ICD_MARKERS[row.marker]))
        out.append(Concept(row.code, row.text, (parent,) if parent else (), row.description, (), tuple(props),
                           not_selectable=kind != "category", where=row.where))
    return CodeList(national.ICD10SE_META, out)


def _width(start: str, end: str) -> int:
    """How many 3-character categories a range such as C15-C26 spans (letters count as 100)."""
    return (ord(end[0]) - ord(start[0])) * 100 + int(end[1:]) - int(start[1:])
