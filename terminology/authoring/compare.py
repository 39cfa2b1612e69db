"""Two versions of a code system, value set or concept map side by side: which metadata elements changed, which
lines of the definition were removed and added (:mod:`.describe`), and for value sets which members the
expansions gained and lost."""

from __future__ import annotations

from dataclasses import dataclass

from . import describe


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: str | None
    after: str | None


@dataclass(frozen=True)
class Member:
    system: str
    code: str
    display: str | None


@dataclass(frozen=True)
class Comparison:
    """What changed from ``before`` to ``after``."""

    before: dict
    after: dict
    metadata: tuple[FieldChange, ...]
    removed: tuple[str, ...]
    """Definition lines only in ``before``."""
    added: tuple[str, ...]
    members_removed: tuple[Member, ...] = ()
    members_added: tuple[Member, ...] = ()
    members_note: str | None = None
    """Why the members were not compared (a value set too large to list, a definition that does not expand)."""

    @property
    def unchanged(self) -> bool:
        return not (self.metadata or self.removed or self.added or self.members_removed or self.members_added)


def compare(before: dict, after: dict, *, names: dict[str, str] | None = None,
            members_before: list[Member] | None = None, members_after: list[Member] | None = None,
            members_note: str | None = None) -> Comparison:
    """Compare two resources; members (of value sets) are compared when both lists are given."""
    a, b = describe.metadata(before), describe.metadata(after)
    fields = tuple(FieldChange(k, a.get(k), b.get(k)) for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k))
    lines_a, lines_b = describe.definition_lines(before, names), describe.definition_lines(after, names)
    set_a, set_b = set(lines_a), set(lines_b)
    removed = tuple(x for x in lines_a if x not in set_b)
    added = tuple(x for x in lines_b if x not in set_a)
    gone: tuple[Member, ...] = ()
    new: tuple[Member, ...] = ()
    if members_before is not None and members_after is not None:
        key_a = {(m.system, m.code) for m in members_before}
        key_b = {(m.system, m.code) for m in members_after}
        gone = tuple(m for m in members_before if (m.system, m.code) not in key_b)
        new = tuple(m for m in members_after if (m.system, m.code) not in key_a)
    return Comparison(before, after, fields, removed, added, gone, new, members_note)


def summary(before: dict | None, after: dict | None) -> str:
    """One Swedish line for the history: which elements changed and how many definition lines."""
    if before is None:
        return "skapad"
    if after is None:
        return "borttagen"
    c = compare(before, after)
    parts = []
    if c.metadata:
        parts.append("ändrade " + ", ".join(FIELD_NAMES.get(f.field, f.field) for f in c.metadata))
    if c.added or c.removed:
        parts.append(f"definitionen: {len(c.added)} rader tillagda, {len(c.removed)} borttagna")
    return "; ".join(parts) or "sparad utan ändringar"


FIELD_NAMES = {"title": "titel", "name": "namn", "version": "version", "status": "status", "date": "datum",
               "publisher": "utgivare", "description": "beskrivning", "purpose": "syfte", "url": "url",
               "experimental": "experimentell", "copyright": "upphovsrätt", "language": "språk",
               "identifier": "identifierare", "content": "innehåll", "extension": "tillägg"}
"""Swedish names of the elements shown on the pages."""
