"""Writing a release set: packages, the authoring Delta and the truth files (synthetic-rf2.md §6.5, §6.7).

``generate`` runs the generation pipeline (``build.build_world``), writes every package of the
release set (International V2, and with ``versions=2`` also V1 and the V2 Delta; with ``extension``
the Swedish packages likewise), optionally zips them, writes the blank-effectiveTime authoring Delta
(edge case 10) and the ``truth/`` folder, and reports what it wrote.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .build import AUTHORING_DATE, World, build_world
from .profile import INT_V1, INT_V2, SE_V1, SE_V2, SynthParams
from .truth import write_truth
from .writer import (
    HEADERS,
    PackageSpec,
    international_package,
    swedish_package,
    write_package,
    write_rows,
    zip_package,
)

Progress = Callable[[str, int, int], None]
INT_PREVIOUS_V1 = 20250501
SE_PREVIOUS_V1 = 20241130


@dataclass(frozen=True)
class PackageInfo:
    """One package folder written: its path, edition module, version date and kind (``intl`` or ``se``)."""

    path: Path
    module_id: int
    version: str
    kind: str
    zip_path: Path | None = None


@dataclass(frozen=True)
class SynthResult:
    """What ``generate`` wrote."""

    packages: tuple[PackageInfo, ...]
    truth_dir: Path
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    authoring_delta: Path | None = None
    stats_passed: bool = True


def _package_specs(params: SynthParams) -> list[PackageSpec]:
    tail = ("Full",) if params.full else ()
    delta = ("Delta",) if params.versions == 2 else ()
    specs = [international_package(INT_V2, INT_V1, ("Snapshot", *tail, *delta))]
    if params.versions == 2:
        specs.append(international_package(INT_V1, INT_PREVIOUS_V1, ("Snapshot", *tail)))
    if params.extension:
        specs.append(swedish_package(SE_V2, SE_V1, ("Snapshot", *tail, *delta)))
        if params.versions == 2:
            specs.append(swedish_package(SE_V1, SE_PREVIOUS_V1, ("Snapshot", *tail)))
    return specs


def _write_authoring_delta(out_dir: Path, world: World) -> Path:
    """Edge case 10: an unpublished Delta whose rows have a blank effectiveTime."""
    root = out_dir / f"authoring_delta_INT_{AUTHORING_DATE}"
    _remove(root)
    files = (
        ("Terminology", f"sct2_Concept_Delta_INT_{AUTHORING_DATE}.txt", "concept"),
        ("Terminology", f"sct2_Description_Delta-en_INT_{AUTHORING_DATE}.txt", "description"),
        ("Terminology", f"sct2_Relationship_Delta_INT_{AUTHORING_DATE}.txt", "relationship"),
        ("Terminology", f"sct2_sRefset_OWLExpressionDelta_INT_{AUTHORING_DATE}.txt", "owl"),
        ("Refset/Language", f"der2_cRefset_LanguageDelta-en_INT_{AUTHORING_DATE}.txt", "language"),
    )
    for folder, name, table in files:
        target = root / "Delta" / folder
        target.mkdir(parents=True, exist_ok=True)
        t = world.authoring[table]
        write_rows(target / name, HEADERS[table], t, np.arange(len(t)), blank_time=True)
    return root


def generate(out_dir: Path, params: SynthParams, progress: Progress | None = None) -> SynthResult:
    """Generate a synthetic release set into ``out_dir`` (§6); ``progress(stage, done, total)`` reports.

    Package folders, their zips and ``truth/`` of an earlier run in ``out_dir`` are replaced; nothing
    else in ``out_dir`` is touched.
    """
    started = time.monotonic()
    report = progress or (lambda stage, done, total: None)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    world = build_world(params, report)
    packages = []
    file_counts: dict[str, int] = {}
    rows_written = 0
    for spec in _package_specs(params):
        folder = out_dir / spec.name
        _remove(folder, out_dir / f"{spec.name}.zip")
        counts = write_package(out_dir, spec, world.tables, report)
        rows_written += sum(counts.values())
        if spec.date in (INT_V2, SE_V2):
            file_counts.update(counts)
        zipped = zip_package(out_dir, spec.name) if params.zip else None
        packages.append(PackageInfo(folder, spec.edition_module, str(spec.date), spec.kind, zipped))
    authoring = _write_authoring_delta(out_dir, world) if params.versions == 2 else None
    truth = out_dir / "truth"
    _remove(truth)
    stats = write_truth(truth, world, file_counts, report)
    report("truth", 1, 1)
    counts = {
        "active_concepts": stats["concepts"]["active"],
        "inactive_concepts": stats["concepts"]["inactive"],
        "closure_pairs": stats["graph"]["closure_size"]["value"],
        "rows_written": rows_written,
        "se_concepts": len(world.ext.se_concepts) if world.ext else 0,
    }
    passed = stats["summary"]["failed"] == 0
    return SynthResult(tuple(packages), truth, counts, time.monotonic() - started, authoring, passed)


def _remove(*paths: Path) -> None:
    """Delete output of an earlier run (folders or files) before writing it again."""
    for path in paths:
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
