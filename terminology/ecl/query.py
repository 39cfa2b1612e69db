"""The library call: evaluate an ECL expression in an edition and fetch concepts with their displays."""

from __future__ import annotations

from dataclasses import dataclass

from .. import snomed
from ..errors import TooCostly
from ..model import ExpansionItem


@dataclass(frozen=True)
class EclResult:
    """A page of the concepts an expression selects (ordered by id) and how many there are in all."""

    version: str
    expression: str
    total: int
    offset: int
    items: tuple[ExpansionItem, ...]


def select(edition, expression: str, *, limits=None, count: int | None = None, offset: int = 0,
           display_language: str | None = None) -> EclResult:
    """Evaluate ``expression`` in ``edition`` (a :class:`terminology.edition.Edition`); ``count`` None
    returns every concept, refused as too costly above ``limits.max_result``; ``count=0`` only counts."""
    from . import EclLimits, evaluate

    limits = limits or EclLimits()
    members = evaluate(edition.store, expression, limits=limits)
    total = edition.store.count(members)
    if count is None and total - offset > limits.max_result:
        raise TooCostly("ECL_TOO_COSTLY", f"the result has {total:,} concepts, more than the limit of "
                                          f"{limits.max_result:,} for one answer; ask for a page (count/offset)")
    rows = [] if count == 0 else edition.store.page(members, refsets=edition.display_refsets(display_language),
                                                    offset=offset, limit=count)
    items = tuple(ExpansionItem(system=snomed.SYSTEM, code=str(cid), display=display, inactive=not active)
                  for cid, display, active in rows)
    return EclResult(edition.version.version, expression, total, offset, items)
