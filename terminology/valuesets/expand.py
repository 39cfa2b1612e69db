"""``ValueSet/$expand`` over ValueSet and CodeSystem resources.

Source: FHIR R5 OperationDefinition ValueSet-expand (http://hl7.org/fhir/OperationDefinition/ValueSet-expand)
and the HL7 terminology ecosystem tests, which pin down what tx.fhir.org answers:

* parameters: ``filter`` (every word must start a word of the display or of a designation), ``count`` /
  ``offset`` (a flat page; ``total`` counts everything), ``activeOnly``, ``includeDesignations``,
  ``designation`` (``urn:ietf:bcp:47|lang`` or ``system|code`` of a use), ``property``, ``displayLanguage``
  (see :mod:`.languages`), ``excludeNested``, ``useSupplement``, and the version parameters (see
  :mod:`.context`);
* the expansion repeats the value set's metadata, echoes the parameters it was given and reports
  ``used-codesystem`` / ``used-valueset`` / ``used-supplement``, ``warning-draft`` / ``-experimental`` /
  ``-deprecated`` / ``-withdrawn``, and for fragments ``used-fragment`` with the ``valueset-unclosed``
  extensions;
* concepts of a hierarchical code system that come from a whole-system include or a filter are nested
  under their nearest ancestor in the expansion (unless ``excludeNested``, paging, or a text filter on a
  whole-system include); listed codes stay flat;
* ``contains`` carries ``abstract`` (notSelectable), ``inactive``, the ``status`` property, the properties
  implied by concept extensions (``order``, ``label``, ``weight``), the requested properties, and the
  rendering / deprecation extensions of the concept; ``expansion.property`` declares each property used;
* an expansion with more concepts than the limit and no ``count`` is refused as too costly
  (``VALUESET_TOO_COSTLY``; the limit is the server's, or ``X-TOO-COSTLY-THRESHOLD``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Sequence

from ..errors import TooCostly
from ..model import Designation, Expansion, ExpansionItem, ExpansionParameter, Property
from ..providers.base import CONCEPT_PROPERTIES, QuerySelection, canonical
from ..providers.resource import designation
from ..requests import ExpandRequest
from ..text import fold
from . import languages
from .compose import ComposeEvaluator, Entry, Plan, Usage, expansion_parameters
from .context import ResolutionContext
from .versions import split_canonical

SD = "http://hl7.org/fhir/StructureDefinition/"
BCP47 = "urn:ietf:bcp:47"
STANDARD_PROPERTY_URIS = {"status": CONCEPT_PROPERTIES + "#status", "definition": CONCEPT_PROPERTIES + "#definition",
                          "order": CONCEPT_PROPERTIES + "#order", "label": CONCEPT_PROPERTIES + "#label",
                          "weight": CONCEPT_PROPERTIES + "#itemWeight", "inactive": CONCEPT_PROPERTIES + "#inactive",
                          "parent": CONCEPT_PROPERTIES + "#parent", "child": CONCEPT_PROPERTIES + "#child"}
VALUE_SET_CONCEPT_EXTENSIONS = (SD + "valueset-deprecated", SD + "valueset-concept-definition",
                                SD + "rendering-style", SD + "rendering-xhtml",
                                SD + "structuredefinition-standards-status")
"""Extensions of ``compose.include.concept`` copied to ``contains.extension``."""
_VS_ANNOTATIONS = {SD + "valueset-conceptOrder": ("order", "decimal", "valueInteger"),
                   SD + "valueset-label": ("label", "string", "valueString"),
                   SD + "itemWeight": ("weight", "decimal", "valueDecimal")}
ECHOED_COMPOSE_PARAMETERS = ("displayLanguage",)
"""``valueset-expansion-parameter`` names whose value acts as the request parameter of the same name."""


def expand_value_set(ctx: ResolutionContext, req: ExpandRequest, *, max_size: int,
                     default_language: str = "en") -> Expansion:
    """Expand the value set of ``req`` (``value_set`` inline, else ``url`` resolved through ``ctx``).

    A definition the provider can answer as one query (:meth:`ComposeEvaluator.plan`: SNOMED CT filters and
    whole-system includes) is counted, text-filtered (ranked: exact term, then prefix, then shorter terms)
    and paged by the provider; any other is listed, then filtered and paged here.
    """
    vs = req.value_set if req.value_set is not None else ctx.value_set(req.url or "", req.value_set_version)
    label = canonical(vs["url"], vs.get("version")) if vs.get("url") else "(inline value set)"
    limit = req.max_size if req.max_size is not None else max_size
    compose_params = expansion_parameters(vs)
    supplements = required_supplements(ctx, vs, req.use_supplements)
    evaluator = ComposeEvaluator(ctx, supplements=supplements, limit=max(limit, max_size) * 4, label=label)
    display_language = req.display_language or _text(compose_params.get("displayLanguage"))
    pref = languages.parse(display_language)

    def build(chosen: list[Entry]) -> list[tuple[ExpansionItem, list[tuple[str, str | None]]]]:
        usage = evaluator.usage
        versioned = {system: usage.shows_versions(system) for system in {e.system for e in chosen}}
        return [_item(e, req, pref, default_language, versioned[e.system]) for e in chosen]

    text = (req.filter or "").strip()
    paged = req.count is not None or bool(req.offset)
    plan = evaluator.plan(vs)
    if plan is not None:
        p = plan.provider
        plain = _plain(p, req)
        total, infos = _page_of_plan(plan, req, text, limit, label, plain)
        if plain:  # the common SNOMED CT case, kept cheap: 100,000 codes make 100,000 items and no concepts
            version = p.version if evaluator.usage.shows_versions(p.url) else None
            built = [(ExpansionItem(p.url, code, display, version, inactive, (), abstract), [])
                     for code, display, inactive, abstract in infos]
        else:
            built = build([Entry(p.url, p.version, info.code, info, p, None, "filter") for info in infos])
        top = [item for item, _ in built]
    else:
        entries = evaluator.value_set(vs)
        if req.active_only:
            entries = [e for e in entries if not e.info.inactive]
        if not text:
            _check_cost(len(entries), req, limit, label)
        built = None
        if text:  # the text is matched against the terms of each concept
            built = build(entries)
            test = _text_test(text)
            keep = [i for i, (item, _) in enumerate(built) if test(entries[i], item)]
            entries, built = [entries[i] for i in keep], [built[i] for i in keep]
            _check_cost(len(built), req, limit, label)
        total = len(entries)
        if paged:  # only the page's items are built: a page of 100 in 10,000 codes builds 100
            start = req.offset or 0
            end = start + req.count if req.count is not None else None
            built = built[start:end] if built is not None else build(entries[start:end])
            top = [item for item, _ in built]
        else:
            built = built if built is not None else build(entries)
            items = [item for item, _ in built]
            top = items if req.exclude_nested else _nest(entries, items, text_filter=bool(text))
    used_props: dict[str, str | None] = {}
    for _, props in built:
        for code, uri in props:
            used_props.setdefault(code, uri)
    usage = evaluator.usage
    reason = None
    if usage.fragments:
        reason = f"This extension is based on a fragment of the code system {split_canonical(usage.fragments[0])[0]}"
    return Expansion(
        url=vs.get("url"), total=total, offset=(req.offset or 0) if paged else None, items=tuple(top),
        parameters=tuple(_parameters(req, ctx, usage, display_language)),
        unclosed=usage.unclosed or bool(usage.fragments), name=vs.get("name"), title=vs.get("title"),
        value_set=_repeated(vs), property_defs=tuple(used_props.items()), unclosed_reason=reason)


def _page_of_plan(plan: Plan, req: ExpandRequest, text: str, limit: int, label: str, plain: bool
                  ) -> tuple[int, Sequence]:
    """(total, the page's concepts) of a planned value set: ``activeOnly`` and the text filter applied, one
    count and one page query; ``plain``: the page as ``(code, display, inactive, abstract)`` tuples."""
    members = plan.members
    if req.active_only:
        members = members.active()
    if text:
        members = members.matching(text)
    total = members.count()
    _check_cost(total, req, limit, label)
    page = members.plain_page if plain else members.page
    return total, page(req.offset or 0, req.count, rank_text=text or None)


def _text_test(text: str):
    """The ``filter`` test of one listed concept: by the provider's own text search where it has one (every
    term of the concept), else every word must start a word of the display or a designation."""
    words = fold(text).split()
    matched: dict[tuple[str, str | None], QuerySelection | None] = {}

    def test(e: Entry, item: ExpansionItem) -> bool:
        key = (e.provider.url, e.provider.version)
        if key not in matched:
            matched[key] = e.provider.all_codes().matching(text) if e.provider.query_selections else None
        found = matched[key]
        return e.code in found if found is not None else _matches(words, item)
    return test


def _check_cost(total: int, req: ExpandRequest, limit: int, label: str) -> None:
    """An unpaged expansion larger than the limit is refused (VALUESET_TOO_COSTLY)."""
    if req.count is None and total - (req.offset or 0) > limit:
        raise TooCostly("VALUESET_TOO_COSTLY", label, limit)


def _repeated(vs: dict) -> dict:
    """The value set as the answer repeats it. tx.fhir.org repeats the value set's own extensions only when
    every include lists its codes (observed in the HL7 tests ``extensions`` and ``deprecated``)."""
    includes = (vs.get("compose") or {}).get("include", [])
    if includes and all(inc.get("concept") for inc in includes):
        return vs
    return {k: v for k, v in vs.items() if k != "extension"}


def required_supplements(ctx: ResolutionContext, vs: dict | None, requested: tuple[str, ...]) -> dict[str, list[str]]:
    """Supplements to apply, by the URL of the code system they supplement: ``useSupplement`` parameters and
    the value set's ``valueset-supplement`` extensions. A missing one is an error (VALUESET_SUPPLEMENT_MISSING)."""
    refs = list(requested)
    for ext in (vs or {}).get("extension", []):
        if ext.get("url") == SD + "valueset-supplement" and ext.get("valueCanonical"):
            refs.append(ext["valueCanonical"])
    out: dict[str, list[str]] = {}
    for ref in refs:
        supplement = ctx.supplement(ref, None)
        target = split_canonical(supplement.get("supplements", ""))[0]
        out.setdefault(target, [])
        if ref not in out[target]:
            out[target].append(ref)
    return out


