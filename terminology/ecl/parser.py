"""ECL text to the abstract syntax of :mod:`terminology.ecl.ast`.

The LALR grammar (``ecl.lark``, derived from the official ABNF, brief and long syntax) recognises the
tokens and the nesting; this module builds the tree and applies the ABNF rules the LALR grammar leaves to
it, each marked with the rule it implements:

* ``compoundExpressionConstraint``: AND (or ``,``) and OR may not be mixed without parentheses, and
  ``MINUS`` joins exactly two operands.
* ``eclRefinement`` / ``eclAttributeSet``: within one level, attribute sets are maximal runs of attributes
  joined by one operator, and the runs (and attribute groups) are joined by one operator; an attribute
  group holds one attribute set. Where the ABNF admits several readings, the one ANTLR's greedy parser
  (the official ECL.g4) takes is used: ``a AND b OR c AND d`` is ``(a AND b) OR (c AND d)``.
* ``mws``: the items of a parenthesised set are separated by white space or a comment.
* The content of quoted strings (``matchSearchTermSet``, ``wildSearchTermSet``, ``timeValue``) and of
  terms in pipes (``term``).

Every syntax error is an :class:`~terminology.errors.InvalidEcl` whose text names the 1-based position
and what was expected there; ``error.position`` and ``error.expected`` carry the same for programs.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from .. import snomed
from ..errors import InvalidEcl
from . import ast

_OPERATORS = {
    "DESC": "<", "DESCSELF": "<<", "CHILD": "<!", "CHILDSELF": "<<!", "ANC": ">", "ANCSELF": ">>",
    "PARENT": ">!", "PARENTSELF": ">>!", "TOP": "!!>", "BOTTOM": "!!<",
}
_TYPE_TOKENS = {"syn": snomed.SYNONYM, "synonym": snomed.SYNONYM, "fsn": snomed.FSN,
                "fullyspecifiedname": snomed.FSN, "def": snomed.DEFINITION, "definition": snomed.DEFINITION}
_STATUS_TOKENS = {"primitive": snomed.PRIMITIVE, "defined": snomed.DEFINED}
_ACCEPTABILITY_TOKENS = {"accept": snomed.ACCEPTABLE, "acceptable": snomed.ACCEPTABLE,
                         "prefer": snomed.PREFERRED, "preferred": snomed.PREFERRED}

# What each terminal is, for "expected ..." in messages (in this order).
_DESCRIBE = {
    "SCTID": "a concept id (6 to 18 digits)", "STAR": "'*'", "MEMBEROF": "'^'", "ALTID": "an alternate identifier",
    "LPAR": "'('", "RPAR": "')'", "LBRACE": "'{'", "RBRACE": "'}'", "LSQB": "'['", "RSQB": "']'",
    "CARD": "a cardinality such as [1..*]", "REVERSE": "'R'", "COLON": "':'", "DOT": "'.'", "COMMA": "','",
    "AND": "AND", "OR": "OR", "MINUS": "MINUS",
    "EQ": "'='", "NEQ": "'!='", "LT": "'<'", "LE": "'<='", "GT": "'>'", "GE": "'>='",
    "NUMBER": "a number such as #500", "QUOTED": "a quoted string", "BOOL": "true or false", "BIT": "1 or 0",
    "MATCH": "match:", "WILD": "wild:", "TERM": "a term in pipes",
    "FOPEN": "'{{'", "FCLOSE": "'}}'", "HISTORY": "HISTORY", "HISTORYPROFILE": "HISTORY-MIN, -MOD or -MAX",
    "TERMKW": "term", "LANGUAGE": "language", "TYPEID": "typeId", "TYPE": "type", "DIALECTID": "dialectId",
    "DIALECT": "dialect", "MODULEID": "moduleId", "EFFECTIVETIME": "effectiveTime", "ACTIVE": "active",
    "ID": "id", "DEFSTATUSID": "definitionStatusId", "DEFSTATUS": "definitionStatus",
    "LANG": "a two-letter language code", "TYPETOKEN": "syn, fsn or def", "DEFTOKEN": "primitive or defined",
    "ACCEPTABILITY": "accept or prefer", "ALIAS": "a dialect alias such as en-gb",
    "FIELD": "a refset field name", "$END": "the end of the expression",
}
_GROUPS = (
    ({"DESC", "DESCSELF", "CHILD", "CHILDSELF", "ANC", "ANCSELF", "PARENT", "PARENTSELF", "TOP", "BOTTOM"},
     "a constraint operator such as '<<'"),
    ({"DOPEN", "COPEN", "MOPEN", "HOPEN"}, "'{{'"),
)


@functools.lru_cache(maxsize=1)
def _lark() -> Lark:
    grammar = resources.files(__package__).joinpath("ecl.lark").read_text("utf-8")
    return Lark(grammar, parser="lalr", lexer="contextual", propagate_positions=True, maybe_placeholders=False)


def parse(text: str) -> ast.Expression:
    """Parse an ECL expression (brief or long syntax); raises InvalidEcl naming the position and what was
    expected."""
    try:
        tree = _lark().parse(text)
    except UnexpectedInput as exc:
        raise _syntax_error(text, exc) from None
    try:
        return _Builder(text).transform(tree)
    except VisitError as exc:
        if isinstance(exc.orig_exc, _Problem):
            p = exc.orig_exc
            raise _error(p.position, p.expected, p.found) from None
        raise


def _syntax_error(text: str, exc: UnexpectedInput) -> InvalidEcl:
    if isinstance(exc, UnexpectedToken):
        token = exc.token
        if token.type == "$END":
            return _error(len(text) + 1, _expected(exc.expected), None)
        return _error(token.start_pos + 1, _expected(exc.expected), _word(text, token.start_pos))
    if isinstance(exc, UnexpectedCharacters):
        pos = exc.pos_in_stream
        return _error(pos + 1, _expected(exc.allowed or ()), _word(text, pos))
    if isinstance(exc, UnexpectedEOF):
        return _error(len(text) + 1, _expected(exc.expected), None)
    return _error(getattr(exc, "pos_in_stream", 0) + 1, (), None)  # pragma: no cover


def _word(text: str, pos: int) -> str:
    """The text found at ``pos``, up to white space (at most 20 characters)."""
    m = re.match(r"[^ \t\r\n]{1,20}", text[pos:])
    return m.group(0) if m else text[pos:pos + 1]


def _expected(names) -> tuple[str, ...]:
    names = set(names)
    out: list[str] = []
    for members, label in _GROUPS:
        if names & members:
            out.append(label)
            names -= members
    order = list(_DESCRIBE)
    for name in sorted(names, key=lambda n: order.index(n) if n in order else len(order)):
        label = _DESCRIBE.get(name)
        if label is None and name.startswith("L") and name[1:] in _OPERATORS:
            continue  # the long-syntax spelling of an operator already listed
        if label is not None and label not in out:
            out.append(label)
    return tuple(out)


def _error(position: int, expected: tuple[str, ...] | str, found: str | None) -> InvalidEcl:
    if isinstance(expected, str):
        expected = (expected,)
    what = ", ".join(expected[:-1]) + " or " + expected[-1] if len(expected) > 1 else (
        expected[0] if expected else "something else")
    seen = "the end of the expression" if found is None else repr(found.split("\n")[0][:20])
    err = InvalidEcl("ECL_SYNTAX", position, what, seen)
    err.position, err.expected = position, tuple(expected)
    return err


class _Problem(Exception):
    def __init__(self, position: int, expected: str, found: str | None) -> None:
        super().__init__(expected)
        self.position, self.expected, self.found = position, expected, found


def _fail(token_or_pos, expected: str, found: str | None = "") -> _Problem:
    if isinstance(token_or_pos, Token):
        return _Problem(token_or_pos.start_pos + 1, expected, token_or_pos.value if found == "" else found)
    return _Problem(token_or_pos + 1, expected, found or None)


@dataclass
class _Span:
    """A built value with its source span (0-based, end exclusive), for the white-space rules of sets."""

    value: object
    start: int
    end: int


@dataclass
class _Refinement:
    """A refinement level, and whether it is an ``eclAttributeSet`` (so it may stand in one)."""

    value: object
    attribute_set: bool


@dataclass
class _QuotedTerms:
    """``typedSearchTerm`` / ``typedSearchTermSet`` before it is known whether they are terms or times."""

    items: list[tuple[str, Token]]
    """(mode, QUOTED token); mode ``plain``, ``match`` or ``wild``."""


def _span(x) -> tuple[int, int]:
    if isinstance(x, Token):
        return x.start_pos, x.end_pos
    return x.start, x.end


def _separated(items: list, what: str) -> None:
    """``mws`` between the items of a set: white space or a comment must separate them."""
    for prev, nxt in zip(items, items[1:]):
        if _span(nxt)[0] <= _span(prev)[1]:
            start = _span(nxt)[0]
            raise _Problem(start + 1, f"white space before the next {what}", None)


def _value(x):
    return x.value if isinstance(x, (_Span, Token)) else x


def _tokens(children, *types: str) -> list[Token]:
    return [c for c in children if isinstance(c, Token) and c.type in types]


_OPERATOR_TYPES = {"EQ": "=", "NEQ": "!=", "LT": "<", "LE": "<=", "GT": ">", "GE": ">="}


def _op(children) -> tuple[str, Token]:
    token = next(c for c in children if isinstance(c, Token) and c.type in _OPERATOR_TYPES)
    return _OPERATOR_TYPES[token.type], token


# --- contents of tokens ------------------------------------------------------------------------------

_NONWS_NONPIPE = r"[^\x00-\x20|\x7f]"
_TERM = re.compile(rf"{_NONWS_NONPIPE}+(?: +{_NONWS_NONPIPE}+)*")
_COMMENT = re.compile(r"/\*(?:[^\x00-\x08\x0b\x0c\x0e-\x1f*\x7f]|\*[^\x00-\x08\x0b\x0c\x0e-\x1f/\x7f])*\*/")
_MATCH_WORD = re.compile(r'(?:[^\x00-\x20"\\\x7f]|\\["\\])+')
_WILD = re.compile(r'(?:[^\x00-\x08\x0b\x0c\x0e-\x1f"\\\x7f]|\\["\\*])+')
_TIME = re.compile(r"(?:[1-9][0-9]{3}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01]))?")


def _pipe_term(token: Token) -> str:
    """``"|" ws term ws "|"``: the term without its surrounding white space and comments."""
    content = token.value[1:-1]
    while True:
        stripped = content.strip(" \t\r\n")
        if _TERM.fullmatch(stripped):
            return stripped
        lead = _COMMENT.match(stripped)
        if lead:
            content = stripped[lead.end():]
            continue
        tail = re.search(rf"{_COMMENT.pattern}$", stripped)
        if tail and tail.start() > 0:
            content = stripped[:tail.start()]
            continue
        raise _fail(token, "a term between the pipes (words separated by spaces)")


def _match_text(token: Token) -> str:
    """``matchSearchTermSet = QM ws matchSearchTerm *(mws matchSearchTerm) ws QM``, unescaped."""
    content = token.value[1:-1]
    for candidate in (content, _COMMENT.sub(" ", content)):
        words = [w for w in re.split(r"[ \t\r\n]+", candidate) if w]
        if words and all(_MATCH_WORD.fullmatch(w) for w in words):
            return _unescape(content)
    raise _fail(token, 'a search term in quotes (escape " and \\ with \\)')


def _wild_parts(token: Token) -> tuple[str, tuple[str, ...]]:
    """``wildSearchTermSet = QM wildSearchTerm QM``: the text and its literal parts between ``*``."""
    content = token.value[1:-1]
    if not _WILD.fullmatch(content):
        raise _fail(token, 'a wildcard term in quotes (escape ", \\ and * with \\)')
    parts, buf, i = [], [], 0
    while i < len(content):
        ch = content[i]
        if ch == "\\":
            buf.append(content[i + 1])
            i += 2
            continue
        if ch == "*":
            parts.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
        i += 1
    parts.append("".join(buf))
    return _unescape(content), tuple(parts)


def _unescape(text: str) -> str:
    return re.sub(r'\\(["\\*])', r"\1", text)


def _time(token: Token) -> int | None:
    """``timeValue = QM [ year month day ] QM``."""
    content = token.value[1:-1]
    if not _TIME.fullmatch(content):
        raise _fail(token, 'a date "YYYYMMDD" (or "")')
    return int(content) if content else None


def _search_terms(q: _QuotedTerms) -> tuple[ast.SearchTerm, ...]:
    out = []
    for mode, token in q.items:
        if mode == "wild":
            text, parts = _wild_parts(token)
            out.append(ast.SearchTerm("wild", text, parts))
        else:
            out.append(ast.SearchTerm(mode, _match_text(token)))
    return tuple(out)


def _times(items: list[Token]) -> tuple[int | None, ...]:
    return tuple(_time(t) for t in items)


@v_args(meta=True)
class _Builder(Transformer):
    """Builds the AST bottom-up, checking the ABNF rules the LALR grammar leaves to this module."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text
        self._either: set[int] = set()
        """Description filters that the ABNF also reads as member filters."""

    # --- expressions -----------------------------------------------------------------------------

    def start(self, meta, children):
        return children[0]

    def compound(self, meta, children):
        """``compoundExpressionConstraint``: one operator, and MINUS between exactly two operands."""
        if len(children) == 1:
            return children[0]
        operands = children[0::2]
        ops = [c.children[0] for c in children[1::2]]
        kinds = ["AND" if t.type in ("AND", "COMMA") else t.type for t in ops]
        first = kinds[0]
        for kind, token in zip(kinds[1:], ops[1:]):
            if first == "MINUS":
                raise _fail(token, "the end of the expression or ')' (MINUS takes two operands; use parentheses)")
            if kind != first:
                word = "AND" if first == "AND" else "OR"
                raise _fail(token, f"{word} or ')' (AND and OR cannot be mixed without parentheses)")
        return ast.Compound(first, tuple(operands))

    def refined(self, meta, children):
        focus, _colon, refinement = children
        return ast.Refined(focus, refinement.value)

    def dotted(self, meta, children):
        subs = [c for c in children if not isinstance(c, Token)]
        return ast.Dotted(subs[0], tuple(subs[1:]))

    def sub(self, meta, children):
        operator = member_of = focus = history = None
        member_filters, filters = [], []
        for c in children:
            if isinstance(c, str) and not isinstance(c, Token):
                operator = c
            elif isinstance(c, ast.MemberOf):
                member_of = c
            elif isinstance(c, ast.MemberFilter):
                # subExpressionConstraint: member filters come before description and concept filters. A
                # "{{ moduleId = ... }}" block reads as either (M + field "oduleId"), so it may precede one.
                if any(id(f) not in self._either for f in filters):
                    raise _Problem(c.position, "'{{ D', '{{ C' or '{{ + HISTORY' (member filters come "
                                               "right after the refset)", "{{ M")
                member_filters.append(c)
            elif isinstance(c, (ast.DescriptionFilter, ast.ConceptFilter)):
                filters.append(c)
            elif isinstance(c, ast.HistorySupplement):
                history = c
            else:
                focus = _value(c)
        return ast.SubExpression(focus, operator, member_of, tuple(member_filters), tuple(filters), history,
                                 position=meta.start_pos + 1)

    def operator(self, meta, children):
        t = children[0].type
        return str(_OPERATORS[t[1:] if t.startswith("L") and t[1:] in _OPERATORS else t])

    def member_of(self, meta, children):
        fields = tuple(t.value for t in _tokens(children, "FIELD"))
        return ast.MemberOf(fields, all_fields=bool(_tokens(children, "STAR")))

    def concept_ref(self, meta, children):
        sctid = children[0]
        term = _pipe_term(children[1]) if len(children) > 1 else None
        return _Span(ast.ConceptReference(int(sctid.value), term, position=sctid.start_pos + 1),
                     meta.start_pos, meta.end_pos)

    def wildcard(self, meta, children):
        return ast.Wildcard(position=meta.start_pos + 1)

    def alt_identifier(self, meta, children):
        raw = children[0].value.strip('"')
        scheme, _, code = raw.partition("#")
        term = _pipe_term(children[1]) if len(children) > 1 else None
        return ast.AlternateIdentifier(scheme, code, term, position=meta.start_pos + 1)

    def nested(self, meta, children):
        return children[1]

    def ref_set(self, meta, children):
        refs = [c for c in children if isinstance(c, _Span)]
        _separated(refs, "concept reference")
        return ast.ConceptReferences(tuple(r.value for r in refs))

    # --- refinements -----------------------------------------------------------------------------

    def refinement(self, meta, children):
        """``eclRefinement`` over ``eclAttributeSet``: see the module docstring."""
        units = children[0::2]
        ops = [c.children[0] for c in children[1::2]]
        kinds = ["AND" if t.type in ("AND", "COMMA") else "OR" for t in ops]
        capable = [_attribute_set_unit(u) for u in units]
        values = [u.value if isinstance(u, _Refinement) else u for u in units]
        if not ops:
            return _Refinement(values[0], capable[0])
        runs = _greedy_runs(kinds, capable) or _any_runs(kinds, capable)
        if runs is None:
            raise _fail(ops[_mixing_point(kinds)],
                        "the same operator as before (AND and OR mix only between an attribute set and "
                        "attribute groups or parenthesised refinements; use parentheses)")
        outer, spans = runs
        items = []
        for lo, hi in spans:
            if hi == lo:
                items.append(values[lo])
            else:
                items.append(ast.RefinementSet(kinds[lo], tuple(values[lo:hi + 1])))
        single_run = len(spans) == 1 and all(capable)
        value = items[0] if len(items) == 1 else ast.RefinementSet(outer, tuple(items))
        return _Refinement(value, single_run)

    def group(self, meta, children):
        card = next((c for c in children if isinstance(c, Token) and c.type == "CARD"), None)
        inner = next(c for c in children if isinstance(c, _Refinement))
        if not inner.attribute_set:
            brace = next(c for c in children if isinstance(c, Token) and c.type == "LBRACE")
            raise _fail(brace.end_pos, "attributes joined by one operator inside an attribute group", None)
        return ast.AttributeGroup(inner.value, _cardinality(card) if card else None,
                                  position=meta.start_pos + 1)

    def ref_nested(self, meta, children):
        return children[1]

    def attribute(self, meta, children):
        card = next((c for c in children if isinstance(c, Token) and c.type == "CARD"), None)
        reverse = any(isinstance(c, Token) and c.type == "REVERSE" for c in children)
        name = next(c for c in children if isinstance(c, ast.SubExpression))
        comparison = children[-1]
        return ast.Attribute(name, comparison, _cardinality(card) if card else None, reverse,
                             position=meta.start_pos + 1)

    def expression_value(self, meta, children):
        op, _ = _op(children)
        return ast.ExpressionComparison(op, children[-1])

    def numeric_value(self, meta, children):
        op, _ = _op(children)
        return ast.NumericComparison(op, Decimal(children[-1].value[1:]))

    def string_value(self, meta, children):
        op, _ = _op(children)
        return ast.StringComparison(op, _search_terms(children[-1]))

    def boolean_value(self, meta, children):
        op, _ = _op(children)
        return ast.BooleanComparison(op, children[-1].value.lower() == "true")

    def search_terms(self, meta, children):
        items = [c for c in children if isinstance(c, _Span)]
        _separated(items, "search term")
        return _QuotedTerms([i.value for i in items])

    def plain_term(self, meta, children):
        return _Span(("plain", children[0]), meta.start_pos, meta.end_pos)

    def match_term(self, meta, children):
        return _Span(("match", children[-1]), meta.start_pos, meta.end_pos)

    def wild_term(self, meta, children):
        return _Span(("wild", children[-1]), meta.start_pos, meta.end_pos)

    # --- description and concept filters ---------------------------------------------------------

    def description_filter(self, meta, children):
        items = tuple(c for c in children if not isinstance(c, Token))
        built = ast.DescriptionFilter(items)
        if children[0].type == "FOPEN" and all(isinstance(i, ast.ModuleFilter) for i in items):
            self._either.add(id(built))
        return built

    def concept_filter(self, meta, children):
        return ast.ConceptFilter(tuple(c for c in children if not isinstance(c, Token)))

    def term_filter(self, meta, children):
        op, _ = _op(children)
        return ast.TermFilter(op, _search_terms(children[-1]))

    def language_filter(self, meta, children):
        op, _ = _op(children)
        codes = _tokens(children, "LANG")
        _separated(codes, "language code")
        return ast.LanguageFilter(op, tuple(c.value.lower() for c in codes))

    def type_id_filter(self, meta, children):
        op, _ = _op(children)
        return ast.TypeFilter(op, _value(children[-1]))

    def type_filter(self, meta, children):
        op, _ = _op(children)
        tokens = _tokens(children, "TYPETOKEN")
        _separated(tokens, "description type")
        return ast.TypeFilter(op, ast.ConceptReferences(tuple(
            ast.ConceptReference(_TYPE_TOKENS[t.value.lower()], position=t.start_pos + 1) for t in tokens)))

    def dialect_id_filter(self, meta, children):
        op, _ = _op(children)
        trailing = children[-1].value if _is_acceptability(children[-1]) else None
        body = children[2]
        default = trailing[1] if trailing else None
        if isinstance(body, list):
            dialects = tuple(ast.Dialect(refsets=ast.ConceptReferences((ref,)), acceptability=acc or default,
                                         position=ref.position) for ref, acc in body)
        else:
            dialects = (ast.Dialect(refsets=_value(body), acceptability=default, position=meta.start_pos + 1),)
        return ast.DialectFilter(op, dialects)

    def dialect_filter(self, meta, children):
        op, _ = _op(children)
        trailing = children[-1].value if _is_acceptability(children[-1]) else None
        default = trailing[1] if trailing else None
        body = children[2]
        if isinstance(body, Token):
            dialects = (ast.Dialect(alias=body.value.lower(), acceptability=default, position=body.start_pos + 1),)
        else:
            dialects = tuple(ast.Dialect(alias=alias.value.lower(), acceptability=acc or default,
                                         position=alias.start_pos + 1) for alias, acc in body)
        return ast.DialectFilter(op, dialects)

    def dialect_id_set(self, meta, children):
        parts = [c for c in children if isinstance(c, _Span)]
        items: list[tuple[ast.ConceptReference, object]] = []
        spans: list[_Span] = []
        i = 0
        while i < len(parts):
            p = parts[i]
            if isinstance(p.value, ast.ConceptReference):
                acc = None
                end = p.end
                if i + 1 < len(parts) and _is_acceptability(parts[i + 1]):
                    acc, end = parts[i + 1].value[1], parts[i + 1].end
                    i += 1
                items.append((p.value, acc))
                spans.append(_Span(None, p.start, end))
            else:  # a dialect_ref (reference with its acceptability)
                ref, acc = p.value
                items.append((ref, acc))
                spans.append(p)
            i += 1
        _separated(spans, "dialect")
        return items

    def dialect_ref(self, meta, children):
        ref = children[0].value
        acc = children[1].value[1] if len(children) > 1 else None
        return _Span((ref, acc), meta.start_pos, meta.end_pos)

    def alias_set(self, meta, children):
        items = [c for c in children if isinstance(c, _Span)]
        _separated(items, "dialect alias")
        return [i.value for i in items]

    def alias_item(self, meta, children):
        acc = children[1].value[1] if len(children) > 1 else None
        return _Span((children[0], acc), meta.start_pos, meta.end_pos)

    def acceptability(self, meta, children):
        tokens = _tokens(children, "ACCEPTABILITY")
        refs = [c for c in children if isinstance(c, _Span)]
        if tokens:
            _separated(tokens, "acceptability")
            values = tuple(ast.ConceptReference(_ACCEPTABILITY_TOKENS[t.value.lower()], position=t.start_pos + 1)
                           for t in tokens)
        else:
            _separated(refs, "acceptability")
            values = tuple(r.value for r in refs)
        return _Span(("acceptability", values), meta.start_pos, meta.end_pos)

    def module_filter(self, meta, children):
        op, _ = _op(children)
        return ast.ModuleFilter(op, _value(children[-1]))

    def effective_time_filter(self, meta, children):
        op, _ = _op(children)
        times = _tokens(children, "QUOTED")
        _separated(times, "date")
        return ast.EffectiveTimeFilter(ast.TimeComparison(op, _times(times)))

    def active_filter(self, meta, children):
        op, _ = _op(children)
        value = children[-1].value.lower() in ("1", "true")
        return ast.ActiveFilter(value if op == "=" else not value)

    def description_id_filter(self, meta, children):
        op, _ = _op(children)
        ids = _tokens(children, "SCTID")
        _separated(ids, "description id")
        return ast.DescriptionIdFilter(op, tuple(int(t.value) for t in ids))

    def definition_status_id_filter(self, meta, children):
        op, _ = _op(children)
        return ast.DefinitionStatusFilter(op, _value(children[-1]))

    def definition_status_filter(self, meta, children):
        op, _ = _op(children)
        tokens = _tokens(children, "DEFTOKEN")
        _separated(tokens, "definition status")
        return ast.DefinitionStatusFilter(op, ast.ConceptReferences(tuple(
            ast.ConceptReference(_STATUS_TOKENS[t.value.lower()], position=t.start_pos + 1) for t in tokens)))

    # --- member filters and history supplements --------------------------------------------------

    def member_filter(self, meta, children):
        return ast.MemberFilter(tuple(c for c in children if not isinstance(c, Token)), position=meta.start_pos + 1)

    def member_item(self, meta, children):
        """``memberFilter = moduleFilter / effectiveTimeFilter / activeFilter / memberFieldFilter``."""
        field, value = children[0], children[-1]
        op, op_token = _op(children[1:-1])
        name = field.value.lower()
        equality = op in ("=", "!=")
        value = _value(value) if isinstance(value, _Span) else value
        if name == "active" and equality and isinstance(value, Token) and value.type in ("BIT", "BOOL"):
            truth = value.value.lower() in ("1", "true")
            return ast.ActiveFilter(truth if op == "=" else not truth)
        if name == "moduleid" and equality and isinstance(value, (ast.SubExpression, ast.ConceptReferences)):
            return ast.ModuleFilter(op, value)
        if isinstance(value, ast.SubExpression) and equality:
            return ast.MemberFieldFilter(field.value, ast.ExpressionComparison(op, value),
                                         position=field.start_pos + 1)
        if isinstance(value, Token) and value.type == "NUMBER":
            return ast.MemberFieldFilter(field.value, ast.NumericComparison(op, Decimal(value.value[1:])),
                                         position=field.start_pos + 1)
        if isinstance(value, Token) and value.type == "BOOL" and equality:
            return ast.MemberFieldFilter(field.value, ast.BooleanComparison(op, value.value.lower() == "true"),
                                         position=field.start_pos + 1)
        if isinstance(value, _QuotedTerms):
            tokens = [t for _, t in value.items]
            times = all(mode == "plain" for mode, _ in value.items) and all(_is_time(t) for t in tokens)
            if name == "effectivetime" and times:
                return ast.EffectiveTimeFilter(ast.TimeComparison(op, _times(tokens)))
            if not equality or times and not all(_match_ok(t) for t in tokens):
                if not times:
                    raise _fail(op_token, "'=' or '!=' before a search term")
                return ast.MemberFieldFilter(field.value, ast.TimeComparison(op, _times(tokens)),
                                             position=field.start_pos + 1)
            return ast.MemberFieldFilter(field.value, ast.StringComparison(op, _search_terms(value)),
                                         position=field.start_pos + 1)
        raise _fail(op_token, "'=' or '!=' before this kind of value" if not equality else
                    "a value this refset field can be compared with")

    def history(self, meta, children):
        profile = _tokens(children, "HISTORYPROFILE")
        if profile:
            return ast.HistorySupplement(profile=profile[0].value[-3:].upper())
        subset = next((c for c in children if not isinstance(c, Token)), None)
        return ast.HistorySupplement(subset=subset)


