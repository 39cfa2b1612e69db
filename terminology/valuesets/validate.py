"""``$validate-code``, whatever the code system or value set (resources, FHIR core, SNOMED CT and its
implicit value sets).

Sources: FHIR R5 OperationDefinitions ValueSet-validate-code and CodeSystem-validate-code
(http://hl7.org/fhir/OperationDefinition/ValueSet-validate-code): a code, Coding or CodeableConcept is valid
when it is in the value set (for a CodeSystem: is a code of it) and any display given is one of the concept's;
a CodeableConcept is valid when one of its codings is. The HL7 terminology ecosystem tests fix the answer
tx.fhir.org gives, which this module reproduces:

* the answer carries ``result``, ``code``, ``system``, ``version``, ``display`` (in the requested language),
  ``inactive``/``status`` for inactive or deprecated concepts, ``message`` and an ``issues`` OperationOutcome
  (:mod:`.issues`); a problem with the request's *content* (unknown code, code system or version, wrong
  display, not in the value set) is a result, not an error response; an unknown value set to validate against,
  a broken value set definition or a missing supplement is an error response;
* membership (:mod:`.membership`) follows the value set's includes, excludes and imports, and the version
  rules (:mod:`.versions`, ``system-version``, ``force-system-version``, ``check-system-version``) decide which
  code system version an include means; a coding whose version differs from it is reported
  (``VALUESET_VALUE_MISMATCH*``);
* ``CodeSystem/$validate-code`` is checked as membership in the value set of the whole code system, with no
  "not in the value set" issue;
* a code system that is a ``fragment`` does not make an unknown code invalid (a warning);
* displays are checked per language (:mod:`.display`); the request's rules and state are in :mod:`.checking`.
"""

from __future__ import annotations

from dataclasses import replace

from ..errors import UnknownValueSet
from ..model import Coding, Issue, ValidateResult
from ..providers.base import canonical
from ..requests import ValidateRequest
from . import display as disp
from .checking import CodingState, SharedState, Validation
from .context import ResolutionContext
from .expand import required_supplements
from .issues import CheckFailed, Outcome, at, issue
from .membership import ValueSetChecker, list_displays
from .versions import sort_key, split_canonical


# --- entry point ----------------------------------------------------------------------------------------


def validate_code(ctx: ResolutionContext, req: ValidateRequest) -> ValidateResult:
    """Answer ``req`` (see the module docstring). Raises for an unknown value set, a broken definition
    (InvalidValueSet, CircularReference) or a missing supplement (MissingSupplement)."""
    run = Validation(ctx, req)
    first = req.codings[0] if req.codings else Coding(None, "")  # type: ignore[arg-type]
    path = {"code": "", "coding": "Coding"}.get(req.mode, "CodeableConcept")
    try:
        if req.target == "CodeSystem":
            vs, internal = _code_system_value_set(run, first, path), True
            if req.mode == "code" and not first.system:  # the code of an inline code system
                first = Coding(vs["compose"]["include"][0]["system"], first.code, first.display, first.version)
                run.req = req = replace(req, codings=(first,))
        else:
            vs, internal = _value_set(run), False
        run.supplements = required_supplements(ctx, None if internal else vs, req.use_supplements)
        checker = ValueSetChecker(run, vs, internal=internal)
        checker.prepare()
    except CheckFailed as failed:
        return _failed(req, first, failed)
    infer = req.infer_system or (req.mode == "code" and not first.system and req.target == "ValueSet")
    return check_codeable_concept(run, checker, path, infer)


def _value_set(run: Validation) -> dict:
    req = run.req
    if req.value_set is not None:
        return req.value_set
    url = req.url or ""
    implicit = run.ctx.implicit_value_set(url)
    if implicit is not None:
        return implicit
    url, version = split_canonical(url) if "|" in url else (url, req.version)
    version = version or run.rules.value_set_defaults.get(url)  # default-valueset-version
    try:
        return run.ctx.value_set(url, version)
    except UnknownValueSet:
        raise UnknownValueSet("Unable_to_resolve_value_Set_", canonical(url, version), tx_code="not-found") from None


