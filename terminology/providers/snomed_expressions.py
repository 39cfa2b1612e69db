"""Post-coordinated expressions as codes of SNOMED CT ("Using SNOMED CT with FHIR" §1.1: compositional grammar
expressions are valid codes of ``http://snomed.info/sct``).

:class:`~terminology.providers.snomed.SnomedProvider` hands every code that is not a plain concept id to this
module, so each operation of the engine works on expressions the way it works on concepts:

* **locate** (``$validate-code``, ``$lookup``, value set membership and compose lists): an expression is a code of
  the version when it parses (SCG 2.4, :mod:`terminology.scg`), every concept it names exists and is active,
  every attribute name is a concept model attribute (a data attribute takes a concrete value, an object attribute
  a concept or a nested expression) and, where the version has the MRCM reference sets, the attribute domain
  (grouping and cardinality included) and range rules hold (:mod:`.snomed_model`). Its display is the expression
  with the preferred terms of the request's languages, written compactly as tx.fhir.org does
  (``367430006|Repair of tendon of hand|:{272741003|Laterality|=24028007|Right|}``). A term in pipes that is no
  active term of its concept, and an expression not checked against a concept model, are notes of the located
  code (a display error and an information issue of ``$validate-code``). Why an expression is not a code is
  :func:`problem`: every problem, naming the concept and its position;
* **$lookup** properties: ``inactive`` (false), ``normalForm`` and ``normalFormTerse`` (the long normal form,
  :mod:`.snomed_normal_form`), ``parent`` (the focus concepts) and each attribute of the normal form;
* **$subsumes**: normal forms compared; when neither subsumes the other no outcome follows (only a classifier
  could show that there is no relationship), and the answer is an error, as tx.fhir.org gives it;
* **membership** in a SNOMED CT filter (``is-a``, ECL ``constraint``, ``expressions``...): every selection of the
  provider carries an :data:`ExpressionTest` for expressions beside its SQL for concepts (:func:`filter_test`).

Results are remembered per version (:class:`~.snomed_model.ConceptModel`), keyed by the code and the display
languages, so a code validated again costs no query.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterator, Sequence

from .. import ecl, scg, snomed
from ..errors import InvalidEcl, InvalidExpression, TooCostly, Unsupported
from ..messages import format_message
from ..model import Designation, Issue, Property
from ..scg import ast
from ..store import RelationshipRow
from .snomed_expression_ecl import EclMatcher
from .snomed_model import ConceptModel, ConcreteRange, DomainRule, concrete_range, model_of
from .snomed_normal_form import NormalForm, Normaliser
from .snomed_properties import _attribute, wanted_properties

if TYPE_CHECKING:  # pragma: no cover
    from .snomed import SnomedProvider

ATTRIBUTE_ROOTS = (snomed.CONCEPT_MODEL_ATTRIBUTE, snomed.CONCEPT_MODEL_OBJECT_ATTRIBUTE,
                   snomed.CONCEPT_MODEL_DATA_ATTRIBUTE)
"""Groupers of the attribute hierarchy, which are no attributes themselves."""


@functools.lru_cache(maxsize=4096)
def parsed(code: str) -> ast.Expression | InvalidExpression:
    """The syntax tree of an expression, or the syntax error (remembered: trees are immutable, and a code is
    checked, normalised and compared in one request)."""
    try:
        return scg.parse(code)
    except InvalidExpression as err:
        return err


@functools.lru_cache(maxsize=65_536)
def _id_problem(concept_id: str) -> str | None:
    """Why an id is not a concept SCTID (remembered: the Verhoeff check is the dearest part of reading ids)."""
    return snomed.sctid_problem(concept_id, snomed.PARTITION_CONCEPT)


def looks_like_expression(code: str) -> bool:
    """Codes that are not plain numbers are read as expressions (a number that is not a concept is an unknown
    code, not a malformed expression)."""
    return not code.strip().isdigit()


# --- checking ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Checked:
    """What checking one expression text found (in any language: the messages of a problem name concepts with
    the terms of the languages of the request that found it first)."""

    expression: ast.Expression | None
    problems: tuple[str, ...]
    """Why it is not a code of the version (empty when it is one)."""
    concept_model: bool = False
    """Checked against the version's MRCM."""


