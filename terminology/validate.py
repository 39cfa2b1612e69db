"""``$validate-code`` for SNOMED CT: code, display, status and value set membership.

Sources: FHIR R5 OperationDefinitions CodeSystem-validate-code and ValueSet-validate-code; the HL7 tx
ecosystem tests for the shape of the ``issues`` OperationOutcome (snomed-fhir.md §1.7): an inactive
concept is valid with a warning (``INACTIVE_CONCEPT_FOUND``, ``business-rule`` / ``code-comment``) unless
the value set excludes inactive codes (``STATUS_CODE_WARNING_CODE`` + ``not-in-vs``); a display that is
an inactive description is a warning (``INACTIVE_DISPLAY_FOUND``); any other wrong display is an error
(``Display_Name_for__should_be_one_of__instead_of``), or a warning with lenient display validation. A code
that is not found is a *result* (``result=false``), never an exception.
"""

from __future__ import annotations

from . import snomed
from .edition import Edition
from .messages import format_message
from .model import Issue, ValidateResult
from .requests import ValidateCodeRequest
from .store import ConceptSet


def validate(ed: Edition, req: ValidateCodeRequest, *, members: ConceptSet | None = None,
             value_set_label: str | None = None) -> ValidateResult:
    """Validate ``req.code`` (and ``req.display``) in ``ed``, and membership in ``members`` when given."""
    code = req.code.strip()
    at = (lambda leaf: f"{req.path}.{leaf}" if req.path else leaf)
    version = ed.version.version
    row = ed.find(code)
    issues: list[Issue] = []
    if row is None:
        if value_set_label:
            issues.append(_not_in_vs(code, value_set_label, at("code")))
        issues.append(Issue("error", "code-invalid", "invalid-code", "Unknown_Code_in_Version",
                            format_message("Unknown_Code_in_Version", code, snomed.SYSTEM, version), (at("code"),)))
        return ValidateResult(result=False, system=snomed.SYSTEM, version=version, code=code, issues=tuple(issues))
    refsets = ed.display_refsets(req.display_language)
    display = ed.store.displays([row.id], refsets).get(row.id)
    ok = True
    if members is not None:
        in_set = ed.store.contains(members, row.id) and not (req.active_only and not row.active)
        if not in_set:
            ok = False
            if req.active_only and not row.active:
                issues.append(Issue("error", "business-rule", "code-rule", "STATUS_CODE_WARNING_CODE",
                                    format_message("STATUS_CODE_WARNING_CODE", code), (at("code"),)))
            issues.append(_not_in_vs(code, value_set_label or "", at("code")))
    if not row.active and ok:
        issues.append(Issue("warning", "business-rule", "code-comment", "INACTIVE_CONCEPT_FOUND",
                            format_message("INACTIVE_CONCEPT_FOUND", "inactive", code), (at("code"),)))
    if req.display is not None and req.display.strip():
        issue = _check_display(ed, row.id, code, req.display, req.display_language, req.lenient_display,
                               at("display"))
        if issue is not None:
            issues.append(issue)
            if issue.severity == "error":
                ok = False
    return ValidateResult(result=ok, system=snomed.SYSTEM, version=version, code=str(row.id), display=display,
                          inactive=(not row.active) or None, issues=tuple(issues))


def _not_in_vs(code: str, label: str, expression: str) -> Issue:
    text = format_message("None_of_the_provided_codes_are_in_the_value_set_one", f"{snomed.SYSTEM}#{code}", label)
    return Issue("error", "code-invalid", "not-in-vs", "None_of_the_provided_codes_are_in_the_value_set_one",
                 text, (expression,))


def _normal(term: str) -> str:
    return " ".join(term.split()).casefold()


def _check_display(ed: Edition, concept_id: int, code: str, display: str, display_language: str | None,
                   lenient: bool, expression: str) -> Issue | None:
    """None when ``display`` is an active term of the concept in the requested languages."""
    wanted = _normal(display)
    languages = ed.requested_languages(display_language)
    descriptions = [d for d in ed.store.descriptions(concept_id) if d.type_id != snomed.DEFINITION]
    in_language = [d for d in descriptions if not languages or d.language_code in languages]
    if any(d.active and _normal(d.term) == wanted for d in in_language):
        return None
    valid = [d.term for d in in_language if d.active]
    if any(not d.active and _normal(d.term) == wanted for d in descriptions):
        text = format_message("INACTIVE_DISPLAY_FOUND", display, code, ",".join(f'"{t}"' for t in valid))
        return Issue("warning", "invalid", "display-comment", "INACTIVE_DISPLAY_FOUND", text, (expression,))
    if not languages and any(d.active and _normal(d.term) == wanted for d in descriptions):
        return None
    choices = ", ".join(f"'{t}'" for t in valid)
    text = format_message("Display_Name_for__should_be_one_of__instead_of", display, snomed.SYSTEM, code,
                          len(valid), choices, ",".join(languages) or "--")
    return Issue("warning" if lenient else "error", "invalid", "invalid-display",
                 "Display_Name_for__should_be_one_of__instead_of", text, (expression,))
