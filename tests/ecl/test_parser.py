"""The ECL parser: the official examples, agreement with a parser built from the unmodified official ABNF
(on the examples and on mutated variants), the tree it builds, and its error messages."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from terminology import InvalidEcl, ecl
from terminology.ecl import ast

from .abnf_reference import REFERENCE, reference

EXAMPLES = sorted((REFERENCE / "examples").rglob("*.txt"))
_TOKENS = ["AND ", " OR ", " MINUS ", "(", ")", "{", "}", "{{", "}}", ":", ",", ".", "=", "!=", "<", "<<", ">", "*",
           "^", "R ", "#5", '"x"', "|t|", "[1..2]", "123456", "@", "<!", "!!>", " C ", "{{ M ", "term", "any ",
           "descendantOf ", "/* c */", "\t", '"20200131"', "wild:", "+HISTORY"]


def _accepts(text: str) -> bool:
    try:
        ecl.parse(text)
        return True
    except InvalidEcl:
        return False


def _mutations(text: str, seed: int, rounds: int) -> list[str]:
    """Deterministic variants: a character deleted or doubled, tokens swapped, deleted or replaced, a token or
    white space inserted, the whole text in lower / upper case and without white space."""
    rnd = random.Random(seed)
    out = []
    words = text.split()
    for _ in range(rounds):
        i = rnd.randrange(len(text))
        out.append(text[:i] + text[i + 1:])
        i = rnd.randrange(len(text))
        out.append(text[:i] + text[i] + text[i:])
        if len(words) > 1:
            j = rnd.randrange(len(words) - 1)
            w = words[:]
            w[j], w[j + 1] = w[j + 1], w[j]
            out.append(" ".join(w))
            j = rnd.randrange(len(words))
            out.append(" ".join(words[:j] + words[j + 1:]))
            j = rnd.randrange(len(words))
            out.append(" ".join(words[:j] + [rnd.choice(_TOKENS)] + words[j + 1:]))
        i = rnd.randrange(len(text) + 1)
        out.append(text[:i] + rnd.choice(_TOKENS) + text[i:])
    out += [text.lower(), text.upper(), "".join(text.split())]
    return out


def test_there_are_121_official_examples():
    assert len(EXAMPLES) == 121


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_official_example_parses(path: Path):
    assert isinstance(ecl.parse(path.read_text("utf-8")), (ast.SubExpression, ast.Compound, ast.Refined, ast.Dotted))


def test_the_parser_accepts_and_rejects_what_the_official_abnf_does():
    """The official examples and three deterministic mutations of each, against a recogniser built at test
    time from ``abnf-long.txt`` (the long syntax, a superset of the brief one that this parser reads)."""
    long_syntax = reference("long")
    cases: list[str] = []
    for k, path in enumerate(EXAMPLES):
        text = path.read_text("utf-8")
        cases.append(text)
        cases += random.Random(k).sample(_mutations(text, seed=k, rounds=1), 3)
    cases = list(dict.fromkeys(cases))
    assert len(cases) > 450
    disagreements = [(text, _accepts(text)) for text in cases if _accepts(text) != long_syntax.accepts(text)]
    assert not disagreements, disagreements[:5]
    rejected = sum(not _accepts(text) for text in cases)
    assert 0.2 * len(cases) < rejected < 0.8 * len(cases)  # the mutations exercise both outcomes


@pytest.mark.slow
def test_the_parser_agrees_with_the_abnf_on_many_more_mutations():
    """Twelve rounds of mutations per example (about 10,000 strings); the brief ABNF's strings are ours too."""
    long_syntax, brief = reference("long"), reference("brief")
    for k, path in enumerate(EXAMPLES):
        for text in _mutations(path.read_text("utf-8"), seed=1000 + k, rounds=12):
            ours = _accepts(text)
            assert ours == long_syntax.accepts(text), text
            assert ours or not brief.accepts(text), text


@pytest.mark.parametrize("text", [
    "123456 AND(123456)", "/* a **/ 123456", "1234567 |a\tb|", '< 1234567 {{ term = ("a""b") }}',
    '< 1234567 {{ term = "a\\b" }}', '< 1234567 {{ C effectiveTime = "20201332" }}', "< 1234567 : [ 1..*] 1234567 = *",
    "1234567 MINUS 2345678 MINUS 3456789", "< 1234567 : 1234567 = #05", "^ [] 1234567", "12345678901234567890",
    "< 1234567 {{ + HISTORY-MIN (1234567) }}", "< 1234567 {{ term = \"x\" }} {{ M active = 1 }}",
])
def test_edge_cases_the_abnf_rejects(text):
    assert not _accepts(text)