def check(provider: "SnomedProvider", code: str) -> Checked:
    """Check an expression in the provider's version (remembered per code). A valid expression costs two
    statements the first time (its concepts, and their ancestors), a third for a range that is more than a
    hierarchy."""
    model = model_of(provider.edition.store)
    key = ("check", code)
    found = model.cache.get(key)
    if found is None:
        found = model.cache[key] = _Checker(provider, model).run(code)
    return found


class _Checker:
    def __init__(self, provider: "SnomedProvider", model: ConceptModel) -> None:
        self.provider = provider
        self.model = model
        self.store = model.store
        self.names: dict[int, str] | None = None
        self.problems: list[str] = []
        self.named: set[int] = set()

    def describe(self, concept_id: int) -> str:
        """``id |preferred term|`` for messages (the terms of every concept named are read at the first
        message, in one statement)."""
        if self.names is None or concept_id not in self.names:
            wanted = self.named | {concept_id}
            self.names = {**(self.names or {}), **self.store.displays(sorted(wanted),
                                                                       self.provider.display_refsets)}
            self.names.setdefault(concept_id, "")
        name = self.names.get(concept_id)
        return f"{concept_id} |{name}|" if name else str(concept_id)

    def problem(self, message_id: str, *args: object) -> None:
        self.problems.append(format_message(message_id, *args))

    def run(self, code: str) -> Checked:
        expr = parsed(code)
        if isinstance(expr, InvalidExpression):
            return Checked(None, (expr.text,))
        refs = list(ast.concept_references(expr))
        for r in refs:
            why = _id_problem(r.id)
            if why:
                self.problem("SCG_INVALID_SCTID", r.id, r.position, why)
        if self.problems:
            return Checked(expr, tuple(self.problems))
        ids = list(dict.fromkeys(int(r.id) for r in refs))
        rows = self.model.rows(ids)
        self.named = {i for i in ids if rows[i] is not None}
        for r in refs:
            row = rows[int(r.id)]
            if row is None:
                self.problem("SCG_UNKNOWN_CONCEPT", r.id, r.position, self.provider.version)
            elif not row.active:
                self.problem("SCG_INACTIVE_CONCEPT", self.describe(row.id), r.position)
        if not self.problems:
            self.prefetch(expr)
            self.attributes(expr)
        if not self.problems and self.model.has_mrcm:
            self.concept_model(expr)
        if self.problems:
            return Checked(expr, tuple(dict.fromkeys(self.problems)))
        return Checked(expr, (), self.model.has_mrcm)

    def prefetch(self, expr: ast.Expression) -> None:
        """Read at once the ancestors of every concept the checks place in the hierarchy: attribute names (under
        the attribute roots), focus concepts (in MRCM domains) and values (in range hierarchies)."""
        every = list(_attributes(expr))
        names = {int(a.name.id) for a, _ in every}
        focus = {int(c.id) for _, owner in every for c in owner.focus}
        values = {int(v.id) for v in (a.value for a, _ in every) if isinstance(v, ast.ConceptReference)}
        self.model.prefetch(names | focus | values)

    def attributes(self, expr: ast.Expression) -> None:
        """Attribute names are concept model attributes; data attributes take concrete values, object
        attributes concepts or nested expressions."""
        every = list(_attributes(expr))
        for a, _ in every:
            t = int(a.name.id)
            if t in ATTRIBUTE_ROOTS or t == snomed.IS_A or not self.model.subsumes(snomed.CONCEPT_MODEL_ATTRIBUTE, t):
                self.problem("SCG_NOT_AN_ATTRIBUTE", self.describe(t), a.name.position)
            elif self.model.subsumes(snomed.CONCEPT_MODEL_DATA_ATTRIBUTE, t):
                if not isinstance(a.value, ast.Concrete):
                    self.problem("SCG_DATA_ATTRIBUTE_VALUE", self.describe(t), a.name.position)
            elif isinstance(a.value, ast.Concrete):
                self.problem("SCG_OBJECT_ATTRIBUTE_VALUE", self.describe(t), a.name.position, a.value.text)

    # --- the MRCM ------------------------------------------------------------------------------------

    def concept_model(self, expr: ast.Expression) -> None:
        """Domain (with grouping and cardinality) and range of each attribute, for the expression and each
        nested one (whose focus concepts are the domain of its own attributes)."""
        focus = [int(c.id) for c in expr.focus]
        attributes = [(a, None) for a in expr.attributes] + [(a, i) for i, g in enumerate(expr.groups)
                                                             for a in g.attributes]
        totals: Counter = Counter()
        in_group: Counter = Counter()
        limits: dict[int, list[DomainRule]] = {}
        for a, group in attributes:
            t = int(a.name.id)
            if t not in limits:
                limits[t] = self.domain(a, focus)
            rules = limits[t]
            totals[t] += 1
            if group is not None:
                in_group[(group, t)] += 1
            if group is None and any(r.grouped for r in rules):
                self.problem("MRCM_GROUPED", self.describe(t), a.name.position)
            if group is not None and rules and all(r.max_in_group == 0 for r in rules):
                self.problem("MRCM_NOT_GROUPED", self.describe(t), a.name.position)
            self.range(a)
        first = {int(a.name.id): a.name.position for a, _ in reversed(attributes)}
        for t, n in totals.items():
            most = min((r.max_total for r in limits[t] if r.max_total is not None), default=None)
            if most is not None and n > most:
                self.problem("MRCM_CARDINALITY", self.describe(t), most, "on one concept", n, first[t])
        for (_, t), n in in_group.items():
            most = min((r.max_in_group for r in limits[t] if r.max_in_group is not None), default=None)
            if most and n > most:
                self.problem("MRCM_CARDINALITY", self.describe(t), most, "in one attribute group", n, first[t])
        for a, _ in attributes:
            if isinstance(a.value, ast.Expression):
                self.concept_model(a.value)

    def domain(self, a: ast.Attribute, focus: list[int]) -> list[DomainRule]:
        """The domain rules of an attribute that apply to the focus concepts (reporting when none does).

        An attribute's mandatory rules are alternatives (Due to: on a clinical finding or an event); its
        optional rules narrow them (Laterality: a lateralizable body structure) and must hold as well; an
        attribute with only optional rules takes them as alternatives."""
        rules = self.model.domain_rules(int(a.name.id))
        if not rules:
            return []
        mandatory = [r for r in rules if not r.optional]
        alternatives = mandatory or rules
        restrictions = [r for r in rules if r.optional] if mandatory else []

        def holds(r: DomainRule) -> bool:
            if r.refset:
                return any(self.store.refset_contains(r.domain, f) for f in focus)
            return any(self.model.subsumes(r.domain, f) for f in focus)

        def where(r: DomainRule) -> str:
            return ("for concepts in " if r.refset else "in the domain ") + self.describe(r.domain)

        matched = [r for r in alternatives if holds(r)]
        failed = [r for r in restrictions if not holds(r)]
        if not matched or failed:
            allowed = ", or ".join(where(r) for r in alternatives) if not matched else ""
            narrowed = ", and ".join(where(r) for r in failed)
            self.problem("MRCM_DOMAIN", self.describe(int(a.name.id)), a.name.position,
                         " + ".join(self.describe(f) for f in focus),
                         ", and ".join(p for p in (allowed, narrowed) if p))
            return []
        return matched + restrictions

    def range(self, a: ast.Attribute) -> None:
        found = _range_of(self.provider, self.model, int(a.name.id))
        if found is None:
            return
        value = a.value
        if found.concrete is not None:
            if not (isinstance(value, ast.Concrete) and found.concrete.holds(value.kind, value.value)):
                self.problem("MRCM_RANGE", self.shown(value), _position(value), self.describe(int(a.name.id)),
                             found.constraint)
            return
        if isinstance(value, ast.Concrete):
            return  # an object attribute with a concrete value is reported by attributes()
        ok = found.holds(self.provider, self.model, value)
        if ok is False:
            self.problem("MRCM_RANGE", self.shown(value), _position(value), self.describe(int(a.name.id)),
                         found.constraint)

    def shown(self, value: ast.AttributeValue) -> str:
        if isinstance(value, ast.Concrete):
            return value.text
        if isinstance(value, ast.ConceptReference):
            return self.describe(int(value.id))
        self.describe(int(value.focus[0].id))
        return "(" + scg.render(value, lambda c: (self.names or {}).get(int(c.id)), spaced=True) + ")"


