"""Is a code in a value set? The membership check of ``$validate-code``, one value set at a time.

FHIR R5 valueset.html §"Value Set Composition": a code is in a value set when an ``include`` selects it (the
whole code system, a listed ``concept``, or every ``filter`` of the include; imported ``valueSet``s must all
contain it too) and no ``exclude`` selects it; ``compose.inactive`` = false leaves inactive concepts out; a
value set with only an ``expansion`` is checked against it. What the HL7 terminology tests expect besides
(as tx.fhir.org answers):

* the code system version an include means is decided by the request's version rules
  (``Validation.version_base``); a coding that names another version gets ``VALUESET_VALUE_MISMATCH`` (the
  include names the version), ``..._CHANGED`` (a rule chose it) or ``..._DEFAULT`` (a warning: the include names
  none, the latest was used), and an unknown coding version is ``UNKNOWN_CODESYSTEM_VERSION``;
* a code found only by case in a case-insensitive code system is valid with ``CODE_CASE_DIFFERENCE``
  (information) and a ``normalized-code``; an abstract code is refused when ``abstract`` is false
  (``ABSTRACT_CODE_NOT_ALLOWED``); an inactive code is refused with ``activeOnly`` or ``compose.inactive`` false
  (``STATUS_CODE_WARNING_CODE``);
* a concept the value set marks deprecated (``structuredefinition-standards-status`` or ``valueset-deprecated``
  on ``compose.include.concept``) is valid with ``CONCEPT_DEPRECATED_IN_VALUESET``;
* references to draft, experimental, deprecated, withdrawn or retired code systems and value sets are reported
  as information (``MSG_DRAFT``... with tx-issue-type ``status-check``);
* with ``inferSystem`` (or a bare ``code``), the system is the one code system of the value set that has the
  code (``UNABLE_TO_INFER_CODESYSTEM`` when none or several do).
"""

from __future__ import annotations

from ..errors import CircularReference, InvalidValueSet, TerminologyError
from ..providers.base import CodeSystemProvider, ConceptInfo, canonical
from .checking import CodingState, SharedState, Validation
from .compose import ComposeEvaluator
from .display import Displays
from .issues import CheckFailed, Outcome, at, issue
from .versions import matches, sort_key

SD = "http://hl7.org/fhir/StructureDefinition/"
STANDARDS_STATUS = SD + "structuredefinition-standards-status"
VALUESET_DEPRECATED = SD + "valueset-deprecated"


def vs_label(vs: dict) -> str:
    """How messages name a value set: ``url|version``, or ``(unidentified)``."""
    return canonical(vs["url"], vs.get("version")) if vs.get("url") else "(unidentified)"


def _standards_status(resource: dict | None) -> str | None:
    return next((e.get("valueCode") for e in (resource or {}).get("extension", [])
                 if e.get("url") == STANDARDS_STATUS), None)


def concept_status(info: ConceptInfo) -> str:
    """The status a concept is reported with (``retired``, ``deprecated``, ``inactive``...; "" for active)."""
    if info.status:
        return info.status
    if info.deprecated:
        return "deprecated"
    return "inactive" if info.inactive else ""


def list_displays(displays: Displays, cs: CodeSystemProvider, info: ConceptInfo) -> None:
    """The concept's display (in the code system's language) and its designations (with supplements'); for a
    code system that chooses its displays, the chosen one and, when a check needs them, its candidates; and the
    notes the code system found in the code."""
    displays.notes = info.notes
    if cs.chooses_display:
        displays.chosen = displays.chosen or info.display
        displays.add_later(lambda: cs.display_candidates(info))
        return
    displays.add(info.display, getattr(cs, "language", None), display=True)
    for d in info.designations:
        status = next((e.get("valueCode") for e in d.extensions if e.get("url") == STANDARDS_STATUS), None)
        displays.add(d.value, d.language, use=d.use, status=status or "active")


def list_value_set_displays(displays: Displays, concept: dict, vs: dict) -> None:
    """The display and designations a value set gives a concept it lists."""
    if concept.get("display"):
        displays.base_lang = vs.get("language")
        displays.add(concept["display"], None, display=True)
    from ..providers.resource import designation
    for d in concept.get("designation", []):
        found = designation(d)
        displays.add(found.value, found.language, use=found.use)


