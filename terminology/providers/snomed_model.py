"""What post-coordination needs to know about one loaded SNOMED CT version: its concepts, their definitions, the
is-a closure between them and the machine readable concept model (MRCM).

One :class:`ConceptModel` per version's store, kept for the life of the process (a published version never
changes), with bounded caches: an expression names a handful of concepts, and checking it, finding its normal
form or comparing it with another reads them in a few statements (:mod:`terminology.store`, "post-coordinated
expressions"); the same concepts come back request after request.

The MRCM (SNOMED International, "SNOMED CT Machine Readable Concept Model Specification"): the attribute domain
reference set (pattern ``domainId, grouped, attributeCardinality, attributeInGroupCardinality, ruleStrengthId,
contentTypeId``; International 723561005) says on which concepts an attribute may be used, grouped or not and how
often; the attribute range reference set (``rangeConstraint, attributeRule, ruleStrengthId, contentTypeId``;
723562003) which values it takes, as ECL or a concrete value range such as ``dec(>#0..)``. Rules of the content
types "all SNOMED CT content" and "all post-coordinated content" apply to expressions; a post-coordination range
replaces the general one. Refsets are found by their fields, so an extension's own MRCM refsets count too.
"""

from __future__ import annotations

import re
import threading
import weakref
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Iterable

from .. import snomed
from ..bounded import Bounded
from ..store import ConceptRow, RelationshipRow, SnomedStore

_models: "weakref.WeakKeyDictionary[SnomedStore, ConceptModel]" = weakref.WeakKeyDictionary()
_lock = threading.Lock()

APPLIES_TO_EXPRESSIONS = (snomed.MRCM_ALL_CONTENT, snomed.MRCM_ALL_POSTCOORDINATED)
"""MRCM content types whose rules apply to post-coordinated expressions."""


def model_of(store: SnomedStore) -> "ConceptModel":
    """The :class:`ConceptModel` of a version's store (one per store in the process)."""
    found = _models.get(store)
    if found is None:
        with _lock:
            found = _models.get(store)
            if found is None:
                found = _models[store] = ConceptModel(store)
    return found


@dataclass(frozen=True)
class Definition:
    """A concept as its long normal form sees it: its proximal primitive supertypes (itself when primitive) and
    its defining attributes (ungrouped, then one tuple per relationship group)."""

    primitives: tuple[int, ...]
    ungrouped: tuple[RelationshipRow, ...]
    groups: tuple[tuple[RelationshipRow, ...], ...]


@dataclass(frozen=True)
class DomainRule:
    """One row of the MRCM attribute domain reference set that applies to expressions."""

    domain: int
    refset: bool
    """The domain is a reference set (membership, e.g. lateralizable body structures), not a hierarchy."""
    grouped: bool
    max_total: int | None
    max_in_group: int | None
    optional: bool


@dataclass(frozen=True)
class ConcreteRange:
    """An MRCM concrete value range: ``dec(>#0..)``, ``int(#1..#10)``, ``str()``, ``bool()``."""

    kind: str
    low: tuple[str, Decimal] | None = None
    high: tuple[str, Decimal] | None = None

    def holds(self, kind: str, value: object) -> bool:
        if self.kind == "str":
            return kind == "string"
        if self.kind == "bool":
            return kind == "boolean"
        if kind not in ("integer", "decimal"):
            return False
        number = Decimal(str(value))
        if self.kind == "int" and number != number.to_integral_value():
            return False
        for bound in (self.low, self.high):
            if bound is None:
                continue
            op, limit = bound
            if op == ">" and not number > limit or op == ">=" and not number >= limit:
                return False
            if op == "<" and not number < limit or op == "<=" and not number <= limit:
                return False
        return True


_CONCRETE_RANGE = re.compile(r"^\s*(dec|int|str|bool)\s*\((.*)\)\s*$")
_BOUND = re.compile(r"^\s*([<>]=?)?\s*#?\s*([-+]?\d+(?:\.\d+)?)\s*$")


def concrete_range(constraint: str) -> ConcreteRange | None:
    """The concrete value range a range constraint states, or None when it is ECL."""
    m = _CONCRETE_RANGE.match(constraint)
    if not m:
        return None
    kind, body = m.group(1), m.group(2)
    low = high = None
    if kind in ("dec", "int") and ".." in body:
        lo_text, hi_text = body.split("..", 1)
        for text, default, which in ((lo_text, ">=", "low"), (hi_text, "<=", "high")):
            b = _BOUND.match(text) if text.strip() else None
            if b is not None:
                try:
                    bound = (b.group(1) or default, Decimal(b.group(2)))
                except InvalidOperation:
                    continue
                if which == "low":
                    low = bound
                else:
                    high = bound
    return ConcreteRange(kind, low, high)


def _maximum(cardinality: str) -> int | None:
    """The upper bound of ``0..1`` / ``0..*`` (None: many, or not understood, which checks nothing)."""
    m = re.match(r"^\s*\d+\s*\.\.\s*(\d+|\*)\s*$", cardinality or "")
    return int(m.group(1)) if m and m.group(1) != "*" else None


