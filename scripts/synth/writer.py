"""RF2 package writer (synthetic-rf2.md §1.1-§1.4 format, §6.2 "Format", §6.7, §6.8 streaming).

Files are UTF-8 without BOM, TAB-separated, CRLF after every line including the last, with the exact
header row of their type; booleans are 1/0 and effectiveTime is YYYYMMDD. Rows are streamed in
chunks straight from the numpy columns of ``model.Table``. File names follow
``[FileType]_[ContentType]_[ContentSubType]_[CountryNamespace]_[VersionDate].txt`` (§1.1).
"""

from __future__ import annotations

import json
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from terminology import snomed as s

from .model import Table

CHUNK = 200_000
CRLF = "\r\n"

COMMON = ("id", "effectiveTime", "active", "moduleId")
REFSET = (*COMMON, "refsetId", "referencedComponentId")
REFSET_FIELDS: dict[str, tuple[str, ...]] = {
    "owl": ("owlExpression",),
    "simple": (),
    "tricky": (),
    "association": ("targetComponentId",),
    "attribute_value": ("valueId",),
    "simple_map": ("mapTarget",),
    "language": ("acceptabilityId",),
    "descriptor": ("attributeDescription", "attributeType", "attributeOrder"),
    "module_dependency": ("sourceEffectiveTime", "targetEffectiveTime"),
    "mrcm_domain": (
        "domainConstraint",
        "parentDomain",
        "proximalPrimitiveConstraint",
        "proximalPrimitiveRefinement",
        "domainTemplateForPrecoordination",
        "domainTemplateForPostcoordination",
        "guideURL",
    ),
    "mrcm_attribute_domain": (
        "domainId",
        "grouped",
        "attributeCardinality",
        "attributeInGroupCardinality",
        "ruleStrengthId",
        "contentTypeId",
    ),
    "mrcm_attribute_range": ("rangeConstraint", "attributeRule", "ruleStrengthId", "contentTypeId"),
    "mrcm_module_scope": ("mrcmRuleRefsetId",),
}
"""The columns after ``REFSET`` of each refset file type (§1.4)."""

HEADERS: dict[str, tuple[str, ...]] = {
    "concept": (*COMMON, "definitionStatusId"),
    "description": (*COMMON, "conceptId", "languageCode", "typeId", "term", "caseSignificanceId"),
    "relationship": (
        *COMMON,
        "sourceId",
        "destinationId",
        "relationshipGroup",
        "typeId",
        "characteristicTypeId",
        "modifierId",
    ),
    "concrete": (*COMMON, "sourceId", "value", "relationshipGroup", "typeId", "characteristicTypeId", "modifierId"),
    "identifier": (
        "alternateIdentifier",
        "effectiveTime",
        "active",
        "moduleId",
        "identifierSchemeId",
        "referencedComponentId",
    ),
    **{name: (*REFSET, *fields) for name, fields in REFSET_FIELDS.items()},
}
"""Header row of each table, in column order (§1.3, §1.4)."""

RowFilter = Callable[[Table, np.ndarray], np.ndarray]


def _by_type(definition: bool) -> RowFilter:
    def keep(table: Table, idx: np.ndarray) -> np.ndarray:
        is_def = table.columns["typeId"][idx] == s.DEFINITION
        return idx[is_def if definition else ~is_def]

    return keep


def _by_language(code: str) -> RowFilter:
    def keep(table: Table, idx: np.ndarray) -> np.ndarray:
        return idx[table.columns["languageCode"][idx] == code]

    return keep


def _descriptions(code: str) -> RowFilter:
    lang, terms = _by_language(code), _by_type(False)
    return lambda table, idx: terms(table, lang(table, idx))


@dataclass(frozen=True)
class FileSpec:
    """One RF2 file of a package: folder, name parts, table and an optional row filter."""

    folder: str
    file_type: str
    content: str
    table: str
    lang: str = ""
    keep: RowFilter | None = None
    empty: bool = False

    def name(self, release: str, namespace: str, date: int) -> str:
        """The file name, e.g. ``sct2_Concept_Snapshot_INT_20250701.txt``."""
        lang = f"-{self.lang}" if self.lang else ""
        return f"{self.file_type}_{self.content}{release}{lang}_{namespace}_{date}.txt"


TERMINOLOGY = "Terminology"
TRICKY_NAME = "DeltagandeÅtgärderSimple"
"""Content name of the tricky Swedish refset file: UTF-8 characters and the substring "Delta" (§1.1, §6.4)."""
CONTENT, MAP, LANGUAGE, METADATA = "Refset/Content", "Refset/Map", "Refset/Language", "Refset/Metadata"

