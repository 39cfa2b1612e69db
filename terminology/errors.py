"""The closed tree of domain errors.

Every failure the core reports to a caller is one of these classes; ``api/errors.py`` is the only place
that maps them to an HTTP status and an OperationOutcome issue code, and the CLI prints ``str(error)``.
For ``$validate-code`` a code that is not found is a *result* (``result=false``), not an exception.

::

    TerminologyError
    ├── InvalidRequest            the request is malformed (parameters missing, conflicting, bad values)
    │   ├── InvalidCode           a code that cannot exist in the system (e.g. not an SCTID)
    │   │   └── InvalidExpression a SNOMED CT expression that does not parse or cannot be used as a code
    │   ├── InvalidEcl            an ECL expression does not parse or is semantically wrong
    │   ├── InvalidValueSet       a value set definition that cannot be expanded (e.g. a broken filter)
    │   │   └── CircularReference a value set includes itself through its imports
    │   ├── VersionCheckFailed    a version rule of the request (check-system-version) is not met
    │   ├── VersionConflict       an update names a version that is no longer current (If-Match)
    │   └── NotEditable           the resource's status forbids the change (an active version is immutable)
    ├── NotFound                  something the request names is not there
    │   ├── UnknownCodeSystem
    │   ├── UnknownCodeSystemVersion
    │   ├── UnknownCode
    │   ├── UnknownValueSet
    │   ├── MissingSupplement     a required code system supplement is not available
    │   ├── UnknownResource
    │   └── ResourceGone      the resource was deleted
    ├── Unauthenticated           the caller must log in (or present a token) first
    ├── Forbidden                 the caller may not do this (role or region)
    │   └── ReadOnlyNode          this server node does not write (VARDTERM_READ_ONLY, or a read replica)
    ├── Throttled                 too many failed logins: wait ``retry_after`` seconds
    ├── Unsupported               valid, but this server does not do it
    ├── TooCostly                 the answer would exceed a configured limit
    ├── LoadError                 a release or code file is bad; names file, line and problem
    └── StoreError                the database is not usable (schema mismatch, not initialised)

Each error carries a message id from :mod:`terminology.messages` and its arguments, so the wire text is
the catalogue text and the message id can travel as the OperationOutcome ``message-id`` extension. An
error may also carry ``tx_code``, a code of http://hl7.org/fhir/tools/CodeSystem/tx-issue-type (the
``details.coding`` the HL7 terminology tests expect, e.g. ``not-found``, ``vs-invalid``).
"""

from __future__ import annotations

from .messages import format_message


class TerminologyError(Exception):
    """Base of all domain errors: a message id, its arguments, and the rendered text."""

    message_id: str = "OP_UNSUPPORTED"
    tx_code: str | None = None

    def __init__(self, message_id: str | None = None, *args: object, text: str | None = None,
                 expression: str | None = None, tx_code: str | None = None) -> None:
        if message_id is not None:
            self.message_id = message_id
        self.args_ = args
        self.text = text if text is not None else format_message(self.message_id, *args)
        self.expression = expression
        if tx_code is not None:
            self.tx_code = tx_code
        super().__init__(self.text)

    @classmethod
    def plain(cls, text: str, *, expression: str | None = None) -> "TerminologyError":
        """An error of this class whose text is given directly (message id ``OP_UNSUPPORTED``)."""
        return cls("OP_UNSUPPORTED", text, expression=expression)


class InvalidRequest(TerminologyError):
    """The request itself is wrong: a parameter is missing, conflicts with another or has a bad value."""


class InvalidCode(InvalidRequest):
    """A code that cannot be a code of the system at all (e.g. not a valid SCTID)."""


class InvalidExpression(InvalidCode):
    """A SNOMED CT compositional grammar expression that does not parse, or names concepts that cannot be used
    where it names them (unknown, inactive, not an attribute, against the concept model)."""

    position: int | None = None
    """1-based character position of the problem in the expression text, when known."""
    expected: tuple[str, ...] = ()
    """For a syntax error: what the grammar would have accepted at ``position``."""


class InvalidEcl(InvalidRequest):
    """An ECL expression that does not parse, or refers to something that cannot be evaluated.

    Raised with the message id ``INVALID_ECL`` and the expression quoted in the text, as tx.fhir.org reports it
    (``Invalid ECL expression: '<< 12345': (syntax error at position 4: ...)``); the tx-issue-type is
    ``vs-invalid``."""

    tx_code = "vs-invalid"

    position: int | None = None
    """1-based character position of the problem in the expression text, when known."""
    expected: tuple[str, ...] = ()
    """For a syntax error: what the grammar would have accepted at ``position``."""


class InvalidValueSet(InvalidRequest):
    """A value set definition that cannot be expanded, such as a filter without a value."""


class CircularReference(InvalidValueSet):
    """A value set imports (or excludes) itself, directly or through other value sets."""


class VersionCheckFailed(InvalidRequest):
    """The version of a code system used is not the one a ``check-system-version`` parameter requires."""


class VersionConflict(InvalidRequest):
    """An update was made against a version of the resource that is no longer the current one."""


class NotEditable(InvalidRequest):
    """The change breaks a rule of the resource's life cycle (CRMI): an ``active`` or ``retired`` version is
    immutable, a draft becomes ``active`` only through ``$release``, a version number is taken."""


class NotFound(TerminologyError):
    """Something the request names does not exist on this server."""


class UnknownCodeSystem(NotFound):
    """No code system with that URI is loaded."""


class UnknownCodeSystemVersion(NotFound):
    """The code system is loaded, but not in the requested version."""


class UnknownCode(NotFound):
    """The code does not exist in the code system version (for ``$lookup``; a result elsewhere)."""


class UnknownValueSet(NotFound):
    """No value set with that URL is known (explicit or implicit)."""


class MissingSupplement(NotFound):
    """A code system supplement the request or the value set requires is not available."""


class UnknownResource(NotFound):
    """A resource id that does not exist."""


class ResourceGone(UnknownResource):
    """The resource existed and was deleted."""


class Unauthenticated(TerminologyError):
    """No (valid) credentials were presented for something that needs them."""


class Forbidden(TerminologyError):
    """The caller is known but lacks the role or region for the action."""


class Throttled(TerminologyError):
    """Too many failed attempts (logins) in a short time; ``retry_after`` seconds until the next is allowed."""

    def __init__(self, text: str, *, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__("OP_UNSUPPORTED", text=text)


class ReadOnlyNode(Forbidden):
    """A write reached a node that only reads (a read-only node, or a database that is a read replica)."""


class Unsupported(TerminologyError):
    """A valid request this server does not implement."""


class TooCostly(TerminologyError):
    """The answer would exceed a configured limit (expansion size, ECL cost, time budget)."""


class LoadError(TerminologyError):
    """A release or code file is bad. The text names the file, the line and the problem."""

    def __init__(self, problem: str, *, file: str | None = None, line: int | None = None) -> None:
        where = ""
        if file is not None:
            where = f"{file}, line {line}: " if line is not None else f"{file}: "
        self.file, self.line, self.problem = file, line, problem
        super().__init__("OP_UNSUPPORTED", text=where + problem)


class StoreError(TerminologyError):
    """The database cannot be used as asked (not initialised, wrong schema version, ...)."""

    def __init__(self, text: str) -> None:
        super().__init__("OP_UNSUPPORTED", text=text)
