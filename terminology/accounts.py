"""Local accounts and API keys: create, check credentials, and turn them into a :class:`Principal`.

Passwords are hashed with argon2id (``argon2-cffi``, the maintained reference binding; OWASP's first
choice), re-hashed on login when the parameters change. API keys are ``<key_id>.<secret>``: the key id is
stored in clear to find the row, the 32-byte secret only as its SHA-256 (a random secret of that length
needs no slow hash), compared in constant time. A failed login says only that the user name or password is
wrong, never which.

Failed logins are throttled per account and per client address (OWASP Authentication Cheat Sheet, "Protect
against automated attacks"): after ``max_failures`` failures of one account, or ``max_address_failures`` from
one address, within ``window_seconds``, further attempts are refused (:class:`Throttled`, with the seconds to
wait) without checking the password, until the oldest of those failures is older than the window. The
failures are kept in the database, so every worker counts the same.

Web sessions are rows in the database (``web_session``; the cookie holds a random id, the table its SHA-256):
logout deletes the row, disabling a user or changing the password deletes all of the user's rows, and a
session is checked with one indexed read that also reads the user's roles, so this works with any number of
workers and hosts.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from .access import ROLES, Principal
from .errors import InvalidRequest, ReadOnlyNode, Throttled, Unauthenticated
from .store.accounts import AccountStore, KeyRow
from .store.database import Database

_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 10
KEY_USE_RESOLUTION = 60.0
"""An API key's last use is written at most this often (seconds) per key and process."""

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoginThrottle:
    """How many failed logins are allowed in a window, per account and per client address."""

    max_failures: int = 5
    max_address_failures: int = 20
    window_seconds: float = 900.0


class Accounts:
    """User accounts and API keys kept in the catalog database."""

    def __init__(self, db: Database, *, throttle: LoginThrottle | None = None) -> None:
        self.store = AccountStore(db)
        self.throttle = throttle or LoginThrottle()
        self._key_used: dict[str, float] = {}

    def add_user(self, username: str, password: str, roles: tuple[str, ...], region: str | None) -> None:
        _check_roles(roles)
        if not username or not username.replace(".", "").replace("-", "").replace("_", "").isalnum():
            raise InvalidRequest.plain("a user name is letters, digits, '.', '-' and '_'")
        _check_password(password)
        self.store.add_user(username, _hasher.hash(password), roles, region)

    def set_password(self, username: str, password: str) -> None:
        """A new password; every session of the user ends."""
        _check_password(password)
        if not self.store.set_user(username, password_hash=_hasher.hash(password)):
            raise InvalidRequest.plain(f"there is no user {username}")
        self.store.end_sessions(username=username)

    def set_active(self, username: str, active: bool) -> None:
        """Enable or disable a user; disabling ends every session of the user."""
        if not self.store.set_user(username, active=active):
            raise InvalidRequest.plain(f"there is no user {username}")
        if not active:
            self.store.end_sessions(username=username)

    def users(self):
        return self.store.users()

    def login(self, username: str, password: str, *, channel: str = "web", address: str | None = None) -> Principal:
        """The principal for a user name and password; Unauthenticated when they do not match, Throttled when
        the account or the client ``address`` has failed too often lately (see the module docstring)."""
        subjects = [f"user:{username.casefold()[:100]}"] + ([f"address:{address}"] if address else [])
        now = time.time()
        self._check_throttle(subjects, now, username, address)
        row = self.store.user(username)
        wrong = Unauthenticated.plain("Fel användarnamn eller lösenord (wrong user name or password)")
        ok = False
        if row is None or not row.active:
            _hasher.hash(password)  # same work either way, so timing does not tell which names exist
        else:
            try:
                ok = _hasher.verify(row.secret_hash, password)
            except (VerificationError, InvalidHashError):
                ok = False
        if not ok:
            self.store.add_failure(subjects, now, now - self.throttle.window_seconds)
            log.info("failed login for %r from %s", username[:100], address or "an unknown address")
            raise wrong
        self.store.clear_failures(subjects[0])
        if _hasher.check_needs_rehash(row.secret_hash):
            try:
                self.store.set_user(username, password_hash=_hasher.hash(password))
            except ReadOnlyNode:
                pass  # a read-only node: the writer re-hashes at a later login

        return Principal(username, frozenset(row.roles), row.region, channel)

    def _check_throttle(self, subjects: list[str], now: float, username: str, address: str | None) -> None:
        window = self.throttle.window_seconds
        found = self.store.failures(subjects, now - window)
        waits = []
        for subject, limit in zip(subjects, (self.throttle.max_failures, self.throttle.max_address_failures)):
            times = found[subject]
            if len(times) >= limit:
                # The next attempt is allowed when enough of these failures have left the window.
                waits.append(times[len(times) - limit] + window - now)
        if waits:
            retry = max(1, int(max(waits)) + 1)
            log.warning("login throttled for %r from %s: too many failed logins; retry in %d s", username[:100],
                        address or "an unknown address", retry)
            raise Throttled(f"För många misslyckade inloggningar. Försök igen om {(retry + 59) // 60} minut(er) "
                            f"(too many failed logins; retry in {retry} s)", retry_after=retry)

    # --- web sessions ----------------------------------------------------------------------------

    def start_session(self, username: str, *, max_age_seconds: float) -> str:
        """A new session for a logged-in user; returns its id (for the signed cookie, never stored in clear)."""
        sid = secrets.token_urlsafe(32)
        now = time.time()
        self.store.add_session(_digest(sid), username, now + max_age_seconds, now)
        return sid

    def session_principal(self, sid: str, *, channel: str = "web") -> Principal:
        """The principal of a live session (roles and region as they are now); Unauthenticated when the session
        ended (logout, expiry, a disabled user, a new password)."""
        row = self.store.session_user(_digest(sid), time.time()) if sid else None
        if row is None:
            raise Unauthenticated.plain("Logga in igen (log in again)")
        return Principal(row.name, frozenset(row.roles), row.region, channel)

    def end_session(self, sid: str) -> None:
        """Log out: the session cannot be used again, whoever holds a copy of its cookie."""
        if sid:
            self.store.end_sessions(sid_hash=_digest(sid))

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
        now = time.monotonic()
        if now - self._key_used.get(key_id, -KEY_USE_RESOLUTION) >= KEY_USE_RESOLUTION:
            self._key_used[key_id] = now
            self.store.key_used(key_id)
        return Principal(f"key:{row.name}", frozenset(row.roles), row.region, "api")

    def keys(self) -> list[KeyRow]:
        """Every API key with its roles, region, when it was made and last used (never its secret)."""
        return self.store.keys()


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _check_roles(roles: tuple[str, ...]) -> None:
    unknown = [r for r in roles if r not in ROLES]
    if unknown or not roles:
        raise InvalidRequest.plain(f"roles must be some of {', '.join(ROLES)} (got {', '.join(roles) or 'none'})")


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidRequest.plain(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
