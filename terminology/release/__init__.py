"""A new release lands: what changed (the release diff), what it breaks in the stored value sets and maps (the
impact), and the decisions informatiker take on each finding (the guided fix). The care directory's side is
``mappings.care.release``; the CLI and the web page put both together.

Nothing changes without a person's decision: accepting a replacement for a value set or a map writes a new
*draft* version (CRMI ``$draft``; it is released by the usual review), and every decision is recorded with who
took it and why (``release_decision``).
"""

from __future__ import annotations

import copy

from .. import snomed
from ..access import TERMINOLOGY_EDITORS, Principal, require
from ..bounded import Bounded
from ..errors import InvalidRequest, TerminologyError
from ..model import Coding
from ..requests import ValidateRequest
from ..store.release_review import Decision, DecisionStore
from .diff import diff_code_system, diff_snomed, parse_side
from .impact import concept_map_impact, title_of, value_set_impact
from .kept import KeptImpacts
from .model import (ASSOCIATION_NAMES, REASON_NAMES, REPLACEMENT_ORDER, Association, DescriptionChange, Finding, Impact, Inactivation,
                    Move, Ref, RefsetChange, ReleaseDiff, TermChange)
from .render import (DIFF_COLUMNS, IMPACT_COLUMNS, diff_csv, diff_json, diff_rows, finding_json, impact_csv, impact_json,
                     impact_rows)

__all__ = ["REPLACEMENT_ORDER", "DIFF_COLUMNS", "IMPACT_COLUMNS", "diff_rows", "impact_rows", "ASSOCIATION_NAMES", "Association", "Decision", "DescriptionChange", "Finding", "Impact", "Inactivation",
           "KeptImpacts", "Move", "REASON_NAMES", "Ref", "RefsetChange", "ReleaseDiff", "ReleaseReview", "TermChange", "diff_csv",
           "diff_json", "finding_json", "impact_csv", "impact_json", "parse_finding", "parse_side", "title_of"]

ACTIONS = ("accepted", "replaced", "dismissed")


def parse_finding(key: str) -> tuple[str, str, str, str]:
    """``(kind, target, change, code)`` of a :attr:`Finding.key`; InvalidRequest when it is not one."""
    parts = (key or "").split(":", 3)
    if len(parts) != 4 or parts[0] not in ("valueset", "conceptmap", "service") or not all(parts):
        raise InvalidRequest.plain(f"'{key}' är inte ett fynd i en releasepåverkan (typ:mål:ändring:kod)")
    return parts[0], parts[1], parts[2], parts[3]


