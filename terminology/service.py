"""The terminology service: the one facade the API and the CLI call.

Each operation resolves the code system version, calls one operation module and returns a result object
(``terminology.model``). The service keeps no state a second worker would miss: the list of loaded versions
is re-read whenever the catalog's generation changes (checked at most every ``refresh_seconds``), so a
version published by a load in another process becomes visible to every worker.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from typing import Sequence

from . import ecl, editions, expand as expand_mod, implicit, lookup as lookup_mod, snomed, validate as validate_mod
from . import refset_maps, valuesets
from .edition import Edition
from .errors import InvalidRequest, UnknownCodeSystem, UnknownCodeSystemVersion, UnknownValueSet
from .messages import format_message
from .model import CodeSystemVersion, Expansion, Issue, LookupResult, SubsumesOutcome, ValidateResult
from .providers import SnomedProvider
from .requests import ExpandRequest, LookupRequest, SubsumesRequest, ValidateCodeRequest, ValidateRequest
from .bounded import Bounded
from .repository import ResourceRepository
from .store import Database, SnomedStore


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
        self.default_language = default_language
        self.default_edition = default_edition
        self.max_expansion = max_expansion
        self.refresh_seconds = refresh_seconds
        self._lock = threading.Lock()
        self._generation: int | None = None
        self._checked = 0.0
        self._editions: dict[int, Edition] = {}

    # --- versions --------------------------------------------------------------------------------

    def versions(self) -> list[CodeSystemVersion]:
        """Every loaded (ready) code system version."""
        return [e.version for e in self._current().values()]

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

    def _edition_for(self, system: str | None, version: str | None) -> Edition:
        if system is not None and system != snomed.SYSTEM:
            raise UnknownCodeSystem("UNKNOWN_CODESYSTEM", system)
        return self.edition(version)

    # --- operations ------------------------------------------------------------------------------

    def lookup(self, req: LookupRequest) -> LookupResult:
        """``CodeSystem/$lookup``. Raises UnknownCodeSystem(Version) or UnknownCode."""
        if req.system != snomed.SYSTEM:
            return valuesets.lookup_code(self.resolution(req.resources, fhir_version=req.fhir_version), req,
                                         default_language=self.default_language)
        ed = self._edition_for(req.system, req.version)
        return lookup_mod.lookup(ed, req.code, display_language=req.display_language, properties=req.properties)

    def validate_code(self, req: ValidateCodeRequest) -> ValidateResult:
        """``CodeSystem/$validate-code`` or, with ``req.value_set``, ``ValueSet/$validate-code``.

        Unknown code systems and versions are reported as a result with an error issue, not raised; an
        unknown value set is raised (it is the request's target).
        """
        if req.value_set is not None:
            return self._validate_in_value_set(req)
        try:
            ed = self._edition_for(req.system, req.version)
        except (UnknownCodeSystem, UnknownCodeSystemVersion) as exc:
            return _unknown_system_result(req, exc)
        return validate_mod.validate(ed, req)

    def validate(self, req: ValidateRequest) -> ValidateResult:
        """``$validate-code`` of a code, Coding or CodeableConcept (:class:`~terminology.ValidateRequest`).

        SNOMED CT code systems and implicit SNOMED CT value sets are answered from the store
        (:mod:`terminology.validate`); every other code system or value set from FHIR resources (the request's
        ``tx-resource``s, then the repository) by :func:`terminology.valuesets.validate_code`.
        """
        if self._snomed_only(req):
            reqs = [self._legacy_request(req, c, i) for i, c in enumerate(req.codings)]
            if not reqs:
                raise InvalidRequest("VALIDATE_NO_CODE")
            result = self.validate_codings(reqs)
            return replace(result, codeable_concept=req.codeable_concept) if req.codeable_concept else result
        rules = valuesets.VersionRules.from_canonicals(value_set_defaults=req.default_value_set_versions)
        resources = (req.code_system, *req.resources) if req.code_system is not None else req.resources
        ctx = self.resolution(resources, rules=rules, fhir_version=req.fhir_version,
                              display_language=req.display_language or req.accept_language)
        return valuesets.validate_code(ctx, req)

    def _snomed_only(self, req: ValidateRequest) -> bool:
        """Whether the request is for SNOMED CT itself or an implicit SNOMED CT value set (the store's path)."""
        if req.target == "CodeSystem":
            system = req.url or (req.codings[0].system if req.codings else None)
            return req.code_system is None and system == snomed.SYSTEM
        if req.value_set is not None or not req.url or not implicit.is_implicit(req.url):
            return False
        return not any(r.get("resourceType") == "ValueSet" and r.get("url") == req.url for r in req.resources)

    @staticmethod
    def _legacy_request(req: ValidateRequest, c, i: int) -> ValidateCodeRequest:
        path = {"code": "", "coding": "Coding"}.get(req.mode, f"CodeableConcept.coding[{i}]")
        system = c.system or (req.url if req.target == "CodeSystem" else None)
        return ValidateCodeRequest(system=system, code=c.code, version=c.version, display=c.display,
                                   display_language=req.display_language or req.accept_language,
                                   value_set=req.url if req.target == "ValueSet" else None,
                                   value_set_version=req.version if req.target == "ValueSet" else None,
                                   active_only=req.active_only, lenient_display=req.lenient_display, path=path)

    def validate_codings(self, reqs: list[ValidateCodeRequest]) -> ValidateResult:
        """``$validate-code`` of a CodeableConcept: valid when any of its codings is.

        The issues of the codings that do not validate are kept as information (``this-code-not-in-vs``
        for value set misses); with no valid coding, a general error names the value set.
        """
        results = [self.validate_code(r) for r in reqs]
        if len(results) == 1:
            return results[0]
        good = next((r for r in results if r.result), None)
        issues: list[Issue] = []
        for r in results:
            if r is good:
                issues.extend(r.issues)
                continue
            for i in r.issues:
                if i.tx_code == "not-in-vs":
                    i = Issue("information", i.code, "this-code-not-in-vs", i.message_id, i.text, i.expression)
                elif good is not None:
                    i = Issue("information", i.code, i.tx_code, i.message_id, i.text, i.expression)
                issues.append(i)
        if good is not None:
            return replace(good, issues=tuple(issues))
        label = reqs[0].value_set
        if label:
            issues.insert(0, Issue("error", "code-invalid", "not-in-vs", "TX_GENERAL_CC_ERROR_MESSAGE",
                                   format_message("TX_GENERAL_CC_ERROR_MESSAGE", label), ()))
        first = results[0]
        return ValidateResult(result=False, system=first.system, version=first.version, code=first.code,
                              issues=tuple(issues))

    def _validate_in_value_set(self, req: ValidateCodeRequest) -> ValidateResult:
        if not implicit.is_implicit(req.value_set):
            raise UnknownValueSet("Unable_to_resolve_value_Set_", req.value_set)
        ivs = implicit.parse(req.value_set)
        try:
            ed = self.edition(ivs.version or req.version)
        except (UnknownCodeSystem, UnknownCodeSystemVersion) as exc:
            return _unknown_system_result(req, exc)
        if req.system is not None and req.system != snomed.SYSTEM:
            label = req.value_set
            text = format_message("None_of_the_provided_codes_are_in_the_value_set_one", f"{req.system}#{req.code}",
                                  label)
            return ValidateResult(result=False, system=req.system, code=req.code, issues=(
                Issue("error", "code-invalid", "not-in-vs", "None_of_the_provided_codes_are_in_the_value_set_one",
                      text, (f"{req.path}.system" if req.path else "system",)),))
        members = expand_mod.implicit_members(ed, ivs, ecl_limits=self.ecl_limits)
        return validate_mod.validate(ed, req, members=members, value_set_label=req.value_set)

    def ancestors(self, codes: Sequence[str], *, version: str | None = None
                  ) -> dict[str, tuple[tuple[str, ...], frozenset[str]]]:
        """SNOMED CT: ``code -> (direct parents, all proper ancestors)`` on the inferred is-a closure, for many
        codes in a few queries (the care search walks the hierarchy of thousands of service concepts). Codes
        that are not concepts of the edition, and roots, are left out."""
        ed = self.edition(version)
        ids = [int(c) for c in codes if snomed.is_concept_id(c)]
        return {str(k): (tuple(str(x) for x in sorted(p)), frozenset(str(x) for x in a))
                for k, (p, a) in ed.store.is_a_of(ids).items()}

    def subsumes(self, req: SubsumesRequest) -> SubsumesOutcome:
        """``CodeSystem/$subsumes``: SNOMED CT on the inferred is-a closure (snomed-fhir.md §1.7); any other code
        system on its hierarchy (nested concepts and ``parent`` properties) from FHIR resources."""
        if req.system != snomed.SYSTEM:
            ctx = self.resolution(req.resources, fhir_version=req.fhir_version)
            return ctx.code_system(req.system, req.version, purpose="lookup").subsumes(req.code_a.strip(),
                                                                                     req.code_b.strip())
        ed = self._edition_for(req.system, req.version)
        a = ed.concept(req.code_a.strip())
        b = ed.concept(req.code_b.strip())
        if a.id == b.id:
            return "equivalent"
        if ed.store.is_descendant(b.id, a.id):
            return "subsumes"
        if ed.store.is_descendant(a.id, b.id):
            return "subsumed-by"
        return "not-subsumed"

    def expand(self, req: ExpandRequest) -> Expansion:
        """``ValueSet/$expand``: SNOMED CT implicit value sets on the store's fast path; every other value set
        (``url`` or an inline ``valueSet``) by evaluating its definition (:mod:`terminology.valuesets`)."""
        if req.count is not None and req.count < 0 or (req.offset or 0) < 0:
            raise InvalidRequest("OP_INVALID_PARAM", "count/offset", f"{req.count}/{req.offset}",
                                 "must not be negative")
        if req.value_set is not None or not req.url or not implicit.is_implicit(req.url):
            if req.value_set is None and not req.url:
                raise InvalidRequest("OP_MISSING_PARAM", "url", "$expand")
            rules = valuesets.VersionRules.from_canonicals(
                defaults=req.system_versions, checks=req.check_system_versions, forced=req.force_system_versions,
                value_set_defaults=req.default_value_set_versions)
            ctx = self.resolution(req.resources, rules=rules, fhir_version=req.fhir_version,
                                  display_language=req.display_language)
            return valuesets.expand_value_set(ctx, req, max_size=self.max_expansion,
                                              default_language=self.default_language)
        ivs = implicit.parse(req.url)
        ed = self.edition(ivs.version or req.system_version)
        return expand_mod.expand(ed, ivs, req, max_size=self.max_expansion, ecl_limits=self.ecl_limits)

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

    def resolution(self, resources: tuple[dict, ...] = (), *, rules: valuesets.VersionRules | None = None,
                   fhir_version: str = "5.0.0", display_language: str | None = None) -> valuesets.ResolutionContext:
        """A per-request :class:`~terminology.valuesets.ResolutionContext`: the request's resources, then the
        repository, then the loaded SNOMED CT editions."""
        def builtin(url: str, version: str | None):
            if url != snomed.SYSTEM:
                return None
            try:
                ed = self.edition(version)
            except (UnknownCodeSystem, UnknownCodeSystemVersion):
                return None
            return SnomedProvider(ed, max_codes=self.max_expansion, display_language=display_language,
                                  ecl_limits=self.ecl_limits)
        return valuesets.ResolutionContext(resources=resources, repository=self.repository, builtin=builtin,
                                           rules=rules, fhir_version=fhir_version, shared=self._providers)


def _unknown_system_result(req: ValidateCodeRequest, exc: Exception) -> ValidateResult:
    path = f"{req.path}.system" if req.path else "system"
    issue = Issue("error", "not-found", "not-found", getattr(exc, "message_id", None), str(exc), (path,))
    return ValidateResult(result=False, system=req.system, version=req.version, code=req.code, issues=(issue,))
