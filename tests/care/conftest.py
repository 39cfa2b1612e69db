"""Care directory fixtures: the demo terminology plus the hand-made care directory of ``tests/care_fixture.py``,
loaded once per backend (session scope). Tests that write use ids of their own, so the searches of other tests
keep seeing the fixture."""

from __future__ import annotations

import pytest

from mappings.care import CareDirectory
from scripts.care_cli import load_concept_maps
from terminology import ROLES, Principal, ResourceRepository, TerminologyService

from .. import care_fixture

FIXTURE = Principal("fixture", frozenset(ROLES), None, "file")


@pytest.fixture(scope="session")
def care_dirs(mini_dbs):
    cache: dict[str, CareDirectory] = {}

    def get(backend: str) -> CareDirectory:
        if backend not in cache:
            db = mini_dbs(backend)
            repo = ResourceRepository(db)
            directory = CareDirectory(db, TerminologyService(db, refresh_seconds=0), maps=repo, refresh_seconds=0)
            directory.transaction(care_fixture.bundle(), by=FIXTURE)
            load_concept_maps(db, care_fixture.CONCEPT_MAPS)
            cache[backend] = directory
        return cache[backend]

    return get


@pytest.fixture
def directory(care_dirs, backend) -> CareDirectory:
    return care_dirs(backend)
