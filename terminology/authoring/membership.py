"""Which value sets contain a code: the membership index behind ``ValueSet?code=system|code`` (FHIR R5
valueset.html search parameter ``code``) and the concept page.

Every current, ``active`` stored value set is expanded once and its members kept in ``value_set_member``,
with a *stamp*: the versions of what the expansion used (the loaded SNOMED CT editions; the newest row of each
stored code system and imported value set it read, taken from ``used-codesystem`` / ``used-valueset``). A
question is then one indexed read, not an expansion of every value set per request.

The index is refreshed when a version is released, retired or deleted, and when a terminology version is
loaded (the loaders call :meth:`Membership.refresh`). Whatever path changed the database, a question first
compares the catalog generation with the one it last verified; when it moved, the stamps are checked and the
stale value sets (usually none) are expanded again, so no worker answers from an index the terminology has
outgrown. A value set larger than the index limit (``VARDTERM_MAX_EXPANSION_SIZE``) is marked ``too-large``
and asked per request with ``$validate-code`` (a membership test, not an expansion).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

import orjson

from ..errors import TerminologyError, TooCostly
from ..model import Coding
from ..requests import ExpandRequest, ValidateRequest
from ..store.authoring import AuthoringStore, IndexedValueSet

log = logging.getLogger(__name__)

SNOMED_STAMP = "sct"


@dataclass(frozen=True)
class RefreshReport:
    indexed: int
    forgotten: int
    too_large: int
    failed: int


class Membership:
    """The membership index of the active stored value sets (shared by the requests of one process)."""

    def __init__(self, service, store: AuthoringStore, *, limit: int) -> None:
        self.service = service
        self.store = store
        self.limit = limit
        self._lock = threading.Lock()
        self._verified: int | None = None
        self._too_large: list[IndexedValueSet] = []

    def refresh(self) -> RefreshReport:
        """Index every active value set whose index is missing or stale; forget retired and deleted ones."""
        with self._lock:
            generation = self.service.db.generation()
            rows = self.store.active_value_sets()
            forgotten = self.store.prune([r.key for r in rows])
            values = self._stamp_values()
            indexed = 0
            for r in rows:
                if r.state is None or _stale(r.stamp, values):
                    self._index(r, values)
                    indexed += 1
            rows = self.store.active_value_sets()
            self._too_large = [r for r in rows if r.state == "too-large"]
            self._verified = generation
        if indexed or forgotten:
            log.info("value set membership: %d indexed, %d forgotten", indexed, forgotten)
        return RefreshReport(indexed, forgotten, len(self._too_large), sum(1 for r in rows if r.state == "failed"))

    def containing(self, system: str, code: str) -> list[dict]:
        """The current, active stored value sets that contain ``system|code`` (R5 resource dicts, by URL and
        version, parsed for this call: the caller may change them)."""
        if self._verified is None or self.service.db.generation() != self._verified:
            self.refresh()
        also = [r.key for r in self._too_large if self._validates(r, system, code)]
        return [orjson.loads(c) for c in self.store.containing(system, code, also=also)]

    def state(self, key: int) -> IndexedValueSet | None:
        return next((r for r in self.store.active_value_sets() if r.key == key), None)

    # --- private ---------------------------------------------------------------------------------

    def _index(self, r: IndexedValueSet, values: dict[str, str]) -> None:
        content = self.store.contents([r.key])
        resource = orjson.loads(content[0]) if content else {}
        try:
            expansion = self.service.expand(ExpandRequest(value_set=resource, exclude_nested=True,
                                                          max_size=self.limit))
        except TooCostly as exc:
            self.store.replace_members(r.key, state="too-large", members=(), stamp=_stamp({}, values),
                                       problem=exc.text)
            return
        except TerminologyError as exc:
            log.warning("value set %s|%s cannot be expanded for the membership index: %s", r.url, r.version,
                        exc.text)
            self.store.replace_members(r.key, state="failed", members=(), stamp=_stamp({}, values), problem=exc.text)
            return
        used = {}
        for p in expansion.parameters:
            if p.name in ("used-codesystem", "used-valueset") and isinstance(p.value, str):
                url = p.value.split("|", 1)[0]
                used[_dependency(p.name, url)] = values.get(_dependency(p.name, url), "0")
        self.store.replace_members(r.key, state="complete", members=_flat(expansion.items),
                                   stamp=_stamp(used, values))

    def _stamp_values(self) -> dict[str, str]:
        values = {SNOMED_STAMP: ",".join(sorted(v.version for v in self.service.versions()))}
        for (rtype, url), key in self.store.newest_keys().items():
            values[f"{'cs' if rtype == 'CodeSystem' else 'vs'}:{url}"] = str(key)
        return values

    def _validates(self, r: IndexedValueSet, system: str, code: str) -> bool:
        try:
            result = self.service.validate(ValidateRequest(target="ValueSet", mode="code",
                                                           codings=(Coding(system, code),), url=r.url,
                                                           version=r.version, membership_only=True))
        except TerminologyError:
            return False
        return result.result


def _dependency(parameter: str, url: str) -> str:
    from .. import snomed

    if url == snomed.SYSTEM:
        return SNOMED_STAMP
    return f"{'cs' if parameter == 'used-codesystem' else 'vs'}:{url}"


def _stamp(used: dict[str, str], values: dict[str, str]) -> str:
    """What an index was computed from; a value set that used nothing depends on the SNOMED CT editions only
    when it failed or was too large (its definition may need them)."""
    if not used:
        used = {SNOMED_STAMP: values.get(SNOMED_STAMP, "")}
    return orjson.dumps(used, option=orjson.OPT_SORT_KEYS).decode()


def _stale(stamp: str | None, values: dict[str, str]) -> bool:
    if not stamp:
        return True
    try:
        used = orjson.loads(stamp)
    except orjson.JSONDecodeError:
        return True
    return any(values.get(name, "0") != value for name, value in used.items())


def _flat(items) -> list[tuple[str, str]]:
    out = []
    for i in items:
        out.append((i.system, i.code))
        out.extend(_flat(i.contains))
    return out
