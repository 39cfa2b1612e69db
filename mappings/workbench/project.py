"""The mapping workbench (issue 21): a local term list in, a reviewed ConceptMap out.

1. :meth:`Workbench.create` reads the source list (:mod:`.files`), checks the target (SNOMED CT with an
   optional ECL or value set, KVÅ, ICD-10-SE or any stored CodeSystem), asks the terminology's suggestions
   (:class:`terminology.Suggester`) for every row and stores the project and its rows in one transaction.
2. Reviewers decide each row (:meth:`Workbench.decide`): a target with its relationship (FHIR R5
   ``ConceptMapRelationship``: ``equivalent``, ``source-is-broader-than-target``,
   ``source-is-narrower-than-target``, ``related-to``, ``not-related-to``), or NO MAP with a comment. Every
   decision goes into the project's history.
3. A second reviewer, who decided none of the rows, publishes (:meth:`Workbench.publish`): the decisions become
   a ConceptMap draft of the map's URL (a new version when one exists), stored through
   :class:`terminology.Authoring` like every other resource, so ``$translate`` and the care search's ``mapped``
   matches use it at once and it is released with the usual ``$release`` (by another informatiker).
4. After a new release, :meth:`Workbench.rerun` flags the rows whose target became inactive, with the
   replacements as suggestions.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Callable

import terminology as t

from . import files
from .store import WorkbenchStore, now

RELATIONSHIPS = ("equivalent", "source-is-broader-than-target", "source-is-narrower-than-target", "related-to",
                 "not-related-to")
"""FHIR R5 ConceptMapRelationship codes a reviewer may choose (http://hl7.org/fhir/concept-map-relationship)."""
NO_MAP_COMMENT = "https://vardterm.example/fhir/StructureDefinition/nomap-comment"
"""Extension of a ``noMap`` element carrying the reviewer's comment (R5 has ``comment`` on targets only)."""
SUGGESTIONS = 5
LOW_SCORE = 70
"""Rows whose best suggestion scores below this (per cent) are listed by the ``lag`` filter."""
FILTERS = ("alla", "ogranskade", "lag", "nomap", "flaggade", "granskade")


@dataclass(frozen=True)
class Target:
    """What a project maps to (see :class:`terminology.SuggestTarget`)."""

    system: str = t.snomed.SYSTEM
    version: str | None = None
    ecl: str | None = None
    value_set: str | None = None

    def suggest_target(self) -> t.SuggestTarget:
        return t.SuggestTarget(self.system, self.version or None, self.ecl or None, self.value_set or None)


class FileRejected(t.InvalidRequest):
    """A source list with problems; ``problems`` lists them per row (in Swedish). Nothing was stored."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("OP_UNSUPPORTED", text="Filen kan inte läsas in: " + "; ".join(problems))
        self.problems = problems


class Workbench:
    """Mapping projects over a :class:`terminology.TerminologyService` and its :class:`terminology.Authoring`."""

    def __init__(self, service: t.TerminologyService, authoring: t.Authoring) -> None:
        self.service = service
        self.authoring = authoring
        self.store = WorkbenchStore(service.db)

    # --- projects ----------------------------------------------------------------------------------

    def create(self, *, title: str, source_system: str, target: Target, data: bytes, file: str, by: t.Principal,
               map_url: str | None = None, progress: Callable[[int, int], None] | None = None) -> int:
        """Read the file, suggest targets for every row and store the project; FileRejected (row-level
        problems) or the target's error stores nothing."""
        t.require(by, *t.TERMINOLOGY_EDITORS, action="start a mapping project")
        title, source_system = (title or "").strip(), (source_system or "").strip()
        if not title:
            raise t.InvalidRequest.plain("Ge projektet ett namn", expression="title")
        if not source_system or ":" not in source_system:
            raise t.InvalidRequest.plain("Ange källsystemets URL (t.ex. https://region.example/kodverk/tjanster)",
                                         expression="source_system")
        source = files.read(data, file)
        if not source.ok:
            raise FileRejected(source.problems)
        suggester = self.suggester(target)
        rows = []
        total = len(source.rows)
        for i, r in enumerate(source.rows):
            found = self._suggest(suggester, r.term, r.code if source_system == t.snomed.SYSTEM else None)
            rows.append({"row_no": r.row_no, "source_code": r.code, "source_term": r.term,
                         "context": json.dumps(list(r.context), ensure_ascii=False),
                         "suggestions": json.dumps(found, ensure_ascii=False),
                         "top_score": round(found[0]["score"] * 100) if found else 0,
                         "no_map": 0})
            if progress and (i + 1 == total or (i + 1) % 50 == 0):
                progress(i + 1, total)
        slug = "".join(ch if ch.isalnum() else "-" for ch in title.lower()).strip("-") or "karta"
        project = {"title": title, "source_system": source_system, "target_system": target.system,
                   "target_version": target.version, "target_ecl": target.ecl, "target_value_set": target.value_set,
                   "map_url": (map_url or "").strip() or f"https://vardterm.example/fhir/ConceptMap/{slug}",
                   "file_name": file, "context_columns": json.dumps(list(source.context_columns), ensure_ascii=False),
                   "status": "granskas", "created_by": by.subject, "created_at": now()}
        return self.store.add_project(project, rows, by.subject)

    def suggester(self, target: Target) -> t.Suggester:
        """The prepared suggestions of a target; the target's own error (unknown code system or version, bad
        ECL, unknown value set) when it cannot be used."""
        return self.service.suggester(target.suggest_target())

    def projects(self) -> list[dict]:
        return self.store.projects()

    def project(self, pid: int) -> dict:
        found = self.store.project(pid)
        if found is None:
            raise t.UnknownResource.plain(f"Inget mappningsprojekt med id {pid}")
        found["context_columns"] = json.loads(found["context_columns"] or "[]")
        return found

    def target_of(self, project: dict) -> Target:
        return Target(project["target_system"], project["target_version"], project["target_ecl"],
                      project["target_value_set"])

    def rows(self, pid: int, *, which: str = "alla") -> list[dict]:
        """The rows of a project, filtered: ``alla``, ``ogranskade`` (undecided), ``lag`` (best suggestion below
        :data:`LOW_SCORE`), ``nomap``, ``flaggade`` (target became inactive), ``granskade`` (decided)."""
        if which not in FILTERS:
            raise t.InvalidRequest.plain(f"Okänt filter {which!r} (använd {', '.join(FILTERS)})", expression="filter")
        self.project(pid)
        rows = self.store.rows(pid)
        keep = {"alla": lambda r: True, "ogranskade": lambda r: not r["decided_at"],
                "lag": lambda r: r["top_score"] < LOW_SCORE, "nomap": lambda r: r["no_map"],
                "flaggade": lambda r: bool(r["flag"]), "granskade": lambda r: bool(r["decided_at"])}[which]
        return [r for r in rows if keep(r)]

    def row(self, pid: int, row_no: int) -> dict:
        found = self.store.row(pid, row_no)
        if found is None:
            raise t.UnknownResource.plain(f"Projekt {pid} har ingen rad {row_no}")
        return found

    def progress(self, pid: int) -> tuple[int, int]:
        """(rows decided, rows)."""
        rows = self.store.rows(pid)
        return sum(1 for r in rows if r["decided_at"]), len(rows)

    def history(self, pid: int) -> list[dict]:
        self.project(pid)
        return self.store.events(pid)

    # --- review ------------------------------------------------------------------------------------

    def search(self, pid: int, text: str, *, count: int = 10) -> list[dict]:
        """Search the project's target again with another text (the reviewer's "sök igen")."""
        project = self.project(pid)
        if not (text or "").strip():
            raise t.InvalidRequest.plain("Skriv en sökterm", expression="text")
        return self._suggest(self.suggester(self.target_of(project)), text, None, count=count)

    def decide(self, pid: int, row_no: int, *, by: t.Principal, code: str | None = None,
               relationship: str = "equivalent", no_map: bool = False, comment: str = "") -> dict:
        """Record a reviewer's decision on one row: a target ``code`` with its ``relationship``, or NO MAP (a
        comment is required: why there is no target)."""
        t.require(by, *t.TERMINOLOGY_EDITORS, action="review a mapping")
        project = self.project(pid)
        row = self.row(pid, row_no)
        if project["status"] == "publicerad":
            self.store.update_project(pid, {"status": "granskas"}, by.subject, "ändrat efter publicering: granskas igen")
        comment = (comment or "").strip()
        if no_map:
            if not comment:
                raise t.InvalidRequest.plain("NO MAP kräver en kommentar (varför det inte finns något mål)",
                                             expression="comment")
            values = {"target_code": None, "target_display": None, "relationship": None, "no_map": 1,
                      "comment": comment, "decided_by": by.subject, "decided_at": now(), "flag": None}
            what = f"rad {row_no} ({row['source_term']}): NO MAP – {comment}"
        else:
            code = (code or "").strip()
            if not code:
                raise t.InvalidRequest.plain("Välj ett mål (kod) eller NO MAP", expression="code")
            if relationship not in RELATIONSHIPS:
                raise t.InvalidRequest.plain(f"Okänd relation {relationship!r} (använd {', '.join(RELATIONSHIPS)})",
                                             expression="relationship")
            display = self._target_display(project, code)
            values = {"target_code": code, "target_display": display, "relationship": relationship, "no_map": 0,
                      "comment": comment or None, "decided_by": by.subject, "decided_at": now(), "flag": None}
            what = f"rad {row_no} ({row['source_term']}): {code} {display} ({relationship})"
        self.store.update_row(pid, row_no, values, by.subject, what)
        return self.row(pid, row_no)

    def _target_display(self, project: dict, code: str) -> str:
        """The Swedish display of an active target code; InvalidRequest when it is not one."""
        system, version = project["target_system"], project["target_version"]
        try:
            r = self.service.lookup(t.LookupRequest(system=system, code=code, version=version or None,
                                                    display_language="sv", properties=("inactive",)))
        except (t.UnknownCode, t.InvalidCode):
            raise t.InvalidRequest.plain(f"{code} är ingen kod i {system}", expression="code") from None
        if any(p.code == "inactive" and p.value is True for p in r.properties):
            raise t.InvalidRequest.plain(f"{code} är inaktiv i {system}; välj en aktiv kod", expression="code")
        return r.display or code

    # --- output ------------------------------------------------------------------------------------

    def publish(self, pid: int, *, by: t.Principal) -> t.Saved:
        """The second reviewer's confirmation: every row decided, ``by`` decided none of them (unless review is
        turned off); the decisions become a ConceptMap draft (see the module docstring)."""
        t.require(by, *t.TERMINOLOGY_EDITORS, action="publish a mapping")
        project = self.project(pid)
        rows = self.store.rows(pid)
        open_ = [r["row_no"] for r in rows if not r["decided_at"]]
        if open_:
            raise t.NotEditable.plain(f"{len(open_)} av {len(rows)} rader är inte granskade (första: rad {open_[0]})")
        deciders = {r["decided_by"] for r in rows}
        if self.authoring.review_required and by.subject in deciders:
            raise t.Forbidden.plain("Granskning krävs: en andra informatiker, som inte har beslutat någon rad, "
                                    "bekräftar och publicerar")
        resource = self.concept_map(project, rows)
        taken = {r.get("version") for r in self.authoring.versions(resource)}
        if taken:
            resource["version"] = t.lifecycle.next_version(max(taken, key=_version_key), taken)
        saved = self.authoring.create(resource, by=by, what=f"från mappningsprojekt {pid} ({project['title']})")
        self.store.update_project(pid, {"status": "publicerad", "confirmed_by": by.subject, "confirmed_at": now(),
                                        "concept_map_id": saved.resource["id"]}, by.subject,
                                  f"bekräftade och publicerade ConceptMap/{saved.resource['id']} version "
                                  f"{saved.resource.get('version')} (utkast)")
        return saved

    def concept_map(self, project: dict, rows: list[dict]) -> dict:
        """The project's decisions as an R5 ConceptMap draft (one group, source system -> target system)."""
        elements = []
        for r in rows:
            code = r["source_code"] or r["source_term"]
            element: dict = {"code": code, "display": r["source_term"]}
            if r["no_map"]:
                element["noMap"] = True
                if r["comment"]:
                    element["extension"] = [{"url": NO_MAP_COMMENT, "valueString": r["comment"]}]
            elif r["target_code"]:
                target = {"code": r["target_code"], "display": r["target_display"],
                          "relationship": r["relationship"] or "equivalent"}
                if r["comment"]:
                    target["comment"] = r["comment"]
                element["target"] = [target]
            elements.append(element)
        group: dict = {"source": project["source_system"], "target": project["target_system"], "element": elements}
        if project["target_system"] == t.snomed.SYSTEM and project["target_version"]:
            group["target"] = project["target_system"] + "|" + project["target_version"]
        name = "".join(ch for ch in project["title"].title() if ch.isalnum())[:60] or "Karta"
        return {"resourceType": "ConceptMap", "url": project["map_url"], "version": "1.0.0",
                "name": name if name[0].isalpha() else "K" + name, "title": project["title"], "status": "draft",
                "sourceScopeUri": project["source_system"], "targetScopeUri": project["target_system"],
                "description": f"Från mappningsprojekt {project['id']} (fil {project['file_name']}).",
                "group": [group]}

    def export(self, pid: int, *, fmt: str = "csv") -> tuple[str, bytes]:
        """``(file name, bytes)`` of the project's rows and decisions as CSV or Excel."""
        project = self.project(pid)
        header = ["rad", "kod", "term", *project["context_columns"], "målkod", "målterm", "relation", "nomap",
                  "kommentar", "beslutad_av", "beslutad", "förslag_1", "poäng_1", "flagga"]
        table = [header]
        for r in self.store.rows(pid):
            top = r["suggestions"][0] if r["suggestions"] else {}
            table.append([str(r["row_no"]), r["source_code"] or "", r["source_term"], *r["context"],
                          r["target_code"] or "", r["target_display"] or "", r["relationship"] or "",
                          "ja" if r["no_map"] else "", r["comment"] or "", r["decided_by"] or "", r["decided_at"] or "",
                          top.get("code", ""), str(top.get("score", "")), r["flag"] or ""])
        base = f"mappning-{pid}"
        if fmt == "xlsx":
            return base + ".xlsx", t.spreadsheet.xlsx_bytes(table, sheet="Mappning")
        if fmt != "csv":
            raise t.InvalidRequest.plain(f"Okänt format {fmt!r} (csv eller xlsx)", expression="format")
        return base + ".csv", t.spreadsheet.csv_bytes(table)

    # --- a new release -----------------------------------------------------------------------------

    def rerun(self, pid: int, *, by: t.Principal) -> int:
        """Check every decided target in the target's current version: a target that became inactive flags
        its row (undecided again) with the target's historical replacements as suggestions. Returns the
        number of rows flagged."""
        t.require(by, *t.TERMINOLOGY_EDITORS, action="re-run a mapping project")
        project = self.project(pid)
        suggester = self.suggester(self.target_of(project))
        flagged = 0
        for r in self.store.rows(pid):
            code = r["target_code"]
            if not code:
                continue
            try:
                self._target_display(project, code)
                continue
            except t.InvalidRequest:
                pass
            found = self._suggest(suggester, r["source_term"], code if project["target_system"] == t.snomed.SYSTEM
                                  else None)
            self.store.update_row(pid, r["row_no"], {"flag": f"målet {code} är inaktivt eller borta",
                                                     "suggestions": found, "decided_at": None,
                                                     "top_score": round(found[0]["score"] * 100) if found else 0},
                                  by.subject, f"rad {r['row_no']}: målet {code} är inaktivt; ersättare föreslås")
            flagged += 1
        self.store.update_project(pid, {"status": "granskas"} if flagged else {}, by.subject,
                                  f"körde om mot aktuell utgåva: {flagged} rader flaggade")
        return flagged

    # --- private -----------------------------------------------------------------------------------

    @staticmethod
    def _suggest(suggester: t.Suggester, term: str, code: str | None, *, count: int = SUGGESTIONS) -> list[dict]:
        try:
            found = suggester.suggest(term, code=code, count=count)
        except t.TooCostly:
            return []
        return [asdict(s) for s in found]


def _version_key(version: str | None) -> tuple:
    return tuple(int(p) if p.isdigit() else 0 for p in (version or "0").split("."))