def _code_system_value_set(run: Validation, coding: Coding, path: str) -> dict:
    """The value set of the whole code system ``CodeSystem/$validate-code`` checks against."""
    req = run.req
    if req.code_system is not None:  # the resolution context holds it (see TerminologyService.validate)
        url, version = req.code_system.get("url", ""), req.code_system.get("version")
    else:
        url = req.url or coding.system
        if not url:
            raise CheckFailed(issue("warning", "invalid", "invalid-data", "Coding_has_no_system__cannot_validate",
                                    path=path or None))
        version = req.version or (coding.version if not req.url or req.url == coding.system else None)
    sys_path = at(path, "system") if path != "CodeableConcept" else "CodeableConcept.coding[0].system"
    version = run.version_base(url, version)
    cs = run.provider(url, version)
    if cs is None:
        if run.supplement_resource(url, version) is not None:
            sup = run.supplement_resource(url, version) or {}
            raise CheckFailed(issue("error", "invalid", "invalid-data", "CODESYSTEM_CS_NO_SUPPLEMENT",
                                    canonical(sup.get("url", url), sup.get("version")), path=sys_path))
        if run.find_value_set(url) is not None:
            raise CheckFailed(issue("error", "invalid", "invalid-data", "Terminology_TX_System_ValueSet2", url,
                                    path=sys_path))
        if version:
            found, key = run.unknown_version_issue(url, version, path if path != "CodeableConcept"
                                                   else "CodeableConcept.coding[0]")
            raise CheckFailed(found, unknown_system=key)
        raise CheckFailed(issue("error", "not-found", "not-found", "UNKNOWN_CODESYSTEM", url, path=sys_path),
                          unknown_system=url)
    vs: dict = {"resourceType": "ValueSet", "status": "active",
                "url": (cs.resource or {}).get("valueSet") or f"{cs.url}/vs",
                "compose": {"include": [{"system": cs.url}]}}
    if cs.version:
        vs["version"] = cs.version
        vs["compose"]["include"][0]["version"] = cs.version
    return vs


def _failed(req: ValidateRequest, first: Coding, failed: CheckFailed) -> ValidateResult:
    """The answer when the check could not be made (the reference's ``handlePrepareError``)."""
    cc = req.codeable_concept if req.mode == "codeableConcept" else None
    return ValidateResult(result=False, system=None if cc else first.system, version=None if cc else first.version,
                          code=None if cc else first.code, issues=(failed.issue,), message_text=failed.issue.text,
                          codeable_concept=cc,
                          caused_by_unknown=(failed.unknown_system,) if failed.unknown_system else ())


# --- the CodeableConcept check ---------------------------------------------------------------------------


