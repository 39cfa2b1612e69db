"""Reads and writes of the mapping workbench's tables. Every call takes its own connection; a write is one
transaction (a project and all its rows, or nothing)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from sqlalchemy import and_, func, insert, select, update

from . import schema as s


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class WorkbenchStore:
    """The tables of :mod:`.schema` in the catalog database of ``db`` (a :class:`terminology.Database`)."""

    def __init__(self, db) -> None:
        self.engine = db.engine

    def add_project(self, project: dict, rows: list[dict], who: str) -> int:
        """Store a project with its rows and a first history entry; returns the new project id."""
        with self.engine.begin() as conn:
            pid = conn.execute(insert(s.project).values(**project)).inserted_primary_key[0]
            if rows:
                conn.execute(insert(s.row), [{**r, "project_id": pid} for r in rows])
            conn.execute(insert(s.event).values(project_id=pid, row_no=None, at=now(), who=who,
                                                what=f"skapade projektet med {len(rows)} rader"))
        return int(pid)

    def projects(self) -> list[dict]:
        done = (select(s.row.c.project_id, func.count().label("n"), func.count(s.row.c.decided_at).label("done"))
                .group_by(s.row.c.project_id).subquery())
        with self.engine.connect() as conn:
            rows = conn.execute(select(s.project, done.c.n, done.c.done)
                                .outerjoin(done, done.c.project_id == s.project.c.id)
                                .order_by(s.project.c.id.desc())).mappings().all()
        return [dict(r) for r in rows]

    def project(self, pid: int) -> dict | None:
        with self.engine.connect() as conn:
            r = conn.execute(select(s.project).where(s.project.c.id == pid)).mappings().first()
        return dict(r) if r else None

    def rows(self, pid: int) -> list[dict]:
        with self.engine.connect() as conn:
            found = conn.execute(select(s.row).where(s.row.c.project_id == pid)
                                 .order_by(s.row.c.row_no)).mappings().all()
        return [_row(r) for r in found]

    def row(self, pid: int, row_no: int) -> dict | None:
        with self.engine.connect() as conn:
            r = conn.execute(select(s.row).where(and_(s.row.c.project_id == pid, s.row.c.row_no == row_no))
                             ).mappings().first()
        return _row(r) if r else None

    def update_row(self, pid: int, row_no: int, values: dict, who: str, what: str) -> None:
        """Change one row and record it in the history, in one transaction."""
        if "suggestions" in values and not isinstance(values["suggestions"], str):
            values = {**values, "suggestions": json.dumps(values["suggestions"], ensure_ascii=False)}
        with self.engine.begin() as conn:
            conn.execute(update(s.row).where(and_(s.row.c.project_id == pid, s.row.c.row_no == row_no))
                         .values(**values))
            conn.execute(insert(s.event).values(project_id=pid, row_no=row_no, at=now(), who=who, what=what))

    def update_project(self, pid: int, values: dict, who: str, what: str) -> None:
        with self.engine.begin() as conn:
            if values:
                conn.execute(update(s.project).where(s.project.c.id == pid).values(**values))
            conn.execute(insert(s.event).values(project_id=pid, row_no=None, at=now(), who=who, what=what))

    def events(self, pid: int) -> list[dict]:
        with self.engine.connect() as conn:
            found = conn.execute(select(s.event).where(s.event.c.project_id == pid)
                                 .order_by(s.event.c.seq.desc())).mappings().all()
        return [dict(r) for r in found]


def _row(r) -> dict:
    out = dict(r)
    out["context"] = json.loads(out["context"] or "[]")
    out["suggestions"] = json.loads(out["suggestions"] or "[]")
    out["no_map"] = bool(out["no_map"])
    return out
