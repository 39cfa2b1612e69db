"""SNOMED CT subsets (urval) as versioned value sets: import from RF2 simple reference set files or a plain list of
concept ids, checked against a loaded edition.

SNOMED CT Release File Specification, "Simple Reference Set": columns ``id effectiveTime active moduleId
refsetId referencedComponentId``. A Snapshot (or a Full file, read as its snapshot: the newest row per member
id) gives the members (active rows); a Delta gives the changes to apply to the value set's latest version
(active rows add, inactive rows remove). A zip may hold either; the Snapshot is read when both are there.

Members are checked against the chosen edition: an inactive concept is listed with its historical
replacements (the association refsets SAME AS, REPLACED BY, POSSIBLY EQUIVALENT TO ...), an unknown or invalid
id is listed as such; none is dropped silently. The value set lists the active members (and, on request, the
replacements instead of the inactive ones); what happened to the others goes into its history.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass

from .. import snomed
from ..errors import InvalidRequest

HEADER = ("id", "effectiveTime", "active", "moduleId", "refsetId", "referencedComponentId")
FILE_NAME = re.compile(r"der2_Refset_Simple(Snapshot|Delta|Full)[^/]*\.txt$", re.IGNORECASE)
ASSOCIATION_NAMES = {snomed.SAME_AS: "SAME AS", snomed.REPLACED_BY: "REPLACED BY",
                     snomed.POSSIBLY_EQUIVALENT_TO: "POSSIBLY EQUIVALENT TO", snomed.ALTERNATIVE: "ALTERNATIVE",
                     snomed.WAS_A: "WAS A", snomed.MOVED_TO: "MOVED TO", snomed.MOVED_FROM: "MOVED FROM",
                     snomed.SIMILAR_TO: "SIMILAR TO", snomed.REFERS_TO: "REFERS TO",
                     snomed.POSSIBLY_REPLACED_BY: "POSSIBLY REPLACED BY",
                     snomed.PARTIALLY_EQUIVALENT_TO: "PARTIALLY EQUIVALENT TO"}
REPLACING = (snomed.SAME_AS, snomed.REPLACED_BY, snomed.POSSIBLY_EQUIVALENT_TO, snomed.POSSIBLY_REPLACED_BY,
             snomed.PARTIALLY_EQUIVALENT_TO, snomed.ALTERNATIVE)
"""Associations whose target may stand in for an inactive member (not WAS A or MOVED TO)."""
MAX_PROBLEMS = 20


@dataclass(frozen=True)
class Replacement:
    association: str
    code: str
    display: str | None


@dataclass(frozen=True)
class Member:
    line: int
    code: str
    state: str
    """``active``, ``inactive``, ``unknown`` (a valid id not in the edition) or ``invalid`` (not an SCTID)."""
    display: str | None = None
    replacements: tuple[Replacement, ...] = ()
    problem: str | None = None


@dataclass(frozen=True)
class SubsetPreview:
    file: str
    kind: str
    """``snapshot``, ``delta`` or ``list``."""
    refset_id: str | None
    edition: str
    members: tuple[Member, ...]
    """Members to include (Snapshot, list) or to add (Delta), each checked."""
    removed: tuple[str, ...] = ()
    """Delta: members to take out."""
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.members or self.removed)

    def by_state(self, state: str) -> list[Member]:
        return [m for m in self.members if m.state == state]


def read(data: bytes, file: str, *, refset: str | None = None) -> tuple[str, str | None, list[tuple[int, str, bool]],
                                                                         list[str]]:
    """``(kind, refset id, [(line, concept id, active)], problems)`` of an uploaded subset file."""
    if file.lower().endswith(".zip") or data[:4] == b"PK\x03\x04":
        return _from_zip(data, file, refset)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return "list", None, [], [f"Filen är inte UTF-8 (byte {exc.start})"]
    first = text.split("\n", 1)[0].strip().split("\t")
    if tuple(first) == HEADER:
        kind = "delta" if "delta" in file.lower() else "full" if "full" in file.lower() else "snapshot"
        return _from_rf2(text, kind, refset)
    return _from_list(text)


def _from_zip(data: bytes, file: str, refset: str | None):
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = [n for n in z.namelist() if FILE_NAME.search(n)]
            order = {"snapshot": 0, "full": 1, "delta": 2}
            names.sort(key=lambda n: order[FILE_NAME.search(n).group(1).lower()])
            if not names:
                return "snapshot", None, [], [f"{file} har ingen fil der2_Refset_Simple...txt (Snapshot, Delta eller Full)"]
            chosen = names[0]
            kind = FILE_NAME.search(chosen).group(1).lower()
            return _from_rf2(z.read(chosen).decode("utf-8-sig"), kind, refset)
    except (zipfile.BadZipFile, UnicodeDecodeError) as exc:
        return "snapshot", None, [], [f"{file} går inte att läsa som zip med RF2-filer ({exc})"]


def _from_rf2(text: str, kind: str, refset: str | None):
    problems, rows = [], []
    for line, cells in enumerate(csv.reader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE), start=1):
        if line == 1 or not any(c.strip() for c in cells):
            continue
        if len(cells) != 6:
            problems.append(f"rad {line}: {len(cells)} kolumner, en enkel refset har 6")
            continue
        member_id, effective, active, _module, refset_id, component = (c.strip() for c in cells)
        if active not in ("0", "1") or not effective.isdigit() or not refset_id.isdigit():
            problems.append(f"rad {line}: active ska vara 0 eller 1, effectiveTime och refsetId siffror")
            continue
        rows.append((line, member_id, effective, active == "1", refset_id, component))
    refsets = sorted({r[4] for r in rows})
    if refset:
        rows = [r for r in rows if r[4] == refset]
        if not rows:
            problems.append(f"Filen har inga rader för refset {refset} (den har {', '.join(refsets) or 'inga'})")
    elif len(refsets) > 1:
        problems.append(f"Filen har flera refset: {', '.join(refsets)}; välj en")
        rows = []
    if kind == "full":
        newest: dict[str, tuple] = {}
        for r in rows:
            if r[1] not in newest or r[2] >= newest[r[1]][2]:
                newest[r[1]] = r
        rows, kind = sorted(newest.values()), "snapshot"
    if kind == "snapshot":
        rows = [r for r in rows if r[3]]
    members = [(line, component, active) for line, _, _, active, _, component in rows]
    refset_id = refset or (refsets[0] if len(refsets) == 1 else None)
    return kind, refset_id, members, problems[:MAX_PROBLEMS]


def _from_list(text: str):
    members, problems = [], []
    for line, raw in enumerate(text.splitlines(), start=1):
        value = raw.strip()
        if not value or value.startswith("#"):
            continue
        token = re.split(r"[\s|;,\t]+", value, maxsplit=1)[0]
        if not token.isdigit():
            if line == 1:
                continue  # a header such as "conceptId"
            problems.append(f"rad {line}: '{token}' är inget begrepps-id")
            continue
        members.append((line, token, True))
    if not members and not problems:
        problems.append("Filen har inga begrepps-id")
    return "list", None, members, problems[:MAX_PROBLEMS]


def check(edition, data: bytes, file: str, *, refset: str | None = None) -> SubsetPreview:
    """Read a subset file and check each member in ``edition`` (a loaded SNOMED CT edition)."""
    kind, refset_id, rows, problems = read(data, file, refset=refset)
    refsets = edition.display_refsets("sv")
    members, removed, seen = [], [], set()
    for line, code, active in rows:
        if not active:
            removed.append(code)
            continue
        if code in seen:
            continue
        seen.add(code)
        members.append(_member(edition, refsets, line, code))
    return SubsetPreview(file, kind, refset_id, edition.version.version, tuple(members), tuple(removed),
                         tuple(problems))


def _member(edition, refsets, line: int, code: str) -> Member:
    problem = snomed.sctid_problem(code, snomed.PARTITION_CONCEPT)
    if problem:
        return Member(line, code, "invalid", problem=problem)
    row = edition.find(code)
    if row is None:
        return Member(line, code, "unknown", problem="finns inte i utgåvan")
    display = edition.store.displays([row.id], refsets).get(row.id)
    if row.active:
        return Member(line, code, "active", display)
    targets = edition.store.associations(row.id)
    names = edition.store.displays([t for _, t in targets], refsets)
    replacements = tuple(Replacement(ASSOCIATION_NAMES.get(r, str(r)), str(t), names.get(t))
                         for r, t in targets)
    return Member(line, code, "inactive", display, replacements)


def members_after(preview: SubsetPreview, previous: list[dict], *, replace_inactive: bool) -> list[dict]:
    """The ``compose.include.concept`` list the import makes: for a Delta the previous version's concepts with
    the changes applied, else the subset's members; active members always, inactive ones replaced by their
    replacing associations' targets when ``replace_inactive``."""
    out: dict[str, dict] = {}
    if preview.kind == "delta":
        out = {c["code"]: c for c in previous}
        for code in preview.removed:
            out.pop(code, None)
    for m in preview.members:
        if m.state == "active":
            out[m.code] = {"code": m.code, **({"display": m.display} if m.display else {})}
        elif m.state == "inactive" and replace_inactive:
            for r in m.replacements:
                if r.association in {ASSOCIATION_NAMES[a] for a in REPLACING}:
                    out.setdefault(r.code, {"code": r.code, **({"display": r.display} if r.display else {})})
    return list(out.values())


