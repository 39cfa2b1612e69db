"""A reference recogniser built from an official ABNF grammar file: the ECL grammar (IHTSDO
snomed-expression-constraint-language, ``tests/ecl``) and the compositional grammar (IHTSDO snomed-scg-parser,
``tests/scg``), read unmodified from ``../shared/reference`` at test time.

The ``abnf`` package (PyPI) reads the grammar text and builds its parser combinators with RFC 5234 semantics
(quoted strings are case-insensitive, ``%x`` ranges are exact). Two things are done differently from calling
``Rule.parse_all`` directly, neither of which changes which strings the grammar accepts:

* The rules the grammar files define that are also RFC 5234 core rules (``SP``, ``HTAB``, ``CR``, ``LF``,
  ``digit``, ``alpha``) are not handed to the package, which refuses to redefine core rules; each is checked
  to accept exactly the same characters as the core rule it duplicates.
* Acceptance is computed as sets of end positions with memoisation (a recogniser, not a parse-tree
  builder): the package enumerates every parse tree, and the ECL grammar's ``("d"/"D")`` alternations
  make that exponential (20 s for one definition-status example).

The ABNF describes UTF-8 bytes (``UTF8-2`` etc.), so input is matched as its UTF-8 bytes, each byte one
character.
"""

from __future__ import annotations

import contextlib
import sys

from abnf import ParseError, Rule
from abnf import _parser_python as P
from abnf._parser_python import CORE_RULE_NAMES


class Recogniser:
    """Accepts or rejects strings by one rule (``start``) of a grammar's ABNF text, one rule per line."""

    def __init__(self, text: str, start: str) -> None:
        kept, core = [], []
        for line in text.splitlines():
            if not line.strip():
                continue
            name = line.split("=", 1)[0].strip()
            (core if name.casefold() in CORE_RULE_NAMES else kept).append(line)
        grammar = type(f"Abnf{abs(hash(text))}", (Rule,), {})
        with _first_parse_per_end():
            for line in kept:  # one rule per line (as in the file): much faster than the list at once
                grammar.load_grammar(line)
        self._check_core_duplicates(core)
        self.match = _compile(grammar(start), {})

    @staticmethod
    def _check_core_duplicates(lines: list[str]) -> None:
        scratch = type("AbnfCoreCheck", (Rule,), {})
        for line in lines:
            scratch.load_grammar(f"file-{line.strip()}")
        for line in lines:
            name = line.split("=", 1)[0].strip()
            mine, core = _compile(scratch(f"file-{name}"), {}), _compile(Rule(name.upper()), {})
            for code in range(256):
                ch = chr(code)
                assert (1 in mine(ch, 0, {})) == (1 in core(ch, 0, {})), (name, code)

    def accepts(self, text: str) -> bool:
        source = text.encode("utf-8").decode("latin-1")
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(limit, 20_000))
        try:
            return len(source) in self.match(source, 0, {})
        finally:
            sys.setrecursionlimit(limit)


@contextlib.contextmanager
def _first_parse_per_end():
    """While reading the grammar text, keep only the first parse of each span in a concatenation.

    The package's concatenation enumerates every combination of sub-parses; the rule above it keeps only
    the first one per end position anyway, so dropping the later duplicates early gives the same grammar
    (the first combination per end comes from the first partial parse per end) in a fraction of the time.
    """
    original = P.Concatenation.lparse

    def lparse(self, source, start):
        matches = [P.Match([], start)]
        for parser in self.parsers:
            following, seen = [], set()
            for match in matches:
                try:
                    for m in parser.lparse(source, match.start):
                        if m.start not in seen:
                            seen.add(m.start)
                            following.append(P.Match(match.nodes + m.nodes, m.start))
                except ParseError:
                    pass
            if not following:
                raise ParseError(self, start)
            matches = following
        yield from sorted(matches, key=lambda m: m.start, reverse=True)

    P.Concatenation.lparse = lparse
    try:
        yield
    finally:
        P.Concatenation.lparse = original


_EMPTY: frozenset[int] = frozenset()


def _compile(p, done: dict):
    """A function ``(source, start, memo) -> end positions`` for one of the package's combinators.

    Terminals keep the package's own comparison (``Literal.pattern``, ASCII case folding); rules are
    memoised per start position, so a recognition is polynomial however ambiguous the grammar.
    """
    if id(p) in done:
        return done[id(p)]
    if isinstance(p, Rule):
        key = id(p)
        inner = []

        def rule(src, i, memo, key=key, inner=inner):
            found = memo.get((key, i))
            if found is None:
                memo[(key, i)] = _EMPTY  # neither grammar has left recursion
                found = memo[(key, i)] = inner[0](src, i, memo)
            return found

        done[id(p)] = rule
        inner.append(_compile(p.definition, done))
        return rule
    if isinstance(p, P.Alternation):
        parts = [_compile(q, done) for q in p.parsers]

        def alternation(src, i, memo):
            out = set()
            for f in parts:
                out |= f(src, i, memo)
            return out
        fn = alternation
    elif isinstance(p, P.Concatenation):
        parts = [_compile(q, done) for q in p.parsers]

        def concatenation(src, i, memo):
            here = {i}
            for f in parts:
                here = {e for j in here for e in f(src, j, memo)}
                if not here:
                    break
            return here
        fn = concatenation
    elif isinstance(p, P.Option):
        part = _compile(p.alternation, done)

        def option(src, i, memo):
            return {i} | part(src, i, memo)
        fn = option
    elif isinstance(p, P.Repetition):
        part, lo, hi = _compile(p.element, done), p.repeat.min, p.repeat.max

        def repetition(src, i, memo):
            out = {i} if lo == 0 else set()
            frontier, count, seen = {i}, 0, {i}
            while frontier and (hi is None or count < hi):
                count += 1
                frontier = {e for j in frontier for e in part(src, j, memo)}
                if hi is None:
                    frontier -= seen
                    seen |= frontier
                if count >= lo:
                    out |= frontier
            return out
        fn = repetition
    elif isinstance(p, P.Literal) and isinstance(p.value, tuple):
        lo_ch, hi_ch = p.value

        def char_range(src, i, memo):
            return {i + 1} if i < len(src) and lo_ch <= src[i] <= hi_ch else _EMPTY
        fn = char_range
    elif isinstance(p, P.Literal):
        n, pattern, sensitive = len(p.value), p.pattern, p.case_sensitive

        def literal(src, i, memo):
            if i + n > len(src):
                return _EMPTY
            piece = src[i:i + n]
            return {i + n} if (piece if sensitive else P._ascii_fold(piece)) == pattern else _EMPTY
        fn = literal
    else:
        raise TypeError(f"unexpected ABNF combinator {p!r}")
    done[id(p)] = fn
    return fn


