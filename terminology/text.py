"""Text folding and tokenising for term search, the same for English and Swedish.

Search compares *folded* text: lower case (Unicode case folding) with diacritics removed, so "Knä",
"KNA" and "kna" match, as do "höft" and "hoft", "é" and "e". Letters that Unicode does not decompose
(ø, æ, ß, ł, đ) are mapped to their usual ASCII spellings. Swedish users type å/ä/ö or leave them
out; folding both sides makes either work. Ranking keeps the unfolded term, so an exact-diacritic match
can still be preferred.

Tokens are maximal runs of letters and digits (the same rule as SQLite FTS5's ``unicode61`` tokenizer and
PostgreSQL's ``simple`` parser), so the index and the query split text alike.

A text filter is bounded before it is folded or searched (:func:`bounded_filter`): each word becomes one
prefix query of the text index and the whole text one ``LIKE`` pattern for ranking, so a filter of 20,000
words was a query too complex for SQLite and minutes of work on PostgreSQL. No SNOMED CT synonym or FSN is
longer than 255 characters (RF2 specification, description ``term``), so a filter longer than twice that
cannot be a term someone is looking for, and one with more distinct words than any term has matches nothing.
"""

from __future__ import annotations

import re
import unicodedata

from .errors import InvalidRequest, TooCostly

MAX_FILTER_LENGTH = 500
"""Longest text filter (characters) accepted, about twice the longest SNOMED CT term."""
MAX_FILTER_WORDS = 32
"""Most distinct words in one text filter (each one is a prefix query of the text index)."""

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


def bounded_filter(text: str, *, name: str = "filter") -> str:
    """``text`` unchanged when it is a text filter the server will search for; otherwise InvalidRequest (longer
    than :data:`MAX_FILTER_LENGTH`) or TooCostly (more than :data:`MAX_FILTER_WORDS` distinct words), naming
    the parameter ``name``. The length is checked before anything else looks at the text."""
    if len(text) > MAX_FILTER_LENGTH:
        raise InvalidRequest("OP_INVALID_PARAM", name, text[:40] + "...",
                             f"is {len(text):,} characters long; a text filter has at most {MAX_FILTER_LENGTH}",
                             expression=name)
    words = set(tokens(text))
    if len(words) > MAX_FILTER_WORDS:
        raise TooCostly.plain(f"The {name} has {len(words)} different words; a text filter has at most "
                              f"{MAX_FILTER_WORDS}", expression=name)
    return text