@dataclass
class _Range:
    """An MRCM range constraint of one attribute, ready to test values: a concrete value range, a hierarchy
    (``<< X OR << Y``, tested on the closure, as most ranges are), or any other ECL (tested in the store)."""

    constraint: str
    concrete: ConcreteRange | None = None
    hierarchy: tuple[tuple[str | None, int], ...] | None = None
    tree: object = None
    concepts: object = None
    usable: bool = True

    def holds(self, provider: "SnomedProvider", model: ConceptModel,
              value: ast.ConceptReference | ast.Expression) -> bool | None:
        """Does a value satisfy the constraint? None when it cannot be evaluated in this version (a concept it
        names is not loaded, or it is not valid ECL): the value is then left unchecked."""
        if not self.usable:
            return None
        if isinstance(value, ast.ConceptReference) and self.hierarchy is not None:
            v = int(value.id)
            return any(v == cid if op is None else model.subsumes(cid, v) and (op == "<<" or v != cid)
                       for op, cid in self.hierarchy)
        normaliser = Normaliser(model)
        if isinstance(value, ast.ConceptReference):
            if self.concepts is None:
                try:
                    self.concepts = ecl.evaluate(model.store, self.tree, limits=provider.ecl_limits)
                except (InvalidEcl, TooCostly, Unsupported):
                    self.usable = False
                    return None
            return model.store.contains(self.concepts, int(value.id))
        try:
            return EclMatcher(normaliser, provider.ecl_limits).matches(self.tree, normaliser.expression(value))
        except (InvalidEcl, TooCostly, Unsupported):
            return None


