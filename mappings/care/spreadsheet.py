"""Reading the rows of an uploaded agreements file: CSV (``;``, ``,`` or TAB; UTF-8, with or without BOM) or
an Excel workbook (.xlsx, the first sheet; read with openpyxl in read-only mode, so a big file streams).

Both give the same thing: a list of rows of cell texts, the first row the header. Dates in Excel cells become
``YYYY-MM-DD``, whole numbers lose their ``.0``; empty cells are empty strings.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile


class UnreadableFile(ValueError):
    """The file cannot be read as a table; the text says why, in Swedish, for the upload page."""


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