# --- one concept ------------------------------------------------------------------------------------


def _item(e: Entry, req: ExpandRequest, pref, default_language: str,
          versioned: bool) -> tuple[ExpansionItem, list[tuple[str, str | None]]]:
    """The ``contains`` entry for ``e`` and the (code, uri) of the properties it carries. A provider that
    chooses its displays (SNOMED CT) has already picked ``info.display`` for the request's languages."""
    info, vsc = e.info, e.vs_concept or {}
    version = e.version if versioned else None
    chooses = e.provider.chooses_display
    if not vsc and _plain(e.provider, req) and not (info.status or info.annotations or info.extensions):
        return _plain_item(info, e.system, version), []
    cs_language = e.provider.language or default_language
    default_display = vsc.get("display") or info.display
    if chooses:
        shown, used = (default_display if pref is None else info.display), None
    else:
        shown, used = languages.choose(info, default_display, cs_language, pref)
    extra = tuple(designation(d) for d in vsc.get("designation", []))
    designations: tuple[Designation, ...] = ()
    if req.include_designations or req.designations:
        listed = list(info.designations) + list(extra) if chooses else \
            languages.shown_designations(info, default_display, shown, used, cs_language, extra)
        designations = tuple(d for d in listed if _wanted_designation(d, req.designations))
    props, used_props = _properties(e, req)
    extensions = tuple(info.extensions) + tuple(x for x in vsc.get("extension", [])
                                                if x.get("url") in VALUE_SET_CONCEPT_EXTENSIONS)
    item = ExpansionItem(system=e.system, code=info.code, display=shown, version=version,
                         inactive=info.inactive, designations=designations, abstract=info.abstract,
                         properties=props, extensions=extensions)
    return item, used_props


