"""Storage of local user accounts and API keys (catalog tables ``user_account`` and ``api_key``)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from ..errors import InvalidRequest
from . import schema
from .database import Database, _now

U, K = schema.user_account, schema.api_key


@dataclass(frozen=True)
class AccountRow:
    name: str
    secret_hash: str
    roles: tuple[str, ...]
    region: str | None
    active: bool


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


def _roles(value: str) -> tuple[str, ...]:
    return tuple(r for r in value.split(",") if r)
