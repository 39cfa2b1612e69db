"""A SNOMED CT value set exported as an RF2 simple reference set: the Snapshot of a version and the Delta against
the version before it, in the namespace the deployment configures (``VARDTERM_RF2_NAMESPACE``).

SNOMED CT Release File Specification: ``der2_Refset_Simple{Snapshot|Delta}_{country+namespace}_{date}.txt``,
UTF-8, TAB separated, CRLF line ends, header ``id effectiveTime active moduleId refsetId
referencedComponentId``. Member ids are UUIDs; here a name-based UUID of (refset id, concept id), so a member
keeps its id from version to version. The refset id is the value set's SNOMED CT identifier (an imported
subset keeps its own), else a concept id made in the namespace from the value set's URL.

Versions are the value set's versions of one URL in version order, each with its members; a member's
``effectiveTime`` is the date of the version since which it has been a member, and a member that left has an
inactive row dated by the version that dropped it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import uuid
import zipfile
from dataclasses import dataclass

from .. import snomed
from ..errors import InvalidRequest

HEADER = "id\teffectiveTime\tactive\tmoduleId\trefsetId\treferencedComponentId"
MEMBER_IDS = uuid.UUID("1d4b0c2e-5b8f-4f6a-9d3e-7c2a1b0e9f84")


@dataclass(frozen=True)
class RefsetVersion:
    version: str
    date: str
    """YYYYMMDD."""
    members: frozenset[str]


def refset_id_for(resource: dict, namespace: int) -> str:
    """The value set's SNOMED CT identifier, else an id in ``namespace`` derived from its URL."""
    for ident in resource.get("identifier", []):
        if ident.get("system") == snomed.SYSTEM and snomed.is_concept_id(str(ident.get("value", ""))):
            return str(ident["value"])
    item = int(hashlib.sha256(resource.get("url", "").encode()).hexdigest(), 16) % 10**8
    return str(snomed.make_sctid(item, snomed.PARTITION_CONCEPT, namespace))


def module_for(namespace: int, module_id: str | None) -> str:
    """The configured module, else the first concept id of the namespace (item 1) as the module."""
    if module_id:
        if not snomed.is_concept_id(module_id):
            raise InvalidRequest.plain(f"VARDTERM_RF2_MODULE_ID '{module_id}' är inget begrepps-id")
        return module_id
    return str(snomed.make_sctid(1, snomed.PARTITION_CONCEPT, namespace))


def namespace_of_setting(value: str | None) -> int:
    if not value or not value.isdigit() or len(value) != 7:
        raise InvalidRequest.plain("Export som RF2 kräver ett SNOMED CT-namnområde: sätt VARDTERM_RF2_NAMESPACE "
                                   "(sju siffror, t.ex. 1000052)")
    return int(value)


def rf2_date(resource: dict) -> str:
    """YYYYMMDD of a version: its ``date``, today for a draft without one."""
    value = resource.get("date") or dt.date.today().isoformat()
    return value[:10].replace("-", "")


def snapshot_and_delta(versions: list[RefsetVersion], *, refset_id: str, module_id: str) -> tuple[str, str]:
    """The Snapshot of the last version and its Delta against the one before, as RF2 text."""
    if not versions:
        raise InvalidRequest.plain("Det finns ingen version att exportera")
    since: dict[str, str] = {}
    gone: dict[str, str] = {}
    before: frozenset[str] = frozenset()
    for v in versions:
        for code in v.members - before:
            since[code] = v.date
            gone.pop(code, None)
        for code in before - v.members:
            gone[code] = v.date
            since.pop(code, None)
        before = v.members
    last = versions[-1]
    previous = versions[-2].members if len(versions) > 1 else frozenset()

    def row(code: str, active: bool, date: str) -> str:
        member = uuid.uuid5(MEMBER_IDS, f"{refset_id}|{code}")
        return f"{member}\t{date}\t{1 if active else 0}\t{module_id}\t{refset_id}\t{code}"

    snapshot = [row(c, True, since[c]) for c in sorted(since, key=int)] + \
               [row(c, False, gone[c]) for c in sorted(gone, key=int)]
    delta = [row(c, True, last.date) for c in sorted(last.members - previous, key=int)] + \
            [row(c, False, last.date) for c in sorted(previous - last.members, key=int)]
    return _file(snapshot), _file(delta)


def package(name: str, namespace: int, date: str, snapshot: str, delta: str) -> tuple[str, bytes]:
    """``(file name, zip bytes)``: an RF2 package folder with the Snapshot and Delta files."""
    tag = f"SE{namespace}"
    root = f"SnomedCT_{name}_{tag}_{date}T120000Z"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for kind, text in (("Snapshot", snapshot), ("Delta", delta)):
            info = zipfile.ZipInfo(f"{root}/{kind}/Refset/Content/der2_Refset_Simple{kind}_{tag}_{date}.txt",
                                   date_time=(int(date[:4]), int(date[4:6]), int(date[6:8]), 12, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, text.encode("utf-8"))
    return f"{root}.zip", out.getvalue()


def _file(rows: list[str]) -> str:
    return "\r\n".join([HEADER, *rows]) + "\r\n"
