"""SNOMED CT Expression Constraint Language (ECL 2.2): parser, evaluator and cost limits.

The public functions (the rest of the package is private):

* ``parse(text) -> ast.Expression``: brief or long syntax; a syntax error is an
  :class:`~terminology.errors.InvalidEcl` (message ``INVALID_ECL``, the expression quoted, as tx.fhir.org
  reports it) naming the 1-based position and what was expected there.
* ``evaluate(store, expression, *, limits=None) -> ConceptSet``: the concepts an expression selects in one
  loaded version, as a composable SQL set of the store (:class:`terminology.store.ConceptSet`): combine it
  with ``union`` / ``intersect`` / ``minus``, then count, page or test membership with the store
  (``store.count(s)``, ``store.page(s, ...)``, ``store.contains(s, id)``). ``store`` is the version's
  :class:`~terminology.store.SnomedStore` (an edition, anything with a ``store``, is accepted too);
  ``expression`` is ECL text or a parsed tree. The set carries the time budget of ``limits``, so every
  statement that reads it is stopped (TooCostly) when it runs over. Callers inside the service pass
  ``TerminologyService.ecl_limits`` (the configured limits). Raises InvalidEcl (also for a concept id that is not a
  concept of the version), TooCostly (too long or too complex, before any query) or Unsupported (alternate
  identifiers).
* ``select(edition, expression, *, limits, count, offset, display_language) -> EclResult``: evaluate and
  fetch a page of concepts with displays (the library call behind ``TerminologyService.evaluate_ecl`` and
  ``vardterm ecl``).
* :class:`EclLimits`: the cost limits.

Only the parser needs ``lark`` (the ``ecl`` extra); it is imported on first use.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InvalidEcl, TooCostly

__all__ = ["EclLimits", "EclResult", "evaluate", "parse", "select"]


@dataclass(frozen=True)
class EclLimits:
    """What one ECL evaluation may cost; anything beyond is refused with TooCostly."""

    max_length: int = 10_000
    """Longest expression text (characters), checked before parsing."""
    max_operations: int = 1_000
    """Most constructs (operators, concept references, attributes, filters ...) in one expression, checked
    after parsing and before any query runs."""
    time_budget_ms: int | None = 10_000
    """Time budget of each database statement that reads the result (None: no budget)."""
    max_result: int = 100_000
    """Largest result returned in one piece by :func:`select` (a page of any size is fine)."""


_MAX_DEPTH = 200
"""Deepest nesting accepted (the tree is walked recursively)."""


def parse(text: str):
    """Parse ECL text into the tree of :mod:`terminology.ecl.ast`."""
    from .parser import parse as _parse

    try:
        return _parse(text)
    except RecursionError:
        raise TooCostly("ECL_TOO_COSTLY", "the expression is nested too deeply") from None
    except InvalidEcl as err:
        raise _quoted(text, err) from None


def _quoted(text: str | None, err: InvalidEcl) -> InvalidEcl:
    """``err`` as tx.fhir.org reports an ECL problem: message ``INVALID_ECL``, the expression quoted, this
    server's explanation (with the position) in parentheses."""
    if err.message_id == "INVALID_ECL":
        return err
    out = InvalidEcl("INVALID_ECL", text if text is not None else "(expression)", err.text,
                     expression=err.expression)
    out.position, out.expected = err.position, err.expected
    return out


def evaluate(store, expression, *, limits: EclLimits | None = None):
    """The concepts ``expression`` selects in ``store``, as a composable set (see the module docstring).
    ``store`` may also be an edition (anything with a ``store``)."""
    from ..store.budget import with_budget
    from ..store.snomed_store import ConceptSet
    from .compiler import Evaluator

    store = getattr(store, "store", store)
    limits = limits or EclLimits()
    tree = _checked(expression, limits)
    evaluator = Evaluator(store)
    try:
        s = evaluator.compile(tree)
        evaluator.check_known()
    except RecursionError:
        raise TooCostly("ECL_TOO_COSTLY", "the expression is nested too deeply") from None
    except InvalidEcl as err:
        raise _quoted(expression if isinstance(expression, str) else None, err) from None
    return ConceptSet(s.sql, with_budget(s.params, limits.time_budget_ms or 0), s.expanding, s.predicate)


def _checked(expression, limits: EclLimits):
    from . import ast

    if isinstance(expression, str):
        if len(expression) > limits.max_length:
            raise TooCostly("ECL_TOO_COSTLY", f"the expression has {len(expression):,} characters, more than the "
                                              f"limit of {limits.max_length:,}")
        tree = parse(expression)
    else:
        tree = expression
    count, depth = ast.size(tree)
    if count > limits.max_operations:
        raise TooCostly("ECL_TOO_COSTLY", f"the expression has {count:,} constructs, more than the limit of "
                                          f"{limits.max_operations:,}")
    if depth > _MAX_DEPTH:
        raise TooCostly("ECL_TOO_COSTLY", f"the expression is nested {depth} deep, more than {_MAX_DEPTH}")
    return tree


from .query import EclResult, select  # noqa: E402  (after EclLimits, which query.py uses)