def _range_of(provider: "SnomedProvider", model: ConceptModel, attribute: int) -> _Range | None:
    """The MRCM range of an attribute (remembered per version), None when it has none."""
    constraint = model.range_constraint(attribute)
    if constraint is None:
        return None
    key = ("range", constraint)
    found = model.cache.get(key)
    if found is None:
        found = _Range(constraint, concrete_range(constraint))
        if found.concrete is None:
            try:
                found.tree = ecl.parse(constraint)
                found.hierarchy = _hierarchy(found.tree)
            except (InvalidEcl, TooCostly, Unsupported):
                found.usable = False
        model.cache[key] = found
    return found


def _hierarchy(tree) -> tuple[tuple[str | None, int], ...] | None:
    """``X``, ``< X``, ``<< X`` or a disjunction of them, as (operator, concept) pairs; None for other ECL."""
    from ..ecl import ast as e
    items = tree.operands if isinstance(tree, e.Compound) and tree.operator == "OR" else (tree,)
    out = []
    for item in items:
        if not (isinstance(item, e.SubExpression) and isinstance(item.focus, e.ConceptReference)
                and item.operator in (None, "<", "<<") and item.member_of is None and not item.filters
                and item.history is None):
            return None
        out.append((item.operator, item.focus.id))
    return tuple(out)


def warm(provider: "SnomedProvider", model: ConceptModel, expressions: list[ast.Expression]) -> None:
    """Read, in two statements at most, what checking ``expressions``, building their normal forms and comparing
    them need: the concepts they name, the definitions of their focus concepts, and the ancestors of all these
    (what is known already is not read)."""
    ids = {int(r.id) for e in expressions for r in ast.concept_references(e)
           if _id_problem(r.id) is None}
    focus = {int(c.id) for e in expressions for sub in _subexpressions(e) for c in sub.focus} & ids
    model.read(ids, focus)  # unknown focus concepts get the empty definition of a primitive: checks report them
    rows = model.rows(ids)
    known = {i for i in ids if rows[i] is not None}
    focus &= known
    every = set(known)
    for d in model.definitions(focus).values():
        every |= set(d.primitives)
        for r in (*d.ungrouped, *(r for g in d.groups for r in g)):
            every.add(r.type_id)
            if r.destination_id is not None:
                every.add(r.destination_id)
    model.prefetch(every)