class ConceptModel:
    """Cached reads of one version for expressions (see the module docstring)."""

    def __init__(self, store: SnomedStore) -> None:
        self.store = store
        self._rows: Bounded = Bounded(50_000)
        self._definitions: Bounded = Bounded(20_000)
        self._ancestors: Bounded = Bounded(50_000)
        self._refset_domains: dict[int, bool] = {}
        self._mrcm: tuple[dict[int, list[DomainRule]], dict[int, str]] | None = None
        self.cache: Bounded = Bounded(8_192)
        """Results of the expression module keyed by what they depend on (checks, normal forms, displays)."""

    # --- concepts ----------------------------------------------------------------------------------

    def rows(self, ids: Iterable[int]) -> dict[int, ConceptRow | None]:
        """The concept row of each id (None when the version has no such concept)."""
        ids = list(dict.fromkeys(ids))
        self.read(ids, ())
        return {i: self._rows.get(i) for i in ids}

    def definitions(self, ids: Iterable[int]) -> dict[int, Definition]:
        """The :class:`Definition` of each (existing) concept."""
        ids = list(dict.fromkeys(ids))
        self.read((), ids)
        return {i: self._definitions[i] for i in ids}

    def read(self, ids: Iterable[int], focus: Iterable[int]) -> None:
        """Read the rows of ``ids`` and the definitions of ``focus`` not known yet, in one statement."""
        ids = [i for i in dict.fromkeys(ids) if i not in self._rows]
        focus = [i for i in dict.fromkeys(focus) if i not in self._definitions]
        if not ids and not focus:
            return
        rows, primitives_of, attributes = self.store.concepts_and_definitions(ids, focus)
        for i in ids:
            self._rows[i] = rows.get(i)
        for i in focus:
            grouped: dict[int, list[RelationshipRow]] = {}
            for a in attributes.get(i, []):
                grouped.setdefault(a.group, []).append(a)
            self._definitions[i] = Definition(tuple(sorted(primitives_of.get(i) or (i,))),
                                              tuple(grouped.pop(0, [])),
                                              tuple(tuple(g) for _, g in sorted(grouped.items())))

    # --- the is-a closure --------------------------------------------------------------------------

    def prefetch(self, concepts: Iterable[int]) -> None:
        """Read (in one statement) the ancestors of each of ``concepts`` not known yet, so that :meth:`subsumes`
        then answers from memory."""
        missing = [c for c in set(concepts) if c not in self._ancestors]
        if missing:
            found = self.store.ancestors_of(missing)
            for c in missing:
                self._ancestors[c] = frozenset(found[c])

    def subsumes(self, ancestor: int, descendant: int) -> bool:
        """True when ``ancestor`` is ``descendant`` or one of its ancestors (inferred closure)."""
        if ancestor == descendant:
            return True
        found = self._ancestors.get(descendant)
        if found is None:
            self.prefetch((descendant,))
            found = self._ancestors[descendant]
        return ancestor in found

    # --- the concept model (MRCM) -------------------------------------------------------------------

    @property
    def has_mrcm(self) -> bool:
        """True when the version has MRCM attribute domain rules for expressions."""
        return bool(self._read_mrcm()[0])

    def domain_rules(self, attribute: int) -> list[DomainRule]:
        return self._read_mrcm()[0].get(attribute, [])

    def range_constraint(self, attribute: int) -> str | None:
        return self._read_mrcm()[1].get(attribute)

    def _read_mrcm(self) -> tuple[dict[int, list[DomainRule]], dict[int, str]]:
        if self._mrcm is not None:
            return self._mrcm
        domains: dict[int, list[DomainRule]] = {}
        for _, attribute, f in self.store.members_with_fields("domainId", "grouped", "attributeCardinality"):
            if _int(f.get("contentTypeId")) not in APPLIES_TO_EXPRESSIONS or not _int(f.get("domainId")):
                continue
            domain = int(f["domainId"])
            domains.setdefault(attribute, []).append(DomainRule(
                domain, self._is_refset(domain), f.get("grouped") == "1", _maximum(f.get("attributeCardinality")),
                _maximum(f.get("attributeInGroupCardinality")),
                _int(f.get("ruleStrengthId")) == snomed.MRCM_OPTIONAL))
        ranges: dict[int, str] = {}
        from_post: set[int] = set()
        for _, attribute, f in self.store.members_with_fields("rangeConstraint", "attributeRule"):
            content = _int(f.get("contentTypeId"))
            if content not in APPLIES_TO_EXPRESSIONS or not (f.get("rangeConstraint") or "").strip():
                continue
            if attribute in from_post and content != snomed.MRCM_ALL_POSTCOORDINATED:
                continue  # the post-coordination range replaces the general one
            ranges[attribute] = f["rangeConstraint"].strip()
            if content == snomed.MRCM_ALL_POSTCOORDINATED:
                from_post.add(attribute)
        self._mrcm = (domains, ranges)
        return self._mrcm

    def _is_refset(self, concept: int) -> bool:
        if concept not in self._refset_domains:
            self._refset_domains[concept] = self.store.refset_fields(concept) is not None
        return self._refset_domains[concept]


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None

