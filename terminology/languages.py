"""Choosing language refsets from ``displayLanguage`` and ``Accept-Language``.

Sources: FHIR ``$expand``/``$lookup`` ``displayLanguage`` (a BCP 47 tag, or a list as in the HTTP
``Accept-Language`` header with q-values, RFC 9110 §12.5.4), and the SNOMED CT convention of a BCP 47
private-use subtag that names the language refset: ``sv-x-46011000052107``, ``en-x-900000000000508004``
(Snowstorm's ``Accept-Language`` handling; snomed-fhir.md §1.8).

A tag resolves to refsets in this order: the refset in a private-use subtag; a known dialect
(``en-gb``, ``en-us``, ``sv-se``); the default refset of the bare language (``en`` -> US, ``sv`` ->
Swedish); any loaded refset whose descriptions are in that language. Unknown tags resolve to nothing, and
the caller falls back to the server's default language and finally the FSN.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import snomed
from .errors import InvalidRequest

_TAG = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,18})*$")  # private-use subtags may hold an SCTID


@dataclass(frozen=True)
class LanguageTag:
    tag: str
    quality: float = 1.0

    @property
    def language(self) -> str:
        return self.tag.split("-")[0].lower()


_Q = re.compile(r"^\s*q\s*=\s*([0-9.]+)\s*$")


def ranked(value: str | None) -> list[tuple[str, float, str]]:
    """The entries of an ``Accept-Language``-style list (RFC 9110 §12.5.4) as ``(tag, quality, entry)``, best
    first and stable for equal quality; ``*`` and ``q=0`` entries included. An unreadable quality counts as 1;
    whether a tag is well formed is for the caller to decide (:data:`TAG_PATTERN`)."""
    if not value or not value.strip():
        return []
    out = []
    for i, part in enumerate(p.strip() for p in value.split(",")):
        if not part:
            continue
        tag, _, params = part.partition(";")
        q = 1.0
        m = _Q.match(params) if params else None
        if m:
            try:
                q = float(m.group(1))
            except ValueError:
                q = 1.0
        out.append((-q, i, (tag.strip(), q, part)))
    return [entry for _, _, entry in sorted(out)]


TAG_PATTERN = _TAG


def parse_language_list(value: str | None) -> list[LanguageTag]:
    """Parse ``en-GB, sv;q=0.8, *;q=0.1`` into the acceptable tags (q > 0) ordered by quality.

    Raises InvalidRequest for a malformed entry.
    """
    out = []
    for tag, q, part in ranked(value):
        if q > 1 or (";" in part and not _Q.match(part.partition(";")[2])):
            raise InvalidRequest("OP_INVALID_PARAM", "displayLanguage", part, "bad quality value")
        if tag != "*" and not _TAG.match(tag):
            raise InvalidRequest("OP_INVALID_PARAM", "displayLanguage", tag, "not a BCP 47 language tag")
        if q > 0:
            out.append(LanguageTag(tag, q))
    return out


def refsets_for(tags: list[LanguageTag], available: dict[int, list[str]]) -> list[int]:
    """Language refsets for ``tags`` in preference order, limited to the ``available`` ones.

    ``available`` maps each loaded language refset to the language codes of its descriptions.
    """
    out: list[int] = []
    for t in tags:
        for refset in _refsets_for_tag(t.tag, available):
            if refset not in out:
                out.append(refset)
    return out


def _refsets_for_tag(tag: str, available: dict[int, list[str]]) -> list[int]:
    low = tag.lower()
    if low == "*":
        return []
    parts = low.split("-")
    if "x" in parts:
        private = parts[parts.index("x") + 1:]
        ids = [int(p) for p in private if p.isdigit() and snomed.is_valid_sctid(p)]
        return [i for i in ids if i in available]
    lang = parts[0]
    found = []
    dialect = snomed.DIALECT_REFSETS.get(low)
    if dialect in available:
        found.append(dialect)
    default = snomed.LANGUAGE_DEFAULT_REFSETS.get(lang)
    if default in available and default not in found:
        found.append(default)
    for refset, langs in sorted(available.items()):
        if lang in langs and refset not in found:
            found.append(refset)
    return found


def language_of_refset(refset: int, available: dict[int, list[str]]) -> str | None:
    """The main language code of a language refset's descriptions."""
    langs = available.get(refset)
    return langs[0] if langs else None