class ReleaseReview:
    """Release diff, impact on value sets and maps, and decisions (shared by the requests of one process).

    :param service: the :class:`~terminology.TerminologyService`.
    :param authoring: the :class:`~terminology.Authoring` facade that writes draft versions.
    """

    def __init__(self, service, authoring) -> None:
        self.service = service
        self.authoring = authoring
        self.store = DecisionStore(service.db)
        self._diffs = Bounded(4, "release_diffs")
        self.impacts = KeptImpacts(4)

    # --- reading ---------------------------------------------------------------------------------

    def diff(self, from_: str, to: str) -> ReleaseDiff:
        """The release diff between two loaded versions: SNOMED CT version URIs, or ``url|version`` of two
        stored CodeSystem versions."""
        (sa, va), (sb, vb) = parse_side(from_), parse_side(to)
        if sa != sb:
            raise InvalidRequest.plain(f"FROM och TO är versioner av olika kodverk ({sa}, {sb})")
        if sa == snomed.SYSTEM:
            return diff_snomed(self.service.db, va, vb, lambda v: self.service.edition(v.version).store, self._diffs)
        return diff_code_system(lambda url, version: self.service.repository.find("CodeSystem", url, version),
                                sa, va, vb)

    def impact(self, diff: ReleaseDiff, *, value_sets: list[dict] | None = None,
               concept_maps: list[dict] | None = None) -> Impact:
        """The findings of ``diff`` in the current active value sets and the current concept maps (or the ones
        given)."""
        if value_sets is None:
            value_sets = [r for r in self.service.repository.current("ValueSet") if r.get("status") == "active"]
        if concept_maps is None:
            concept_maps = self.service.repository.current("ConceptMap")
        vs_findings, notes, vs_checked = value_set_impact(self.service, diff, value_sets,
                                                          limit=self.service.max_expansion)
        cm_findings, cm_checked = concept_map_impact(diff, concept_maps)
        return Impact(diff, tuple(vs_findings + cm_findings), tuple(notes),
                      {"valueset": vs_checked, "conceptmap": cm_checked})

    def kept_impact(self, diff: ReleaseDiff, compute, *, also: tuple = (), wait: float | None = None
                    ) -> Impact | None:
        """The impact of ``diff`` that ``compute()`` makes, kept per system, FROM, TO, catalog generation and
        ``also`` (what else it read, e.g. the care directory's generation); None when ``wait`` seconds pass
        before it is computed (see :mod:`terminology.release.kept`)."""
        key = (diff.system, diff.from_version, diff.to_version, self.service.generation(), *also)
        return self.impacts.get(key, compute, wait)

    def decisions(self, diff: ReleaseDiff) -> dict[str, Decision]:
        return self.store.decisions(diff.system, diff.from_version, diff.to_version)

    # --- deciding --------------------------------------------------------------------------------

    def check_replacement(self, system: str, version: str, code: str) -> str | None:
        """The display of ``code`` when it is an active code of ``system`` at ``version``, else InvalidRequest."""
        code = (code or "").strip()
        if not code:
            raise InvalidRequest.plain("Ange ett begrepp att ersätta med", expression="replacement")
        try:
            result = self.service.validate(ValidateRequest(
                target="CodeSystem", mode="code", url=system, version=version,
                codings=(Coding(system, code, None, version),), display_language="sv"))
        except TerminologyError as exc:
            raise InvalidRequest.plain(f"{code} kan inte kontrolleras: {exc.text}", expression="replacement") from None
        if not result.result or result.inactive:
            raise InvalidRequest.plain(f"{code} är inte ett aktivt begrepp i {version}", expression="replacement")
        return result.display

    def decide(self, diff: ReleaseDiff, key: str, *, action: str, by: Principal, replacement: str | None = None,
               comment: str | None = None, result: str | None = None) -> Decision:
        """Record a decision; for value sets and maps, ``accepted`` / ``replaced`` first writes the draft."""
        kind, target, change, code = parse_finding(key)
        if action not in ACTIONS:
            raise InvalidRequest.plain(f"okänt beslut '{action}' (accepted, replaced eller dismissed)",
                                       expression="action")
        if kind != "service":
            require(by, *TERMINOLOGY_EDITORS, action="decide on a release finding")
        if action == "dismissed":
            if not (comment or "").strip():
                raise InvalidRequest.plain("Skriv en kommentar om varför fyndet avfärdas", expression="comment")
            replacement = None
        elif kind != "service":
            self.check_replacement(diff.system, diff.to_version, replacement or "")
            rtype = "ValueSet" if kind == "valueset" else "ConceptMap"
            why = (f"release {diff.from_version} -> {diff.to_version}: {code} ersatt med {replacement}"
                   + (f" ({comment.strip()})" if comment and comment.strip() else ""))
            result = self._draft_with(rtype, target, diff.system, code, replacement.strip(), by, why, change)
        return self.store.record(who=by.subject, system=diff.system, from_version=diff.from_version,
                                 to_version=diff.to_version, finding=key, kind=kind, target=target, code=code,
                                 action=action, replacement=replacement.strip() if replacement else None,
                                 comment=(comment or "").strip() or None, result=result)

    def _draft_with(self, rtype: str, id_: str, system: str, code: str, replacement: str, by: Principal, why: str,
                    change: str) -> str:
        """Write the replacement into a draft of the resource (the newest draft of its URL, or a new one)."""
        current = self.authoring.read(rtype, id_)
        draft = next((r for r in self.authoring.versions(current) if r.get("status") == "draft"), None)
        if draft is None:
            draft = self.authoring.draft(rtype, id_, by=by).resource
        changed = copy.deepcopy(draft)
        if rtype == "ValueSet":
            _replace_in_compose(changed, system, code, replacement, add=change in ("left", "listed-inactive"))
        else:
            _replace_in_map(changed, system, code, replacement)
        self.authoring.save(rtype, changed["id"], changed, by=by, what=why)
        return f"{rtype}/{changed['id']} (utkast {changed.get('version') or '-'})"


def _replace_in_compose(vs: dict, system: str, code: str, replacement: str, *, add: bool) -> None:
    compose = vs.setdefault("compose", {})
    replaced = False
    for part in compose.get("include", []):
        if part.get("system") != system:
            continue
        concepts = part.get("concept", [])
        if any(c.get("code") == code for c in concepts):
            have = {c.get("code") for c in concepts}
            part["concept"] = [({"code": replacement} if c.get("code") == code else c) for c in concepts
                               if not (c.get("code") == code and replacement in have)]
            replaced = True
    if not replaced and add:
        compose.setdefault("include", []).append({"system": system, "concept": [{"code": replacement}]})


def _replace_in_map(cm: dict, system: str, code: str, replacement: str) -> None:
    for g in cm.get("group", []):
        if (g.get("source") or "").split("|")[0] == system:
            for e in g.get("element", []):
                if e.get("code") == code:
                    e["code"] = replacement
                    e.pop("display", None)
        if (g.get("target") or "").split("|")[0] == system:
            for e in g.get("element", []):
                for t in e.get("target", []):
                    if t.get("code") == code:
                        t["code"] = replacement
                        t.pop("display", None)
