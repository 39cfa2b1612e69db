"""The release diff between two loaded versions of one code system.

SNOMED CT: two loaded version URIs (``http://snomed.info/sct/<module>/version/<date>``), compared in the
database by :func:`terminology.store.release_diff.snomed_diff` (set operations over both storages), then
named here (displays in Swedish where the release has them, else English, else the FSN).

A CodeSystem resource (KVÅ 2025 and 2026, ...): two stored business versions of one canonical URL, given as
``url|version``, compared concept by concept. A concept is inactive when its ``status`` property says
``retired``/``inactive``/``deprecated`` or its ``inactive`` property is true (FHIR R5 codesystem.html
"Concept properties"), and a code that the newer version no longer lists counts as inactivated too. A
replacement is read from a ``replacedBy`` concept property, if the code system has one.
"""

from __future__ import annotations

from collections import Counter
from typing import Callable

from .. import editions, snomed
from ..authoring.codesystem import ConceptRow, rows
from ..bounded import Bounded
from ..errors import InvalidRequest, UnknownCodeSystemVersion
from ..model import CodeSystemVersion
from ..store import Database, SnomedStore
from ..store.release_diff import RawDiff, snomed_diff
from .model import (ASSOCIATION_NAMES, REASON_NAMES, Association, DescriptionChange, Inactivation, Move, Ref,
                    RefsetChange, ReleaseDiff, TermChange)

DISPLAY_REFSETS = (snomed.SWEDISH_LANGUAGE_REFSET, snomed.US_ENGLISH, snomed.GB_ENGLISH)
REFSET_LANGUAGES = {snomed.SWEDISH_LANGUAGE_REFSET: "sv", snomed.US_ENGLISH: "en-US", snomed.GB_ENGLISH: "en-GB",
                    0: "fsn"}


def parse_side(value: str) -> tuple[str, str]:
    """``(system, version)`` of a FROM/TO argument: a SNOMED CT version URI, or a CodeSystem ``url|version``."""
    value = (value or "").strip()
    if value.startswith((snomed.VERSION_PREFIX, snomed.EXPERIMENTAL_VERSION_PREFIX)):
        editions.parse_version(value)
        return snomed.SYSTEM, value
    if "|" in value:
        url, version = value.split("|", 1)
        if url.strip() and version.strip():
            return url.strip(), version.strip()
    raise InvalidRequest.plain(f"'{value}' är varken en SNOMED CT-version (http://snomed.info/sct/<modul>/version/"
                               f"<ÅÅÅÅMMDD>) eller ett kodverks url|version")


def snomed_versions(db: Database, from_version: str, to_version: str) -> tuple[CodeSystemVersion, CodeSystemVersion]:
    """The two loaded SNOMED CT versions (a module-only URI means that edition's latest)."""
    loaded = db.versions(kind="snomed")
    a, b = editions.resolve(loaded, from_version), editions.resolve(loaded, to_version)
    if a.key == b.key:
        raise InvalidRequest.plain(f"FROM och TO är samma version ({a.version}): ange två inlästa versioner")
    return a, b


def diff_snomed(db: Database, from_version: str, to_version: str,
                store_of: Callable[[CodeSystemVersion], SnomedStore], cache: Bounded | None = None) -> ReleaseDiff:
    """The release diff of two loaded SNOMED CT versions (see :mod:`terminology.store.release_diff`).

    A published version never changes (a reload is a new storage), so the diff of two storages is kept in
    ``cache`` when one is given: the page and the decisions on it do not compute it again."""
    a, b = snomed_versions(db, from_version, to_version)
    key = (a.storage, b.storage)
    found = cache.get(key) if cache is not None else None
    if found is None:
        found = _named(snomed_diff(db, a, b), a, b, store_of(a), store_of(b))
        if cache is not None:
            cache[key] = found
    return found


