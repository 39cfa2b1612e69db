"""The terminology service: the one facade the API and the CLI call.

Every FHIR operation (``$lookup``, ``$validate-code``, ``$subsumes``, ``$expand``) goes the same way, whatever
the code system: a per-request :class:`~terminology.valuesets.ResolutionContext` (the request's resources, the
loaded SNOMED CT editions and their implicit value sets, the stored resources), then the engine in
:mod:`terminology.valuesets`, which asks the code system providers (:mod:`terminology.providers`).

The service keeps no state a second worker would miss: the list of loaded versions is re-read whenever the
catalog's generation changes (checked at most every ``refresh_seconds``), so a version published by a load in
another process becomes visible to every worker.
"""

from __future__ import annotations

import threading
import time
from typing import Sequence

from . import ecl, editions, refset_maps, snomed, suggest, valuesets
from .bounded import Bounded
from .edition import Edition
from .errors import InvalidRequest
from .model import CodeSystemVersion, Expansion, LookupResult, SubsumesOutcome, ValidateResult
from .providers import SnomedSource
from .repository import ResourceRepository
from .requests import ExpandRequest, LookupRequest, SubsumesRequest, ValidateRequest
from .store import Database, SnomedStore
from .store.snomed_store import one_connection


class TerminologyService:
    """Answers the FHIR terminology operations from a :class:`~terminology.store.Database`."""

    def __init__(self, db: Database, *, default_language: str = "en", default_edition: str | None = None,
                 max_expansion: int = 100_000, refresh_seconds: float = 1.0,
                 repository: valuesets.ResourceSource | None = None, ecl_limits: ecl.EclLimits | None = None) -> None:
        self.db = db
        self.ecl_limits = ecl_limits or ecl.EclLimits()
        """Cost limits of every ECL evaluation (implicit value sets, compose filters, :meth:`evaluate_ecl`)."""
        self.repository = repository if repository is not None else ResourceRepository(db)
        """Where CodeSystem / ValueSet resources kept by the server are found (default: this database's)."""
        self._providers = Bounded(32)
        """Indexed providers of stored code systems, shared by requests (see ResolutionContext.shared)."""
        self._snomed_providers = Bounded(64)
        """SNOMED CT providers by edition and display language, shared by requests (see SnomedSource)."""
        self.default_language = default_language
        self.default_edition = default_edition
        self.max_expansion = max_expansion
        self.refresh_seconds = refresh_seconds
        self._lock = threading.Lock()
        self._generation: int | None = None
        self._checked = 0.0
        self._editions: dict[int, Edition] = {}
        self._vocabularies = Bounded(4)
        """Words of each SNOMED CT version's text index (typo correction of suggestions), by version key."""

    # --- versions --------------------------------------------------------------------------------

    def versions(self) -> list[CodeSystemVersion]:
        """Every loaded (ready) code system version."""
        return [e.version for e in self._current().values()]

    def generation(self) -> int:
        """The catalog generation this service answers from (re-read at most every ``refresh_seconds``): it
        changes with every load, removal and stored resource write, so a cache keyed by it is never stale
        beyond what the service itself is."""
        self._current()
        return self._generation  # type: ignore[return-value]

    def _current(self) -> dict[int, Edition]:
        now = time.monotonic()
        if now - self._checked < self.refresh_seconds and self._generation is not None:
            return self._editions
        with self._lock:
            generation = self.db.generation()
            if generation != self._generation:
                fresh = {}
                for v in self.db.versions(kind="snomed"):
                    old = self._editions.get(v.key)
                    fresh[v.key] = old if old is not None else Edition(
                        v, SnomedStore(self.db.storage_engine(v.storage), self.db.dialect), self.default_language)
                self._editions = fresh
                self._generation = generation
            self._checked = now
            return self._editions

    def edition(self, version: str | None = None) -> Edition:
        """The SNOMED CT edition for a version URI (None: the default edition)."""
        editions_ = self._current()
        chosen = editions.resolve([e.version for e in editions_.values()], version, self.default_edition)
        return editions_[chosen.key]

    def default_version(self) -> str | None:
        """The SNOMED CT version URI used when a request names none; None when nothing is loaded."""
        editions_ = self._current()
        if not editions_:
            return None
        return editions.resolve([e.version for e in editions_.values()], None, self.default_edition).version

    # --- operations ------------------------------------------------------------------------------

    def lookup(self, req: LookupRequest) -> LookupResult:
        """``CodeSystem/$lookup``. Raises UnknownCodeSystem(Version) or UnknownCode."""
        ctx = self.resolution(req.resources, fhir_version=req.fhir_version, display_language=req.display_language)
        with one_connection():
            return valuesets.lookup_code(ctx, req, default_language=self.default_language)

    def validate(self, req: ValidateRequest) -> ValidateResult:
        """``$validate-code`` of a code, Coding or CodeableConcept against a code system or a value set
        (:class:`~terminology.ValidateRequest`). Problems with what is validated are results
        (``result=false`` with issues); an unknown or broken value set to validate against is raised."""
        rules = valuesets.VersionRules.from_canonicals(value_set_defaults=req.default_value_set_versions)
        resources = (req.code_system, *req.resources) if req.code_system is not None else req.resources
        ctx = self.resolution(resources, rules=rules, fhir_version=req.fhir_version,
                              display_language=req.display_language or req.accept_language)
        with one_connection():
            return valuesets.validate_code(ctx, req)

    def subsumes(self, req: SubsumesRequest) -> SubsumesOutcome:
        """``CodeSystem/$subsumes``: on the code system's is-a hierarchy (SNOMED CT: the inferred closure)."""
        ctx = self.resolution(req.resources, fhir_version=req.fhir_version)
        with one_connection():
            return valuesets.subsumes(ctx, req.system, req.version, req.code_a, req.code_b)  # type: ignore[return-value]

    def expand(self, req: ExpandRequest) -> Expansion:
        """``ValueSet/$expand`` of a value set given by ``url`` (stored, sent as ``tx-resource``, or a SNOMED CT
        implicit value set) or inline as ``value_set``."""
        if req.count is not None and req.count < 0 or (req.offset or 0) < 0:
            raise InvalidRequest("OP_INVALID_PARAM", "count/offset", f"{req.count}/{req.offset}",
                                 "must not be negative")
        if req.value_set is None and not req.url:
            raise InvalidRequest("OP_MISSING_PARAM", "url", "$expand")
        rules = valuesets.VersionRules.from_canonicals(
            defaults=req.system_versions, checks=req.check_system_versions, forced=req.force_system_versions,
            value_set_defaults=req.default_value_set_versions)
        ctx = self.resolution(req.resources, rules=rules, fhir_version=req.fhir_version,
                              display_language=req.display_language)
        with one_connection():
            return valuesets.expand_value_set(ctx, req, max_size=self.max_expansion,
                                              default_language=self.default_language)

    # --- SNOMED CT library calls (the care search, the CLI) --------------------------------------

    def ancestors(self, codes: Sequence[str], *, version: str | None = None
                  ) -> dict[str, tuple[tuple[str, ...], frozenset[str]]]:
        """SNOMED CT: ``code -> (direct parents, all proper ancestors)`` on the inferred is-a closure, for many
        codes in a few queries (the care search walks the hierarchy of thousands of service concepts). Codes
        that are not concepts of the edition, and roots, are left out."""
        ed = self.edition(version)
        ids = [int(c) for c in codes if snomed.is_concept_id(c)]
        return {str(k): (tuple(str(x) for x in sorted(p)), frozenset(str(x) for x in a))
                for k, (p, a) in ed.store.is_a_of(ids).items()}

    def evaluate_ecl(self, expression: str, *, version: str | None = None, count: int | None = None,
                     offset: int = 0, display_language: str | None = None) -> ecl.EclResult:
        """The concepts an ECL expression selects in a SNOMED CT edition (``version``: a version URI, None for
        the default edition), ordered by id with displays; ``count`` pages (0 only counts). The same
        evaluation as ``?fhir_vs=ecl/...``; raises InvalidEcl, TooCostly or UnknownCodeSystemVersion."""
        return ecl.select(self.edition(version), expression, limits=self.ecl_limits, count=count, offset=offset,
                          display_language=display_language)

    def map_refset_targets(self, refset_id: str, code: str | Sequence[str], *, reverse: bool = False,
                           version: str | None = None, display_language: str | None = None
                           ) -> list[refset_maps.RefsetMapEntry]:
        """Members of a SNOMED CT map or association refset for a source concept (or, with ``reverse``, for a
        target code or several spellings of one): the implicit ConceptMap ``http://snomed.info/sct?fhir_cm=<id>``
        of the edition ``version`` (default edition when None). Raises UnknownResource for a refset that is
        not a map; see :mod:`terminology.refset_maps`."""
        codes = [code] if isinstance(code, str) else list(code)
        return refset_maps.entries(self.edition(version), refset_id, codes, reverse=reverse,
                                   display_language=display_language)

    def suggester(self, target: "suggest.SuggestTarget") -> "suggest.Suggester":
        """Ranked target suggestions for source terms (the mapping workbench): prepared once per target, then
        asked per row; see :mod:`terminology.suggest`. Raises UnknownCodeSystem(Version), InvalidEcl or
        UnknownValueSet for a target that cannot be used."""
        return suggest.Suggester(self, target, self._vocabularies)

    # --- resolution ------------------------------------------------------------------------------

    def resolution(self, resources: tuple[dict, ...] = (), *, rules: valuesets.VersionRules | None = None,
                   fhir_version: str = "5.0.0", display_language: str | None = None) -> valuesets.ResolutionContext:
        """A per-request :class:`~terminology.valuesets.ResolutionContext`: the request's resources, then the
        loaded SNOMED CT editions (displays in ``display_language``) and their implicit value sets, then the
        repository."""
        snomed_ct = SnomedSource(self.edition, lambda: [v.version for v in self.versions()],
                                 max_codes=self.max_expansion, display_language=display_language,
                                 ecl_limits=self.ecl_limits, shared=self._snomed_providers)
        return valuesets.ResolutionContext(resources=resources, repository=self.repository, builtin=snomed_ct,
                                           rules=rules, fhir_version=fhir_version, shared=self._providers)
