"""The JSON and CSV shapes of a release diff and its impact (the CLI's ``--json`` / ``--csv``, ``/api`` and the
page's downloads share them). CSV: one row per change or finding, RFC 4180 via the ``csv`` module."""

from __future__ import annotations

import csv
import io

from .model import Finding, Impact, Ref, ReleaseDiff


def _ref(r: Ref) -> dict:
    return {"code": r.code, "display": r.display}


def diff_json(d: ReleaseDiff) -> dict:
    return {
        "system": d.system, "from": d.from_version, "to": d.to_version, "counts": d.counts(),
        "byHierarchy": d.by_hierarchy, "byModule": d.by_module,
        "added": [_ref(r) for r in d.added], "reactivated": [_ref(r) for r in d.reactivated],
        "inactivated": [{**_ref(i.concept), "reason": i.reason, "reasonText": i.reason_text,
                         "associations": [{"type": a.name, **_ref(a.target)} for a in i.associations]}
                        for i in d.inactivated],
        "moved": [{**_ref(m.concept), "parentsAdded": [_ref(p) for p in m.parents_added],
                   "parentsRemoved": [_ref(p) for p in m.parents_removed]} for m in d.moved],
        "terms": [{**_ref(t.concept), "language": t.language, "before": t.before, "after": t.after}
                  for t in d.terms],
        "descriptionsAdded": [_description(x) for x in d.descriptions_added],
        "descriptionsInactivated": [_description(x) for x in d.descriptions_inactivated],
        "refsets": [{**_ref(r.refset), "added": list(r.added), "removed": list(r.removed)} for r in d.refsets],
    }


def _description(x) -> dict:
    return {"id": x.id, "concept": x.concept, "language": x.language, "type": x.type, "term": x.term}


def finding_json(f: Finding, decision=None) -> dict:
    out = {"key": f.key, "kind": f.kind, "target": f.target, "title": f.title, "code": f.code,
           "display": f.display, "change": f.change, "cause": f.cause, "text": f.text,
           "replacements": [{"type": a.name, **_ref(a.target)} for a in f.replacements]}
    if f.kind == "service":
        out.update(regions=list(f.region), agreements=list(f.agreements),
                   searchesLost=[_ref(r) for r in f.searches_lost], searchesGained=[_ref(r) for r in f.searches_gained])
    if decision is not None:
        out["decision"] = {"action": decision.action, "who": decision.who, "at": decision.at,
                           "replacement": decision.replacement, "comment": decision.comment,
                           "result": decision.result}
    return out


def impact_json(i: Impact, decisions: dict | None = None) -> dict:
    decisions = decisions or {}
    return {"system": i.diff.system, "from": i.diff.from_version, "to": i.diff.to_version,
            "diffCounts": i.diff.counts(), "checked": i.checked, "summary": i.summary(), "notes": list(i.notes),
            "findings": [finding_json(f, decisions.get(f.key)) for f in i.findings]}


DIFF_COLUMNS = ("change", "code", "display", "detail")
IMPACT_COLUMNS = ("kind", "target", "title", "change", "cause", "code", "display", "suggestion", "text",
                  "regions", "agreements", "decision")


def diff_rows(d: ReleaseDiff) -> list[list[str]]:
    rows: list[list[str]] = []
    rows += [["added", r.code, r.display or "", ""] for r in d.added]
    rows += [["reactivated", r.code, r.display or "", ""] for r in d.reactivated]
    rows += [["inactivated", i.concept.code, i.concept.display or "",
              "; ".join([i.reason_text or ""] + [f"{a.name} {a.target.code}" for a in i.associations]).strip("; ")]
             for i in d.inactivated]
    rows += [["moved", m.concept.code, m.concept.display or "",
              " ".join([f"+{p.code}" for p in m.parents_added] + [f"-{p.code}" for p in m.parents_removed])]
             for m in d.moved]
    rows += [["term", t.concept.code, t.concept.display or "", f"{t.language}: {t.before or ''} -> {t.after or ''}"]
             for t in d.terms]
    rows += [["description-added", x.concept, x.term, f"{x.id} {x.language} {x.type}"] for x in d.descriptions_added]
    rows += [["description-inactivated", x.concept, x.term, f"{x.id} {x.language} {x.type}"]
             for x in d.descriptions_inactivated]
    rows += [["refset", r.refset.code, r.refset.display or "", f"+{len(r.added)} -{len(r.removed)}"]
             for r in d.refsets]
    return rows


def impact_rows(i: Impact, decisions: dict | None = None) -> list[list[str]]:
    decisions = decisions or {}
    out = []
    for f in i.findings:
        s = f.suggestion
        d = decisions.get(f.key)
        out.append([f.kind, f.target, f.title, f.change, f.cause, f.code, f.display or "",
                    f"{s.name} {s.target.code} {s.target.display or ''}".strip() if s else "", f.text,
                    ", ".join(f.region), ", ".join(f.agreements), f"{d.action} ({d.who})" if d else ""])
    return out


def _csv(header, rows) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def diff_csv(d: ReleaseDiff) -> str:
    return _csv(DIFF_COLUMNS, diff_rows(d))


def impact_csv(i: Impact, decisions: dict | None = None) -> str:
    return _csv(IMPACT_COLUMNS, impact_rows(i, decisions))
