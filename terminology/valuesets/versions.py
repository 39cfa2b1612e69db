"""Business versions of canonical resources: matching, wildcards and "latest".

Sources: FHIR R5 "Canonical URLs" (resources.html#versions: ``url|version``; without a version the latest is
meant), the ``versionAlgorithm`` of R5 canonical resources (semver is the usual algorithm), and the HL7
terminology ecosystem tests (``1.x.x``, ``1.0.x`` and ``1.0.*`` match any value in the wildcard positions; a
plain partial version such as ``1`` does *not* match ``1.0.0``).
"""

from __future__ import annotations

import re
from typing import Iterable, TypeVar

T = TypeVar("T")

_WILDCARDS = ("x", "X", "*")
_PART = re.compile(r"(\d+)|(\D+)")


def is_wildcard(version: str | None) -> bool:
    """True when ``version`` has a wildcard segment (``1.x``, ``1.0.*``)."""
    return bool(version) and any(seg in _WILDCARDS for seg in version.split("."))


def matches(pattern: str | None, version: str | None) -> bool:
    """Does ``version`` satisfy ``pattern`` (an exact version or one with wildcard segments)?

    A trailing wildcard also covers any further segments: ``1.x`` matches ``1.2.0``.
    """
    if pattern is None:
        return True
    if version is None:
        return False
    if not is_wildcard(pattern):
        return pattern == version
    want, have = pattern.split("."), version.split(".")
    for i, seg in enumerate(want):
        if i >= len(have):
            return False
        if seg in _WILDCARDS:
            if i == len(want) - 1:
                return True
            continue
        if seg != have[i]:
            return False
    return len(have) == len(want)


def sort_key(version: str | None) -> tuple:
    """Order versions semver-style: numeric segments numerically, release before pre-release."""
    if version is None:
        return ((-1,),)
    main, _, pre = version.partition("-")
    parts = []
    for seg in re.split(r"[.+]", main):
        parts.append(tuple((0, int(n)) if n else (1, s) for n, s in _PART.findall(seg)) or ((1, ""),))
    return (tuple(parts), 0 if pre else 1, pre)


def latest(versions: Iterable[str | None]) -> str | None:
    """The highest of ``versions`` (None when there are none)."""
    items = list(versions)
    return max(items, key=sort_key) if items else None


def pick(candidates: Iterable[T], pattern: str | None, version_of) -> T | None:
    """The candidate whose version is ``pattern`` (exact), else the latest one matching it; None if none."""
    items = list(candidates)
    if pattern is not None and not is_wildcard(pattern):
        return next((c for c in items if version_of(c) == pattern), None)
    fitting = [c for c in items if matches(pattern, version_of(c))] if pattern else items
    if not fitting:
        return None
    return max(fitting, key=lambda c: sort_key(version_of(c)))


def split_canonical(value: str) -> tuple[str, str | None]:
    """``url|version`` -> (url, version); a plain URL has version None."""
    url, sep, version = value.partition("|")
    return url, (version or None) if sep else None


def join_versions(versions: Iterable[str | None]) -> str:
    """``a, b or c`` (the "Valid versions" list of the HL7 messages)."""
    items = sorted({v for v in versions if v}, key=sort_key)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]