def _plain(provider, req: ExpandRequest) -> bool:
    """Whether a concept of ``provider`` is shown with only its code, display and status: the provider chose
    the display, and the request asks for no designations or properties."""
    return provider.chooses_display and not (req.include_designations or req.designations or req.properties)


def _plain_item(info, system: str, version: str | None) -> ExpansionItem:
    return ExpansionItem(system, info.code, info.display, version, info.inactive, (), info.abstract)


def _properties(e: Entry, req: ExpandRequest) -> tuple[tuple[Property, ...], list[tuple[str, str | None]]]:
    info, vsc = e.info, e.vs_concept or {}
    out: dict[str, list[Property]] = {}
    if info.status and info.status != "active":
        out["status"] = [Property("status", "code", info.status)]
    for p in info.annotations:
        out[p.code] = [p]
    for ext in vsc.get("extension", []):
        spec = _VS_ANNOTATIONS.get(ext.get("url"))
        if spec and spec[2] in ext:
            out[spec[0]] = [Property(spec[0], spec[1], ext[spec[2]])]
    for code in req.properties:
        if code in out:
            continue
        if code == "definition":
            if info.definition:
                out[code] = [Property("definition", "string", info.definition)]
        elif code == "inactive":
            out[code] = [Property("inactive", "boolean", info.inactive)]
        elif code in ("parent", "child"):
            values = info.parents if code == "parent" else info.children
            if values:
                out[code] = [Property(code, "code", v) for v in values]
        else:
            values = [p for p in info.properties if p.code == code or _uri_of(e, p.code) == _uri_of(e, code)]
            if values:
                out[code] = values
    props = tuple(p for values in out.values() for p in values)
    return props, [(code, _uri_of(e, code)) for code in out]


