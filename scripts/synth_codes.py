"""Synthetic full-size kodtextfiler shaped like KVÅ (KKÅ) and ICD-10-SE, for load benchmarks and scale tests.

Deterministic from a seed; the layout and format are those of Socialstyrelsen's downloads (see
``codesystems/socialstyrelsen.py``): UTF-8 with a byte order mark, TAB-separated, no newline after the last
row; KVÅ as ``kka/level1.txt``..``level4.txt`` with the ``Kod:`` header, ICD-10-SE as ``chapter.txt``,
``block.txt``, ``digit3.txt``, ``digit4.txt``, ``digit5.txt`` without one. Codes follow the real shapes
(``LLLDD`` with a ``LLL`` category, ``LL`` section and ``L`` chapter; ``L00``..``L99`` categories with
4- and 5-character subcodes, blocks of categories, chapters with their range). The texts are made of Swedish
words (with å, ä and ö) that describe nothing real.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from pathlib import Path

BOM = "\ufeff"
WORDS = ("operation", "på", "höger", "vänster", "knäled", "höftled", "öga", "tarm", "med", "utan", "cement",
         "protes", "laparoskopisk", "endoskopisk", "resektion", "plastik", "biopsi", "undersökning", "behandling",
         "ändtarm", "lår", "bäcken", "rörelseapparat", "öron", "näsa", "svalg", "hjärta", "kärl", "lunga",
         "njure", "urinblåsa", "livmoder", "äggstock", "hud", "bröst", "nerv", "skalle", "ryggrad", "axel",
         "armbåge", "hand", "fot", "fotled", "tå", "käke", "tand", "mage", "gallblåsa", "lever", "bukspottkörtel",
         "primär", "sekundär", "akut", "kronisk", "partiell", "total", "annan", "ospecificerad", "bilateral")


@dataclass(frozen=True)
class SynthStats:
    codes: int
    """Codes at the lowest level (5-character KVÅ codes; 3- to 5-character ICD codes)."""
    rows: int
    files: tuple[Path, ...]


def _text(rng: random.Random, n: int) -> str:
    words = [rng.choice(WORDS) for _ in range(n)]
    return (" ".join(words)).capitalize()


def _write(path: Path, header: str | None, rows: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ([header] if header else []) + rows
    path.write_text(BOM + "\n".join(lines), encoding="utf-8")
    return path


def kva_shaped(out: Path, *, codes: int, seed: int = 42) -> SynthStats:
    """KKÅ-shaped level files in ``out/kka/`` with about ``codes`` five-character codes."""
    rng = random.Random(seed)
    letters = string.ascii_uppercase
    levels: dict[int, list[str]] = {1: [], 2: [], 3: [], 4: []}
    made = 0
    per_category = 12
    categories_needed = max(1, -(-codes // per_category))
    sections = max(1, min(26 * 26, -(-categories_needed // 20)))
    chapters = max(1, min(26, -(-sections // 20)))
    categories_per_section = -(-categories_needed // sections)
    for ci in range(chapters):
        chapter = letters[ci]
        levels[1].append(f"{chapter}\t\tOperationer på {_text(rng, 2).lower()}")
        for si in range(-(-sections // chapters)):
            section = chapter + letters[si % 26]
            if any(row.startswith(section + "\t") for row in levels[2]):
                continue
            levels[2].append(f"{section}\t\t{_text(rng, 3)}")
            for ki in range(min(26, categories_per_section)):
                category = section + letters[ki]
                levels[3].append(f"{category}\t\t{_text(rng, 4)}")
                for n in range(per_category):
                    if made >= codes:
                        break
                    code = f"{category}{n * 8 % 100:02d}"
                    description = f"\t{_text(rng, 12)}" if rng.random() < 0.1 else ""
                    levels[4].append(f"{code}\t\t{_text(rng, rng.randint(3, 9))}{description}")
                    made += 1
    header = "Kod:\t\tKodtext:\tBeskrivning:"
    files = tuple(_write(out / "kka" / f"level{n}.txt", header, rows) for n, rows in levels.items())
    return SynthStats(made, sum(len(r) for r in levels.values()), files)


def icd10se_shaped(out: Path, *, codes: int, seed: int = 42) -> SynthStats:
    """ICD-10-SE-shaped files in ``out/`` with about ``codes`` codes of 3, 4 and 5 characters."""
    rng = random.Random(seed)
    rows: dict[str, list[str]] = {"chapter": [], "block": [], "digit3": [], "digit4": [], "digit5": []}
    letters = [c for c in string.ascii_uppercase if c != "U"]
    categories = max(1, min(100 * len(letters), -(-codes // 12)))
    per_category = -(-codes // categories)  # the 3-character code, ten 4-character codes, the rest 5-character
    names = [f"{letters[i // 100]}{i % 100:02d}" for i in range(categories)]
    chapter_size = -(-categories // 22)
    made = 0
    for chapter_no, start in enumerate(range(0, categories, chapter_size), start=1):
        chunk = names[start:start + chapter_size]
        rows["chapter"].append(f"{chapter_no:02d}\t\t{_text(rng, 4)} ({chunk[0]}-{chunk[-1]})")
        for b in range(0, len(chunk), 10):
            block = chunk[b:b + 10]
            rows["block"].append(f"{block[0]}-{block[-1]}\t\t{_text(rng, 4)}")
            for category in block:
                if made >= codes:
                    break
                marker = "*" if rng.random() < 0.02 else ""
                rows["digit3"].append(f"{category}\t{marker}\t{_text(rng, 5)}")
                made += 1
                budget = max(0, min(per_category - 1, codes - made))
                fours = min(10, budget)
                fives = budget - fours
                for d in range(fours):
                    rows["digit4"].append(f"{category}{d}\t\t{_text(rng, 6)}")
                    for k in range(fives // fours + (1 if d < fives % fours else 0) if fours else 0):
                        rows["digit5"].append(f"{category}{d}{string.ascii_uppercase[k % 26]}\t\t{_text(rng, 7)}")
                made += budget
    files = tuple(_write(out / f"{name}.txt", None, r) for name, r in rows.items())
    return SynthStats(made, sum(len(r) for r in rows.values()), files)
