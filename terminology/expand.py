"""``ValueSet/$expand`` and membership for SNOMED CT implicit value sets.

Sources: FHIR R5 OperationDefinition ValueSet-expand (``filter``, ``count``, ``offset``, ``activeOnly``,
``displayLanguage``, ``includeDesignations``; expansion parameters echoed; ``used-codesystem``), "Using
SNOMED CT with FHIR" implicit value sets (snomed-fhir.md §1.4: ``?fhir_vs`` counts inactive concepts too and
the expansion is flagged ``valueset-unclosed``; ``isa`` and ``refset`` members are active concepts;
``ecl/[expression]`` is evaluated by :mod:`terminology.ecl` under its cost limits).
An expansion larger than the limit without ``count`` is refused as too costly; with ``count`` any size
can be paged.
"""

from __future__ import annotations

from . import ecl, snomed
from .edition import Edition
from .errors import TooCostly, Unsupported
from .implicit import ImplicitValueSet
from .model import Expansion, ExpansionItem, ExpansionParameter
from .requests import ExpandRequest
from .store import ConceptSet


def implicit_members(ed: Edition, ivs: ImplicitValueSet, *, ecl_limits: ecl.EclLimits | None = None) -> ConceptSet:
    """The concepts of an implicit value set in edition ``ed``, as a composable set."""
    store = ed.store
    if ivs.kind == "all":
        return store.all_concepts()
    if ivs.kind == "isa":
        return store.descendants(int(ivs.argument), include_self=True)
    if ivs.kind == "refsets":
        return store.refsets()
    if ivs.kind == "refset":
        return store.refset_members(int(ivs.argument))
    if ivs.kind == "ecl":
        return ecl.evaluate(store, ivs.argument or "", limits=ecl_limits)
    raise Unsupported.plain(f"implicit value set kind {ivs.kind!r} is not supported: {ivs.url}")


def expand(ed: Edition, ivs: ImplicitValueSet, req: ExpandRequest, *, max_size: int,
           ecl_limits: ecl.EclLimits | None = None) -> Expansion:
    """Expand an implicit value set: one COUNT and one page query, whatever the size."""
    members = implicit_members(ed, ivs, ecl_limits=ecl_limits)
    if req.active_only:
        members = members.intersect(ed.store.all_concepts(active_only=True))
    rank = None
    if req.filter and req.filter.strip():
        matched = ed.store.text_match(req.filter)
        if matched is not None:
            members = members.intersect(matched)
            rank = req.filter
    total = ed.store.count(members)
    limit = req.max_size if req.max_size is not None else max_size
    offset = req.offset or 0
    if req.count is None and total - offset > limit:
        raise TooCostly("VALUESET_TOO_COSTLY", ivs.url, limit)
    refsets = ed.display_refsets(req.display_language)
    rows = ed.store.page(members, refsets=refsets, offset=offset, limit=req.count, rank_text=rank)
    items = tuple(ExpansionItem(system=snomed.SYSTEM, code=str(cid), display=display, inactive=not active,
                                designations=ed.designations(cid) if req.include_designations else ())
                  for cid, display, active in rows)
    return Expansion(url=ivs.url, total=total, offset=offset, items=items,
                     parameters=tuple(_parameters(ed, req)), unclosed=True)


def _parameters(ed: Edition, req: ExpandRequest):
    yield ExpansionParameter("used-codesystem", "uri", f"{snomed.SYSTEM}|{ed.version.version}")
    if req.filter:
        yield ExpansionParameter("filter", "string", req.filter)
    if req.offset:
        yield ExpansionParameter("offset", "integer", req.offset)
    if req.count is not None:
        yield ExpansionParameter("count", "integer", req.count)
    if req.active_only:
        yield ExpansionParameter("activeOnly", "boolean", True)
    if req.display_language:
        yield ExpansionParameter("displayLanguage", "code", req.display_language)
    if req.include_designations:
        yield ExpansionParameter("includeDesignations", "boolean", True)
