"""Time budgets for store reads: a statement that runs past its budget is stopped and reported as TooCostly.

A :class:`~terminology.store.ConceptSet` carries its budget as the bound parameter :data:`BUDGET_PARAM`
(milliseconds), so the budget follows the set through every union, intersection, count, page and
membership test, on every path that uses it ($expand, $validate-code, ValueSet compose, the library and the
CLI). :meth:`SnomedStore._run` takes the parameter out and runs the statement under :func:`guard`:

* SQLite: a progress handler (called every few thousand virtual-machine steps) interrupts the statement
  once the deadline has passed (``sqlite3.Connection.set_progress_handler``);
* PostgreSQL: ``statement_timeout`` set for the current transaction only (``set_config(..., true)``), so
  the pooled connection is back to no timeout when the transaction ends (and JIT compilation off, which
  cost seconds on nested expressions).
"""

from __future__ import annotations

import contextlib
import time

from ..errors import TooCostly

BUDGET_PARAM = "ecl_time_budget_ms"
"""The parameter name that carries a set's time budget in milliseconds (never sent to the database)."""
TEXT_PARAM = "text_time_budget"
"""Set beside :data:`BUDGET_PARAM` by a text match, so a statement stopped by its budget says it was the text
filter (not an ECL expression) that cost too much."""
OPTION = "vardterm_statement_budget_ms"
"""The engine execution option through which a :class:`~terminology.store.Database` hands its statement budget
to the stores built on its engines."""
DEFAULT_BUDGET_MS = 10_000
"""The budget of a statement when the database was opened without one (``Database(statement_budget_ms=)``)."""


def with_budget(params: dict, budget_ms: int | None) -> dict:
    """``params`` with a time budget added (the smaller one wins when the set already has one). A budget of 0
    means no time limit, but the statement is still guarded: a query too complex for the database (nested
    too deeply for its parser) is reported as TooCostly rather than failing."""
    if budget_ms is None:
        return params
    current = params.get(BUDGET_PARAM)
    if current:
        budget_ms = min(budget_ms, current) if budget_ms else current
    return {**params, BUDGET_PARAM: budget_ms}


def split(params: dict) -> tuple[dict, int | None, str | None]:
    """The parameters for the database, the time budget they carried (None: no budget) and what it is for
    (None: an ECL expression; else a description such as "the text filter")."""
    if not params or BUDGET_PARAM not in params:
        return params, None, None
    rest = dict(params)
    return rest, rest.pop(BUDGET_PARAM), rest.pop(TEXT_PARAM, None)


@contextlib.contextmanager
def guard(driver_connection, dialect: str, budget_ms: int | None, what: str | None = None):
    """Run the statements of the ``with`` block under a budget of ``budget_ms`` (0: no time limit; None: no
    guard at all); ``what`` names the work in the too-costly message (default: an ECL evaluation)."""
    if budget_ms is None:
        yield
        return
    deadline = time.monotonic() + budget_ms / 1000 if budget_ms else None
    too_slow = TooCostly("ECL_TOO_COSTLY", f"the evaluation took longer than its time budget of {budget_ms} ms")
    if what is not None:
        too_slow = TooCostly.plain(f"{what[0].upper()}{what[1:]} took longer than its time budget of {budget_ms} ms; "
                                   "make it narrower")
    too_slow.budget_ms = budget_ms  # for a caller that words its own message (the Swedish web pages)
    too_complex = TooCostly("ECL_TOO_COSTLY", "the expression makes a query too complex for the database "
                                              "(nested too deeply); split it or nest it less")
    if dialect == "sqlite":
        import sqlite3

        if deadline is not None:
            driver_connection.set_progress_handler(lambda: 1 if time.monotonic() > deadline else 0, 2000)
        try:
            yield
        except Exception as exc:
            text = str(_driver_error(exc)) if isinstance(_driver_error(exc), sqlite3.OperationalError) else ""
            if "interrupt" in text:
                raise too_slow from None
            if "stack overflow" in text or "too large" in text or "too many" in text:
                raise too_complex from None
            raise
        finally:
            if deadline is not None:
                driver_connection.set_progress_handler(None, 0)
        return
    import psycopg

    # JIT compilation pays off for long analytical scans; for these statements its row estimates grow with
    # the nesting of the expression and compiling took seconds for a query that runs in milliseconds.
    cur = driver_connection.cursor()
    try:
        cur.execute("SELECT set_config('statement_timeout', %s, true), set_config('jit', 'off', true)",
                    (str(int(budget_ms or 0)),))
    finally:
        cur.close()
    try:
        yield
    except Exception as exc:
        if isinstance(_driver_error(exc), psycopg.errors.QueryCanceled):
            raise too_slow from None
        if isinstance(_driver_error(exc), psycopg.errors.StatementTooComplex):
            raise too_complex from None
        raise


def _driver_error(exc: Exception) -> Exception:
    """The driver's own exception: statements run through SQLAlchemy arrive wrapped (``.orig``)."""
    return getattr(exc, "orig", None) or exc
