"""SNOMED CT (one loaded edition/version) as a :class:`~terminology.providers.base.CodeSystemProvider`.

The value set engine asks every code system the same questions; SNOMED CT answers them from the store, in
SQL, so its speed lives here and not beside the engine:

* ``locate``: one query for the concept and its display in the request's languages (the preferred term of
  the first language refset the request accepts, then the server's default language, then the FSN;
  snomed-fhir.md §1.3), with designations, parents, children and properties read only when asked for;
* filters ("Using SNOMED CT with FHIR" §1.6 and the filters tx.fhir.org accepts): ``concept is-a X``
  (``<< X``), ``descendent-of X`` (``< X``), ``child-of X``, ``generalizes X``, ``is-not-a X``, ``in X`` (active
  members of refset X; several refsets comma-separated), ``= X``; ``constraint = <ECL>`` / ``expression =
  <ECL>`` (evaluated by :mod:`terminology.ecl`); ``inactive = true|false``; ``moduleId = X``; ``parent = X``,
  ``child = X``; ``<attribute id> = <value id>``; and ``refset exists true`` (every concept that is a
  reference set in this version, for ``?fhir_vs=refset``);
* selections are query selections (:class:`~terminology.providers.base.QuerySelection`): combined, counted, text-filtered
  (every word must start a word of an active term, any language, case and diacritics folded) and paged in
  the database, so the engine never lists a 300,000-concept subtree to show a page of it;
* ``$lookup`` properties (:mod:`.snomed_properties`) and the texts a display may be for ``$validate-code``
  (every synonym and FSN, active or inactive, in its language);
* post-coordinated expressions: a code that is not a concept id is handed to :mod:`.snomed_expressions`
  (locate, ``$lookup`` properties, display texts, ``$subsumes``), and every selection carries a test for
  expressions beside its SQL for concepts, so an expression is a member of an implicit or ECL value set when its
  normal form satisfies the filter. Plain concept ids never go there.

:class:`SnomedSource` offers the loaded editions to the engine's resolution (one provider per edition and
version) and turns the FHIR implicit value set URLs into their definitions (:mod:`.snomed_implicit`).
"""

from __future__ import annotations

from functools import cached_property
from typing import Callable, Iterable, Iterator, MutableMapping, Sequence

from .. import ecl, snomed
from ..edition import Edition
from ..errors import InvalidRequest, TooCostly, UnknownCodeSystem, UnknownCodeSystemVersion, UnknownValueSet
from ..model import Property
from ..store import ConceptRow, ConceptSet
from . import snomed_expressions as expressions
from . import snomed_implicit
from .base import ConceptInfo, DisplayCandidate, PropertyDef, QuerySelection, SubsumptionOutcome
from .snomed_model import model_of
from .snomed_properties import DEFAULT_PROPERTIES, concept_properties, wanted_properties

_PROPERTY_DEFS = (PropertyDef("inactive", "http://hl7.org/fhir/concept-properties#inactive", "boolean"),
                  PropertyDef("parent", "http://hl7.org/fhir/concept-properties#parent", "code"),
                  PropertyDef("child", "http://hl7.org/fhir/concept-properties#child", "code"),
                  PropertyDef("moduleId", None, "code"))
_EXPANSION_PROPERTIES = frozenset(DEFAULT_PROPERTIES) - {"parent", "child"}
"""What :attr:`SnomedConcept.properties` holds (parents and children are :attr:`SnomedConcept.parents` and
:attr:`~SnomedConcept.children`)."""


class SnomedConcept:
    """One SNOMED CT concept as the engine sees it (the attributes of
    :class:`~terminology.providers.base.ConceptInfo`); what costs a query is read on first use. Slotted, as a
    100,000-code expansion makes one per member."""

    __slots__ = ("provider", "id", "code", "display", "inactive", "_row", "_lazy")
    status = None
    abstract = False
    deprecated = False
    definition = None
    annotations: tuple = ()
    extensions: tuple = ()
    notes: tuple = ()

    def __init__(self, provider: "SnomedProvider", concept_id: int, display: str | None, active: bool,
                 row: ConceptRow | None = None) -> None:
        self.provider = provider
        self.id = concept_id
        self.code = str(concept_id)
        self.display = display
        self.inactive = not active
        self._row = row
        self._lazy: dict | None = None

    def _read(self, name: str, compute):
        if self._lazy is None:
            self._lazy = {}
        if name not in self._lazy:
            self._lazy[name] = compute()
        return self._lazy[name]

    @property
    def row(self) -> ConceptRow:
        if self._row is None:
            found = self.provider.edition.store.concept(self.id)
            assert found is not None, self.id
            self._row = found
        return self._row

    @property
    def designations(self):
        return self._read("designations", lambda: self.provider.edition.designations(self.id))

    @property
    def parents(self) -> tuple[str, ...]:
        return self._read("parents", lambda: tuple(str(p) for p in self.provider.edition.store.parents(self.id)))

    @property
    def children(self) -> tuple[str, ...]:
        return self._read("children", lambda: tuple(str(c) for c in self.provider.edition.store.children(self.id)))

    @property
    def properties(self) -> tuple[Property, ...]:
        return self._read("properties", lambda: tuple(concept_properties(
            self.provider.edition, self.row, set(_EXPANSION_PROPERTIES), self.provider.display_refsets)))


