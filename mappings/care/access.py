"""Who may read and write what in the care directory: the one place the care rules of issue 8 are decided.

Every door (FHIR REST and transactions, ``$care-search``, the JSON API, the web pages, file uploads, the
command line) reaches the directory through :class:`mappings.care.CareDirectory`, which calls these checks
with the caller's :class:`terminology.Principal` before it reads or writes; no handler decides on its own.

Rules (README "Users, roles and access", care-search.md "Who uses it"):

* **Reads** of care data need a login with any role (``vardlots``, ``avtalsadmin``, ``informatiker``,
  ``admin``). The care search runs for the caller's own region; asking for another region is refused (403).
  Admins and the command line may search for any region.
* **Confidential agreements** are visible only to principals of their own region (and to admins and the
  command line, who manage the data); elsewhere they do not exist, for writes as for reads (404).
* **Agreements, commissions and services** are written by ``avtalsadmin`` for the own region only, and by
  ``admin`` for any region. An agreement or commission belongs to its ``region``; a service belongs to the
  regions whose commissions cover it (a new, uncovered service may be created by any agreement
  administrator; one covered by another region's commission is that region's). Both the stored version
  and the new one are checked, so a record can neither be edited in, nor moved out of, another region.
* **Organisations, places, waiting times and capacity reports** are written by ``admin`` (and the command
  line and file imports run by the operator).
"""

from __future__ import annotations

from typing import Callable, Iterable

import terminology as t

from . import model as m

CARE_READERS = ("vardlots", "avtalsadmin", "informatiker", "admin")
"""Roles that may read care data (the search, the directory, the change history of what they can see)."""

AGREEMENT_WRITERS = ("avtalsadmin", "admin")
"""Roles that may write agreements, commissions and services (avtalsadmin: own region only)."""

DIRECTORY_WRITERS = ("admin",)
"""Roles that may write organisations, places, waiting times and capacity reports."""

READERS = CARE_READERS
WRITERS = tuple(dict.fromkeys(AGREEMENT_WRITERS + DIRECTORY_WRITERS))
"""Roles that may write some care data at all (asked before a write's body is read)."""

REGION_SCOPED = (m.Agreement, m.Commission, m.CareService)


def sees_everything(by: t.Principal) -> bool:
    """Admins and the command line manage the data of every region (confidential agreements included)."""
    return by.has("admin") or by.channel in ("cli", "generator")


def check_read(by: t.Principal) -> None:
    """Care data is read only by a logged-in user with a role (issue 8: "every care-data read is authorised")."""
    t.require(by, *CARE_READERS, action="read care data")


def visible(record: m.Record, by: t.Principal, own_region: str | None) -> bool:
    """A confidential agreement is shown only to its own region (``own_region``: the caller's region id)."""
    if not (isinstance(record, m.Agreement) and record.confidential):
        return True
    return sees_everything(by) or record.region == own_region


def check_search_region(by: t.Principal, own_region: str | None, asked: str) -> None:
    """A vårdlots searches with the own region's agreements only (``asked``/``own_region``: region ids)."""
    if sees_everything(by) or asked == own_region:
        return
    raise t.Forbidden.plain(f"Du kan bara söka för din egen region ({by.subject} may search only for the own "
                            f"region ({by.region or 'none'}), not for Organization/{asked})")


def check_writes(by: t.Principal, records: Iterable[m.Record], *, stored: Callable[[str, str], m.Record | None],
                 covering_regions: Callable[[str], set[str]], region_id: Callable[[str], str | None]) -> None:
    """Refuse the whole write when the caller may not write any one of ``records``.

    :param stored: the stored version of a record (resource type, id), or None when it is new.
    :param covering_regions: the regions whose commissions cover a service id, in the store and in this write.
    :param region_id: the organisation id of a län code (the caller's region), None when unknown.
    """
    records = list(records)
    if sees_everything(by):
        return
    own = region_id(by.region) if by.region else None
    for record in records:
        rtype = m.resource_type(record)
        what = f"write {rtype}/{record.id}"
        if not isinstance(record, REGION_SCOPED):
            t.require(by, *DIRECTORY_WRITERS, action=what)
            continue
        t.require(by, *AGREEMENT_WRITERS, action=what)
        old = stored(rtype, record.id)
        if old is not None and not visible(old, by, own):
            # Reading it answers 404; a write must not tell more (not even that it exists, nor its region).
            raise t.UnknownResource("OP_UNKNOWN_RESOURCE", rtype, record.id)
        owners = _owners(record, covering_regions) | (_owners(old, covering_regions) if old is not None else set())
        foreign = sorted(o for o in owners if o != own)
        if own is None or foreign:
            raise t.Forbidden.plain(f"Det tillhör en annan region än din ({by.subject} may not {what}: it belongs "
                                    f"to {', '.join('Organization/' + f for f in foreign) or 'no region'}, and "
                                    f"{by.subject} writes only region {by.region or '(none)'})")


def _owners(record: m.Record, covering_regions: Callable[[str], set[str]]) -> set[str]:
    if isinstance(record, (m.Agreement, m.Commission)):
        return {record.region}
    if isinstance(record, m.CareService):
        return covering_regions(record.id)
    return set()
