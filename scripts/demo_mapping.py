"""The demo's mapping project (issue 21): the project's own list of 50 Swedish local service terms
(``scripts/data/lokala_tjanster.csv``: service catalogue names with misspellings, split compounds, word order
changes and rows with no good SNOMED CT target) mapped to the demo SNOMED CT fixture, started by the demo
informatiker ``info`` with the first ten rows reviewed, so the review queue, its filters and the second reviewer
(``info2``) have something to show."""

from __future__ import annotations

from pathlib import Path

import terminology as t
from mappings.workbench import Target, Workbench

from .demo_codelists import AUTHOR

LIST = Path(__file__).resolve().parent / "data" / "lokala_tjanster.csv"
TITLE = "Lokala tjänster (demo)"
SOURCE = "https://vardterm.example/fhir/CodeSystem/lokala-tjanster"
REVIEWED = 10


def ensure_demo_mapping(service: t.TerminologyService) -> int | None:
    """Start the demo project once; returns its id when it was made now, None when it was there."""
    wb = Workbench(service, t.Authoring(service))
    if any(p["title"] == TITLE for p in wb.projects()):
        return None
    pid = wb.create(title=TITLE, source_system=SOURCE, target=Target(), data=LIST.read_bytes(), file=LIST.name,
                    by=AUTHOR, map_url="https://vardterm.example/fhir/ConceptMap/lokala-tjanster")
    for row in [r for r in wb.rows(pid) if r["suggestions"]][:REVIEWED]:
        wb.decide(pid, row["row_no"], by=AUTHOR, code=row["suggestions"][0]["code"])
    return pid