class SnomedSelection(QuerySelection):
    """A :class:`~terminology.providers.base.QuerySelection` backed by a store query, with the test post-coordinated
    expressions are members by (:data:`.snomed_expressions.ExpressionTest`; None: no expression is a member)."""

    def __init__(self, provider: "SnomedProvider", concepts: ConceptSet,
                 expressions: "expressions.ExpressionTest | None" = None) -> None:
        self.provider = provider
        self.concepts = concepts
        self.expressions = expressions

    def __contains__(self, code: object) -> bool:
        if not isinstance(code, str):
            return False
        if not snomed.is_concept_id(code):
            return self.expressions is not None and expressions.looks_like_expression(code) and \
                expressions.member(self.provider, code, self.expressions)
        return self.provider.edition.store.contains(self.concepts, int(code))

    def codes(self) -> Iterator[str]:
        """Every member, by id; refused as too costly beyond the provider's limit."""
        if self.count() > self.provider.max_codes:
            raise TooCostly("VALUESET_TOO_COSTLY", snomed.SYSTEM, self.provider.max_codes)
        return (info.code for info in self.page())

    def union(self, other: "SnomedSelection") -> "SnomedSelection":
        return SnomedSelection(self.provider, self.concepts.union(other.concepts),
                               expressions.union(self.expressions, other.expressions))

    def intersect(self, other: "SnomedSelection") -> "SnomedSelection":
        return SnomedSelection(self.provider, self.concepts.intersect(other.concepts),
                               expressions.intersect(self.expressions, other.expressions))

    def minus(self, other: "SnomedSelection") -> "SnomedSelection":
        return SnomedSelection(self.provider, self.concepts.minus(other.concepts),
                               expressions.minus(self.expressions, other.expressions))

    def active(self) -> "SnomedSelection":
        return self.intersect(SnomedSelection(self.provider, self.provider.edition.store.all_concepts(active_only=True),
                                              expressions.every))

    def matching(self, text: str) -> "SnomedSelection":
        matched = self.provider.edition.store.text_match(text)
        return self if matched is None else self.intersect(SnomedSelection(self.provider, matched))

    def of_codes(self, codes: Iterable[str]) -> "SnomedSelection":
        codes = list(codes)
        ids = [int(c) for c in codes if snomed.is_concept_id(c)]
        return SnomedSelection(self.provider, self.provider.edition.store.ids(ids), expressions.listed(codes))

    def count(self) -> int:
        return self.provider.edition.store.count(self.concepts)

    def page(self, offset: int = 0, limit: int | None = None, *, rank_text: str | None = None
             ) -> list[SnomedConcept]:
        return [SnomedConcept(self.provider, cid, display, active)
                for cid, display, active in self._rows(offset, limit, rank_text)]

    def plain_page(self, offset: int = 0, limit: int | None = None, *, rank_text: str | None = None
                   ) -> list[tuple[str, str | None, bool, bool]]:
        return [(str(cid), display, not active, False) for cid, display, active in self._rows(offset, limit, rank_text)]

    def _rows(self, offset: int, limit: int | None, rank_text: str | None) -> list[tuple]:
        """``(id, display, active)`` of a page, displays in the provider's languages (one query)."""
        return self.provider.edition.store.page(self.concepts, refsets=self.provider.display_refsets,
                                                offset=offset, limit=limit, rank_text=rank_text)