class ValueSetChecker:
    """Checks codes against one value set (and, through sub-checkers, the value sets it imports)."""

    def __init__(self, run: Validation, vs: dict, *, internal: bool = False, stack: tuple[str, ...] = ()) -> None:
        self.run = run
        self.vs = vs
        self.internal = internal
        """True for the value set of a whole code system (CodeSystem/$validate-code): no "not in the value set"."""
        self.stack = stack
        self.others: dict[str, ValueSetChecker] = {}
        self._filters: dict[tuple, object] = {}

    @property
    def label(self) -> str:
        return vs_label(self.vs)

    @property
    def compose(self) -> dict | None:
        return self.vs.get("compose")

    # --- preparation: imports resolved, definitions checked ------------------------------------------

    def prepare(self) -> None:
        """Resolve the imported value sets (CheckFailed when one is unknown) and check the definition."""
        self.run.see_value_set(self.vs)
        compose = self.compose or {}
        for kind in ("include", "exclude"):
            for i, cset in enumerate(compose.get(kind, [])):
                self._prepare_set(f"{kind}[{i}]", cset)

    def _pin(self, reference: str) -> str:
        if "|" in reference or reference.startswith("#"):
            return reference
        version = self.run.rules.value_set_defaults.get(reference)
        return f"{reference}|{version}" if version else reference

    def _prepare_set(self, desc: str, cset: dict) -> None:
        me = self.label
        for ref in cset.get("valueSet", []):
            key = self._pin(ref)
            if key in self.others:
                continue
            other = self.run.find_value_set(key, self.vs)
            if other is None:
                raise CheckFailed(issue("error", "not-found", "not-found", "Unable_to_resolve_value_Set_", key))
            label = vs_label(other)
            if label in self.stack or label == me:
                raise CircularReference("VALUESET_CIRCULAR_REFERENCE", label, ", ".join((*self.stack, me)),
                                        tx_code="vs-invalid")
            checker = ValueSetChecker(self.run, other, stack=(*self.stack, me))
            checker.prepare()
            self.others[key] = checker
        system = cset.get("system")
        if not system:
            return
        cs = self.run.provider(system, self.run.version_base(system, cset.get("version")))
        if cs is None:
            return
        for j, f in enumerate(cset.get("filter", [])):
            if f.get("value") in (None, ""):
                raise InvalidValueSet("UNABLE_TO_HANDLE_SYSTEM_FILTER_WITH_NO_VALUE", cs.url, f.get("property"),
                                      f.get("op"), expression=f"ValueSet.compose.{desc}.filter[{j}]",
                                      tx_code="vs-invalid")

    # --- status of what is referenced ----------------------------------------------------------------

    def status_issues(self, out: Outcome, target: object, source: dict | None) -> None:
        """Information issues for a reference to a draft, experimental, deprecated, withdrawn or retired
        code system or value set (``target``: a provider or a ValueSet resource)."""
        if isinstance(target, dict):
            kind, ref = target.get("resourceType", "ValueSet"), vs_label(target)
            status, standards, experimental = target.get("status"), _standards_status(target), \
                target.get("experimental") is True
        else:
            cs: CodeSystemProvider = target  # type: ignore[assignment]
            resource = cs.resource or {}
            kind, ref = "CodeSystem", canonical(cs.url, cs.version)
            status, standards = cs.status, _standards_status(resource)
            experimental = bool(getattr(cs, "experimental", False))
        found = None
        if standards == "deprecated":
            found = "MSG_DEPRECATED"
        elif standards == "withdrawn":
            found = "MSG_WITHDRAWN"
        elif status == "retired":
            found = "MSG_RETIRED"
        elif source is not None:
            source_draft = source.get("status") == "draft" or _standards_status(source) == "draft"
            if experimental and source.get("experimental") is not True:
                found = "MSG_EXPERIMENTAL"
            elif (status == "draft" or standards == "draft") and not source_draft:
                found = "MSG_DRAFT"
        if found:
            out.add(issue("information", "business-rule", "status-check", found, ref, "", kind))

    # --- the check ----------------------------------------------------------------------------------

    def check(self, path: str, system: str | None, version: str | None, code: str, abstract_ok: bool,
              infer: bool, state: CodingState, shared: SharedState, out: Outcome) -> bool | None:
        """True: in the value set; False: not in it; None: cannot tell (a code system is unknown)."""
        run = self.run
        if not system and not infer:
            out.add(issue("warning", "invalid", "invalid-data", "Coding_has_no_system__cannot_validate",
                          path=path or None), note=True)
            return False
        if not system:
            systems: list[str] = []
            system = self._determine_system(code, systems)
            if not system:
                if len(systems) > 1:
                    found = issue("error", "not-found", "cannot-infer",
                                  "Unable_to_resolve_system__value_set_has_multiple_matches", code, self.label,
                                  ", ".join(systems), path="code")
                else:
                    found = issue("error", "not-found", "cannot-infer", "UNABLE_TO_INFER_CODESYSTEM", code,
                                  self.label, path="code")
                out.add(found, note=True)
                return False
            shared.implied_system = system
        compose = self.compose
        if compose is None:
            return self._check_expansion(path, system, version, code, abstract_ok, state, shared, out)
        result: bool | None = False
        for cset in self._includes_for(system, version, code, state.coding_display):
            include_system = cset.get("system")
            if not include_system:
                result = True
            elif include_system == system:
                v = self._determine_version(path, system, cset.get("version"), version, out, shared)
                cs = run.provider(system, v)
                if cs is None:
                    if run.req.membership_only:
                        return False
                    self._unknown_system(path, system, v, out, shared)
                    return None
                run.check_version(system, cs, out, path)
                self.status_issues(out, cs, self.vs)
                state.version = cs.version
                state.default_language = getattr(cs, "language", None) or "en"
                state.content_mode = cs.content
                result = self._check_set(path, cs, cset, code, abstract_ok, state, shared, out)
            else:
                result = False
            for ref in cset.get("valueSet", []):
                other = self.others[self._pin(ref)]
                self.status_issues(out, other.vs, self.vs)
                if result is True:
                    result = other.check(path, system, version, code, abstract_ok, infer, state, shared, out)
            if result is True:
                break
        if result is True:
            for cset in compose.get("exclude", []):
                if self._excluded(path, system, version, code, abstract_ok, infer, cset, state, shared, out):
                    return False
        return result

    def _includes_for(self, system: str, version: str | None, code: str, display: str | None) -> list[dict]:
        """The includes in the order they are tried. When the value set includes several versions of the
        coding's system (the HL7 ``overload`` tests): a coding that names a version is checked against the
        includes of that version only; otherwise the latest version comes first, unless an earlier one is the
        one whose display the coding gives."""
        includes = list((self.compose or {}).get("include", []))
        same = [c for c in includes if c.get("system") == system]
        versions = {self.run.version_base(system, c.get("version")) for c in same}
        if len(versions) < 2:
            return includes
        if version:
            named = [c for c in same if (self.run.version_base(system, c.get("version")) or "") == version
                     or matches(self.run.version_base(system, c.get("version")), version)]
            if named:
                return [c for c in includes if c.get("system") != system or c in named]
            return includes
        ranked = sorted(same, key=lambda c: sort_key(self._resolved_version(system, c)), reverse=True)
        if display:
            for c in ranked:
                cs = self.run.provider(system, self.run.version_base(system, c.get("version")))
                info = cs.locate(code) if cs is not None else None
                if info is None or not self._selects(cs, c, info):
                    continue
                found = Displays()
                list_displays(found, cs, info)
                if found.find(None, display)[0]:
                    ranked.remove(c)
                    ranked.insert(0, c)
                    break
        return ranked + [c for c in includes if c.get("system") != system]

    def _resolved_version(self, system: str, cset: dict) -> str | None:
        cs = self.run.provider(system, self.run.version_base(system, cset.get("version")))
        return cs.version if cs is not None else cset.get("version")

    def _selects(self, cs: CodeSystemProvider, cset: dict, info: ConceptInfo) -> bool:
        """Whether the include (list, filters or whole system) selects the concept (no issues reported)."""
        if cset.get("concept"):
            return any(c.get("code") == info.code for c in cset["concept"])
        return all(info.code in self._filter(cs, f) for f in cset.get("filter", []))

    def _excluded(self, path: str, system: str, version: str | None, code: str, abstract_ok: bool, infer: bool,
                  cset: dict, state: CodingState, shared: SharedState, out: Outcome) -> bool:
        excluded = True
        if cset.get("system"):
            cs = self.run.provider(cset["system"], self.run.version_base(cset["system"], cset.get("version")))
            if cs is None:
                return False
            self.status_issues(out, cs, self.vs)
            excluded = cs.url == system and self._check_set(path, cs, cset, code, abstract_ok, state, shared, out)
        for ref in cset.get("valueSet", []):
            other = self.others[self._pin(ref)]
            self.status_issues(out, other.vs, self.vs)
            excluded = excluded and other.check(path, system, version, code, abstract_ok, infer, state, shared,
                                                out) is True
        return excluded

    def _unknown_system(self, path: str, system: str, version: str | None, out: Outcome,
                        shared: SharedState) -> None:
        if not version:
            found = issue("error", "not-found", "not-found", "UNKNOWN_CODESYSTEM", system, path=at(path, "system"))
            if system not in shared.unknown_systems:
                shared.unknown_systems.append(system)
            out.add(found, note=True)
            return
        found, key = self.run.unknown_version_issue(system, version, path)
        if key not in shared.unknown_systems:
            shared.unknown_systems.append(key)
            out.add(found)
        out.note(found.text)

    # --- versions -----------------------------------------------------------------------------------

    def _determine_version(self, path: str, system: str, version_vs: str | None, version_coding: str | None,
                           out: Outcome, shared: SharedState) -> str | None:
        """The version of ``system`` an include means, reporting a coding that names another one."""
        run = self.run
        result = run.version_base(system, version_vs)
        if not version_coding:
            return result
        if result and version_coding != result and matches(result, version_coding):
            result = version_coding  # the coding names a version the include's wildcard allows
        if not result and any(v == version_coding or matches(version_coding, v) for v in run.versions_of(system)):
            result = version_coding
        cs = run.provider(system, result)
        if cs is not None and cs.version != version_coding and not matches(version_coding, cs.version):
            level = "error"
            if not result:
                level = "warning"
                mid, args = "VALUESET_VALUE_MISMATCH_DEFAULT", (system, cs.version, version_vs or "", version_coding)
            elif result != version_vs:
                mid, args = "VALUESET_VALUE_MISMATCH_CHANGED", (system, result, version_vs or "", version_coding)
            else:
                mid, args = "VALUESET_VALUE_MISMATCH", (system, version_vs, version_coding)
            out.add(issue(level, "invalid", "vs-invalid", mid, *args, path=at(path, "version")),
                    note=level == "error")
            if run.provider(system, version_coding) is None:
                found, key = run.unknown_version_issue(system, version_coding, path)
                if key not in shared.unknown_systems:
                    shared.unknown_systems.append(key)
                out.add(found, note=True)
        elif cs is None and result != version_coding:
            out.add(issue("error", "invalid", "vs-invalid", "VALUESET_VALUE_MISMATCH", system, result, version_coding,
                          path=at(path, "version")), note=True)
        return result

    # --- one include / exclude ----------------------------------------------------------------------

    def _exclude_inactive(self) -> bool:
        return (self.compose or {}).get("inactive") is False

    def _check_set(self, path: str, cs: CodeSystemProvider, cset: dict, code: str, abstract_ok: bool,
                   state: CodingState, shared: SharedState, out: Outcome) -> bool:
        run = self.run
        membership_only = run.req.membership_only
        shared.inactive = False
        concepts, filters = cset.get("concept"), cset.get("filter")
        if not concepts and not filters:
            info = cs.locate(code)
            if info is None:
                if not membership_only:
                    if cs.content != "complete":
                        out.add(issue("warning", "code-invalid", "invalid-code", "UNKNOWN_CODE_IN_FRAGMENT", code,
                                      cs.url, cs.version, path=at(path, "code")))
                        return True
                    # an unknown code is reported once, for the coding, when the value set check has failed
                return False
            if not abstract_ok and info.abstract:
                if not membership_only:
                    out.add(issue("error", "business-rule", "code-rule", "ABSTRACT_CODE_NOT_ALLOWED", cs.url, code,
                                  path=at(path, "code")))
                return False
            if (self._exclude_inactive() or run.req.active_only) and info.inactive:
                out.add(issue("error", "business-rule", "code-rule", "STATUS_CODE_WARNING_CODE", code,
                              path=at(path, "code")), note=True)
                if not membership_only or run.req.active_only:
                    self._see_status(info, path, shared)
                return False
            if info.code != code:
                out.add(issue("information", "business-rule", "code-rule", "CODE_CASE_DIFFERENCE", code, info.code,
                              canonical(cs.url, cs.version), path=at(path, "code")))
                shared.normal_form = info.code
            list_displays(state.displays, cs, info)
            self._see_status(info, path, shared)
            return True
        for concept in concepts or []:
            if concept.get("code") != code:
                continue
            info = cs.locate(code)
            if info is None:
                continue
            list_displays(state.displays, cs, info)
            list_value_set_displays(state.displays, concept, self.vs)
            if not abstract_ok and info.abstract:
                if not membership_only:
                    out.add(issue("error", "business-rule", "code-rule", "ABSTRACT_CODE_NOT_ALLOWED", cs.url, code,
                                  path=at(path, "code")))
            elif self._exclude_inactive() and info.inactive:
                if not membership_only:
                    self._see_status(info, path, shared)
            else:
                flagged = _standards_status(concept)
                if flagged not in ("withdrawn", "deprecated") and any(
                        e.get("url") == VALUESET_DEPRECATED for e in concept.get("extension", [])):
                    flagged = "deprecated"
                if flagged in ("withdrawn", "deprecated"):
                    out.add(issue("warning", "business-rule", "code-comment", "CONCEPT_DEPRECATED_IN_VALUESET",
                                  cs.url, code, flagged, self.label, path=at(path, "code")))
                self._see_status(info, path, shared)
                return True
        if filters:
            info = cs.locate(code)
            if info is not None and all(info.code in self._filter(cs, f) for f in filters):
                list_displays(state.displays, cs, info)
                if not abstract_ok and info.abstract:
                    if not membership_only:
                        out.add(issue("error", "business-rule", "code-rule", "ABSTRACT_CODE_NOT_ALLOWED", cs.url,
                                      code, path=at(path, "code")))
                elif self._exclude_inactive() and info.inactive:
                    if not membership_only:
                        self._see_status(info, path, shared)
                else:
                    self._see_status(info, path, shared)
                    return True
        return False

    @staticmethod
    def _see_status(info: ConceptInfo, path: str, shared: SharedState) -> None:
        shared.inactive = info.inactive
        shared.inactive_path = path
        shared.status = concept_status(info)

    def _filter(self, cs: CodeSystemProvider, f: dict):
        key = (id(cs), f.get("property"), f.get("op"), f.get("value"))
        found = self._filters.get(key)
        if found is None:
            found = self._filters[key] = cs.filter(str(f.get("property", "")), str(f.get("op", "")),
                                                   str(f.get("value")))
        return found

    # --- a value set with only an expansion ---------------------------------------------------------

    def _check_expansion(self, path: str, system: str, version: str | None, code: str, abstract_ok: bool,
                         state: CodingState, shared: SharedState, out: Outcome) -> bool | None:
        item = _find_contains((self.vs.get("expansion") or {}).get("contains", []), system, code)
        if item is None:
            return False
        v = item.get("version") or version
        if item.get("version") and version and version != item["version"]:
            text = (f"The code system \"{system}\" version \"{item['version']}\" in the ValueSet expansion is "
                    f"different to the one in the value (\"{version}\")")
            out.add(issue("error", "not-found", "vs-invalid", None, path=at(path, "version"), text=text), note=True)
            return False
        cs = self.run.provider(system, self.run.version_base(system, v))
        if cs is None:
            if self.run.req.membership_only:
                return False
            self._unknown_system(path, system, v, out, shared)
            return None
        self.status_issues(out, cs, self.vs)
        state.version = cs.version
        state.content_mode = cs.content
        info = cs.locate(code)
        if info is None:
            if not self.run.req.membership_only:
                mid = "Unknown_Code_in_Version" if cs.version else "Unknown_Code_in"
                args = (code, cs.url, cs.version) if cs.version else (code, cs.url)
                out.add(issue("error", "code-invalid", "invalid-code", mid, *args, path=at(path, "code")))
            return False
        if not abstract_ok and info.abstract:
            if not self.run.req.membership_only:
                out.add(issue("error", "business-rule", "code-rule", "ABSTRACT_CODE_NOT_ALLOWED", cs.url, code,
                              path=at(path, "code")))
            return False
        self._see_status(info, path, shared)
        list_displays(state.displays, cs, info)
        return True

    # --- inferring the system -----------------------------------------------------------------------

    def _determine_system(self, code: str, systems: list[str]) -> str:
        """The one code system of the value set with ``code`` ("" when none or several; ``systems`` lists
        the candidates seen)."""
        compose = self.compose or {}
        sets = compose.get("include", []) + compose.get("exclude", [])
        result = ""
        if any(s.get("valueSet") or not s.get("system") or s.get("filter") for s in sets):
            try:
                entries = ComposeEvaluator(self.run.ctx, supplements=self.run.supplements).value_set(self.vs)
            except TerminologyError:
                return ""
            for e in entries:
                if e.code == code:
                    if e.system not in systems:
                        systems.append(e.system)
                    if result:
                        return ""
                    result = e.system
            return result
        for inc in compose.get("include", []):
            cs = self.run.provider(inc["system"], None)
            if cs is None:
                return ""
            hit = any(c.get("code") == code for c in inc["concept"]) if inc.get("concept") else \
                cs.locate(code) is not None
            if hit:
                if inc["system"] not in systems:
                    systems.append(inc["system"])
                if not result:
                    result = inc["system"]
                elif result != inc["system"]:
                    return ""
        return result


def _find_contains(items: list, system: str, code: str) -> dict | None:
    for item in items:
        if item.get("system") == system and item.get("code") == code:
            return item
        found = _find_contains(item.get("contains", []), system, code)
        if found is not None:
            return found
    return None