def _subexpressions(e: ast.Expression) -> Iterator[ast.Expression]:
    yield e
    for a in e.every_attribute:
        if isinstance(a.value, ast.Expression):
            yield from _subexpressions(a.value)


def _attributes(expr: ast.Expression) -> Iterator[tuple[ast.Attribute, ast.Expression]]:
    for a in expr.every_attribute:
        yield a, expr
        if isinstance(a.value, ast.Expression):
            yield from _attributes(a.value)


def _position(value) -> int:
    return value.position if not isinstance(value, ast.Expression) else value.focus[0].position


def _normalised(term: str) -> str:
    return re.sub(r"\s+", " ", term).strip().casefold()


def problem(provider: "SnomedProvider", code: str) -> str | None:
    """Why ``code`` is not a code of the version, when it is written as an expression (None otherwise)."""
    if not looks_like_expression(code):
        return None
    found = check(provider, code)
    return format_message("SCG_NOT_VALID", "; ".join(found.problems)) if found.problems else None


# --- the located expression ----------------------------------------------------------------------------


class ExpressionConcept:
    """A valid expression as the engine sees a concept (the attributes of
    :class:`~terminology.providers.base.ConceptInfo`): active, never abstract, with its rendered display."""

    __slots__ = ("code", "display", "expression", "language", "notes", "parents")
    status = None
    inactive = False
    abstract = False
    deprecated = False
    definition = None
    properties: tuple = ()
    children: tuple = ()
    annotations: tuple = ()
    extensions: tuple = ()

    def __init__(self, code: str, expression: ast.Expression, display: str, language: str | None,
                 notes: tuple[Issue, ...]) -> None:
        self.code = code
        self.expression = expression
        self.display = display
        self.language = language
        self.notes = notes
        self.parents = tuple(c.id for c in expression.focus)

    @property
    def designations(self) -> tuple[Designation, ...]:
        return (Designation(self.language, None, self.display),)


def locate(provider: "SnomedProvider", code: str) -> ExpressionConcept | None:
    """The expression ``code`` as a concept of the provider's version, or None when it is not one."""
    if not looks_like_expression(code):
        return None
    found = check(provider, code)
    if found.problems or found.expression is None:
        return None
    model = model_of(provider.edition.store)
    key = ("view", code, tuple(provider.display_refsets))
    view = model.cache.get(key)
    if view is None:
        view = model.cache[key] = _view(provider, found)
    display, notes = view
    languages = provider.edition.requested_languages(provider.display_language)
    return ExpressionConcept(code, found.expression, display, languages[0] if languages else provider.language, notes)


def _view(provider: "SnomedProvider", found: Checked) -> tuple[str, tuple[Issue, ...]]:
    """The display of a valid expression in the provider's languages (one statement), and its notes: terms in
    pipes that are no active term of their concept (one statement, when it has terms), no MRCM."""
    store = provider.edition.store
    refs = list(ast.concept_references(found.expression))  # type: ignore[arg-type]
    names = store.displays(list(dict.fromkeys(int(r.id) for r in refs)), provider.display_refsets)
    notes = []
    with_terms = [r for r in refs if r.term]
    if with_terms:
        known = store.active_terms(list(dict.fromkeys(int(r.id) for r in with_terms)))
        for r in with_terms:
            terms = known.get(int(r.id), [])
            if _normalised(r.term or "") not in {_normalised(t) for t in terms}:
                shown = f"{r.id} |{names[int(r.id)]}|" if names.get(int(r.id)) else r.id
                notes.append(Issue("error", "invalid", "invalid-display", "SCG_TERM", format_message(
                    "SCG_TERM", r.term, shown, r.position, ", ".join(f"'{t}'" for t in terms) or "none")))
    if not found.concept_model:
        notes.append(Issue("information", "informational", "process-note", "SCT_NO_MRCM",
                           format_message("SCT_NO_MRCM")))
    return scg.render(found.expression, lambda c: names.get(int(c.id))), tuple(notes)  # type: ignore[arg-type]


