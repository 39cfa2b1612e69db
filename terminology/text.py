"""Text folding and tokenising for term search, the same for English and Swedish.

Search compares *folded* text: lower case (Unicode case folding) with diacritics removed, so "Knä",
"KNA" and "kna" match, as do "höft" and "hoft", "é" and "e". Letters that Unicode does not decompose
(ø, æ, ß, ł, đ) are mapped to their usual ASCII spellings. Swedish users type å/ä/ö or leave them
out; folding both sides makes either work. Ranking keeps the unfolded term, so an exact-diacritic match
can still be preferred.

Tokens are maximal runs of letters and digits (the same rule as SQLite FTS5's ``unicode61`` tokenizer and
PostgreSQL's ``simple`` parser), so the index and the query split text alike.
"""

from __future__ import annotations

import re
import unicodedata

_EXTRA = str.maketrans({"ø": "o", "æ": "ae", "ß": "ss", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "œ": "oe",
                        "ı": "i"})
_TOKEN = re.compile(r"[^\W_]+")


def fold(text: str) -> str:
    """Case- and diacritic-folded form of ``text`` (see the module docstring)."""
    low = text.casefold()
    if low.isascii():
        return low
    decomposed = unicodedata.normalize("NFKD", low.translate(_EXTRA))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def tokens(text: str) -> list[str]:
    """The folded word tokens of ``text``, in order."""
    return _TOKEN.findall(fold(text))