def check_codeable_concept(run: Validation, checker: ValueSetChecker, issue_path: str, infer: bool
                           ) -> ValidateResult:
    """Check every coding; valid when one of them is in the value set and nothing is in error."""
    req = run.req
    mode = req.mode
    out = Outcome()
    shared = SharedState()
    checker.status_issues(out, checker.vs, checker.vs)
    ok: bool | None = False
    codelist: list[str] = []
    first: tuple[str | None, str, str | None] | None = None
    good: tuple[str | None, str, str | None] | None = None
    good_display: str | None = None
    extra_version: str | None = None
    for i, c in enumerate(req.codings):
        path = at(issue_path, f"coding[{i}]") if issue_path == "CodeableConcept" else issue_path
        state = CodingState(coding_display=c.display)
        v = checker.check(path, c.system, c.version, c.code, req.abstract_ok, infer, state, shared, out)
        ws = shared.implied_system or c.system or ""
        if first is None or v is True:
            first = (c.system, c.code, c.version)
        shown = f"{ws}|{c.version}#{c.code}" if c.version else f"{ws}#{c.code}"
        if c.display:
            shown += f" ('{c.display}')"
        codelist.append(shown)
        if v is False and not checker.internal and mode == "codeableConcept":
            out.add(issue("information", "code-invalid", "this-code-not-in-vs",
                          "None_of_the_provided_codes_are_in_the_value_set_one", shown, checker.label,
                          path=f"{issue_path}.coding[{i}].code"))
        if ok is not True and v is not False:
            ok = v
        if v is True:
            if state.content_mode == "example":
                text = (f"The system {c.system} was found but did not contain enough information to properly "
                        f"validate the code \"{c.code}\" (\"{c.display}\") (mode = {state.content_mode})")
                out.add(issue("warning", "not-found", "vs-invalid", None, path=path or None, text=text), note=True)
            elif c.display and state.displays:
                found = disp.check_display(state.displays, run.languages, c.system or "", c.code, c.display,
                                           lenient=req.lenient_display, expression=at(path, "display"),
                                           default_language=state.default_language)
                if found is not None:
                    out.add(found, note=found.message_id != "INACTIVE_DISPLAY_FOUND")
            for note in state.displays.notes:
                _add_note(out, note, at(path, "code"), req.lenient_display)
            if good is None:
                good = (c.system, c.code, state.version)
                good_display = state.displays.preferred(run.languages) or state.displays.preferred(None) \
                    or good_display
        elif not req.membership_only and ws:
            extra_version = _explain_not_found(run, checker, c, ws, path, mode, issue_path, i, out, shared,
                                               state) or extra_version
            if state.displays and good_display is None:
                good_display = state.displays.preferred(run.languages) or state.displays.preferred(None)
    if ok is False and not checker.internal:
        if mode == "codeableConcept":
            out.add(issue("error", "code-invalid", "not-in-vs", "TX_GENERAL_CC_ERROR_MESSAGE", checker.label),
                    note=True)
        else:
            where = "code" if not issue_path else f"{issue_path}.code"
            out.add(issue("error", "code-invalid", "not-in-vs", "None_of_the_provided_codes_are_in_the_value_set_one",
                          "', '".join(codelist), checker.label, path=where), note=True)
    if good and good[0]:
        system = good[0]
    elif ok is True and shared.implied_system:
        system = shared.implied_system
    else:
        system = first[0] if first and mode != "codeableConcept" else None
    code = good[1] if good else (first[1] if first and mode != "codeableConcept" else None)
    if good and good[2]:
        version = good[2]
    elif mode != "codeableConcept":
        version = (first[2] if first and first[2] else None) or extra_version
    else:
        version = None
    shown_display = good_display if (good or (first and mode != "codeableConcept")) else None
    status = None
    if shared.inactive:
        if shared.status and shared.status != "inactive":
            status = shared.status
        state_text = "inactive" if not shared.status or shared.status == "inactive" else f"{shared.status} and inactive"
        out.add(issue("warning", "business-rule", "code-comment", "INACTIVE_CONCEPT_FOUND", state_text,
                      first[1] if first else "", path=shared.inactive_path or None), note=True)
    elif shared.status.lower() == "deprecated":
        status = "deprecated"
        out.add(issue("warning", "business-rule", "code-comment", "DEPRECATED_CONCEPT_FOUND", shared.status,
                      first[1] if first else "", path=at(issue_path, "code") if issue_path != "CodeableConcept"
                      else None), note=True)
    unknown = tuple(shared.unknown_systems)
    return ValidateResult(
        result=ok is True and not out.has_errors(), system=system or None, version=version or None, code=code,
        display=shown_display or None, inactive=True if shared.inactive else None, issues=tuple(out.issues),
        status=status, message_text=out.message() or "", codeable_concept=req.codeable_concept
        if mode == "codeableConcept" else None,
        unknown_systems=unknown if ok is False else (),
        caused_by_unknown=unknown if ok is not False else (),
        normalized_code=shared.normal_form or None)


