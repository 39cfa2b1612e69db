"""Checks of a write before anything is stored (care-search.md "Writes are all-or-nothing").

* Every coded element against the terminology (:class:`CodeChecker`): the code must exist in its system,
  be active, and the system must be one the element allows (service types: SNOMED CT or KVÅ; activity
  codes: SNOMED CT or KVÅ; unit types: HSA verksamhetskod and vård- och omsorgsform). The terminology
  service is asked first (``$lookup``); for a system it does not serve, the bundled excerpts of
  :mod:`mappings.care.codelists` answer.
* Every reference must point at a record of the right type that exists in the directory or in the same
  write, and of the right kind (a service is provided by a unit, a commission is ordered by a region...).
* Ids are unique within one write.

A problem raises :class:`terminology.InvalidRequest` whose text names the record and the element and whose
``expression`` is the element's path.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Sequence

import terminology as t

from . import codelists, codes as c
from . import model as m
from .fhir import Parsed, bad
from .store import CareStore

SERVICE_TYPE_SYSTEMS = (c.SNOMED, c.KVA)
ACTIVITY_SYSTEMS = (c.SNOMED, c.KVA)
UNIT_TYPE_SYSTEMS = (c.VERKSAMHETSKOD, c.VARDFORM)

_SYSTEM_NAMES = {c.SNOMED: "SNOMED CT", c.KVA: "KVÅ", c.ICD10SE: "ICD-10-SE", c.VERKSAMHETSKOD: "HSA verksamhetskod",
                 c.VARDFORM: "HSA vård- och omsorgsform"}


def system_name(system: str) -> str:
    return _SYSTEM_NAMES.get(system, system)


class CodeChecker:
    """Answers "is this an active code of that system" and its display; remembers answers per terminology
    version (safe to drop: :meth:`clear`)."""

    def __init__(self, service: t.TerminologyService, language: str = "sv") -> None:
        self.service = service
        self.language = language
        self._memo: dict[tuple[str, str], tuple[str | None, str | None]] = {}
        self._version: str | None = None
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._memo.clear()

    def refresh(self) -> None:
        """Forget the answers when the terminology's default version changed (called once per write)."""
        version = self.service.default_version()
        with self._lock:
            if version != self._version:
                self._memo.clear()
                self._version = version

    def check(self, coding: t.Coding) -> tuple[str | None, str | None]:
        """``(problem or None, display)`` for one coding."""
        with self._lock:
            key = (coding.system, codelists.normal_code(coding.system, coding.code))
            if key not in self._memo:
                self._memo[key] = self._check(*key)
            return self._memo[key]

    def _check(self, system: str, code: str) -> tuple[str | None, str | None]:
        name = system_name(system)
        try:
            found = self.service.lookup(t.LookupRequest(system=system, code=code, display_language=self.language,
                                                        properties=("inactive",)))
        except t.UnknownCodeSystem:
            local = codelists.local_code_systems().get(system)
            if local is None:
                if system == c.SNOMED:
                    return "SNOMED CT is not loaded on this server", None
                return f"the code system {system} is not known to this server", None
            concept = local.get(code)
            if concept is None:
                return f"'{code}' is not a {name} code", None
            return None, concept.display
        except (t.UnknownCode, t.InvalidCode):
            return f"'{code}' is not a {name} code (not in the loaded version)", None
        except t.TerminologyError as exc:
            return f"'{code}' cannot be checked in {name}: {exc}", None
        if any(p.code == "inactive" and p.value is True for p in found.properties):
            return f"'{code}' is an inactive {name} concept ({found.display}); use its active replacement", None
        return None, found.display


def check_codes(parsed: Parsed, checker: CodeChecker, where: str) -> m.Record:
    """Check every coding of ``parsed``; return the record with missing displays filled in."""
    record = parsed.record
    for path, coding in parsed.codes:
        allowed = _allowed(record, path)
        if allowed and coding.system not in allowed:
            raise _at(where, bad(f"{path}.system", f"'{coding.system}' is the wrong code system here: use "
                                                   f"{' or '.join(system_name(s) for s in allowed)}"))
        problem, display = checker.check(coding)
        if problem:
            raise _at(where, bad(f"{path}.code", problem))
        if coding.display is None and display:
            record = _with_display(record, coding, display)
    return record


def _allowed(record: m.Record, path: str) -> tuple[str, ...]:
    if isinstance(record, m.CareService):
        return SERVICE_TYPE_SYSTEMS
    if isinstance(record, (m.WaitingTime, m.Capacity)):
        return ACTIVITY_SYSTEMS
    if isinstance(record, m.Organization):
        return UNIT_TYPE_SYSTEMS
    return ()


def _with_display(record: m.Record, coding: t.Coding, display: str) -> m.Record:
    filled = t.Coding(coding.system, coding.code, display, coding.version)
    if isinstance(record, m.CareService):
        return replace(record, types=tuple(filled if x == coding else x for x in record.types))
    if isinstance(record, (m.WaitingTime, m.Capacity)) and record.activity == coding:
        return replace(record, activity=filled)
    if isinstance(record, m.Organization):
        return replace(record, activity_codes=tuple(filled if x == coding else x for x in record.activity_codes),
                       care_forms=tuple(filled if x == coding else x for x in record.care_forms))
    return record


