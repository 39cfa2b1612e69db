"""The load pipeline: RF2 reader -> store writer -> publish (ARCHITECTURE.md "Two flows")."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable, Sequence

from api.fhir.resource_io import to_r5
from codesystems import fhir_package, rf2
from terminology import COMMAND_LINE, InvalidRequest, ResourceRepository, Saved
from terminology.model import CodeSystemVersion
from terminology.store import Database, SnomedLoad, load_snomed

log = logging.getLogger(__name__)


def load_rf2(db: Database, sources: Sequence[str | Path], *, release_type: str | None = None,
             as_of: str | None = None, edition_module: str | None = None, version_date: str | None = None,
             experimental: bool = False, progress: Callable[[str, int, int], None] | None = None,
             retire_after: float = 0) -> CodeSystemVersion:
    """Load one SNOMED CT edition from ``sources`` (International plus extensions, zips or folders).

    ``release_type`` Snapshot (default when present) or Full; with Full, ``as_of`` picks the snapshot date.
    The version URI is derived from the data (edition module, newest package date) unless overridden.
    A copy of the same version that this load replaces is deleted ``retire_after`` seconds after the new one
    is published (the servers' switch-over time; see ``Database.retire``).
    """
    release = rf2.scan(sources)
    packages = [p for p in release.packages if any(f.startswith(p.name + "/") for f in release.files)]
    release_date = as_of or max((p.release_date for p in packages if p.release_date), default="")
    if not release_date:
        raise rf2.LoadError("cannot tell the release date from the package names; give --version-date")
    source = {"packages": [{"name": p.name, "path": p.path, "date": p.release_date, "namespace": p.namespace}
                           for p in packages],
              "release_type": release_type or ("Snapshot" if "Snapshot" in release.release_types else "Full"),
              "as_of": as_of, "ignored_files": len(release.ignored)}
    spec = SnomedLoad(release_date=release_date, source=source, edition_module=edition_module,
                      version_date=version_date, experimental=experimental)
    batches = rf2.read(sources, release_type=release_type, as_of=as_of, progress=progress)
    return load_snomed(db, batches, spec, edition_of=rf2.edition_module, progress=progress,
                       locate=rf2.locator(sources, release_type=release_type),
                       retire_after=retire_after)


def refresh_memberships(db: Database, *, default_edition: str | None = None, max_expansion: int = 100_000):
    """Bring the membership index of the active value sets (``ValueSet?code=``) up to date after the
    terminology changed: a SNOMED CT version loaded or removed, code systems or value sets loaded."""
    from terminology import Authoring, TerminologyService

    service = TerminologyService(db, default_edition=default_edition, max_expansion=max_expansion, refresh_seconds=0)
    report = Authoring(service).membership.refresh()
    if report.indexed or report.forgotten:
        log.info("value set membership: %d value sets indexed, %d forgotten", report.indexed, report.forgotten)
    return report


def load_fhir(db: Database, sources: Sequence[str | Path], *, fhir_version: str = "4.0.1") -> list[Saved]:
    """Read, check and store the conformance resources in ``sources`` in one transaction.

    Each resource is validated against the models of its FHIR version and stored as R5; the first bad one
    stops the load, naming its file, and nothing is stored.
    """
    resources = []
    for item in fhir_package.read(list(sources), fhir_version=fhir_version):
        try:
            resources.append(to_r5(item.resource, item.fhir_version))
        except InvalidRequest as exc:
            raise rf2.LoadError(str(exc), file=item.source) from None
    log.info("read %d conformance resources from %d source(s)", len(resources), len(sources))
    return ResourceRepository(db).load(resources, by=COMMAND_LINE)
