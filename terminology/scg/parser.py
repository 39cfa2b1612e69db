"""A recursive-descent parser for SNOMED CT Compositional Grammar 2.4, brief syntax.

Each method reads one rule of the official ABNF (``../shared/reference/scg/scg-abnf-20170607.txt``, SNOMED
International's "Compositional Grammar Specification and Guide" §5.1, plus the boolean values SCG 2.4 added)
and quotes it. The grammar is LL(1) but for the optional white space before a ``+``, ``:``, ``,`` or ``|``;
those lookaheads step back when the token does not follow. A syntax error is an
:class:`~terminology.errors.InvalidExpression` naming the 1-based position of the furthest point the parser
reached and what the grammar would have accepted there (every alternative tried at that point), e.g.
``at position 19: expected '=', found ':'``. ``tests/scg`` checks that it accepts exactly the strings a parser
built from the unmodified ABNF accepts.
"""

from __future__ import annotations

import re
from decimal import Decimal

from ..errors import InvalidExpression
from . import ast

MAX_LENGTH = 10_000
"""Longest expression text accepted (characters)."""
MAX_DEPTH = 50
"""Deepest nesting of ``( ... )`` accepted (the parser recurses)."""

_WS = " \t\r\n"
_DIGITS = "0123456789"
_SPACE = re.compile(r"[ \t\r\n]*")
_ID = re.compile(r"[1-9][0-9]{0,17}")
_TERM_CHAR = "[\x21-\x7b\x7d\x7e\u0080-\ud7ff\ue000-\U0010ffff]"
"""``nonwsNonPipe = %x21-7B / %x7D-7E / UTF8-2 / UTF8-3 / UTF8-4``: visible ASCII but ``|``, or any non-ASCII
character (UTF-8 cannot encode a lone surrogate)."""
_TERM = re.compile(f"{_TERM_CHAR}(?: *{_TERM_CHAR})*")
"""``term = nonwsNonPipe *( *SP nonwsNonPipe )``."""


def _string_char(ch: str) -> bool:
    """``anyNonEscapedChar = HTAB / CR / LF / %x20-21 / %x23-5B / %x5D-7E / UTF8-2 / UTF8-3 / UTF8-4``."""
    o = ord(ch)
    return ch in "\t\r\n" or (0x20 <= o <= 0x7E and ch not in '"\\') or (o >= 0x80 and not 0xD800 <= o <= 0xDFFF)


def parse(text: str) -> ast.Expression:
    """Parse one expression (``expression = ws [definitionStatus ws] subExpression ws``)."""
    if len(text) > MAX_LENGTH:
        err = InvalidExpression("SCG_TOO_LONG", f"{len(text):,}", f"{MAX_LENGTH:,}")
        err.position = MAX_LENGTH + 1
        raise err
    return _Parser(text).expression()