INTERNATIONAL_FILES = (
    FileSpec(TERMINOLOGY, "sct2", "Concept_", "concept"),
    FileSpec(TERMINOLOGY, "sct2", "Description_", "description", "en", _descriptions("en")),
    FileSpec(TERMINOLOGY, "sct2", "TextDefinition_", "description", "en", _by_type(True)),
    FileSpec(TERMINOLOGY, "sct2", "Relationship_", "relationship"),
    FileSpec(TERMINOLOGY, "sct2", "RelationshipConcreteValues_", "concrete"),
    FileSpec(TERMINOLOGY, "sct2", "StatedRelationship_", "relationship", empty=True),
    FileSpec(TERMINOLOGY, "sct2", "Identifier_", "identifier", empty=True),
    FileSpec(TERMINOLOGY, "sct2", "sRefset_OWLExpression", "owl"),
    FileSpec(CONTENT, "der2", "Refset_Simple", "simple"),
    FileSpec(CONTENT, "der2", "cRefset_Association", "association"),
    FileSpec(CONTENT, "der2", "cRefset_AttributeValue", "attribute_value"),
    FileSpec(MAP, "der2", "sRefset_SimpleMap", "simple_map"),
    FileSpec(LANGUAGE, "der2", "cRefset_Language", "language", "en"),
    FileSpec(METADATA, "der2", "cciRefset_RefsetDescriptor", "descriptor"),
    FileSpec(METADATA, "der2", "ssRefset_ModuleDependency", "module_dependency"),
    FileSpec(METADATA, "der2", "sssssssRefset_MRCMDomain", "mrcm_domain"),
    FileSpec(METADATA, "der2", "cissccRefset_MRCMAttributeDomain", "mrcm_attribute_domain"),
    FileSpec(METADATA, "der2", "ssccRefset_MRCMAttributeRange", "mrcm_attribute_range"),
    FileSpec(METADATA, "der2", "cRefset_MRCMModuleScope", "mrcm_module_scope"),
)

SWEDISH_FILES = (
    FileSpec(TERMINOLOGY, "sct2", "Concept_", "concept"),
    FileSpec(TERMINOLOGY, "sct2", "Description_", "description", "en", _descriptions("en")),
    FileSpec(TERMINOLOGY, "sct2", "Description_", "description", "sv", _descriptions("sv")),
    FileSpec(TERMINOLOGY, "sct2", "Relationship_", "relationship"),
    FileSpec(TERMINOLOGY, "sct2", "RelationshipConcreteValues_", "concrete"),
    FileSpec(TERMINOLOGY, "sct2", "StatedRelationship_", "relationship", empty=True),
    FileSpec(TERMINOLOGY, "sct2", "Identifier_", "identifier", empty=True),
    FileSpec(TERMINOLOGY, "sct2", "sRefset_OWLExpression", "owl"),
    FileSpec(CONTENT, "der2", "Refset_Simple", "simple"),
    FileSpec(CONTENT, "der2", f"Refset_{TRICKY_NAME}", "tricky"),
    FileSpec(CONTENT, "der2", "cRefset_Association", "association"),
    FileSpec(CONTENT, "der2", "cRefset_AttributeValue", "attribute_value"),
    FileSpec(LANGUAGE, "der2", "cRefset_Language", "language", "sv"),
    FileSpec(METADATA, "der2", "cciRefset_RefsetDescriptor", "descriptor"),
    FileSpec(METADATA, "der2", "ssRefset_ModuleDependency", "module_dependency"),
)


@dataclass(frozen=True)
class PackageSpec:
    """One package to write: kind, folder name, version date, modules, files and release types."""

    kind: str
    name: str
    date: int
    previous: int
    modules: tuple[int, ...]
    namespace: str
    files: tuple[FileSpec, ...]
    releases: tuple[str, ...]
    edition_module: int


def international_package(date: int, previous: int, releases: tuple[str, ...]) -> PackageSpec:
    """The International package of ``date``."""
    return PackageSpec(
        "intl",
        f"SnomedCT_InternationalRF2_PRODUCTION_{date}T120000Z",
        date,
        previous,
        (s.CORE_MODULE, s.MODEL_MODULE),
        "INT",
        INTERNATIONAL_FILES,
        releases,
        s.CORE_MODULE,
    )


