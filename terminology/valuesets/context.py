"""Per-request resolution of code systems and value sets by canonical URL and version.

FHIR R5 terminology-service.html §"Resources on the Request": resources given as ``tx-resource`` parameters
are used for that request only and win over what the server knows. Resolution looks, in order, at the
request's resources, at the built-in code systems and value sets of a :class:`BuiltinSource` (the loaded
SNOMED CT editions and their implicit value sets), and at a pluggable :class:`ResourceSource` (the server's
repository and the FHIR core resources). Loaded terminology comes before stored resources, so a CodeSystem
resource that only describes SNOMED CT (``content`` ``not-present``, say, from an NPM package) never hides the
loaded editions.

Version rules (FHIR R5 ``$expand`` / ``$validate-code`` parameters ``system-version``,
``check-system-version``, ``force-system-version``, ``default-valueset-version``, and canonical version
matching in :mod:`.versions`):

* ``force-system-version`` replaces whatever version a value set names for that system;
* ``system-version`` (and, lacking it, ``check-system-version``) supplies the version when none is named;
* ``check-system-version``: the version finally used must match, else the request fails
  (``VALUESET_VERSION_CHECK``);
* no version: the latest one known (semver-aware);
* ``default-valueset-version`` gives the version of an imported value set named without one.

The rules that were applied are remembered (:attr:`ResolutionContext.applied`) so the expansion can echo them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import MutableMapping, Protocol, Sequence

from ..errors import (MissingSupplement, UnknownCodeSystem, UnknownCodeSystemVersion, UnknownValueSet,
                      VersionCheckFailed)
from ..providers.base import CodeSystemProvider, canonical
from ..providers.resource import ResourceCodeSystem
from .versions import join_versions, matches, pick, split_canonical

SNOMED = "http://snomed.info/sct"


class ResourceSource(Protocol):
    """Where canonical resources kept by the server come from (``terminology.ResourceRepository`` fits)."""

    def find(self, resource_type: str, url: str, version: str | None = None, *,
             fhir_version: str = "5.0.0") -> list[dict]:
        """Every stored resource of the type with this canonical URL (and version, when given)."""
        ...


class BuiltinSource(Protocol):
    """Code systems the server holds as loaded terminology rather than as resources, and the value sets they
    define implicitly (``terminology.providers.SnomedSource`` fits)."""

    def knows(self, url: str) -> bool:
        """Whether ``url`` is a code system of this source."""
        ...

    def versions(self, url: str) -> list[str]:
        """The loaded versions of ``url``."""
        ...

    def code_system(self, url: str, version: str | None) -> CodeSystemProvider | None:
        """The provider of ``url`` in ``version`` (None: the default), or None when that is not loaded."""
        ...

    def value_set(self, url: str) -> dict | None:
        """The definition of an implicit value set URL, or None; InvalidRequest for a malformed one."""
        ...


@dataclass(frozen=True)
class VersionRules:
    """The version parameters of a request, by system (or value set) URL."""

    defaults: dict[str, str] = field(default_factory=dict)
    """``system-version``."""
    checks: dict[str, str] = field(default_factory=dict)
    """``check-system-version``."""
    forced: dict[str, str] = field(default_factory=dict)
    """``force-system-version``."""
    value_set_defaults: dict[str, str] = field(default_factory=dict)
    """``default-valueset-version``."""

    @classmethod
    def from_canonicals(cls, *, defaults: Sequence[str] = (), checks: Sequence[str] = (),
                        forced: Sequence[str] = (), value_set_defaults: Sequence[str] = ()) -> "VersionRules":
        def table(values: Sequence[str]) -> dict[str, str]:
            out = {}
            for v in values:
                url, version = split_canonical(v)
                if version:
                    out[url] = version
            return out
        return cls(table(defaults), table(checks), table(forced), table(value_set_defaults))


Purpose = str
"""Which operation resolves: ``expand``, ``lookup`` or ``validate`` (chooses the HL7 message ids)."""

_UNKNOWN_VERSION_MESSAGE = {"expand": "UNKNOWN_CODESYSTEM_VERSION_EXP", "lookup": "UNKNOWN_CODESYSTEM_VERSION_LOOKUP",
                            "validate": "UNKNOWN_CODESYSTEM_VERSION"}
_UNKNOWN_SYSTEM_MESSAGE = {"expand": "UNKNOWN_CODESYSTEM_EXP", "lookup": "UNKNOWN_CODESYSTEM",
                           "validate": "UNKNOWN_CODESYSTEM"}


class ResolutionContext:
    """Finds the code systems and value sets one request refers to."""

    def __init__(self, *, resources: Sequence[dict] = (), repository: ResourceSource | None = None,
                 builtin: BuiltinSource | None = None,
                 rules: VersionRules | None = None, fhir_version: str = "5.0.0",
                 shared: MutableMapping[tuple, CodeSystemProvider] | None = None) -> None:
        self.repository = repository
        self.shared = shared
        """Providers of stored code systems kept across requests, by (id, versionId): a stored version never
        changes, so its indexes are built once (resources sent with a request are never shared)."""
        self.builtin = builtin
        self.rules = rules or VersionRules()
        self.fhir_version = fhir_version
        self._local: dict[tuple[str, str], list[dict]] = {}
        for r in resources:
            if isinstance(r, dict) and r.get("url"):
                self._local.setdefault((r.get("resourceType", ""), r["url"]), []).append(r)
        self._providers: dict[tuple[str, str | None, tuple[str, ...]], CodeSystemProvider] = {}
        self.applied: list[tuple[str, str]] = []
        """(parameter name, canonical) of each version rule that decided a resolution, in order."""

    # --- raw resources -------------------------------------------------------------------------------

    def candidates(self, resource_type: str, url: str) -> list[dict]:
        """Every known version of a canonical resource: the request's own first, then the repository's."""
        local = list(self._local.get((resource_type, url), []))
        if self.repository is None:
            return local
        have = {r.get("version") for r in local}
        stored = self.repository.find(resource_type, url, fhir_version=self.fhir_version)
        return local + [r for r in stored if r.get("version") not in have]

    # --- value sets ----------------------------------------------------------------------------------

    def value_set(self, url: str, version: str | None = None) -> dict:
        """The ValueSet ``url`` (``url|version`` accepted) in ``version``, else the latest; UnknownValueSet.
        An implicit value set URL (whose ECL may hold ``|``) is its definition, unless the request sends a
        ValueSet with that URL."""
        implicit = self.implicit_value_set(url)
        if implicit is not None:
            return implicit
        if version is None:
            url, version = split_canonical(url)
        found = pick(self.candidates("ValueSet", url), version, lambda r: r.get("version"))
        if found is None:
            raise UnknownValueSet("Unable_to_resolve_value_Set_", canonical(url, version), tx_code="not-found")
        return found

    def imported_value_set(self, reference: str) -> dict:
        """A value set named in ``compose.include.valueSet``: ``default-valueset-version`` applies when the
        reference has no version; an unknown pinned version is ``VS_EXP_IMPORT_UNK_PINNED``."""
        implicit = self.implicit_value_set(reference)
        if implicit is not None:
            return implicit
        url, version = split_canonical(reference)
        if version is None and url in self.rules.value_set_defaults:
            version = self.rules.value_set_defaults[url]
            found = pick(self.candidates("ValueSet", url), version, lambda r: r.get("version"))
            if found is None:
                raise UnknownValueSet("VS_EXP_IMPORT_UNK_PINNED", url, version, tx_code="not-found")
            self._note("default-valueset-version", canonical(url, version))
            return found
        return self.value_set(url, version)

    def implicit_value_set(self, url: str) -> dict | None:
        """The definition of an implicit value set URL of the built-in source (None for other URLs, and when
        the request sends a ValueSet with exactly this URL)."""
        if self.builtin is None or ("ValueSet", url) in self._local:
            return None
        return self.builtin.value_set(url)

    # --- code systems --------------------------------------------------------------------------------

    def code_system(self, url: str, version: str | None = None, *, supplements: Sequence[str] = (),
                    purpose: Purpose = "expand") -> CodeSystemProvider:
        """The code system ``url`` in the version the request's rules choose, with ``supplements`` merged.

        Raises UnknownCodeSystem, UnknownCodeSystemVersion, VersionCheckFailed or MissingSupplement.
        """
        wanted = self._version_for(url, version)
        key = (url, wanted, tuple(supplements))
        cached = self._providers.get(key)
        if cached is not None:
            return cached
        provider = self._find_code_system(url, wanted, supplements, purpose)
        check = self.rules.checks.get(url)
        if check is not None and not matches(check, provider.version):
            raise VersionCheckFailed("VALUESET_VERSION_CHECK", provider.version, url, check, tx_code="version-error")
        self._providers[key] = provider
        return provider

    def _version_for(self, url: str, version: str | None) -> str | None:
        rules = self.rules
        if url in rules.forced:
            self._note("force-system-version", canonical(url, rules.forced[url]))
            return rules.forced[url]
        if version is None and url in rules.defaults:
            self._note("system-version", canonical(url, rules.defaults[url]))
            return rules.defaults[url]
        if version is None and url in rules.checks:
            self._note("check-system-version", canonical(url, rules.checks[url]))
            return rules.checks[url]
        return version

    def _note(self, name: str, value: str) -> None:
        if (name, value) not in self.applied:
            self.applied.append((name, value))

    def _provider(self, resource: dict, supplements: list) -> CodeSystemProvider:
        meta = resource.get("meta") or {}
        stored = self.shared is not None and not supplements and "versionId" in meta and not any(
            resource is r for rs in self._local.values() for r in rs)
        if not stored:
            return ResourceCodeSystem(resource, supplements)
        key = (resource.get("id"), meta["versionId"], meta.get("lastUpdated"))
        provider = self.shared.get(key)
        if provider is None:
            provider = ResourceCodeSystem(resource, [])
            self.shared[key] = provider
        return provider

    def _find_code_system(self, url: str, version: str | None, supplements: Sequence[str],
                          purpose: Purpose) -> CodeSystemProvider:
        local = [r for r in self._local.get(("CodeSystem", url), []) if r.get("content") != "supplement"]
        builtin = self.builtin if self.builtin is not None and self.builtin.knows(url) and not local else None
        if builtin is not None:
            provider = builtin.code_system(url, version)
            if provider is not None:
                for s in supplements:
                    self.supplement(s, None)
                return provider
        resources = [r for r in self.candidates("CodeSystem", url) if r.get("content") != "supplement"]
        loaded = builtin.versions(url) if builtin is not None else []
        if resources:
            chosen = pick(resources, version, lambda r: r.get("version"))
            if chosen is None:
                raise self._unknown_version(url, version, [r.get("version") for r in resources] + loaded, purpose)
            return self._provider(chosen, [self.supplement(s, chosen) for s in supplements])
        if loaded:
            raise self._unknown_version(url, version, loaded, purpose)
        raise UnknownCodeSystem(_UNKNOWN_SYSTEM_MESSAGE[purpose], url, tx_code="not-found")

    def known_versions(self, url: str) -> list[str]:
        """Every version of the code system ``url`` the request can use (resources and loaded terminology)."""
        found = {r.get("version") for r in self.candidates("CodeSystem", url)
                 if r.get("content") != "supplement" and r.get("version")}
        if self.builtin is not None and self.builtin.knows(url):
            found.update(self.builtin.versions(url))
        return sorted(found)

    def _unknown_version(self, url: str, version: str | None, known: list, purpose: Purpose):
        return UnknownCodeSystemVersion(_UNKNOWN_VERSION_MESSAGE[purpose], url, version, join_versions(known),
                                        tx_code="not-found")

    def supplement(self, reference: str, code_system: dict | None) -> dict:
        """The CodeSystem supplement ``reference`` (``url`` or ``url|version``); MissingSupplement if absent
        or if it does not supplement ``code_system``."""
        url, version = split_canonical(reference)
        found = pick([r for r in self.candidates("CodeSystem", url) if r.get("content") == "supplement"],
                     version, lambda r: r.get("version"))
        if found is None or (code_system is not None and
                             split_canonical(found.get("supplements", ""))[0] != code_system.get("url")):
            raise MissingSupplement("VALUESET_SUPPLEMENT_MISSING", reference, tx_code="not-found")
        return found

    def supplements_for(self, url: str) -> list[dict]:
        """Every supplement of the request's resources that supplements the code system ``url``."""
        return [r for (rtype, _), rs in self._local.items() if rtype == "CodeSystem" for r in rs
                if r.get("content") == "supplement" and split_canonical(r.get("supplements", ""))[0] == url]