def display_candidates(provider: "SnomedProvider", info: ExpressionConcept):
    """The texts the display of an expression may be: the expression with the preferred terms of each loaded
    language (as its display in that language is chosen) and with the fully specified names."""
    edition = provider.edition
    ids = list(dict.fromkeys(int(r.id) for r in ast.concept_references(info.expression)))
    out = {info.display: info.language}
    languages = dict.fromkeys(code for codes in edition.languages.values() for code in codes)
    for language, refsets in [(lang, edition.display_refsets(lang)) for lang in languages] + [("en", [])]:
        names = edition.store.displays(ids, refsets)
        out.setdefault(scg.render(info.expression, lambda c, names=names: names.get(int(c.id))), language)
    return [(text, language, None, "active") for text, language in out.items()]


# --- normal forms, $lookup and $subsumes ------------------------------------------------------------------


def normal_form(provider: "SnomedProvider", expression: ast.Expression, code: str) -> NormalForm:
    """The long normal form of a checked expression (remembered per code)."""
    model = model_of(provider.edition.store)
    key = ("nf", code)
    found = model.cache.get(key)
    if found is None:
        found = model.cache[key] = Normaliser(model).expression(expression)
    return found


def lookup_properties(provider: "SnomedProvider", info: ExpressionConcept, wanted: Sequence[str]) -> Iterator[Property]:
    """``$lookup`` properties of an expression (see the module docstring)."""
    want = wanted_properties(wanted)
    nf = normal_form(provider, info.expression, info.code)
    store = provider.edition.store
    names = store.displays(sorted(nf.ids()), provider.display_refsets)
    term = (lambda c: names.get(int(c.id)))
    if "inactive" in want:
        yield Property("inactive", "boolean", False)
    if "normalForm" in want:
        yield Property("normalForm", "string", scg.render(nf.as_expression(), term, spaced=True))
    if "normalFormTerse" in want:
        yield Property("normalFormTerse", "string", scg.render(nf.as_expression(), terms=False))
    if "parent" in want:
        for f in nf.written_focus:
            yield Property("parent", "code", str(f), description=names.get(f))
    every = "attributes" in want
    for group, attrs in [(0, nf.ungrouped)] + [(i + 1, g) for i, g in enumerate(nf.groups)]:
        for a in attrs:
            if not (every or str(a.type) in want):
                continue
            if isinstance(a.value, NormalForm):
                nested = a.value.as_expression(nested=True)
                yield Property(str(a.type), "code", scg.render(nested, terms=False),
                               description=scg.render(nested, term), code_display=names.get(a.type))
            elif isinstance(a.value, int):
                yield _attribute(RelationshipRow(group, a.type, a.value), names)
            else:
                yield _attribute(RelationshipRow(group, a.type, None, a.value.text), names)


def subsumes(provider: "SnomedProvider", code_a: str, code_b: str) -> str:
    """``$subsumes`` where one code or both are expressions: the outcome that follows from their normal forms,
    else Unsupported (no outcome can be shown without a classifier). Raises InvalidExpression for a code that
    is not a valid expression, UnknownCode for an unknown concept id."""
    model = model_of(provider.edition.store)
    normaliser = Normaliser(model)
    written_as: list[ast.Expression | None] = []
    for code in (code_a, code_b):
        if not looks_like_expression(code):
            written_as.append(ast.Expression((ast.ConceptReference(code.strip()),)))
            continue
        e = parsed(code)
        written_as.append(None if isinstance(e, InvalidExpression) else e)
    warm(provider, model, [e for e in written_as if e is not None])
    written: list[tuple[str, ast.Expression]] = []
    for code, where, e in ((code_a, "codeA", written_as[0]), (code_b, "codeB", written_as[1])):
        if not looks_like_expression(code):
            if model.rows([int(code.strip())])[int(code.strip())] is None:
                provider.edition.concept(code.strip())  # raises UnknownCode as for two concepts
            written.append((code, e))  # type: ignore[arg-type]
            continue
        found = check(provider, code)
        if found.problems or found.expression is None:
            text = (format_message("Unknown_Code_in_Version", code, snomed.SYSTEM, provider.version) + ". "
                    + format_message("SCG_NOT_VALID", "; ".join(found.problems)))
            raise InvalidExpression("Unknown_Code_in_Version", code, snomed.SYSTEM, provider.version, text=text,
                                    expression=where, tx_code="invalid-code")
        written.append((code, found.expression))
    a, b = (normal_form(provider, e, code) for code, e in written)
    down, up = normaliser.subsumes(a, b), normaliser.subsumes(b, a)
    if down and up:
        return "equivalent"
    if down:
        return "subsumes"
    if up:
        return "subsumed-by"
    raise Unsupported("SCT_SUBSUMPTION_UNKNOWN", code_a, code_b)