def swedish_package(date: int, previous: int, releases: tuple[str, ...]) -> PackageSpec:
    """The Swedish extension package of ``date``."""
    return PackageSpec(
        "se",
        f"SnomedCT_ManagedServiceSE_PRODUCTION_SE1000052_{date}T120000Z",
        date,
        previous,
        (s.SWEDISH_MODULE,),
        "SE1000052",
        SWEDISH_FILES,
        releases,
        s.SWEDISH_MODULE,
    )


def _strings(values: np.ndarray) -> list[str]:
    if values.dtype.kind == "S":
        return values.astype("U").tolist()
    if values.dtype == object:
        return [v if isinstance(v, str) else str(v) for v in values.tolist()]
    return list(map(str, values.tolist()))


def write_rows(
    path: Path, header: tuple[str, ...], table: Table | None, idx: np.ndarray, blank_time: bool = False
) -> int:
    """Stream rows ``idx`` of ``table`` to an RF2 file; returns the number of data rows."""
    with path.open("wb") as out:
        out.write(("\t".join(header) + CRLF).encode())
        if table is None:
            return 0
        for start in range(0, len(idx), CHUNK):
            part = idx[start : start + CHUNK]
            key = table.columns["key"][part]
            cols = []
            for name in header:
                if name == "id":
                    cols.append(_strings(table.ids[key]))
                elif name == "effectiveTime":
                    cols.append([""] * len(part) if blank_time else _strings(table.columns["et"][part]))
                else:
                    cols.append(_strings(table.columns[name][part]))
            out.write(("".join("\t".join(row) + CRLF for row in zip(*cols))).encode())
    return len(idx)


def select(table: Table, spec: PackageSpec, release: str, previous: int) -> np.ndarray:
    """Row indices of one release type of a package."""
    if release == "Snapshot":
        return table.rows(spec.modules, upto=spec.date, snapshot=True)
    if release == "Full":
        return table.rows(spec.modules, upto=spec.date)
    return table.rows(spec.modules, upto=spec.date, after=previous)


def write_package(
    root: Path, spec: PackageSpec, tables: dict[str, Table], progress: Callable[[str, int, int], None] | None = None
) -> dict[str, int]:
    """Write one package folder; returns data-row counts per written file."""
    pkg = root / spec.name
    counts: dict[str, int] = {}
    plan = [(r, f) for r in spec.releases for f in spec.files]
    for i, (release, f) in enumerate(plan):
        folder = pkg / release / f.folder
        folder.mkdir(parents=True, exist_ok=True)
        name = f.name(release, spec.namespace, spec.date)
        if f.empty:
            counts[name] = write_rows(folder / name, HEADERS[f.table], None, np.zeros(0, np.int64))
        else:
            table = tables[f.table]
            idx = select(table, spec, release, spec.previous)
            if f.keep is not None:
                idx = f.keep(table, idx)
            counts[name] = write_rows(folder / name, HEADERS[f.table], table, idx)
        if progress:
            progress(f"write {spec.name}", i + 1, len(plan))
    _package_files(pkg, spec)
    return counts


def _package_files(pkg: Path, spec: PackageSpec) -> None:
    """``release_package_information.json`` and ``Readme_en_<date>.txt`` at the package root (§1.1)."""
    previous = (international_package if spec.kind == "intl" else swedish_package)(spec.previous, 0, ()).name
    info = {
        "effectiveTime": str(spec.date),
        "previousPublishedPackage": f"{previous}.zip",
        "languageRefsets": (
            [str(s.GB_ENGLISH), str(s.US_ENGLISH)] if spec.kind == "intl" else [str(s.SWEDISH_LANGUAGE_REFSET)]
        ),
        "editionModule": str(spec.edition_module),
        "licenceStatement": "Synthetic test data made by the vardterm generator; it contains no SNOMED CT content.",
    }
    (pkg / "release_package_information.json").write_text(json.dumps(info, indent=2, sort_keys=True) + "\n")
    readme = [
        f"Synthetic RF2 release {spec.name}",
        "",
        "Generated by scripts.synth (vardterm). The identifiers of the SNOMED CT metadata concepts are real;",
        "every term and every other component is made up. See docs/synthetic-rf2.md in the project.",
    ]
    (pkg / f"Readme_en_{spec.date}.txt").write_bytes((CRLF.join(readme) + CRLF).encode())


def zip_package(root: Path, name: str) -> Path:
    """Zip a package folder deterministically (fixed timestamps, sorted entries)."""
    target = root / f"{name}.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
        for path in sorted((root / name).rglob("*")):
            if path.is_file():
                info = zipfile.ZipInfo(path.relative_to(root).as_posix(), date_time=(2025, 1, 1, 12, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                with path.open("rb") as src, z.open(info, "w", force_zip64=True) as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
    return target
