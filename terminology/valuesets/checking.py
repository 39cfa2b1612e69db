"""The state of one ``$validate-code`` request: its parameters, languages, version rules and what the checks of
its codings found.

Version rules (FHIR R5 ``$validate-code`` / ``$expand`` parameters, as tx.fhir.org applies them):
``force-system-version`` replaces the version a definition names; ``system-version`` and then
``check-system-version`` supply one when it names none; ``check-system-version`` must then match the version
used (``VALUESET_VERSION_CHECK``, an issue of the answer). Languages: ``displayLanguage``, else
``Accept-Language``, else the value set's ``displayLanguage`` expansion parameter or ``language``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import TerminologyError, UnknownCodeSystem, UnknownCodeSystemVersion, UnknownValueSet
from ..model import Issue
from ..providers.base import CodeSystemProvider
from ..requests import ValidateRequest
from . import display as disp
from .compose import expansion_parameters
from .context import ResolutionContext, VersionRules
from .issues import Outcome, at, issue
from .versions import join_versions, matches, pick


@dataclass
class CodingState:
    """What the check of one coding found (the reference implementation's out-parameters)."""

    version: str | None = None
    content_mode: str | None = None
    coding_display: str | None = None
    """The display the coding gives (it can decide which version of an overloaded include is meant)."""
    default_language: str | None = "en"
    """The language of the code system's displays (``CodeSystem.language``, else ``en``)."""
    displays: disp.Displays = field(default_factory=disp.Displays)


@dataclass
class SharedState:
    """What the checks of all codings of one request share."""

    inactive: bool = False
    inactive_path: str = ""
    status: str = ""
    normal_form: str = ""
    implied_system: str = ""
    unknown_systems: list[str] = field(default_factory=list)
    reported_unknown: list[str] = field(default_factory=list)


class Validation:
    """One ``$validate-code`` request: the resolution context, version rules and parameters."""

    def __init__(self, ctx: ResolutionContext, req: ValidateRequest) -> None:
        self.ctx = ctx
        self.req = req
        self.rules = VersionRules.from_canonicals(defaults=req.system_versions, checks=req.check_system_versions,
                                                  forced=req.force_system_versions,
                                                  value_set_defaults=req.default_value_set_versions)
        try:
            self.display_languages = disp.LanguageList.parse(req.display_language)
        except ValueError:
            raise TerminologyError("INVALID_DISPLAY_NAME", req.display_language, tx_code="invalid-display") from None
        try:
            self.http_languages = disp.LanguageList.parse(req.accept_language)
        except ValueError:
            self.http_languages = None
        self.supplements: dict[str, list[str]] = {}

    # --- languages ---------------------------------------------------------------------------------

    @property
    def languages(self) -> disp.LanguageList | None:
        """The working languages: ``displayLanguage``, else ``Accept-Language`` (else the value set's)."""
        return self.display_languages or self.http_languages

    def see_value_set(self, vs: dict) -> None:
        """What a value set says about the request: its ``valueset-expansion-parameter`` extensions (which the
        request's own parameters override) and its language (when the request names none)."""
        for name, value in expansion_parameters(vs).items():
            if name == "displayLanguage" and self.display_languages is None and value:
                try:
                    self.display_languages = disp.LanguageList.parse(str(value))
                except ValueError:
                    pass
        if self.http_languages is None and vs.get("language"):
            try:
                self.http_languages = disp.LanguageList.parse(vs["language"])
            except ValueError:
                pass

    # --- versions ----------------------------------------------------------------------------------

    def version_base(self, url: str | None, version: str | None) -> str | None:
        """The version the request's rules give ``url`` when a definition names ``version``:
        ``force-system-version`` wins, then the named version, then ``system-version``, then
        ``check-system-version``."""
        if not url:
            return version
        rules = self.rules
        if url in rules.forced:
            return rules.forced[url]
        if version:
            return version
        if url in rules.defaults:
            return rules.defaults[url]
        if url in rules.checks:
            return rules.checks[url]
        return version

    def provider(self, url: str | None, version: str | None) -> CodeSystemProvider | None:
        """The code system ``url`` in ``version`` exactly as named (no rules applied); None when unknown."""
        if not url:
            return None
        try:
            cs = self.ctx.code_system(url, version or None, supplements=tuple(self.supplements.get(url, ())),
                                      purpose="validate")
        except (UnknownCodeSystem, UnknownCodeSystemVersion):
            return None
        if getattr(cs, "content", "complete") not in ("complete", "fragment"):
            return None
        return cs

    def supplement_resource(self, url: str, version: str | None) -> dict | None:
        """A CodeSystem supplement with this canonical (a supplement named as a ``Coding.system``)."""
        found = [r for r in self.ctx.candidates("CodeSystem", url) if r.get("content") == "supplement"]
        return pick(found, version, lambda r: r.get("version"))

    def versions_of(self, url: str) -> list[str]:
        """Every known version of the code system ``url`` (for "Valid versions: ...")."""
        return self.ctx.known_versions(url)

    def check_version(self, url: str, provider: CodeSystemProvider, out: Outcome, path: str) -> None:
        """``check-system-version``: the version used must match the pattern (``VALUESET_VERSION_CHECK``)."""
        pattern = self.rules.checks.get(url)
        if pattern is not None and not matches(pattern, provider.version):
            out.add(issue("error", "exception", "version-error", "VALUESET_VERSION_CHECK", provider.version, url,
                          pattern, path=at(path, "version")))

    def unknown_version_issue(self, url: str, version: str, path: str) -> tuple[Issue, str]:
        """The issue for a code system version that is not known, and the ``x-...-unknown-system`` value."""
        known = self.versions_of(url)
        if not known:
            mid, key = "UNKNOWN_CODESYSTEM_VERSION_NONE", url
            found = issue("error", "not-found", "not-found", mid, url, version, path=at(path, "system"))
        else:
            mid, key = "UNKNOWN_CODESYSTEM_VERSION", f"{url}|{version}"
            found = issue("error", "not-found", "not-found", mid, url, version, join_versions(known),
                          path=at(path, "system"))
        return found, key

    def find_value_set(self, reference: str, container: dict | None = None) -> dict | None:
        """A value set named in an import (``#id`` for a contained one), the request's version rules applied."""
        if reference.startswith("#"):
            for r in (container or {}).get("contained", []):
                if r.get("resourceType") == "ValueSet" and r.get("id") == reference[1:]:
                    return {**r, "contained": (container or {}).get("contained", [])}
            return None
        try:
            return self.ctx.imported_value_set(reference)
        except UnknownValueSet:
            return None