class SnomedProvider:
    """One SNOMED CT edition/version, read through its :class:`~terminology.edition.Edition`, with displays in
    the languages of one request."""

    url = snomed.SYSTEM
    status = "active"
    content = "complete"
    case_sensitive = False
    hierarchy_meaning = "is-a"
    experimental = False
    property_defs = _PROPERTY_DEFS
    supplements: tuple[str, ...] = ()
    resource = None
    is_hierarchical = False
    """Expansions of SNOMED CT stay flat: a subtree can hold hundreds of thousands of concepts."""
    query_selections = True
    chooses_display = True

    def __init__(self, edition: Edition, *, max_codes: int = 100_000, display_language: str | None = None,
                 ecl_limits: ecl.EclLimits | None = None) -> None:
        self.edition = edition
        self.ecl_limits = ecl_limits
        self.version = edition.version.version
        self.name = f"{snomed.SYSTEM}|{self.version}"
        """As tx.fhir.org names SNOMED CT in ``$lookup`` (the HL7 tx ecosystem SNOMED tests)."""
        self.title = edition.version.title
        self.language = edition.default_language
        self.max_codes = max_codes
        self.display_language = display_language

    @cached_property
    def display_refsets(self) -> list[int]:
        """The language refsets displays come from, best first (read only by requests that show displays)."""
        return self.edition.display_refsets(self.display_language)

    # --- concepts ---------------------------------------------------------------------------------

    def locate(self, code: str) -> "SnomedConcept | expressions.ExpressionConcept | None":
        if not snomed.is_concept_id(code):
            return expressions.locate(self, code)
        found = self.edition.store.concept_display(int(code), self.display_refsets)
        if found is None:
            return None
        row, display = found
        return SnomedConcept(self, row.id, display, row.active, row)

    def roots(self) -> tuple[str, ...]:
        return (str(snomed.ROOT),)

    def code_problem(self, code: str) -> str | None:
        """Why a code written as an expression is not a code of this version (None for other codes)."""
        return expressions.problem(self, code)

    def subsumes(self, code_a: str, code_b: str) -> SubsumptionOutcome:
        """On the inferred is-a closure (snomed-fhir.md §1.7); inactive concepts are in no hierarchy. Expressions
        are compared by their normal forms (:func:`.snomed_expressions.subsumes`)."""
        if not (code_a.strip().isdigit() and code_b.strip().isdigit()):
            return expressions.subsumes(self, code_a.strip(), code_b.strip())  # type: ignore[return-value]
        a, b = self.edition.concept(code_a.strip()), self.edition.concept(code_b.strip())
        if a.id == b.id:
            return "equivalent"
        if self.edition.store.is_descendant(b.id, a.id):
            return "subsumes"
        if self.edition.store.is_descendant(a.id, b.id):
            return "subsumed-by"
        return "not-subsumed"

    def lookup_properties(self, info: ConceptInfo, wanted: Sequence[str]) -> Iterator[Property]:
        if isinstance(info, expressions.ExpressionConcept):
            return expressions.lookup_properties(self, info, wanted)
        return concept_properties(self.edition, info.row, wanted_properties(wanted),  # type: ignore[attr-defined]
                                  self.display_refsets)

    def display_candidates(self, info: ConceptInfo) -> Iterable[DisplayCandidate]:
        """Every synonym and FSN (not text definitions), in its language; inactive descriptions too, so a
        display that used to be right is reported as such (``INACTIVE_DISPLAY_FOUND``). An expression's are its
        renderings with the terms of each language."""
        if isinstance(info, expressions.ExpressionConcept):
            return expressions.display_candidates(self, info)
        return [(d.term, d.language_code, None, "active" if d.active else "inactive")
                for d in self.edition.store.descriptions(int(info.code)) if d.type_id != snomed.DEFINITION]

    # --- selections -------------------------------------------------------------------------------

    def all_codes(self) -> SnomedSelection:
        return SnomedSelection(self, self.edition.store.all_concepts(), expressions.every)

    def filter(self, prop: str, op: str, value: str) -> SnomedSelection:
        """The concepts (SQL) and expressions (a test) of one filter; ``expressions = true|false`` (the FHIR
        SNOMED CT filter: whether post-coordinated expressions are members) selects every concept."""
        if prop == "expressions" and op == "=" and value in ("true", "false"):
            found = self._selection(self.edition.store.all_concepts())
        else:
            found = self._concept_filter(prop, op, value)
        found.expressions = expressions.filter_test(prop, op, value)
        return found

    def _concept_filter(self, prop: str, op: str, value: str) -> SnomedSelection:
        store = self.edition.store
        if prop == "concept":
            if op in ("is-a", "descendent-of"):
                return self._selection(store.descendants(self._sctid(value), include_self=op == "is-a"))
            if op == "is-not-a":
                return self._selection(store.all_concepts().minus(store.descendants(self._sctid(value),
                                                                                    include_self=True)))
            if op == "in":
                sets = [store.refset_members(self._sctid(v)) for v in value.split(",")]
                return self._selection(_union(sets))
            if op == "=":
                return self._selection(store.ids([self._sctid(value)]))
            if op == "child-of":
                return self._ecl(f"<! {self._sctid(value)}")
            if op == "generalizes":
                return self._ecl(f">> {self._sctid(value)}")
        if prop in ("constraint", "expression") and op == "=":
            return self._ecl(value)
        if prop == "inactive" and op == "=" and value in ("true", "false"):
            return self._selection(store.inactive_concepts() if value == "true"
                                   else store.all_concepts(active_only=True))
        if prop == "moduleId" and op == "=":
            return self._selection(store.module_concepts(self._sctid(value)))
        if prop in ("parent", "child") and op == "=":
            return self._ecl(f"{'<!' if prop == 'parent' else '>!'} {self._sctid(value)}")
        if prop == "refset" and op == "exists" and value in ("true", "false"):
            return self._selection(store.refsets() if value == "true" else store.all_concepts().minus(store.refsets()))
        if snomed.is_concept_id(prop) and op == "=":
            return self._ecl(f"* : {prop} = {self._sctid(value)}")
        raise InvalidRequest("FILTER_NOT_UNDERSTOOD", prop, op, value, snomed.SYSTEM)

    def _sctid(self, value: str) -> int:
        return self.edition.check_sctid(value)

    def _selection(self, concepts: ConceptSet) -> SnomedSelection:
        return SnomedSelection(self, concepts)

    def _ecl(self, expression: str) -> SnomedSelection:
        return SnomedSelection(self, ecl.evaluate(self.edition, expression, limits=self.ecl_limits))


