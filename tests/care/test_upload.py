"""Agreement uploads: CSV and Excel (.xlsx) read to the same rows and get the same row-level checks;
unreadable files get a readable Swedish message and nothing is stored."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook

from mappings.care import agreements
from terminology import Principal

ADMIN_01 = Principal("avtal01", frozenset({"avtalsadmin"}), "01", "web")


def _template_rows() -> list[list[str]]:
    return list(csv.reader(io.StringIO(agreements.template_csv()), delimiter=";"))


def _xlsx(rows: list[list[str]]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append([int(v) if v.isdigit() and len(v) < 9 else v for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_excel_and_csv_give_the_same_preview(directory):
    rows = _template_rows()
    rows[2][rows[0].index("giltig_fran")] = "2026-13-45"  # one bad row
    as_csv = agreements.preview(directory, "\n".join(";".join(r) for r in rows).encode(), "avtal.csv", by=ADMIN_01)
    as_xlsx = agreements.preview(directory, _xlsx(rows), "avtal.xlsx", by=ADMIN_01)
    assert [(r.line, r.cells, r.errors) for r in as_xlsx.rows] == [(r.line, r.cells, r.errors) for r in as_csv.rows]
    assert any(r.errors for r in as_xlsx.rows) and not as_xlsx.ok


def test_unreadable_files_get_a_message(directory):
    broken = agreements.preview(directory, b"PK\x03\x04 not really a workbook", "avtal.xlsx", by=ADMIN_01)
    assert not broken.ok and "Excel-filen går inte att läsa" in broken.problems[0]
    latin1 = agreements.preview(directory, "avtals_id;namn\nA;Gråstarr".encode("latin-1"), "avtal.csv", by=ADMIN_01)
    assert not latin1.ok and "UTF-8" in latin1.problems[0]