@pytest.mark.parametrize("text", [
    "123456AND 123456", "< 1234567 : r 1234567 = *", "< 1234567 {{ did = 1234567 }}", "<< 1234567 |a /* b */|",
    "^ 1234567 {{ Mactive=1 }}", "^ 1234567 {{ moduleId = 1234567 }} {{ M active = 1 }}",
    '^ 1234567 {{ M x = "" }}', "< 1234567 : [1 to many] 1234567 = *", "< 1234567 : 1234567 not= #5",
    "<1234567:1234567=1234567 OR 1234567=1234567 AND 1234567=1234567", '"LOINC#a b"',
])
def test_edge_cases_the_abnf_accepts(text):
    assert _accepts(text)


def test_brief_and_long_syntax_give_the_same_tree():
    brief = ecl.parse('(<< 404684003 : [1..*] R 363698007 != * {{ term = "a" }}) AND ^ 1234567')
    long = ecl.parse('(descendantOrSelfOf 404684003 : [1 to many] reverseOf 363698007 NOT = ANY '
                     '{{ TERM = "a" }}) and memberOf 1234567')
    assert brief == long


def test_terms_comments_and_case_do_not_change_the_tree():
    assert ecl.parse("<< 404684003 |Clinical finding| /* c */") == ecl.parse("<<404684003")
    assert ecl.parse("<< 404684003 AND < 71388002") == ecl.parse("<< 404684003 and < 71388002")


def test_attribute_sets_bind_before_refinement_operators():
    tree = ecl.parse("< 1234567 : 2345678 = 3456789 AND 4567890 = 5678901 OR 6789012 = 7890123")
    r = tree.refinement
    assert r.operator == "OR" and r.items[0].operator == "AND" and isinstance(r.items[1], ast.Attribute)
    tree = ecl.parse("< 1234567 : 2345678 = 3456789 OR 4567890 = 5678901 AND { 6789012 = 7890123 }")
    r = tree.refinement
    assert r.operator == "AND" and r.items[0].operator == "OR" and isinstance(r.items[1], ast.AttributeGroup)


def test_filters_history_and_member_fields():
    tree = ecl.parse('^ [targetComponentId] 900000000000527005 {{ M referencedComponentId = 67415000 }} '
                     '{{ C active = 0 }} {{ D term = wild:"a*b", dialect = en-gb (prefer) }} {{ + HISTORY-MOD }}')
    assert tree.member_of == ast.MemberOf(("targetComponentId",))
    assert tree.history == ast.HistorySupplement(profile="MOD")
    desc = tree.filters[1].items
    assert desc[0].terms[0].parts == ("a", "b")
    assert desc[1].dialects[0].alias == "en-gb" and desc[1].dialects[0].acceptability[0].id == 900000000000548007


@pytest.mark.parametrize("text, position, expected", [
    ("<< 404684003 AND < 71388002 OR < 123456001", 29, "AND or ')'"),
    ("<< 404684003 MINUS << 71388002 MINUS 123456001", 32, "MINUS takes two operands"),
    ("<< 12345", 4, "a concept id (6 to 18 digits)"),
    ("< 404684003 :", 14, "a concept id"),
    ("( < 404684003", 14, "')'"),
    ('< 404684003 {{ term = "" }}', 23, "a search term in quotes"),
    ("< 404684003 {{ language = (sv en) }} {{ languag = sv }}", 41, "term, language"),
    ('< 404684003 {{ term = ("a""b") }}', 27, "white space before the next search term"),
    ("< 404684003 : { 363698007 = * } AND 116676008 = * OR { 246075003 = * }", 51, "same operator"),
    ("< 404684003 : 363698007 = * }", 29, "the end of the expression"),
    ("", 1, "a constraint operator such as '<<'"),
])
def test_syntax_errors_name_the_position_and_what_was_expected(text, position, expected):
    with pytest.raises(InvalidEcl) as info:
        ecl.parse(text)
    err = info.value
    assert err.position == position, str(err)
    assert f"position {position}" in str(err) and expected in str(err)
    assert err.expected and err.message_id == "INVALID_ECL" and err.tx_code == "vs-invalid"
    assert str(err).startswith(f"Invalid ECL expression: '{text}': (syntax error at position {position}: ")