def _names_a_value_set(edition: Edition, op: str, concept_id: int) -> bool:
    """``isa/X``: X is a concept of the version; ``refset/X``: X is a refset with members in it (remembered per
    version, which never changes)."""
    cache = model_of(edition.store).cache
    key = ("implicit", op, concept_id)
    found = cache.get(key)
    if found is None:
        found = cache[key] = (edition.store.concept(concept_id) is not None if op == "is-a"
                              else edition.store.refset_fields(concept_id) is not None)
    return found


def _union(sets: list[ConceptSet]) -> ConceptSet:
    out = sets[0]
    for s in sets[1:]:
        out = out.union(s)
    return out


class SnomedSource:
    """The loaded SNOMED CT editions as built-in code systems of the engine's resolution, and the FHIR
    implicit value sets over them (``http://snomed.info/sct...?fhir_vs...``)."""

    def __init__(self, edition: Callable[[str | None], Edition], versions: Callable[[], list[str]], *,
                 max_codes: int, display_language: str | None, ecl_limits: ecl.EclLimits | None,
                 shared: MutableMapping[tuple, SnomedProvider] | None = None) -> None:
        self._edition = edition
        self._versions = versions
        self.max_codes = max_codes
        self.display_language = display_language
        self.ecl_limits = ecl_limits
        self.shared = shared
        """Providers kept across requests by (edition, display language): a provider holds nothing of a
        request but its languages, and an edition never changes once published."""
        self._chosen: dict[str | None, Edition] = {}
        """The edition each version named in this request means (an implicit value set's check and its code
        system resolve it once)."""

    def _edition_of(self, version: str | None) -> Edition:
        found = self._chosen.get(version)
        if found is None:
            found = self._chosen[version] = self._edition(version)
        return found

    def knows(self, url: str) -> bool:
        return url == snomed.SYSTEM

    def versions(self, url: str) -> list[str]:
        """The loaded version URIs (for "valid versions" in messages)."""
        return self._versions() if self.knows(url) else []

    def code_system(self, url: str, version: str | None) -> SnomedProvider | None:
        """The edition a version (a version URI, a module-only URI for its latest version, or None for the
        default edition) names; None when it is not loaded."""
        if not self.knows(url):
            return None
        try:
            edition = self._edition_of(version)
        except (UnknownCodeSystem, UnknownCodeSystemVersion):
            return None
        key = (edition.version.key, edition.version.storage, self.display_language)
        found = self.shared.get(key) if self.shared is not None else None
        if found is None or found.edition is not edition:
            found = SnomedProvider(edition, max_codes=self.max_codes, display_language=self.display_language,
                                   ecl_limits=self.ecl_limits)
            if self.shared is not None:
                self.shared[key] = found
        return found

    def value_set(self, url: str) -> dict | None:
        """The definition of an implicit value set URL (shared, read only); None for any other URL.
        UnknownValueSet when it names a concept the version does not have (``isa/X``) or a concept that is not a
        refset of the version (``refset/X``)."""
        if not snomed_implicit.is_implicit(url):
            return None
        vs = snomed_implicit.definition(url)
        include = vs["compose"]["include"][0]
        named = next((f for f in include.get("filter", []) if f["property"] == "concept"), None)
        if named is not None:
            try:
                edition = self._edition_of(include.get("version"))
            except (UnknownCodeSystem, UnknownCodeSystemVersion):
                return vs  # reported as an unknown version by the engine
            if not _names_a_value_set(edition, named["op"], int(named["value"])):
                raise UnknownValueSet("Unable_to_resolve_value_Set_", url, tx_code="not-found")
        return vs