class _Parser:
    def __init__(self, text: str) -> None:
        self.s = text
        self.n = len(text)
        self.i = 0
        self.depth = 0
        self.far = -1
        self.expected: list[str] = []

    # --- helpers ---------------------------------------------------------------------------------

    def peek(self) -> str:
        return self.s[self.i] if self.i < self.n else ""

    def ws(self) -> None:
        """``ws = *( SP / HTAB / CR / LF )``."""
        self.i = _SPACE.match(self.s, self.i).end()  # type: ignore[union-attr]

    def expect(self, label: str) -> None:
        """Note that ``label`` would have been accepted at the current position (for the error message)."""
        if self.i > self.far:
            self.far, self.expected = self.i, [label]
        elif self.i == self.far and label not in self.expected:
            self.expected.append(label)

    def fail(self, label: str | None = None) -> InvalidExpression:
        """The syntax error at the furthest position reached."""
        if label is not None:
            self.expect(label)
        pos = self.far
        found = "the end of the expression" if pos >= self.n else repr(self._word(pos))
        labels = self.expected
        what = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " or " + labels[-1]
        err = InvalidExpression("SCG_SYNTAX", pos + 1, what, found)
        err.position, err.expected = pos + 1, tuple(labels)
        return err

    def _word(self, pos: int) -> str:
        end = pos
        while end < self.n and end - pos < 20 and self.s[end] not in _WS:
            end += 1
        return self.s[pos:max(end, pos + 1)]

    def lookahead(self, token: str, label: str) -> bool:
        """``ws token``: True (and past the token) when it follows after optional white space; otherwise the
        position is left where it was."""
        save = self.i
        self.ws()
        if self.s.startswith(token, self.i):
            self.i += len(token)
            return True
        self.expect(label)
        self.i = save
        return False

    # --- rules -----------------------------------------------------------------------------------

    def expression(self) -> ast.Expression:
        """``expression = ws [definitionStatus ws] subExpression ws`` (the whole text)."""
        self.ws()
        status = None
        if self.s.startswith(("===", "<<<"), self.i):  # definitionStatus = equivalentTo / subtypeOf
            status = self.s[self.i:self.i + 3]
            self.i += 3
            self.ws()
        else:
            self.expect("'===' or '<<<'")
        start = self.i
        e = self.sub_expression()
        self.ws()
        if self.i < self.n:
            raise self.fail("the end of the expression")
        return ast.Expression(e.focus, e.attributes, e.groups, status, start + 1)  # type: ignore[arg-type]

    def sub_expression(self) -> ast.Expression:
        """``subExpression = focusConcept [ws ":" ws refinement]``;
        ``focusConcept = conceptReference *(ws "+" ws conceptReference)``."""
        start = self.i
        focus = [self.concept_reference()]
        while self.lookahead("+", "'+'"):
            self.ws()
            focus.append(self.concept_reference())
        attributes: tuple[ast.Attribute, ...] = ()
        groups: list[ast.Group] = []
        if self.lookahead(":", "':'"):
            self.ws()
            attributes, groups = self.refinement()
        return ast.Expression(tuple(focus), attributes, tuple(groups), None, start + 1)

    def concept_reference(self) -> ast.ConceptReference:
        """``conceptReference = conceptId [ws "|" ws term ws "|"]``; ``sctId = digitNonZero 5*17( digit )``."""
        start = self.i
        m = _ID.match(self.s, start)
        if m is None:
            raise self.fail("a concept id")
        end = m.end()
        if end - start < 6:
            self.i = end
            raise self.fail("a digit (a concept id has 6 to 18 digits)")
        self.i = end
        term = None
        if self.lookahead("|", "'|' and a term"):
            self.ws()
            term = self.term()
            self.ws()
            if self.peek() != "|":
                raise self.fail("'|' (the end of the term)")
            self.i += 1
        return ast.ConceptReference(self.s[start:end], term, start + 1)

    def term(self) -> str:
        """``term = nonwsNonPipe *( *SP nonwsNonPipe )``."""
        m = _TERM.match(self.s, self.i)
        if m is None:
            raise self.fail("a term")
        self.i = m.end()
        return m.group(0)

    def refinement(self) -> tuple[tuple[ast.Attribute, ...], list[ast.Group]]:
        """``refinement = (attributeSet / attributeGroup) *( ws ["," ws] attributeGroup )``."""
        attributes: tuple[ast.Attribute, ...] = ()
        groups: list[ast.Group] = []
        if self.peek() == "{":
            groups.append(self.group())
        else:
            self.expect("'{'")
            attributes = self.attribute_set()
        while True:
            save = self.i
            self.ws()
            if self.peek() == ",":
                self.i += 1
                self.ws()
            else:
                self.expect("','")
            if self.peek() == "{":
                groups.append(self.group())
                continue
            self.expect("'{'")
            self.i = save
            return attributes, groups

    def group(self) -> ast.Group:
        """``attributeGroup = "{" ws attributeSet ws "}"``."""
        start = self.i
        self.i += 1
        self.ws()
        attributes = self.attribute_set()
        self.ws()
        if self.peek() != "}":
            raise self.fail("'}'")
        self.i += 1
        return ast.Group(attributes, start + 1)

    def attribute_set(self) -> tuple[ast.Attribute, ...]:
        """``attributeSet = attribute *(ws "," ws attribute)``."""
        found = [self.attribute()]
        while True:
            save = self.i
            self.ws()
            if self.peek() != ",":
                self.expect("','")
                self.i = save
                return tuple(found)
            self.i += 1
            self.ws()
            if self.peek() and self.peek() in "123456789":
                found.append(self.attribute())
                continue
            self.expect("an attribute (a concept id)")
            self.i = save
            return tuple(found)

    def attribute(self) -> ast.Attribute:
        """``attribute = attributeName ws "=" ws attributeValue``; ``attributeName = conceptReference``."""
        start = self.i
        name = self.concept_reference()
        self.ws()
        if self.peek() != "=":
            raise self.fail("'='")
        self.i += 1
        self.ws()
        return ast.Attribute(name, self.attribute_value(), start + 1)

    def attribute_value(self) -> ast.AttributeValue:
        """``attributeValue = expressionValue / QM stringValue QM / "#" numericValue / booleanValue``;
        ``expressionValue = conceptReference / "(" ws subExpression ws ")"``."""
        ch = self.peek()
        if ch and ch in "123456789":
            return self.concept_reference()
        if ch == "(":
            self.depth += 1
            if self.depth > MAX_DEPTH:
                err = InvalidExpression("SCG_TOO_DEEP", self.i + 1, MAX_DEPTH)
                err.position = self.i + 1
                raise err
            self.i += 1
            self.ws()
            e = self.sub_expression()
            self.ws()
            if self.peek() != ")":
                raise self.fail("')'")
            self.i += 1
            self.depth -= 1
            return e
        if ch == '"':
            return self.string()
        if ch == "#":
            return self.number()
        for word, value in (("true", True), ("false", False)):
            if self.s[self.i:self.i + len(word)].lower() == word:
                start = self.i
                self.i += len(word)
                return ast.Concrete("boolean", value, start + 1)
        for label in ("a concept id", "'('", "a quoted string", "'#' and a number", "true or false"):
            self.expect(label)
        raise self.fail()

    def string(self) -> ast.Concrete:
        """``QM stringValue QM``; ``stringValue = 1*(anyNonEscapedChar / escapedChar)``,
        ``escapedChar = BS QM / BS BS``."""
        start = self.i
        self.i += 1
        out: list[str] = []
        while True:
            ch = self.peek()
            if ch == "\\":
                nxt = self.s[self.i + 1:self.i + 2]
                if nxt not in ('"', "\\") or not nxt:
                    self.i += 1
                    raise self.fail("'\"' or '\\' after '\\'")
                out.append(nxt)
                self.i += 2
            elif ch == '"':
                if not out:
                    raise self.fail("a character (a string is not empty)")
                self.i += 1
                return ast.Concrete("string", "".join(out), start + 1)
            elif ch and _string_char(ch):
                out.append(ch)
                self.i += 1
            else:
                raise self.fail("'\"' (the end of the string)" if out else "a character (a string is not empty)")

    def number(self) -> ast.Concrete:
        """``"#" numericValue``; ``numericValue = ["-"/"+"] (decimalValue / integerValue)``,
        ``integerValue = digitNonZero *digit / zero``, ``decimalValue = integerValue "." 1*digit``."""
        start = self.i
        self.i += 1
        begin = self.i
        if self.peek() and self.peek() in "+-":
            self.i += 1
        if self.peek() == "0":
            self.i += 1
        elif self.peek() and self.peek() in "123456789":
            while self.peek() and self.peek() in _DIGITS:
                self.i += 1
        else:
            raise self.fail("a digit")
        kind = "integer"
        after = self.s[self.i + 1:self.i + 2]
        if self.peek() == "." and after and after in _DIGITS:
            self.i += 1
            while self.peek() and self.peek() in _DIGITS:
                self.i += 1
            kind = "decimal"
        return ast.Concrete(kind, Decimal(self.s[begin:self.i]), start + 1)  # type: ignore[arg-type]