def _named(raw: RawDiff, a: CodeSystemVersion, b: CodeSystemVersion, sa: SnomedStore, sb: SnomedStore
           ) -> ReleaseDiff:
    ids_b = ({c for c, _ in raw.added} | {c for c, _ in raw.reactivated} | {c for c, _ in raw.inactivated}
             | {c for c, _ in raw.parents_added} | {p for _, p in raw.parents_added}
             | {p for _, p in raw.parents_removed} | {t[0] for t in raw.terms} | set(raw.hierarchy.values())
             | {t for ts in raw.associations.values() for _, t in ts} | {r for r, _ in raw.refsets_added}
             | {r for r, _ in raw.refsets_removed})
    names = _displays(sb, sorted(ids_b))
    missing = sorted(ids_b - set(names))
    names.update(_displays(sa, missing))

    def ref(c: int) -> Ref:
        return Ref(str(c), names.get(c))

    inactivated = tuple(
        Inactivation(ref(c), str(raw.reasons[c]) if c in raw.reasons else None,
                     REASON_NAMES.get(raw.reasons.get(c, 0)),
                     tuple(Association(ASSOCIATION_NAMES.get(r, str(r)), ref(t))
                           for r, t in sorted(raw.associations.get(c, []))))
        for c, _ in sorted(raw.inactivated))
    parents: dict[int, tuple[list[int], list[int]]] = {}
    for c, p in raw.parents_added:
        parents.setdefault(c, ([], []))[0].append(p)
    for c, p in raw.parents_removed:
        parents.setdefault(c, ([], []))[1].append(p)
    moved = tuple(Move(ref(c), tuple(ref(p) for p in sorted(add)), tuple(ref(p) for p in sorted(rem)))
                  for c, (add, rem) in sorted(parents.items()))
    terms = tuple(TermChange(ref(c), REFSET_LANGUAGES.get(r, str(r)), o, n) for c, r, o, n in sorted(
        raw.terms, key=lambda t: (t[0], t[1])))
    members: dict[int, tuple[list[int], list[int]]] = {}
    for r, c in raw.refsets_added:
        members.setdefault(r, ([], []))[0].append(c)
    for r, c in raw.refsets_removed:
        members.setdefault(r, ([], []))[1].append(c)
    refsets = tuple(RefsetChange(ref(r), tuple(str(c) for c in sorted(add)), tuple(str(c) for c in sorted(rem)))
                    for r, (add, rem) in sorted(members.items()))
    categories = {"added": [c for c, _ in raw.added], "reactivated": [c for c, _ in raw.reactivated],
                  "inactivated": [c for c, _ in raw.inactivated], "moved": list(parents),
                  "terms": sorted({t[0] for t in raw.terms})}
    by_hierarchy = {k: _count(names.get(raw.hierarchy[c], str(raw.hierarchy[c])) if c in raw.hierarchy else "-"
                              for c in v) for k, v in categories.items()}
    by_module = {k: _count(str(raw.modules.get(c, "-")) for c in v) for k, v in categories.items()}
    return ReleaseDiff(
        system=snomed.SYSTEM, from_version=a.version, to_version=b.version,
        added=tuple(ref(c) for c, _ in sorted(raw.added)), reactivated=tuple(ref(c) for c, _ in sorted(raw.reactivated)),
        inactivated=inactivated, moved=moved, terms=terms,
        descriptions_added=tuple(_description(d) for d in sorted(raw.descriptions_added)),
        descriptions_inactivated=tuple(_description(d) for d in sorted(raw.descriptions_inactivated)),
        refsets=refsets, by_hierarchy=by_hierarchy, by_module=by_module)


def _count(values) -> dict[str, int]:
    return dict(sorted(Counter(values).items(), key=lambda kv: (-kv[1], kv[0])))


