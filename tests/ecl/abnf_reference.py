"""The reference recogniser of the unmodified official ECL ABNF (see :mod:`tests.abnf_reference`)."""

from __future__ import annotations

from pathlib import Path

from ..abnf_reference import Recogniser

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "ecl"
"""The official ECL grammar in ``../shared`` beside the checkout (as CI places it)."""
_cache: dict[str, Recogniser] = {}


def reference(syntax: str = "long") -> Recogniser:
    """The recogniser of ``abnf-long.txt`` (the long syntax, a superset of the brief) or ``abnf-brief.txt``."""
    if syntax not in _cache:
        text = (REFERENCE / "syntax" / f"abnf-{syntax}.txt").read_text("utf-8")
        _cache[syntax] = Recogniser(text, "expressionConstraint")
    return _cache[syntax]