def _at(where: str, exc: t.InvalidRequest) -> t.InvalidRequest:
    """The same error with the record named first."""
    if not where:
        return exc
    return t.InvalidRequest.plain(f"{where}: {exc.text}", expression=exc.expression)


_KINDS = {
    ("HealthcareService", "providedBy"): ("unit",),
    ("Location", "managingOrganization"): ("unit",),
    ("OrganizationAffiliation", "organization"): ("region",),
    ("OrganizationAffiliation", "participatingOrganization"): ("provider", "region"),
    ("Contract", "authority"): ("region",),
    ("Contract", "author"): ("region",),
    ("MeasureReport", "reporter"): ("unit",),
    ("Organization", "partOf"): ("provider", "region"),
}
"""(resource type, element) -> the organisation kinds it may point at."""


def check_references(items: Sequence[tuple[Parsed, str]], store: CareStore) -> None:
    """Every reference resolves to a record in the write or the directory, of the right kind.

    ``items`` are ``(parsed, where)`` with ``where`` naming the record in messages.
    """
    seen: dict[tuple[str, str], str] = {}
    batch: dict[tuple[str, str], m.Record] = {}
    for parsed, where in items:
        key = (m.resource_type(parsed.record), parsed.record.id)
        if key in seen:
            raise t.InvalidRequest.plain(f"{where}: {key[0]}/{key[1]} appears twice in the same write "
                                         f"(first at {seen[key]})")
        seen[key] = where
        batch[key] = parsed.record
    wanted: dict[str, set[str]] = {}
    for parsed, _ in items:
        for _, rtype, id_ in parsed.refs:
            if (rtype, id_) not in batch:
                wanted.setdefault(rtype, set()).add(id_)
    stored = {rtype: store.get_many(rtype, ids) if rtype == "Organization" else store.versions(rtype, ids)
              for rtype, ids in wanted.items()}
    for parsed, where in items:
        rtype_of = m.resource_type(parsed.record)
        for path, rtype, id_ in parsed.refs:
            target = batch.get((rtype, id_))
            if target is None:
                have = stored.get(rtype, {}).get(id_)
                if have is None:
                    raise t.InvalidRequest.plain(f"{where}: {path} refers to {rtype}/{id_}, which does not exist",
                                                 expression=path)
                target = have.record if isinstance(have, m.Stored) else None
            element = path.rsplit(".", 1)[-1].split("[")[0]
            kinds = _KINDS.get((rtype_of, element))
            if kinds and isinstance(target, m.Organization) and target.kind not in kinds:
                raise t.InvalidRequest.plain(
                    f"{where}: {path} must be a {' or '.join(kinds)}, but Organization/{id_} is a {target.kind}",
                    expression=path)


def derive(record: m.Record, path: str) -> Parsed:
    """The codes and references of a record made without FHIR (file imports, the generator), with paths
    named like the FHIR elements they become."""
    out = Parsed(record=record)
    if isinstance(record, m.Organization):
        out.codes += [(f"{path}.type[{i + 1}].coding[0]", x)
                      for i, x in enumerate(record.activity_codes + record.care_forms)]
        if record.part_of:
            out.refs.append((f"{path}.partOf", "Organization", record.part_of))
    elif isinstance(record, m.Location):
        if record.unit:
            out.refs.append((f"{path}.managingOrganization", "Organization", record.unit))
    elif isinstance(record, m.CareService):
        out.codes += [(f"{path}.type[{i}].coding[0]", x) for i, x in enumerate(record.types)]
        out.refs.append((f"{path}.providedBy", "Organization", record.unit))
        out.refs += [(f"{path}.location[{i}]", "Location", x) for i, x in enumerate(record.locations)]
    elif isinstance(record, m.Commission):
        out.refs += [(f"{path}.organization", "Organization", record.region),
                     (f"{path}.participatingOrganization", "Organization", record.provider)]
        out.refs += [(f"{path}.healthcareService[{i}]", "HealthcareService", x) for i, x in enumerate(record.services)]
    elif isinstance(record, m.Agreement):
        out.refs.append((f"{path}.authority[0]", "Organization", record.region))
        if record.registered_by:
            out.refs.append((f"{path}.author", "Organization", record.registered_by))
        out.refs += [(f"{path}.subject[{i}]", "OrganizationAffiliation", x) for i, x in enumerate(record.commissions)]
    elif isinstance(record, (m.WaitingTime, m.Capacity)):
        element = "reporter" if isinstance(record, m.WaitingTime) else "performer[0]"
        out.refs.append((f"{path}.{element}", "Organization", record.unit))
        if record.service:
            out.refs.append((f"{path}.extension('healthcare-service')", "HealthcareService", record.service))
        if record.activity:
            out.codes.append((f"{path}.extension('activity').valueCodeableConcept.coding[0]", record.activity))
    check_dates(record, path)
    return out


def check_dates(record: m.Record, path: str) -> None:
    """End before start is refused (care-search.md "Writes")."""
    pairs = []
    if isinstance(record, (m.CareService, m.Commission, m.Agreement)):
        pairs.append((record.valid_from, record.valid_to, "validity"))
    if isinstance(record, (m.WaitingTime, m.Capacity)):
        pairs.append((record.period_start, record.period_end, "period"))
    for start, end, label in pairs:
        if start and end and end < start:
            raise bad(path, f"the {label} ends ({end}) before it starts ({start})")
