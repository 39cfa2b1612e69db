"""Tables in files, both ways: CSV (``;``, ``,`` or TAB; UTF-8 with or without BOM) or an Excel workbook (.xlsx,
the first sheet; read and written with openpyxl, read-only/write-only, so a big file streams).

The one home of openpyxl (ARCHITECTURE.md "one home per library"): the agreement upload of the care directory
and the code-list import and export of :mod:`terminology.authoring` read and write through here.

Reading gives a list of rows of cell texts, the first row the header. Dates in Excel cells become
``YYYY-MM-DD``, whole numbers lose their ``.0``; empty cells are empty strings.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile


class UnreadableFile(ValueError):
    """The file cannot be read as a table; the text says why, in Swedish, for the upload pages."""


def table(data: bytes, file: str) -> list[list[str]]:
    """The rows of ``data`` (named ``file``), header first."""
    if file.lower().endswith(".xlsx") or data[:4] == b"PK\x03\x04":
        return _xlsx(data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableFile(f"Filen är inte UTF-8 (byte {exc.start}); spara den som CSV UTF-8 eller .xlsx") from None
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        return []
    delimiter = max((";", ",", "\t"), key=lines[0].count)
    return [row for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


def csv_bytes(rows: list[list[str]]) -> bytes:
    """``rows`` as CSV for Excel users: ``;`` separated, CRLF, UTF-8 with BOM (Excel then reads å/ä/ö right)."""
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def xlsx_bytes(rows: list[list[str]], *, sheet: str = "Blad1") -> bytes:
    """``rows`` as an Excel workbook with one sheet (cells as text, so codes such as ``0101`` keep their zeros)."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    ws = book.create_sheet(sheet[:31])
    for row in rows:
        ws.append([str(v) if v is not None else "" for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xlsx(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise UnreadableFile(f"Excel-filen går inte att läsa ({exc}); spara den på nytt som .xlsx") from None
    try:
        sheet = book.worksheets[0]
        return [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
