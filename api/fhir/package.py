"""Writing a FHIR NPM package of conformance resources (FHIR R5 packages.html, "FHIR NPM Package Structure").

The package is a gzipped tar with a ``package`` folder holding ``package.json`` (name, version, fhirVersions,
dependencies on the core package), ``.index.json`` (index-version 2: file name, resourceType, id, url, version
and, for code systems, content and supplements) and one JSON file per resource, ``{type}-{id}.json``, written
in the package's FHIR version (R4 through :func:`convert.to_r4`). ``vardterm load fhir`` and other FHIR tools
read it back.

The bytes depend only on the content: members sorted, fixed ownership and mode, the tar and gzip times taken
from the newest resource change rather than the clock, so exporting unchanged content again gives the same
SHA-256 (a package version never changes, and the feed can say so).
"""

from __future__ import annotations

import copy
import datetime as dt
import gzip
import io
import re
import tarfile
from dataclasses import dataclass

import orjson

import terminology as t

from .convert import to_r4

NAME = re.compile(r"[a-z][a-z0-9\-]*(\.[a-z][a-z0-9\-]*)+")
VERSION = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.\-]+)?")
CORE = {"4.0.1": "hl7.fhir.r4.core", "5.0.0": "hl7.fhir.r5.core"}
MEDIA_TYPE = "application/tar+gzip"


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    title: str
    fhir_version: str
    resources: int
    content: bytes


def check_name_and_version(name: str, version: str) -> None:
    """Package names are two or more lowercase dot-separated parts; versions are semantic versions."""
    if not NAME.fullmatch(name or ""):
        raise t.InvalidRequest.plain(f"Paketnamnet '{name}' går inte: två eller fler delar med små bokstäver, siffror "
                                     "och bindestreck, åtskilda av punkt, t.ex. se.region.kodverk", expression="name")
    if not VERSION.fullmatch(version or ""):
        raise t.InvalidRequest.plain(f"Paketversionen '{version}' går inte: ange en semantisk version, t.ex. 1.0.0",
                                     expression="version")


def build(resources: list[dict], *, name: str, version: str, title: str | None = None,
          description: str | None = None, fhir_version: str = "4.0.1", author: str | None = None) -> Package:
    """A package of ``resources`` (R5 dicts) written in ``fhir_version`` (``4.0.1`` or ``5.0.0``)."""
    check_name_and_version(name, version)
    if fhir_version not in CORE:
        raise t.InvalidRequest.plain(f"FHIR-version {fhir_version} stöds inte för paket (use 4.0.1 or 5.0.0)",
                                     expression="fhirVersion")
    stamp = max((r.get("meta", {}).get("lastUpdated", "") for r in resources), default="") or "2000-01-01T00:00:00+00:00"
    when = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    files: dict[str, bytes] = {}
    index = []
    for r in sorted(resources, key=lambda r: (r["resourceType"], r.get("id", ""))):
        body = _for_package(r, fhir_version)
        filename = f"{r['resourceType']}-{r['id']}.json"
        files[filename] = orjson.dumps(body, option=orjson.OPT_INDENT_2)
        entry = {"filename": filename, "resourceType": r["resourceType"], "id": r["id"]}
        entry.update({k: r[k] for k in ("url", "version") if r.get(k)})
        if r["resourceType"] == "CodeSystem":
            entry.update({k: r[k] for k in ("content", "supplements") if r.get(k)})
        index.append(entry)
    manifest = {"name": name, "version": version, "title": title or name,
                "description": description or f"{len(index)} kodverk, värdemängder och mappningar",
                "fhirVersions": [fhir_version], "dependencies": {CORE[fhir_version]: fhir_version},
                "type": "Conformance", "date": when.strftime("%Y%m%d%H%M%S"), "license": "not-open-source"}
    if author:
        manifest["author"] = author
    files["package.json"] = orjson.dumps(manifest, option=orjson.OPT_INDENT_2)
    files[".index.json"] = orjson.dumps({"index-version": 2, "files": index}, option=orjson.OPT_INDENT_2)
    return Package(name, version, title or name, fhir_version, len(index), _tgz(files, when))


def _for_package(resource: dict, fhir_version: str) -> dict:
    """The resource as a package holds it: without the server's ``meta.versionId`` / ``lastUpdated``."""
    body = copy.deepcopy(resource)
    meta = {k: v for k, v in body.pop("meta", {}).items() if k not in ("versionId", "lastUpdated")}
    if meta:
        body["meta"] = meta
    return to_r4(body) if fhir_version.startswith("4") else body


def _tgz(files: dict[str, bytes], when: dt.datetime) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(files):
            info = tarfile.TarInfo(f"package/{name}")
            info.size, info.mtime, info.mode = len(files[name]), int(when.timestamp()), 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(files[name]))
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=int(when.timestamp())) as gz:
        gz.write(raw.getvalue())
    return out.getvalue()


DEFAULT_NAME = "se.region.kodverk"


def export(authoring: t.Authoring, *, by: t.Principal, name: str | None = None, version: str | None = None,
           status: str | None = "active", title: str | None = None, fhir_version: str = "4.0.1") -> Package:
    """Build a package of the stored resources with ``status`` (None: every status) and publish it (the feed
    lists it). Without ``version``: the last published version of ``name`` when nothing changed, else its next
    patch version (``1.0.0`` for a new name)."""
    resources = authoring.package_resources(status=status)
    if not resources:
        raise t.InvalidRequest.plain(f"Det finns inga kodverk, värdemängder eller mappningar med status "
                                     f"{status or '(alla)'} att lägga i ett paket", expression="status")
    name = name or DEFAULT_NAME
    args = {"name": name, "title": title, "fhir_version": fhir_version, "author": by.subject}
    if version is None:
        published = sorted((p for p in authoring.packages() if p.name == name and VERSION.fullmatch(p.version)),
                           key=lambda p: _semver(p.version))
        if published:
            latest = published[-1]
            same = build(resources, version=latest.version, **args)
            if same.fhir_version == latest.fhir_version and _sha(same.content) == latest.sha256:
                return same
            major, minor, patch = _semver(latest.version)[:3]
            version = f"{major}.{minor}.{patch + 1}"
        else:
            version = "1.0.0"
    package = build(resources, version=version, **args)
    authoring.publish(name=package.name, version=package.version, title=package.title,
                      fhir_version=package.fhir_version, resources=package.resources, content=package.content, by=by)
    return package


def _semver(version: str) -> tuple:
    m = VERSION.fullmatch(version)
    return (int(m.group(1)), int(m.group(2)), int(m.group(3)), m.group(4) is None, m.group(4) or "")


def _sha(content: bytes) -> str:
    import hashlib

    return hashlib.sha256(content).hexdigest()
