"""Local accounts and API keys: create, check credentials, and turn them into a :class:`Principal`.

Passwords are hashed with argon2id (``argon2-cffi``, the maintained reference binding; OWASP's first
choice), re-hashed on login when the parameters change. API keys are ``<key_id>.<secret>``: the key id is
stored in clear to find the row, the 32-byte secret only as its SHA-256 (a random secret of that length
needs no slow hash), compared in constant time. A failed login says only that the user name or password is
wrong, never which.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from .access import ROLES, Principal
from .errors import InvalidRequest, ReadOnlyNode, Unauthenticated
from .store.accounts import AccountStore
from .store.database import Database

_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 10


class Accounts:
    """User accounts and API keys kept in the catalog database."""

    def __init__(self, db: Database) -> None:
        self.store = AccountStore(db)

    def add_user(self, username: str, password: str, roles: tuple[str, ...], region: str | None) -> None:
        _check_roles(roles)
        if not username or not username.replace(".", "").replace("-", "").replace("_", "").isalnum():
            raise InvalidRequest.plain("a user name is letters, digits, '.', '-' and '_'")
        _check_password(password)
        self.store.add_user(username, _hasher.hash(password), roles, region)

    def set_password(self, username: str, password: str) -> None:
        _check_password(password)
        if not self.store.set_user(username, password_hash=_hasher.hash(password)):
            raise InvalidRequest.plain(f"there is no user {username}")

    def set_active(self, username: str, active: bool) -> None:
        if not self.store.set_user(username, active=active):
            raise InvalidRequest.plain(f"there is no user {username}")

    def users(self):
        return self.store.users()

    def login(self, username: str, password: str, *, channel: str = "web") -> Principal:
        """The principal for a user name and password; Unauthenticated when they do not match."""
        row = self.store.user(username)
        wrong = Unauthenticated.plain("Fel användarnamn eller lösenord (wrong user name or password)")
        if row is None or not row.active:
            _hasher.hash(password)  # same work either way, so timing does not tell which names exist
            raise wrong
        try:
            _hasher.verify(row.secret_hash, password)
        except (VerificationError, InvalidHashError):
            raise wrong from None
        if _hasher.check_needs_rehash(row.secret_hash):
            try:
                self.store.set_user(username, password_hash=_hasher.hash(password))
            except ReadOnlyNode:
                pass  # a read-only node: the writer re-hashes at a later login

        return Principal(username, frozenset(row.roles), row.region, channel)

    def principal_of(self, username: str, *, channel: str = "web") -> Principal:
        """The principal of an active user by name (a web session names its user; roles and region are read
        anew on every request, so a deactivated user is out at once); Unauthenticated otherwise."""
        row = self.store.user(username)
        if row is None or not row.active:
            raise Unauthenticated.plain("Logga in igen (log in again)")
        return Principal(username, frozenset(row.roles), row.region, channel)

    def add_key(self, name: str, roles: tuple[str, ...], region: str | None) -> str:
        """Create an API key for a system; returns the key, which is shown once and never stored in clear."""
        _check_roles(roles)
        key_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
        self.store.add_key(key_id, _digest(secret), name, roles, region)
        return f"{key_id}.{secret}"

    def revoke_key(self, key_id: str) -> None:
        if not self.store.revoke_key(key_id):
            raise InvalidRequest.plain(f"there is no API key {key_id}")

    def check_key(self, key: str) -> Principal:
        """The principal of an API key; Unauthenticated when it is unknown, revoked or wrong."""
        key_id, _, secret = key.strip().partition(".")
        row = self.store.key(key_id) if key_id and secret else None
        if row is None or not row.active or not hmac.compare_digest(row.secret_hash, _digest(secret)):
            raise Unauthenticated.plain("The API key is not valid")
        return Principal(f"key:{row.name}", frozenset(row.roles), row.region, "api")


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _check_roles(roles: tuple[str, ...]) -> None:
    unknown = [r for r in roles if r not in ROLES]
    if unknown or not roles:
        raise InvalidRequest.plain(f"roles must be some of {', '.join(ROLES)} (got {', '.join(roles) or 'none'})")


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidRequest.plain(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
