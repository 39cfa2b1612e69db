"""The ``issues`` of a ``$validate-code`` answer and the ``message`` built from them.

Source: the HL7 terminology ecosystem tests (``validation``, ``version``...), which fix what tx.fhir.org
answers: every problem found is an OperationOutcome issue with a ``tx-issue-type`` coding
(http://hl7.org/fhir/tools/CodeSystem/tx-issue-type), a message id and an expression locating it in the
request (``code``, ``Coding.code``, ``CodeableConcept.coding[0].display``...); the ``message`` parameter
joins, sorted, the texts of the errors and of the notes the check chose to report (a wrong display, an
inactive concept), separated by ``"; "``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..messages import format_message
from ..model import Issue


def at(path: str, leaf: str) -> str:
    """``path.leaf``, or ``leaf`` when the coding is the request's own ``code``/``system`` (path "")."""
    return f"{path}.{leaf}" if path else leaf


def issue(severity: str, code: str, tx_code: str | None, message_id: str | None, *args: object,
          path: str | None = None, text: str | None = None) -> Issue:
    """An :class:`Issue` whose text is the catalogue text of ``message_id`` (or ``text``)."""
    body = text if text is not None else format_message(message_id or "", *args)
    return Issue(severity, code, tx_code, message_id, body, (path,) if path else ())


@dataclass
class Outcome:
    """The issues found so far and the texts chosen for the ``message``."""

    issues: list[Issue] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, found: Issue, *, note: bool = False, dedupe: bool = False) -> None:
        """Record ``found`` (with ``dedupe``, only when no issue has its text yet); ``note``: its text goes
        into the message."""
        if note:
            self.note(found.text)
        if dedupe and any(i.text == found.text for i in self.issues):
            return
        self.issues.append(found)

    def note(self, text: str) -> None:
        if text and text not in self.notes:
            self.notes.append(text)

    def has_errors(self) -> bool:
        return any(i.severity in ("error", "fatal") for i in self.issues)

    def message(self) -> str | None:
        """The notes and every error text, sorted, joined with ``"; "`` (None when there are none)."""
        texts = list(self.notes)
        for i in self.issues:
            if i.severity in ("error", "fatal") and i.text not in texts:
                texts.append(i.text)
        return "; ".join(sorted(texts)) if texts else None


class CheckFailed(Exception):
    """A problem that ends the check early but is answered as a result (``result`` false) with this issue,
    not as an error response (e.g. a value set imported by the one being checked is unknown)."""

    def __init__(self, found: Issue, *, unknown_system: str | None = None) -> None:
        super().__init__(found.text)
        self.issue = found
        self.unknown_system = unknown_system