def _uri_of(e: Entry, code: str) -> str | None:
    for d in e.provider.property_defs:
        if d.code == code and d.uri:
            return d.uri
    return STANDARD_PROPERTY_URIS.get(code)


def _wanted_designation(d: Designation, wanted: tuple[str, ...]) -> bool:
    """``designation`` parameter: keep designations of the listed languages or uses (all when none listed)."""
    if not wanted:
        return True
    for w in wanted:
        system, _, code = w.partition("|")
        if system == BCP47 and d.language == code:
            return True
        if d.use is not None and d.use.system == system and d.use.code == code:
            return True
    return False


def _matches(words: list[str], item: ExpansionItem) -> bool:
    texts = [fold(t) for t in (item.display, *(d.value for d in item.designations)) if t]
    tokens = [w for t in texts for w in t.replace("-", " ").split()]
    return all(any(tok.startswith(word) for tok in tokens) or any(word in t for t in texts) for word in words)


# --- hierarchy --------------------------------------------------------------------------------------


def _nest(entries: list[Entry], items: list[ExpansionItem], *, text_filter: bool) -> list[ExpansionItem]:
    """Nest items under their nearest ancestor present in the expansion (FHIR ``contains.contains``)."""
    nestable = {i for i, e in enumerate(entries)
                if e.provider.is_hierarchical and (e.source == "filter" or (e.source == "system" and not text_filter))}
    index = {entries[i].key: i for i in nestable}
    parent_of: dict[int, int] = {}
    for i in nestable:
        e = entries[i]
        seen: set[str] = set()
        frontier = list(e.info.parents)
        while frontier:
            found = [index[(e.system, e.version, p)] for p in frontier if (e.system, e.version, p) in index]
            if found:
                parent_of[i] = found[0]
                break
            nxt = []
            for p in frontier:
                if p in seen:
                    continue
                seen.add(p)
                info = e.provider.locate(p)
                if info is not None:
                    nxt.extend(info.parents)
            frontier = nxt
    children: dict[int, list[int]] = {}
    for child, parent in parent_of.items():
        children.setdefault(parent, []).append(child)

    def build(i: int) -> ExpansionItem:
        kids = tuple(build(c) for c in sorted(children.get(i, [])))
        return replace(items[i], contains=kids) if kids else items[i]
    return [build(i) for i in range(len(entries)) if i not in parent_of]


# --- parameters -------------------------------------------------------------------------------------


def _parameters(req: ExpandRequest, ctx: ResolutionContext, usage: Usage, display_language: str | None):
    def p(name: str, kind: str, value) -> ExpansionParameter:
        return ExpansionParameter(name, kind, value)
    for name, value in (("excludeNested", req.exclude_nested), ("activeOnly", req.active_only),
                        ("includeDesignations", req.include_designations),
                        ("includeDefinition", req.include_definition)):
        if value is not None:
            yield p(name, "boolean", value)
    if display_language:
        yield p("displayLanguage", "code", languages.parse(display_language).text
                if languages.parse(display_language) else display_language)
    if req.filter:
        yield p("filter", "string", req.filter)
    if req.count is not None:
        yield p("count", "integer", req.count)
    if req.offset is not None:
        yield p("offset", "integer", req.offset)
    for d in req.designations:
        yield p("designation", "string", d)
    for name, value in ctx.applied:
        yield p(name, "uri", value)
    for ref in usage.code_systems:
        yield p("used-codesystem", "uri", ref)
    for ref in usage.value_sets:
        yield p("used-valueset", "uri", ref)
    for ref in usage.supplements:
        yield p("used-supplement", "uri", ref)
    for ref in usage.fragments:
        yield p("used-fragment", "uri", ref)
    for name, ref in usage.warnings:
        yield p(name, "uri", ref)
    if usage.versions_match:
        yield p("versionsMatch", "boolean", True)


def _text(value) -> str | None:
    return str(value) if value is not None else None
