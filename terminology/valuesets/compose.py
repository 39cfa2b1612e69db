"""Evaluating ``ValueSet.compose``: which concepts a value set definition contains.

FHIR R5 valueset.html §"Value Set Composition" (4.9.4.x):

* each ``include`` selects concepts of one code system (``system`` + ``version``): all of them, the listed
  ``concept`` codes, or those matching every ``filter``; an include may also name value sets
  (``valueSet``), and then only concepts in all of them (and in the system part, when there is one) count;
* the result is the union of the includes minus the union of the excludes;
* ``compose.inactive`` = false leaves inactive concepts out;
* a value set must not include itself, directly or through other value sets (tx.fhir.org reports
  ``VALUESET_CIRCULAR_REFERENCE``).

Versions: when a value set includes several versions of one code system, concepts are told apart by
version. The ``versionsMatch`` expansion parameter (tx.fhir.org) says whether concepts of different
versions with the same code are the same concept: true merges them (the later include wins) and lets an
exclude of one version remove them; without it, an exclude removes other versions' concepts only while the
value set includes a single version of that system.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Sequence

from ..errors import CircularReference, InvalidValueSet, TooCostly, UnknownValueSet
from ..providers.base import CodeSystemProvider, ConceptInfo, ConceptSelection, QuerySelection, canonical
from .context import ResolutionContext
from .versions import is_wildcard, sort_key

EXPANSION_PARAMETER = "http://hl7.org/fhir/StructureDefinition/valueset-expansion-parameter"
STANDARDS_STATUS = "http://hl7.org/fhir/StructureDefinition/structuredefinition-standards-status"


@dataclass(slots=True)
class Entry:
    """One concept of an expansion, with where it came from."""

    system: str
    version: str | None
    code: str
    info: ConceptInfo
    provider: CodeSystemProvider
    vs_concept: dict | None = None
    """The ``compose.include.concept`` element that listed it (its display, designations, extensions)."""
    source: str = "enumerated"
    """``system`` (whole code system), ``filter``, ``enumerated`` or ``import``: decides whether it may be
    nested (only ``system`` and ``filter`` concepts are)."""
    pinned: bool = False
    """The include named the code system version explicitly."""

    @property
    def key(self) -> tuple[str, str | None, str]:
        return (self.system, self.version, self.code)


@dataclass(frozen=True)
class Plan:
    """A value set whose members are one :class:`~terminology.providers.base.QuerySelection` of one code
    system version: counted, text-filtered and paged by the provider, never listed whole."""

    provider: CodeSystemProvider
    members: QuerySelection


@dataclass
class Usage:
    """What an expansion used, reported as expansion parameters."""

    code_systems: list[str] = field(default_factory=list)
    value_sets: list[str] = field(default_factory=list)
    supplements: list[str] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    fragments: list[str] = field(default_factory=list)
    unclosed: bool = False
    versions_named: dict[str, set] = field(default_factory=dict)
    """Versions each system is named with in the definitions (None for "no version")."""
    versions_used: dict[str, set] = field(default_factory=dict)
    versions_match: bool = False
    """Echo ``versionsMatch`` = true: a value set asked for it, or an exclude matched across versions."""

    def add(self, items: list, value) -> None:
        if value not in items:
            items.append(value)

    def shows_versions(self, system: str) -> bool:
        """Whether ``contains.version`` is needed to tell concepts of ``system`` apart."""
        named = {v for v in self.versions_named.get(system, set()) if v is not None and not is_wildcard(v)}
        return len(named) > 1 or len(self.versions_used.get(system, set())) > 1


def expansion_parameters(vs: dict) -> dict[str, object]:
    """The ``valueset-expansion-parameter`` extensions of ``compose`` (name -> value)."""
    out: dict[str, object] = {}
    for ext in (vs.get("compose") or {}).get("extension", []):
        if ext.get("url") != EXPANSION_PARAMETER:
            continue
        name = value = None
        for part in ext.get("extension", []):
            v = next((x for k, x in part.items() if k.startswith("value")), None)
            if part.get("url") == "name":
                name = v
            elif part.get("url") == "value":
                value = v
        if name:
            out[str(name)] = value
    return out


class ComposeEvaluator:
    """Evaluates compose definitions against a :class:`ResolutionContext`, following value set imports."""

    def __init__(self, ctx: ResolutionContext, *, supplements: dict[str, list[str]] | None = None,
                 limit: int | None = None, label: str = "") -> None:
        self.ctx = ctx
        self.supplements = supplements or {}
        """Supplement canonicals to apply, by the URL of the code system they supplement."""
        self.limit = limit
        """Largest number of concepts gathered before the expansion is refused as too costly."""
        self.label = label
        self.usage = Usage()

    # --- value sets ---------------------------------------------------------------------------------

    def value_set(self, vs: dict, stack: Sequence[str] = ()) -> list[Entry]:
        """The concepts of ``vs`` (its compose, else its stored expansion) in definition order."""
        me = canonical(vs.get("url", ""), vs.get("version")) if vs.get("url") else None
        stack = (*stack, me) if me else tuple(stack)
        self._value_set_warnings(vs)
        compose = vs.get("compose")
        if compose is None:
            return self._stored_expansion(vs)
        versions_match = _boolean(expansion_parameters(vs).get("versionsMatch"))
        if versions_match:
            self.usage.versions_match = True
        included: dict[tuple, Entry] = {}
        for i, inc in enumerate(compose.get("include", [])):
            for e in self._include(inc, f"ValueSet.compose.include[{i}]", stack, vs):
                key = (e.system, e.code) if versions_match else e.key
                if key in included and versions_match:
                    del included[key]
                included.setdefault(key, e)
                self._check_size(len(included))
        entries = list(included.values())
        for i, exc in enumerate(compose.get("exclude", [])):
            removed = self._include(exc, f"ValueSet.compose.exclude[{i}]", stack, vs)
            entries = self._exclude(entries, removed, versions_match)
        if compose.get("inactive") is False:
            entries = [e for e in entries if not e.info.inactive]
        return _order_versions(entries)

    def plan(self, vs: dict) -> Plan | None:
        """``vs`` as a :class:`Plan` when its definition allows one: every include takes the whole code system or
        selects by filters, all of one code system version whose selections are query selections, the
        excludes are on that code system too, and nothing is imported or listed. None otherwise: then the
        members are listed (:meth:`value_set`). Both record the same :attr:`usage`."""
        compose = vs.get("compose")
        includes = (compose or {}).get("include", [])
        excludes = (compose or {}).get("exclude", [])
        if not includes or any(not inc.get("system") or inc.get("concept") or inc.get("valueSet") for inc in includes):
            return None
        system = includes[0]["system"]
        if any(c.get("system") != system or c.get("valueSet") for c in (*includes, *excludes)):
            return None
        self._value_set_warnings(vs)
        members: QuerySelection | None = None
        provider: CodeSystemProvider | None = None
        for kind, sets in (("include", includes), ("exclude", excludes)):
            for i, cset in enumerate(sets):
                found = self._provider(cset, system)
                if provider is not None and (found.url, found.version) != (provider.url, provider.version):
                    return None
                provider = found
                if not found.query_selections:
                    return None
                selection = found.all_codes().of_codes(str(c.get("code", "")) for c in cset["concept"]) \
                    if cset.get("concept") else self._selection(found, cset, f"ValueSet.compose.{kind}[{i}]")
                if kind == "include":
                    self._mark_unclosed(found, cset)
                    members = selection if members is None else members.union(selection)
                else:
                    members = members.minus(selection)  # type: ignore[union-attr]
        assert provider is not None and members is not None
        if compose.get("inactive") is False:
            members = members.active()
        return Plan(provider, members)

    def _provider(self, cset: dict, system: str) -> CodeSystemProvider:
        """The code system version an include or exclude means (recorded as used)."""
        named = cset.get("version")
        self.usage.versions_named.setdefault(system, set()).add(named)
        provider = self.ctx.code_system(system, named, supplements=self.supplements.get(system, ()))
        self._code_system_used(provider)
        return provider

    def _selection(self, provider: CodeSystemProvider, cset: dict, path: str) -> ConceptSelection:
        """What an include or exclude selects in ``provider`` by its filters (all of them), or the whole code
        system when it has none; listed codes are the caller's."""
        found = None
        for j, f in enumerate(cset.get("filter", [])):
            value = f.get("value")
            if value is None or value == "":
                raise InvalidValueSet("UNABLE_TO_HANDLE_SYSTEM_FILTER_WITH_NO_VALUE", provider.url, f.get("property"),
                                      f.get("op"), expression=f"{path}.filter[{j}]", tx_code="vs-invalid")
            selected = provider.filter(str(f.get("property", "")), str(f.get("op", "")), str(value))
            found = selected if found is None else found.intersect(selected)  # type: ignore[attr-defined]
        return found if found is not None else provider.all_codes()

    def _mark_unclosed(self, provider: CodeSystemProvider, cset: dict) -> None:
        """An expansion that selects SNOMED CT by filters or whole is never closed: post-coordinated expressions
        are members too, and no expansion lists them (FHIR ``valueset-unclosed``); a list of codes is closed, and
        so is a selection with the filter ``expressions = false`` (no expression is a member)."""
        no_expressions = any(f.get("property") == "expressions" and f.get("op") == "=" and f.get("value") == "false"
                             for f in cset.get("filter", []))
        if provider.url == "http://snomed.info/sct" and not cset.get("concept") and not no_expressions:
            self.usage.unclosed = True

    def _exclude(self, entries: list[Entry], removed: list[Entry], versions_match: bool | None) -> list[Entry]:
        if not removed:
            return entries
        by_version = {e.key for e in removed}
        by_code = {(e.system, e.code): e.version for e in removed}
        included_versions: dict[str, set] = {}
        for e in entries:
            included_versions.setdefault(e.system, set()).add(e.version)
        kept = []
        for e in entries:
            if e.key in by_version:
                continue
            across = (e.system, e.code) in by_code and (
                versions_match is True or (versions_match is None and len(included_versions[e.system]) == 1))
            if across:
                self.usage.versions_match = True
                continue
            kept.append(e)
        return kept

    def _stored_expansion(self, vs: dict) -> list[Entry]:
        out = []
        for item in _walk((vs.get("expansion") or {}).get("contains", [])):
            if not item.get("code") or not item.get("system"):
                continue
            provider = self.ctx.code_system(item["system"], item.get("version"))
            info = provider.locate(item["code"])
            if info is not None:
                out.append(Entry(item["system"], provider.version, info.code, info, provider))
        return out

    def _import(self, reference: str, stack: Sequence[str], container: dict) -> list[Entry]:
        if reference.startswith("#"):
            vs = next((r for r in container.get("contained", []) if r.get("id") == reference[1:]
                       and r.get("resourceType") == "ValueSet"), None)
            if vs is None:
                raise UnknownValueSet("Unable_to_resolve_value_Set_", reference, tx_code="not-found")
            return self.value_set({**vs, "contained": container.get("contained", [])}, stack)
        vs = self.ctx.imported_value_set(reference)
        me = canonical(vs.get("url", reference), vs.get("version"))
        if me in stack:
            raise CircularReference("VALUESET_CIRCULAR_REFERENCE", me, ", ".join(stack), tx_code="vs-invalid")
        self.usage.add(self.usage.value_sets, me)
        return self.value_set(vs, stack)

    # --- one include / exclude ----------------------------------------------------------------------

    def _include(self, inc: dict, path: str, stack: Sequence[str], container: dict) -> list[Entry]:
        system = inc.get("system")
        imported = [[replace(e, source="import") for e in self._import(ref, stack, container)]
                    for ref in inc.get("valueSet", [])]
        if system is None:
            if not imported:
                return []
            keys = [{(e.system, e.code) for e in entries} for entries in imported[1:]]
            return [e for e in imported[0] if all((e.system, e.code) in k for k in keys)]
        entries = self._from_system(inc, system, path)
        for other in imported:
            keep = {(e.system, e.code) for e in other}
            entries = [e for e in entries if (e.system, e.code) in keep]
        return entries

    def _from_system(self, inc: dict, system: str, path: str) -> list[Entry]:
        named = inc.get("version")
        provider = self._provider(inc, system)
        self._mark_unclosed(provider, inc)
        if inc.get("concept"):
            out = []
            for c in inc["concept"]:
                info = provider.locate(str(c.get("code", "")))
                if info is not None:
                    out.append(Entry(system, provider.version, info.code, info, provider, vs_concept=c,
                                     pinned=named is not None))
            return out
        if inc.get("filter"):
            found = self._selection(provider, inc, path)
            if isinstance(found, QuerySelection):  # listed with displays in two queries, whatever the size
                self._check_size(found.count())
                return [Entry(provider.url, provider.version, info.code, info, provider, source="filter",
                              pinned=named is not None) for info in found.page()]
            return self._entries(provider, found.codes(), "filter", named is not None)
        if provider.content == "supplement":
            return []
        return self._entries(provider, provider.all_codes().codes(), "system", named is not None)

    def _entries(self, provider: CodeSystemProvider, codes, source: str, pinned: bool) -> list[Entry]:
        out = []
        for code in codes:
            info = provider.locate(code)
            if info is not None:
                out.append(Entry(provider.url, provider.version, info.code, info, provider, source=source,
                                 pinned=pinned))
                self._check_size(len(out))
        return out

    def _check_size(self, n: int) -> None:
        if self.limit is not None and n > self.limit:
            raise TooCostly("VALUESET_TOO_COSTLY", self.label, self.limit)

    # --- what was used ------------------------------------------------------------------------------

    def _code_system_used(self, provider: CodeSystemProvider) -> None:
        u = self.usage
        ref = canonical(provider.url, provider.version)
        u.add(u.code_systems, ref)
        u.versions_used.setdefault(provider.url, set()).add(provider.version)
        for s in provider.supplements:
            u.add(u.supplements, s)
        if provider.content == "fragment":
            u.add(u.fragments, ref)
        resource = provider.resource or {}
        if resource.get("status") == "draft":
            u.add(u.warnings, ("warning-draft", ref))
        if resource.get("experimental") is True:
            u.add(u.warnings, ("warning-experimental", ref))
        standards = _standards_status(resource)
        if standards in ("deprecated", "withdrawn"):
            u.add(u.warnings, (f"warning-{standards}", ref))

    def _value_set_warnings(self, vs: dict) -> None:
        standards = _standards_status(vs)
        if standards in ("deprecated", "withdrawn") and vs.get("url"):
            self.usage.add(self.usage.warnings, (f"warning-{standards}", canonical(vs["url"], vs.get("version"))))


def _order_versions(entries: list[Entry]) -> list[Entry]:
    """Where one code appears in several versions, list the versions pinned by the value set newest first,
    then those chosen by default (the order tx.fhir.org answers in); other entries keep their places."""
    if len({(e.system, e.code) for e in entries}) == len(entries):
        return entries  # every code once (the usual case)
    groups: dict[tuple[str, str], list[int]] = {}
    for i, e in enumerate(entries):
        groups.setdefault((e.system, e.code), []).append(i)
    out = list(entries)
    for positions in groups.values():
        if len(positions) > 1:
            members = [entries[i] for i in positions]
            pinned = sorted((e for e in members if e.pinned), key=lambda e: sort_key(e.version), reverse=True)
            ordered = pinned + [e for e in members if not e.pinned]
            for i, e in zip(positions, ordered):
                out[i] = e
    return out


def _standards_status(resource: dict) -> str | None:
    return next((e.get("valueCode") for e in resource.get("extension", []) if e.get("url") == STANDARDS_STATUS), None)


def _boolean(value) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def _walk(items: list):
    for item in items:
        yield item
        yield from _walk(item.get("contains", []))
