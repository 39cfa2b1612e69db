"""Storage of local user accounts, API keys, web sessions and failed logins (catalog tables ``user_account``,
``api_key``, ``api_key_use``, ``web_session``, ``login_failure``)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from ..errors import InvalidRequest
from . import schema
from .database import Database, _now

U, K, KU = schema.user_account, schema.api_key, schema.api_key_use
S, F = schema.web_session, schema.login_failure


@dataclass(frozen=True)
class AccountRow:
    name: str
    secret_hash: str
    roles: tuple[str, ...]
    region: str | None
    active: bool


@dataclass(frozen=True)
class KeyRow:
    key_id: str
    name: str
    roles: tuple[str, ...]
    region: str | None
    active: bool
    created_at: str
    last_used_at: str | None


class AccountStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def add_user(self, username: str, password_hash: str, roles: tuple[str, ...], region: str | None) -> None:
        try:
            with self.db.engine.begin() as conn:
                conn.execute(insert(U).values(username=username, password_hash=password_hash, roles=",".join(roles),
                                              region=region, active=1, created_at=_now()))
        except IntegrityError:
            raise InvalidRequest.plain(f"the user {username} exists already") from None

    def user(self, username: str) -> AccountRow | None:
        with self.db.engine.connect() as conn:
            r = conn.execute(select(U).where(U.c.username == username)).first()
        return None if r is None else AccountRow(r.username, r.password_hash, _roles(r.roles), r.region,
                                                 bool(r.active))

    def users(self) -> list[AccountRow]:
        with self.db.engine.connect() as conn:
            rows = conn.execute(select(U).order_by(U.c.username)).all()
        return [AccountRow(r.username, "", _roles(r.roles), r.region, bool(r.active)) for r in rows]

    def set_user(self, username: str, **values) -> bool:
        """Change ``password_hash``, ``roles`` (tuple), ``region`` or ``active``; False if no such user."""
        if "roles" in values:
            values["roles"] = ",".join(values["roles"])
        if "active" in values:
            values["active"] = int(values["active"])
        with self.db.engine.begin() as conn:
            return conn.execute(update(U).where(U.c.username == username).values(**values)).rowcount > 0

    def add_key(self, key_id: str, secret_hash: str, name: str, roles: tuple[str, ...], region: str | None) -> None:
        with self.db.engine.begin() as conn:
            conn.execute(insert(K).values(key_id=key_id, secret_hash=secret_hash, name=name, roles=",".join(roles),
                                          region=region, active=1, created_at=_now()))

    def key(self, key_id: str) -> AccountRow | None:
        with self.db.engine.connect() as conn:
            r = conn.execute(select(K).where(K.c.key_id == key_id)).first()
        return None if r is None else AccountRow(r.name, r.secret_hash, _roles(r.roles), r.region, bool(r.active))

    def revoke_key(self, key_id: str) -> bool:
        with self.db.engine.begin() as conn:
            return conn.execute(update(K).where(K.c.key_id == key_id).values(active=0)).rowcount > 0

    def keys(self) -> list[KeyRow]:
        """Every API key (revoked ones too), oldest first, with when it was last used."""
        with self.db.engine.connect() as conn:
            rows = conn.execute(select(K, KU.c.last_used_at).outerjoin(KU, KU.c.key_id == K.c.key_id)
                                .order_by(K.c.created_at, K.c.key_id)).all()
        return [KeyRow(r.key_id, r.name, _roles(r.roles), r.region, bool(r.active), r.created_at, r.last_used_at)
                for r in rows]

    def key_used(self, key_id: str) -> None:
        with self.db.engine.begin() as conn:
            if not conn.execute(update(KU).where(KU.c.key_id == key_id).values(last_used_at=_now())).rowcount:
                conn.execute(insert(KU).values(key_id=key_id, last_used_at=_now()))

    # --- web sessions ----------------------------------------------------------------------------

    def add_session(self, sid_hash: str, username: str, expires: float, now: float) -> None:
        with self.db.engine.begin() as conn:
            conn.execute(delete(S).where(S.c.expires < now))  # forget ended sessions while we are here
            conn.execute(insert(S).values(sid_hash=sid_hash, username=username, expires=expires))

    def session_user(self, sid_hash: str, now: float) -> AccountRow | None:
        """The active user of a live session, in one indexed read."""
        with self.db.engine.connect() as conn:
            r = conn.execute(select(U).join(S, S.c.username == U.c.username)
                             .where(S.c.sid_hash == sid_hash, S.c.expires > now, U.c.active == 1)).first()
        return None if r is None else AccountRow(r.username, "", _roles(r.roles), r.region, True)

    def end_sessions(self, *, sid_hash: str | None = None, username: str | None = None) -> int:
        with self.db.engine.begin() as conn:
            q = delete(S).where(S.c.sid_hash == sid_hash) if sid_hash else delete(S).where(S.c.username == username)
            return conn.execute(q).rowcount

    # --- failed logins ---------------------------------------------------------------------------

    def failures(self, subjects: list[str], since: float) -> dict[str, list[float]]:
        """The times of the failed logins of each subject after ``since``, oldest first."""
        out: dict[str, list[float]] = {s: [] for s in subjects}
        with self.db.engine.connect() as conn:
            for subject, at in conn.execute(select(F.c.subject, F.c.at).where(F.c.subject.in_(subjects), F.c.at > since)
                                            .order_by(F.c.at)):
                out[subject].append(at)
        return out

    def add_failure(self, subjects: list[str], at: float, forget_before: float) -> None:
        with self.db.engine.begin() as conn:
            conn.execute(delete(F).where(F.c.subject.in_(subjects), F.c.at <= forget_before))
            conn.execute(insert(F), [{"subject": s, "at": at} for s in subjects])

    def clear_failures(self, subject: str) -> None:
        with self.db.engine.begin() as conn:
            conn.execute(delete(F).where(F.c.subject == subject))


def _roles(value: str) -> tuple[str, ...]:
    return tuple(r for r in value.split(",") if r)
