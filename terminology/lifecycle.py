"""The life cycle of a code system, value set or concept map version (CRMI "Artifact Lifecycle").

HL7 Canonical Resource Management Infrastructure IG 1.0.0, artifact-lifecycle.html and the operations
``$draft`` (OperationDefinition crmi-draft) and ``$release`` (crmi-release):

* ``draft``: the content may change; ``$draft`` makes a new draft version from an existing one;
* ``active``: released by ``$release``, which sets ``date`` (and the version, by ``versionBehavior``); its
  content never changes again ("an artifact in active status SHALL NOT be changed"): a change needs a new
  draft version;
* ``retired``: withdrawn from use, also immutable.

The rules here are pure functions over R5 resource dicts; :mod:`terminology.repository` applies
:func:`check_update` on every write, whichever door it comes through.
"""

from __future__ import annotations

import copy
import datetime as dt
import re

from .access import Principal
from .errors import Forbidden, InvalidRequest, NotEditable

STATUSES = ("draft", "active", "retired", "unknown")
IMMUTABLE = ("active", "retired")
RELEASE_LABEL = "http://hl7.org/fhir/StructureDefinition/artifact-releaseLabel"
VERSION_BEHAVIORS = ("default", "check", "force")
"""CRMI release version behaviour codes (http://hl7.org/fhir/uv/crmi/CodeSystem/crmi-release-version-behavior-codes)."""

_NOT_CONTENT = ("meta", "id", "text")


def label(resource: dict) -> str:
    """``ValueSet/abc (https://...|1.0.0)`` for messages."""
    return (f"{resource.get('resourceType')}/{resource.get('id')} "
            f"({resource.get('url') or '-'}|{resource.get('version') or '-'})")


def check_update(old: dict | None, new: dict) -> None:
    """Refuse an update (``PUT``, a web save) that the life cycle forbids.

    An ``active`` version may only become ``retired`` (nothing else may change); a ``retired`` one not at all;
    a draft becomes ``active`` only through ``$release``. A new resource may have any status (it is an import
    of something released elsewhere, as ``vardterm load fhir`` is), and a write that changes nothing is no change
    (it adds no version either).
    """
    if old is None or _content(old) == _content(new):
        return
    before, after = old.get("status"), new.get("status")
    if before in IMMUTABLE:
        if before == "active" and after == "retired" and _content(old, "status", "date") == _content(new, "status", "date"):
            return
        raise NotEditable.plain(
            f"{label(old)} har status {before} och kan inte ändras. Gör ett nytt utkast med $draft (knappen "
            f"Ny version) och ändra det. ({before} versions are immutable: make a new draft with $draft)")
    if before != "active" and after == "active":
        raise NotEditable.plain(
            f"{label(old)} blir aktiv bara genom $release (Släpp version), som kräver granskning. "
            "(A draft becomes active only through $release)")


def check_editable(resource: dict) -> None:
    """Refuse to edit anything but a draft (the web pages' edit forms)."""
    if resource.get("status") in IMMUTABLE:
        check_update(resource, {**resource, "title": "(changed)"})


def next_version(version: str | None, taken: set[str] = frozenset()) -> str:
    """A version for a new draft: the next minor of ``x.y.z`` (``1.0.0`` -> ``1.1.0``), else the last number
    counted up (``2021`` -> ``2022``, ``1.2`` -> ``1.3``), else ``0.1.0``; never one in ``taken``."""
    candidate = version or "0.0.0"
    while True:
        m = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)(.*)", candidate)
        if m:
            candidate = f"{m.group(1)}.{int(m.group(2)) + 1}.0"
        else:
            m = re.fullmatch(r"(.*?)(\d+)(\D*)", candidate)
            candidate = f"{m.group(1)}{int(m.group(2)) + 1}" if m else f"{candidate}-2"
        if candidate not in taken:
            return candidate


def as_draft(resource: dict, version: str) -> dict:
    """CRMI ``$draft``: a copy of ``resource`` as a new ``draft`` version (no id, no date, no expansion, no
    release label); the caller stores it under a new id."""
    out = {k: copy.deepcopy(v) for k, v in resource.items()
           if k not in (*_NOT_CONTENT, "date", "expansion")}
    out["status"] = "draft"
    out["version"] = version
    ext = [e for e in out.get("extension", []) if e.get("url") != RELEASE_LABEL]
    if ext:
        out["extension"] = ext
    else:
        out.pop("extension", None)
    return out


def released(resource: dict, *, version: str | None, behavior: str = "default", release_label: str | None = None,
             now: dt.datetime | None = None) -> dict:
    """CRMI ``$release`` of a draft: status ``active``, ``date`` now, the version by ``behavior`` (``default``:
    ``version`` applies only when the draft has none; ``check``: the draft's version must be ``version``;
    ``force``: ``version`` replaces it) and the ``artifact-releaseLabel`` extension."""
    if resource.get("status") != "draft":
        raise NotEditable.plain(f"{label(resource)} har status {resource.get('status')}; bara ett utkast kan "
                                "släppas (only a draft can be released)")
    if behavior not in VERSION_BEHAVIORS:
        raise InvalidRequest.plain(f"versionBehavior '{behavior}' är okänd (use {', '.join(VERSION_BEHAVIORS)})",
                                   expression="versionBehavior")
    have = resource.get("version")
    if behavior == "check" and version and have and have != version:
        raise NotEditable.plain(f"{label(resource)} har version {have}, inte {version} (versionBehavior=check)")
    chosen = version if behavior == "force" or not have else have
    if not chosen:
        raise InvalidRequest.plain("Ange en version för utgåvan (the draft has no version: give 'version')",
                                   expression="version")
    out = {k: copy.deepcopy(v) for k, v in resource.items() if k != "meta"}
    out.update(status="active", version=chosen,
               date=(now or dt.datetime.now(dt.timezone.utc)).isoformat(timespec="seconds"))
    if release_label:
        ext = [e for e in out.get("extension", []) if e.get("url") != RELEASE_LABEL]
        out["extension"] = ext + [{"url": RELEASE_LABEL, "valueString": release_label}]
    return out


def retired(resource: dict, now: dt.datetime | None = None) -> dict:
    """An ``active`` (or draft) version marked ``retired``."""
    if resource.get("status") == "retired":
        raise NotEditable.plain(f"{label(resource)} är redan avvecklad (already retired)")
    out = {k: copy.deepcopy(v) for k, v in resource.items() if k != "meta"}
    out.update(status="retired", date=(now or dt.datetime.now(dt.timezone.utc)).isoformat(timespec="seconds"))
    return out


def check_reviewer(last_editor: str | None, by: Principal, *, required: bool) -> None:
    """Four eyes: the person who releases a draft may not be the one who last changed it, unless the deployment
    turns review off (``VARDTERM_RELEASE_NEEDS_REVIEW=false``)."""
    if required and last_editor is not None and last_editor == by.subject:
        raise Forbidden.plain(
            f"Granskning krävs: någon annan informatiker än {last_editor}, som senast ändrade utkastet, ska "
            f"släppa det. (Release needs a second person: {by.subject} made the last change)")


def _content(resource: dict, *ignored: str) -> dict:
    return {k: v for k, v in resource.items() if k not in (*_NOT_CONTENT, *ignored)}