def _is_acceptability(x) -> bool:
    return isinstance(x, _Span) and isinstance(x.value, tuple) and x.value[:1] == ("acceptability",)


def _match_ok(token: Token) -> bool:
    try:
        _match_text(token)
        return True
    except _Problem:
        return False


def _is_time(token: Token) -> bool:
    return bool(_TIME.fullmatch(token.value[1:-1]))


def _cardinality(token: Token) -> ast.Cardinality:
    m = re.fullmatch(r"\[(\d+)(?:\.\.|.*?to.*?)(\d+|\*|many)\]", token.value, re.IGNORECASE | re.DOTALL)
    assert m is not None
    high = m.group(2)
    return ast.Cardinality(int(m.group(1)), int(high) if high.isdigit() else None)


def _attribute_set_unit(unit) -> bool:
    """Whether a refinement unit may stand in an ``eclAttributeSet`` (an attribute, or a parenthesised
    attribute set)."""
    if isinstance(unit, ast.Attribute):
        return True
    if isinstance(unit, _Refinement):
        return unit.attribute_set
    return False


def _greedy_runs(kinds: list[str], capable: list[bool]):
    """The reading of ANTLR's greedy parser: each attribute set takes as many units as it can."""
    spans, boundaries, i, n = [], [], 0, len(capable)
    while i < n:
        j = i
        if capable[i]:
            while j + 1 < n and capable[j + 1] and kinds[j] == kinds[i]:
                j += 1
        spans.append((i, j))
        if j + 1 < n:
            boundaries.append(kinds[j])
        i = j + 1
    if len(set(boundaries)) > 1:
        return None
    return (boundaries[0] if boundaries else kinds[0]), spans


def _any_runs(kinds: list[str], capable: list[bool]):
    """Another reading the ABNF allows: the operator of one kind joins runs of the other kind."""
    for outer in ("AND", "OR"):
        spans, lo = [], 0
        for k, kind in enumerate(kinds):
            if kind == outer:
                spans.append((lo, k))
                lo = k + 1
        spans.append((lo, len(capable) - 1))
        if all(hi == lo or all(capable[lo:hi + 1]) for lo, hi in spans):
            return outer, spans
    return None


def _mixing_point(kinds: list[str]) -> int:
    return next((i for i, k in enumerate(kinds) if k != kinds[0]), len(kinds) - 1)
