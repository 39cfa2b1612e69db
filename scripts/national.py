"""Load pipeline for national code systems and concept maps: reader -> records -> FHIR R5 resource -> repository.

Each ``load_*`` function reads with a pure reader of ``codesystems/``, writes the CodeSystem (or ConceptMap)
with the converter, checks it against the FHIR R5 model (``api.fhir.resource_io``, the check every
resource entering the server gets) and stores it with :meth:`terminology.ResourceRepository.load`: one
transaction, replacing a stored resource with the same URL and version, so a failed load leaves nothing
behind and other versions keep serving side by side.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from api.fhir.resource_io import to_r5
from codesystems import claml, conceptmap_csv, csv_codelist, fhir_package, skos, socialstyrelsen
from codesystems.fhir_codesystem import to_code_system
from codesystems.records import CodeList, computable_name
from terminology import COMMAND_LINE, Database, LoadError, ResourceRepository, Saved

log = logging.getLogger("vardterm.load")

REPO = Path(__file__).resolve().parents[1]
SE_CODES = REPO / "tests" / "data" / "se-codes"
EXAMPLE_MAPS = SE_CODES / "maps"


@dataclass(frozen=True)
class Loaded:
    """What one load stored, for the command line."""

    saved: Saved
    concepts: int
    seconds: float

    @property
    def label(self) -> str:
        r = self.saved.resource or {}
        return f"{r.get('resourceType')} {r.get('url')}|{r.get('version')} (id {r.get('id')})"


def store_code_list(db: Database, code_list: CodeList, *, started: float | None = None, **meta) -> Loaded:
    """Convert, check and store a code list; ``meta`` overrides elements of its description (None = keep)."""
    started = started if started is not None else time.perf_counter()
    code_list = CodeList(code_list.meta.but(**meta), code_list.concepts)
    if not code_list.meta.url:
        raise LoadError("the code system has no canonical URL; give one with --system")
    return _store(db, to_code_system(code_list), len(code_list.concepts), started)


def _store(db: Database, resource: dict, concepts: int, started: float) -> Loaded:
    """Store a resource made by a converter of ``codesystems/``. It is not run through the FHIR models here:
    that costs about a second per thousand concepts, and the converters' output is checked against the
    models by the tests (as the API's rendered answers are, ``docs/decisions.md``)."""
    saved = ResourceRepository(db).load([resource], by=COMMAND_LINE)[0]
    loaded = Loaded(saved, concepts, time.perf_counter() - started)
    log.info("stored %s: %d concepts in %.2f s", loaded.label, concepts, loaded.seconds)
    return loaded


def load_kva(db: Database, sources: Sequence[Path], *, version: str, content: str = "complete") -> Loaded:
    """KVÅ from Socialstyrelsen's kodtextfiler (a joined file, level files, or kka/ and kma/ folders)."""
    t0 = time.perf_counter()
    return store_code_list(db, socialstyrelsen.read_kva(sources), started=t0, version=version, content=content)


def load_icd10se(db: Database, sources: Sequence[Path], *, version: str, content: str = "complete") -> Loaded:
    """ICD-10-SE from Socialstyrelsen's kodtextfiler (a joined file or the chapter..digit5 files)."""
    t0 = time.perf_counter()
    return store_code_list(db, socialstyrelsen.read_icd10se(sources), started=t0, version=version, content=content)


def load_claml(db: Database, path: Path, *, system: str | None = None, version: str | None = None,
               grouping_kinds: Sequence[str] = claml.DEFAULT_GROUPING_KINDS, content: str = "complete") -> Loaded:
    """A ClaML classification; the system defaults to ``urn:oid:`` + its Identifier uid."""
    t0 = time.perf_counter()
    code_list = claml.read(path, grouping_kinds=grouping_kinds)
    if not (version or code_list.meta.version):
        raise LoadError("the file's Title has no version; give one with --version", file=str(path))
    return store_code_list(db, code_list, started=t0, url=system, version=version, content=content)


def load_csv(db: Database, path: Path, *, preset: str | None = None, mapping: str | None = None,
             system: str | None = None, version: str, name: str | None = None, title: str | None = None,
             content: str = "complete") -> Loaded:
    """A CSV code list, by a named preset (``verksamhetskod`` ...) or a column mapping."""
    t0 = time.perf_counter()
    if preset is not None:
        chosen = csv_codelist.PRESETS[preset]
        columns = csv_codelist.ColumnMapping.parse(mapping) if mapping else chosen.mapping
        meta = chosen.meta
    else:
        if not mapping or not system:
            raise LoadError("give --preset, or --mapping with --system")
        columns = csv_codelist.ColumnMapping.parse(mapping)
        label = title or name or Path(path).stem
        meta = csv_codelist.CodeSystemMeta(url=system, name=name or computable_name(label), title=label)
    code_list = csv_codelist.read(path, columns, meta)
    return store_code_list(db, code_list, started=t0, url=system, version=version,
                           name=computable_name(name) if name else None, title=title, content=content)


def load_skos(db: Database, path: Path, *, system: str | None = None, version: str | None = None,
              fmt: str | None = None, scheme: str | None = None, language: str = "sv",
              content: str = "complete") -> Loaded:
    """A SKOS vocabulary (Turtle, RDF/XML, JSON-LD); the system defaults to the concept scheme's IRI."""
    t0 = time.perf_counter()
    code_list = skos.read(path, fmt=fmt, scheme=scheme, language=language)
    if not (version or code_list.meta.version):
        raise LoadError("the scheme has no owl:versionInfo; give a version with --version", file=str(path))
    return store_code_list(db, code_list, started=t0, url=system, version=version, content=content)


def load_conceptmap_csv(db: Database, path: Path, *, url: str, version: str | None = None,
                        source: str | None = None, target: str | None = None, name: str | None = None,
                        title: str | None = None, source_scope: str | None = None,
                        target_scope: str | None = None) -> Loaded:
    """A ConceptMap from CSV rows (source, target, relationship)."""
    t0 = time.perf_counter()
    rows = conceptmap_csv.read(path, source_system=source, target_system=target)
    label = title or name or Path(path).stem
    meta = conceptmap_csv.MapMeta(url=url, version=version, name=computable_name(name or label, "ConceptMap"),
                                  title=label, source_scope=source_scope, target_scope=target_scope)
    return _store(db, conceptmap_csv.to_concept_map(meta, rows), len(rows), t0)


# --- the demo -------------------------------------------------------------------------------------------


DEMO_VERSIONS = {"kva": "2021", "icd10se": "2021", "verksamhetskod": "2025-10", "vard-och-omsorgsform": "2025-04"}
"""Versions the demo gives the excerpts (tests/data/se-codes/README.md says where each comes from)."""


DEMO_MAP_TARGETS = {"99900121000052102": "urn:oid:1.2.752.116.1.1.1.1.3"}
"""The demo SNOMED CT fixture's simple map refset (tests/data/mini/README.md) maps to ICD-10-SE."""


def load_demo_national(db: Database) -> list[Loaded]:
    """The excerpts of KVÅ, ICD-10-SE and the HSA lists (as ``fragment`` code systems) and the example maps."""
    out = [
        load_kva(db, [SE_CODES / "kva-excerpt.txt"], version=DEMO_VERSIONS["kva"], content="fragment"),
        load_icd10se(db, [SE_CODES / "icd10se-excerpt.txt"], version=DEMO_VERSIONS["icd10se"], content="fragment"),
        load_csv(db, SE_CODES / "verksamhetskod.csv", preset="verksamhetskod",
                 version=DEMO_VERSIONS["verksamhetskod"], content="fragment"),
        load_csv(db, SE_CODES / "vard-och-omsorgsform.csv", preset="vard-och-omsorgsform",
                 version=DEMO_VERSIONS["vard-och-omsorgsform"], content="fragment"),
    ]
    t0 = time.perf_counter()
    maps = [to_r5(item.resource, item.fhir_version) for item in fhir_package.read([EXAMPLE_MAPS], fhir_version="5.0.0")]
    for saved in ResourceRepository(db).load(maps, by=COMMAND_LINE):
        out.append(Loaded(saved, sum(len(e) for g in saved.resource.get("group", []) for e in [g["element"]]),
                          time.perf_counter() - t0))
    return out


def demo_loaded(db: Database) -> bool:
    """True when the demo's national code systems are stored already (a second ``vardterm demo``)."""
    from codesystems import national
    return bool(ResourceRepository(db).find("CodeSystem", national.KVA, DEMO_VERSIONS["kva"]))
