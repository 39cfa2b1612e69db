"""The source list of a mapping project: a CSV (``;``, ``,`` or TAB, UTF-8) or Excel (.xlsx, first sheet) file
read through :mod:`terminology.spreadsheet`, with the columns ``term`` (required), ``kod`` (optional, unique
when given) and any others, kept as context for the reviewer.

Every problem is named with its row (the header is row 1, as a spreadsheet numbers it), in Swedish; a file with
any problem stores nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import terminology as t

MAX_ROWS = 20_000
"""Most source rows in one project (bounded work: suggestions for 20,000 rows take minutes)."""
MAX_PROBLEMS = 50
"""Problems listed for one file (the rest are counted)."""
MAX_TERM = 500


@dataclass(frozen=True)
class SourceRow:
    row_no: int
    """The row in the file (the header is row 1)."""
    code: str | None
    term: str
    context: tuple[str, ...]


@dataclass
class SourceList:
    file: str
    rows: list[SourceRow] = field(default_factory=list)
    context_columns: tuple[str, ...] = ()
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.rows)


def read(data: bytes, file: str) -> SourceList:
    """Read and check a source list; ``problems`` says what is wrong (nothing is stored by this)."""
    out = SourceList(file)
    name = (file or "").lower()
    if not name.endswith((".csv", ".txt", ".tsv", ".xlsx")):
        out.problems.append(f"{file}: filtypen stöds inte; använd CSV (UTF-8) eller Excel (.xlsx)")
        return out
    if name.endswith(".xlsx") and data[:4] != b"PK\x03\x04":
        out.problems.append(f"{file}: filen är inte en Excel-fil (.xlsx); spara den på nytt som .xlsx eller CSV")
        return out
    try:
        table = t.spreadsheet.table(data, file)
    except t.spreadsheet.UnreadableFile as exc:
        out.problems.append(f"{file}: {exc}")
        return out
    if not table:
        out.problems.append(f"{file}: filen är tom; första raden ska vara rubriker med minst kolumnen term")
        return out
    header = [h.strip().lstrip("\ufeff").lower() for h in table[0]]
    if "term" not in header:
        out.problems.append(f"Rad 1: kolumnen term saknas (rubrikerna är {', '.join(h or '(tom)' for h in header)});"
                            " kolumnerna är term (krävs), kod (valfri) och valfria kolumner med sammanhang")
        return out
    dupes = sorted({h for h in header if h and header.count(h) > 1})
    if dupes:
        out.problems.append(f"Rad 1: kolumnen {', '.join(dupes)} finns flera gånger")
        return out
    i_term, i_code = header.index("term"), header.index("kod") if "kod" in header else None
    extra = [i for i, h in enumerate(header) if i not in (i_term, i_code) and h]
    out.context_columns = tuple(table[0][i].strip() for i in extra)
    if len(table) - 1 > MAX_ROWS:
        out.problems.append(f"{file}: {len(table) - 1} rader; ett projekt har högst {MAX_ROWS} rader (dela filen)")
        return out
    seen: dict[str, int] = {}
    problems: list[str] = []
    for n, cells in enumerate(table[1:], start=2):
        cells = list(cells) + [""] * (len(header) - len(cells))
        if not any(c.strip() for c in cells):
            continue
        term = cells[i_term].strip()
        code = cells[i_code].strip() if i_code is not None else ""
        if not term:
            problems.append(f"Rad {n}: termen är tom")
        elif len(term) > MAX_TERM:
            problems.append(f"Rad {n}: termen är {len(term)} tecken lång (högst {MAX_TERM})")
        if code:
            if code in seen:
                problems.append(f"Rad {n}: koden {code} finns redan på rad {seen[code]}")
            else:
                seen[code] = n
        out.rows.append(SourceRow(n, code or None, term, tuple(cells[i].strip() for i in extra)))
    if not out.rows and not problems:
        problems.append(f"{file}: filen har inga rader under rubrikraden")
    if len(problems) > MAX_PROBLEMS:
        problems = problems[:MAX_PROBLEMS] + [f"... och {len(problems) - MAX_PROBLEMS} fel till"]
    out.problems = problems
    return out