# --- membership in filters ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """An expression being tested for membership: its text, normal form and the tools to compare it."""

    code: str
    nf: NormalForm
    normaliser: Normaliser
    matcher: EclMatcher


ExpressionTest = Callable[[Target], bool]
"""Whether an expression is a member of a selection (expressions are tested, concepts are selected by SQL)."""


def every(_: Target) -> bool:
    return True


def union(a: ExpressionTest | None, b: ExpressionTest | None) -> ExpressionTest | None:
    if a is None or b is None:
        return a or b
    return lambda t: a(t) or b(t)


def intersect(a: ExpressionTest | None, b: ExpressionTest | None) -> ExpressionTest | None:
    if a is None or b is None:
        return None
    return lambda t: a(t) and b(t)


def minus(a: ExpressionTest | None, b: ExpressionTest | None) -> ExpressionTest | None:
    if a is None or b is None:
        return a
    return lambda t: a(t) and not b(t)


def listed(codes: Sequence[str]) -> ExpressionTest | None:
    """The listed codes that are expressions (compared as written)."""
    chosen = frozenset(c for c in codes if looks_like_expression(c))
    return (lambda t: t.code in chosen) if chosen else None


def _constraint(text: str) -> ExpressionTest:
    tree: list = []

    def test(t: Target) -> bool:
        if not tree:
            tree.append(ecl.parse(text))
        return t.matcher.matches(tree[0], t.nf)
    return test


def filter_test(prop: str, op: str, value: str) -> ExpressionTest | None:
    """The expression test of one SNOMED CT filter (see :func:`member`); None: no expression is a member."""
    v = value.strip()
    if prop == "concept":
        if op == "is-a" and v.isdigit():
            return lambda t: t.normaliser.is_a(t.nf, int(v))
        if op == "descendent-of" and v.isdigit():
            return lambda t: (t.normaliser.is_a(t.nf, int(v))
                              and not t.normaliser.equivalent(t.normaliser.concept(int(v)), t.nf))
        if op == "is-not-a" and v.isdigit():
            return lambda t: not t.normaliser.is_a(t.nf, int(v))
        if op == "=" and v.isdigit():
            return lambda t: t.normaliser.equivalent(t.normaliser.concept(int(v)), t.nf)
        if op == "generalizes" and v.isdigit():
            return lambda t: t.normaliser.subsumes(t.nf, t.normaliser.concept(int(v)))
        return None  # in (refset members), child-of: an expression is in no refset and has no stated parents
    if prop in ("constraint", "expression") and op == "=":
        return _constraint(value)
    if prop == "inactive" and op == "=":
        return every if v == "false" else None
    if prop == "refset" and op == "exists":
        return every if v == "false" else None
    if prop == "expressions" and op == "=":
        return every if v == "true" else None
    if snomed.is_concept_id(prop) and op == "=" and v.isdigit():
        return _constraint(f"* : {prop} = {v}")
    return None  # moduleId, parent, child: properties of released concepts


def member(provider: "SnomedProvider", code: str, test: ExpressionTest) -> bool:
    """Is the expression ``code`` a member of a selection with the expression test ``test``?"""
    found = check(provider, code)
    if found.problems or found.expression is None:
        return False
    model = model_of(provider.edition.store)
    normaliser = Normaliser(model)
    warm(provider, model, [found.expression])
    target = Target(code, normal_form(provider, found.expression, code), normaliser,
                    EclMatcher(normaliser, provider.ecl_limits))
    return test(target)
