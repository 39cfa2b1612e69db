"""The decisions taken on the findings of a release impact (table ``release_decision``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import insert, select

from . import schema
from .database import Database

D = schema.release_decision


@dataclass(frozen=True)
class Decision:
    """One decision: ``action`` is ``accepted`` (the suggested replacement), ``replaced`` (another concept) or
    ``dismissed`` (with a comment)."""

    seq: int
    at: str
    who: str
    finding: str
    kind: str
    target: str
    code: str
    action: str
    replacement: str | None
    comment: str | None
    result: str | None


class DecisionStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def record(self, *, who: str, system: str, from_version: str, to_version: str, finding: str, kind: str,
               target: str, code: str, action: str, replacement: str | None, comment: str | None,
               result: str | None) -> Decision:
        at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        values = dict(at=at, who=who, system=system, from_version=from_version, to_version=to_version,
                      finding=finding, kind=kind, target=target, code=code, action=action,
                      replacement=replacement, comment=comment, result=result)
        with self.db.engine.begin() as conn:
            seq = conn.execute(insert(D).values(**values)).inserted_primary_key[0]
        return Decision(seq, at, who, finding, kind, target, code, action, replacement, comment, result)

    def decisions(self, system: str, from_version: str, to_version: str) -> dict[str, Decision]:
        """The newest decision per finding of one release pair."""
        q = (select(D).where(D.c.system == system, D.c.from_version == from_version, D.c.to_version == to_version)
             .order_by(D.c.seq))
        with self.db.engine.connect() as conn:
            return {r.finding: Decision(r.seq, r.at, r.who, r.finding, r.kind, r.target, r.code, r.action,
                                        r.replacement, r.comment, r.result) for r in conn.execute(q)}
