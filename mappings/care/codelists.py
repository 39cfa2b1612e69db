"""Bundled Swedish code lists: the fallback for code systems the terminology service does not serve (yet).

The care directory checks every code against the terminology service first. Until the national code
systems are loaded there (KVÅ, ICD-10-SE and the HSA lists are a separate piece of work), it falls back to
the small excerpts shipped in ``mappings/care/data`` (copied from ``../shared/data/se-codes``; see the data
README for sources). The excerpts are not the full lists: a real KVÅ code outside the excerpt is refused
until the full code system is loaded into the terminology service.

Formats read (se-codes README): Socialstyrelsen's *kodtextfil* (UTF-8 with BOM, TAB separated, columns
code, marker, text, optional description; KVÅ has a header row, ICD-10-SE none) and the HSA CSV lists.
Parents: KVÅ 5-character code -> its 3-character category when present, else its 2-character section; a
3-character category -> its section; a section -> its chapter letter. ICD-10-SE: 5 -> 4 -> 3 characters.
"""

from __future__ import annotations

import csv
import functools
import io
from dataclasses import dataclass
from importlib import resources

from . import codes


@dataclass(frozen=True)
class LocalConcept:
    system: str
    code: str
    display: str
    parent: str | None


def _text(name: str) -> str:
    return (resources.files("mappings.care") / "data" / name).read_text(encoding="utf-8-sig")


def _kodtextfil(name: str) -> list[tuple[str, str]]:
    out = []
    for line in _text(name).splitlines():
        fields = line.split("\t")
        if len(fields) < 3 or fields[0].startswith("Kod:") or not fields[0]:
            continue
        out.append((fields[0].strip(), fields[2].strip()))
    return out


def _kva() -> dict[str, LocalConcept]:
    rows = _kodtextfil("kva-excerpt.txt")
    known = {code for code, _ in rows}

    def parent(code: str) -> str | None:
        if len(code) == 5:
            return code[:3] if code[:3] in known else code[:2]
        if len(code) in (2, 3):
            return code[: len(code) - 1] if len(code) == 3 else code[:1]
        return None

    return {code: LocalConcept(codes.KVA, code, text, parent(code)) for code, text in rows}


def _icd() -> dict[str, LocalConcept]:
    out = {}
    for code, text in _kodtextfil("icd10se-excerpt.txt"):
        if not code[:1].isalpha() or "-" in code:
            continue  # chapters and blocks: the care search needs codes only
        out[code] = LocalConcept(codes.ICD10SE, code, text, code[:-1] if len(code) > 3 else None)
    return out


def _csv(name: str, system: str) -> dict[str, LocalConcept]:
    rows = csv.DictReader(io.StringIO(_text(name)))
    return {r["code"]: LocalConcept(system, r["code"], r["name"], r.get("parent") or None) for r in rows}


@functools.lru_cache(maxsize=1)
def local_code_systems() -> dict[str, dict[str, LocalConcept]]:
    """System URI -> code -> concept, for the bundled lists."""
    return {codes.KVA: _kva(), codes.ICD10SE: _icd(),
            codes.VERKSAMHETSKOD: _csv("verksamhetskod.csv", codes.VERKSAMHETSKOD),
            codes.VARDFORM: _csv("vard-och-omsorgsform.csv", codes.VARDFORM)}


def normal_code(system: str, code: str) -> str:
    """ICD-10-SE codes are written with or without the dot (``C18.9`` = ``C189``); store them without."""
    code = code.strip()
    return code.replace(".", "") if system == codes.ICD10SE else code