def _explain_not_found(run: Validation, checker: ValueSetChecker, c: Coding, ws: str, path: str, mode: str,
                       issue_path: str, i: int, out: Outcome, shared: SharedState, state: CodingState) -> str | None:
    """For a coding that is not in the value set, report what is wrong with it in its own code system
    (unknown system or version, unknown code, wrong display). Returns the code system version found."""
    if "://" not in ws and not ws.startswith("urn:"):
        where = {"coding": f"{issue_path}.system", "codeableConcept": f"{issue_path}.coding[{i}].system"}.get(
            mode, issue_path or None)
        out.add(issue("error", "invalid", "invalid-data", "Terminology_TX_System_Relative", path=where), note=True)
    prov = run.provider(ws, run.version_base(ws, c.version or _included_version(checker, ws)))
    if prov is None:
        if run.find_value_set(ws) is not None:
            out.add(issue("error", "invalid", "invalid-data", "Terminology_TX_System_ValueSet2", ws,
                          path=at(path, "system")), note=True)
            return None
        sup = run.supplement_resource(ws, c.version)
        if sup is not None:
            out.add(issue("error", "invalid", "invalid-data", "CODESYSTEM_CS_NO_SUPPLEMENT",
                          canonical(sup.get("url", ws), sup.get("version")), path=at(path, "system")), note=True)
            return None
        if run.provider(ws, None) is None and not c.version:
            key = ws
            found = issue("error", "not-found", "not-found", "UNKNOWN_CODESYSTEM", ws, path=at(path, "system"))
        else:
            found, key = run.unknown_version_issue(ws, c.version or "", path)
        if key not in shared.unknown_systems:
            shared.unknown_systems.append(key)
            out.add(found)
        out.note(found.text)
        return None
    checker.status_issues(out, prov, checker.vs)
    info = prov.locate(c.code)
    if info is None:
        key = f"{ws}|{prov.version}#{c.code}"
        if key not in shared.reported_unknown:
            shared.reported_unknown.append(key)
            if prov.content == "complete":
                mid = "Unknown_Code_in_Version" if prov.version else "Unknown_Code_in"
                args = (c.code, ws, prov.version) if prov.version else (c.code, ws)
                out.add(issue("error", "code-invalid", "invalid-code", mid, *args, path=at(path, "code")), note=True,
                        dedupe=True)
                why = prov.code_problem(c.code)
                if why:  # e.g. what is wrong with a post-coordinated expression (as tx.fhir.org explains it)
                    out.add(issue("information", "code-invalid", "invalid-code", None, path=at(path, "code"),
                                  text=why))
            else:
                out.add(issue("warning", "code-invalid", "invalid-code", "UNKNOWN_CODE_IN_FRAGMENT", c.code, ws,
                              prov.version, path=at(path, "code")), dedupe=True)
        return None
    list_displays(state.displays, prov, info)
    if c.display and state.displays:
        found = disp.check_display(state.displays, run.languages, prov.url, c.code, c.display,
                                   lenient=run.req.lenient_display, expression=at(path, "display"))
        if found is not None and found.tx_code == "invalid-display":
            out.add(found, note=True)
    return prov.version


def _add_note(out: Outcome, note: Issue, path: str, lenient: bool) -> None:
    """A note of the code system about a valid code, at the code's place; a display error in it (a wrong term in
    an expression) is a warning with ``lenient-display-validation``, like any wrong display."""
    if lenient and note.tx_code == "invalid-display" and note.severity == "error":
        note = replace(note, severity="warning")
    out.add(replace(note, expression=(path,)), note=note.severity == "error")


def _included_version(checker: ValueSetChecker, system: str) -> str | None:
    """The version of ``system`` the value set includes (the latest when it includes several; None when an
    include names no version, or none includes the system): the version an unknown code is reported in."""
    named = [checker.run.version_base(system, c.get("version"))
             for c in (checker.compose or {}).get("include", []) if c.get("system") == system]
    if not named or any(v is None for v in named):
        return None
    known = [v for v in named if checker.run.provider(system, v) is not None]
    return max(known, key=sort_key) if known else None
