"""Fixtures for the synthetic RF2 generator tests: one CI-scale release set generated per session."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from scripts.synth import SynthParams, SynthResult, generate


@dataclass
class Release:
    """A generated release set on disk with small RF2 reading helpers (CI scale, so plain Python is fine)."""

    root: Path
    result: SynthResult
    stages: list[str] = field(default_factory=list)
    _cache: dict[Path, list[dict[str, str]]] = field(default_factory=dict)

    def package(self, kind: str, version: int) -> Path:
        """The package folder of ``kind`` ("intl" or "se") and version date."""
        for info in self.result.packages:
            if info.kind == kind and info.version == str(version):
                return info.path
        raise KeyError((kind, version))

    def file(self, package: Path, release: str, content: str, lang: str = "") -> Path:
        """The one file of a release type whose name is ``<prefix>_<content><release>[-lang]_…``."""
        suffix = f"-{lang}" if lang else ""
        matches = [
            p
            for p in (package / release).rglob("*.txt")
            if p.name.split("_", 1)[1].startswith(f"{content}{release}{suffix}_")
        ]
        assert len(matches) == 1, (content, release, lang, matches)
        return matches[0]

    def rows(self, path: Path) -> list[dict[str, str]]:
        """The data rows of an RF2 file as dicts keyed by header name (cached)."""
        if path not in self._cache:
            lines = path.read_bytes().decode("utf-8").split("\r\n")[:-1]
            header = lines[0].split("\t")
            self._cache[path] = [dict(zip(header, line.split("\t"))) for line in lines[1:]]
        return self._cache[path]

    def table(self, kind: str, version: int, content: str, release: str = "Snapshot", lang: str = "") -> list[dict]:
        """Rows of one file of a package."""
        return self.rows(self.file(self.package(kind, version), release, content, lang))


@pytest.fixture(scope="session")
def ci(tmp_path_factory: pytest.TempPathFactory) -> Release:
    """CI-scale release set with the Swedish extension and both versions (V1 packages and V2 Delta)."""
    root = tmp_path_factory.mktemp("synth-ci")
    stages: list[str] = []
    result = generate(
        root,
        SynthParams(scale="ci", extension=True, versions=2),
        progress=lambda stage, done, total: stages.append(stage),
    )
    return Release(root, result, stages)