def _displays(store: SnomedStore, ids: list[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    for i in range(0, len(ids), 5000):
        out.update(store.displays(ids[i:i + 5000], DISPLAY_REFSETS))
    return out


def _description(d: tuple) -> DescriptionChange:
    did, concept, language, type_id, term = d
    return DescriptionChange(str(did), str(concept), language, snomed.DESCRIPTION_TYPES.get(int(type_id), str(type_id)),
                             term)


# --- CodeSystem resources ----------------------------------------------------------------------------

def diff_code_system(find: Callable[[str, str], list[dict]], url: str, from_version: str, to_version: str
                     ) -> ReleaseDiff:
    """The diff of two stored versions of the CodeSystem ``url`` (``find(url, version)`` reads them)."""
    if from_version == to_version:
        raise InvalidRequest.plain(f"FROM och TO är samma version ({url}|{from_version}): ange två versioner")
    before, after = _code_system(find, url, from_version), _code_system(find, url, to_version)
    ra, rb = {r.code: r for r in rows(before)}, {r.code: r for r in rows(after)}

    def ref(code: str) -> Ref:
        row = rb.get(code) or ra.get(code)
        return Ref(code, (row.sv or row.display) if row else None)

    added = tuple(ref(c) for c in sorted(rb) if c not in ra and not rb[c].retired)
    reactivated = tuple(ref(c) for c in sorted(rb) if c in ra and ra[c].retired and not rb[c].retired)
    inactivated = []
    for c in sorted(ra):
        if ra[c].retired or (c in rb and not rb[c].retired):
            continue
        gone = c not in rb
        targets = [v for k, v in (rb[c].properties if not gone else ()) if k in ("replacedBy", "replaced-by")]
        inactivated.append(Inactivation(ref(c), "removed" if gone else "retired",
                                        "borttagen ur kodverket" if gone else "utgången",
                                        tuple(Association("replacedBy", ref(t)) for t in targets)))
    moved, terms = [], []
    for c in sorted(set(ra) & set(rb)):
        x, y = ra[c], rb[c]
        if x.retired or y.retired:
            continue
        if x.parent != y.parent:
            moved.append(Move(ref(c), (ref(y.parent),) if y.parent else (), (ref(x.parent),) if x.parent else ()))
        for language, old, new in (("display", x.display, y.display), ("sv", x.sv, y.sv), ("en", x.en, y.en)):
            if old != new:
                terms.append(TermChange(ref(c), language, old or None, new or None))
    tops_a, tops_b = _tops(ra), _tops(rb)
    categories = {"added": [r.code for r in added], "reactivated": [r.code for r in reactivated],
                  "inactivated": [i.concept.code for i in inactivated], "moved": [m.concept.code for m in moved],
                  "terms": sorted({t.concept.code for t in terms})}
    by_hierarchy = {k: _count(_top_name(c, tops_b, tops_a, rb, ra) for c in v) for k, v in categories.items()}
    return ReleaseDiff(system=url, from_version=from_version, to_version=to_version, added=added,
                       reactivated=reactivated, inactivated=tuple(inactivated), moved=tuple(moved), terms=tuple(terms),
                       by_hierarchy=by_hierarchy, by_module={})


def _code_system(find, url: str, version: str) -> dict:
    found = [r for r in find(url, version) if r.get("resourceType") == "CodeSystem"]
    if not found:
        raise UnknownCodeSystemVersion("UNKNOWN_CODESYSTEM_VERSION", url, version,
                                       ", ".join(sorted(str(r.get("version")) for r in find(url, None))) or "-")
    return found[0]


def _tops(by_code: dict[str, ConceptRow]) -> dict[str, str]:
    out = {}
    for code in by_code:
        seen, c = set(), code
        while by_code.get(c) and by_code[c].parent and by_code[c].parent in by_code and c not in seen:
            seen.add(c)
            c = by_code[c].parent
        out[code] = c
    return out


def _top_name(code: str, tops_b: dict, tops_a: dict, rb: dict, ra: dict) -> str:
    top = tops_b.get(code) or tops_a.get(code) or code
    row = rb.get(top) or ra.get(top)
    return f"{top} {row.display}" if row else top