def report(preview: SubsetPreview, *, replace_inactive: bool) -> str:
    """What the import did with the members that are not plain active concepts (for the history)."""
    parts = [f"{len(preview.by_state('active'))} aktiva medlemmar från {preview.file} ({preview.kind}), "
             f"kontrollerade mot {preview.edition}"]
    for m in preview.by_state("inactive"):
        repl = ", ".join(f"{r.association} {r.code}" for r in m.replacements) or "ingen ersättare"
        parts.append(f"{m.code} inaktiv ({repl}){' ersatt' if replace_inactive and m.replacements else ' utelämnad'}")
    for m in preview.members:
        if m.state in ("unknown", "invalid"):
            parts.append(f"{m.code} {m.problem}, utelämnad")
    if preview.removed:
        parts.append(f"{len(preview.removed)} borttagna enligt Delta")
    return "; ".join(parts)


def value_set(preview: SubsetPreview, concepts: list[dict], *, url: str, version: str, name: str, title: str,
              base: dict | None = None) -> dict:
    """The ValueSet of an imported subset (a draft), with the refset id as identifier."""
    if not concepts:
        raise InvalidRequest.plain("Urvalet har inga aktiva medlemmar att ta med")
    resource = {k: v for k, v in (base or {}).items() if k not in ("meta", "id", "compose", "date", "status")}
    resource.update({"resourceType": "ValueSet", "url": url, "version": version, "status": "draft"})
    if name:
        resource["name"] = name
    if title:
        resource["title"] = title
    if preview.refset_id:
        resource["identifier"] = [{"system": snomed.SYSTEM, "value": preview.refset_id}]
    resource["compose"] = {"include": [{"system": snomed.SYSTEM, "concept": concepts}]}
    return resource
