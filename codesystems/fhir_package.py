"""Reader for FHIR conformance resources on disk: JSON files, folders, Bundles and NPM packages (``.tgz``).

File in, records out: yields each CodeSystem, ValueSet and ConceptMap with the FHIR version it is written
in, and nothing else. The FHIR version comes from the NPM manifest (``package/package.json``,
``fhirVersions``, FHIR NPM package spec) or, for loose files, from the caller (default 4.0.1, the Swedish
default). Bundles (``collection``, ``batch``, ``transaction``, ``searchset``) are opened. A file that is
not JSON, or a resource without ``resourceType``, stops the read with a message naming the file.
"""

from __future__ import annotations

import json
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from terminology.errors import LoadError

KEPT = ("CodeSystem", "ValueSet", "ConceptMap")


@dataclass(frozen=True)
class PackagedResource:
    resource: dict
    fhir_version: str
    """``4.0.1``, ``5.0.0``, ... as declared by the package (or the caller for loose files)."""
    source: str
    """File (and member, for a package) it came from, for messages."""


def read(paths: list[str | Path], *, fhir_version: str = "4.0.1") -> Iterator[PackagedResource]:
    """Every CodeSystem, ValueSet and ConceptMap in ``paths`` (files, folders, ``.tgz`` packages)."""
    for path in map(Path, paths):
        if not path.exists():
            raise LoadError("no such file or folder", file=str(path))
        if path.is_dir():
            manifest = path / "package.json"
            version = _manifest_version(json.loads(manifest.read_text("utf-8")), fhir_version) \
                if manifest.exists() else fhir_version
            for file in sorted(path.rglob("*.json")):
                if file.name in ("package.json", ".index.json") or file.name.startswith("."):
                    continue
                yield from _from_text(file.read_bytes(), str(file), version)
        elif path.name.endswith((".tgz", ".tar.gz")):
            yield from _from_package(path, fhir_version)
        else:
            yield from _from_text(path.read_bytes(), str(path), fhir_version)


def _from_package(path: Path, default_version: str) -> Iterator[PackagedResource]:
    try:
        with tarfile.open(path, "r:gz") as tar:
            members = [m for m in tar.getmembers() if m.isfile() and m.name.endswith(".json")]
            version = default_version
            for m in members:
                if m.name.lstrip("./") == "package/package.json":
                    version = _manifest_version(json.loads(tar.extractfile(m).read()), default_version)
            for m in sorted(members, key=lambda m: m.name):
                name = m.name.rsplit("/", 1)[-1]
                if name in ("package.json", ".index.json") or name.startswith(".") or "/other/" in m.name:
                    continue
                yield from _from_text(tar.extractfile(m).read(), f"{path}:{m.name}", version)
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise LoadError(f"not a readable NPM package (.tgz): {exc}", file=str(path)) from None


def _manifest_version(manifest: dict, default: str) -> str:
    versions = manifest.get("fhirVersions") or manifest.get("fhir-version-list") or []
    return str(versions[0]) if versions else default


def _from_text(data: bytes, source: str, version: str) -> Iterator[PackagedResource]:
    try:
        resource = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LoadError(f"not a JSON file: {exc}", file=source) from None
    if not isinstance(resource, dict) or "resourceType" not in resource:
        raise LoadError("not a FHIR resource (no resourceType)", file=source)
    yield from _resources(resource, source, version)


def _resources(resource: dict, source: str, version: str) -> Iterator[PackagedResource]:
    kind = resource["resourceType"]
    if kind == "Bundle":
        for i, entry in enumerate(resource.get("entry", [])):
            inner = entry.get("resource")
            if isinstance(inner, dict) and "resourceType" in inner:
                yield from _resources(inner, f"{source} entry {i}", version)
    elif kind in KEPT:
        yield PackagedResource(resource, version, source)
