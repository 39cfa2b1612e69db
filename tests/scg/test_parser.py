"""The compositional grammar parser: agreement with a parser built from the official ABNF (hand-written and
generated expressions, valid and mutated), the tree it builds, rendering, and its error messages."""

from __future__ import annotations

import random
from decimal import Decimal
from pathlib import Path

import pytest

from terminology import InvalidExpression, scg
from terminology.scg import ast

from ..abnf_reference import Recogniser

ABNF = Path(__file__).resolve().parents[3] / "shared" / "reference" / "scg" / "scg-abnf-20170607.txt"
"""The official ABNF in ``../shared`` beside the checkout (as CI places it)."""

# SCG 2.4 (SNOMED International's "Compositional Grammar Specification and Guide" §5.1) added boolean concrete
# values to the 2017 ABNF in the shared folder: these are the 2.4 lines, the rest of the file is used as is.
SCG_24 = {
    "attributeValue": 'attributeValue = expressionValue / QM stringValue QM / "#" numericValue / booleanValue',
}
SCG_24_NEW = [
    "booleanValue = true / false",
    'true = ("t"/"T") ("r"/"R") ("u"/"U") ("e"/"E")',
    'false = ("f"/"F") ("a"/"A") ("l"/"L") ("s"/"S") ("e"/"E")',
]


@pytest.fixture(scope="module")
def official() -> Recogniser:
    lines = []
    for line in ABNF.read_text("utf-8").splitlines():
        name = line.split("=", 1)[0].strip()
        lines.append(SCG_24.get(name, line))
    return Recogniser("\n".join(lines + SCG_24_NEW), "expression")


def _accepts(text: str) -> bool:
    try:
        scg.parse(text)
        return True
    except InvalidExpression:
        return False


HAND_WRITTEN = [
    # the guide's examples (SCG §6), the HL7 tests' expressions and edge cases of each rule
    "73211009 |Diabetes mellitus|",
    "73211009",
    "  73211009  ",
    "421720008 |Spray dose form| + 7946007 |Drug suspension|",
    "83152002 |Oophorectomy| : 405815000 |Procedure device| = 122456005 |Laser device|",
    "71388002 |Procedure| : { 260686004 |Method| = 129304002 |Excision - action|, 405813007 |Procedure site - direct| "
    "= 15497006 |Ovarian structure| }, { 260686004 |Method| = 129304002 |Excision - action|, "
    "405813007 |Procedure site - direct| = 31435000 |Fallopian tube structure| }",
    "397956004 |Prosthetic arthroplasty of the hip| : 363704007 |Procedure site| = ( 24136001 |Hip joint structure| : "
    "272741003 |Laterality| = 7771000 |Left| )",
    "=== 46866001 |Fracture of lower limb| + 428881005 |Injury of tibia| : 116676008 |Associated morphology| = "
    "72704001 |Fracture|, 363698007 |Finding site| = 12611008 |Bone structure of tibia|",
    "<<< 73211009 |Diabetes mellitus| : 363698007 |Finding site| = 113331007 |Endocrine system|",
    "322236009 |Paracetamol 500 mg tablet| : 209999001 = #500, 1142135004 = #500.0, 3264475007 = \"CANNABIDIOL\"",
    "27658006 : 411116001 = #-0.5, 732945000 = #+7, 732947008 = #0, 1142139005 = TRUE, 1142140007 = false",
    '322236009 : 3264475007 = "a \\"quoted\\" word and a \\\\ backslash"',
    "367430006:{272741003=24028007}",
    "128241005:{363698007=181268008}",
    "64572001:363698007=10200004",
    "367430006:{405813007=85562004:272741003=24028007}",
    "71388002:{260686004=129304002},{405813007=15497006}",
    "71388002:{260686004=129304002}{405813007=15497006}",
    "71388002 : 260686004 = 129304002 , { 405813007 = 15497006 }",
    "71388002:260686004=129304002{405813007=15497006}",
    "123456 |a  term with  double   spaces|",
    "123456 |términ med ÅÄÖ åäö|",
    "123456|x|",
    "123456 | x |",
    "1234567890123456789",
    "123456789012345678",
    "12345",
    "0123456",
    "123456 ||",
    "123456 | |",
    "123456 |a\tb|",
    "123456 |a|b|",
    "123456 : 123456 = 123456, { 123456 = 123456 }, 123456 = 123456",
    "123456 : { 123456 = 123456 }, 123456 = 123456",
    "123456 : { 123456 = 123456, }",
    "123456 : {}",
    "123456 :",
    "123456 + ",
    "=== ",
    "== 123456",
    "===123456",
    "123456 : 123456 = (123456)",
    "123456 : 123456 = ( === 123456 )",
    "123456 : 123456 = ((123456))",
    "123456 : 123456 = #007",
    "123456 : 123456 = #1.",
    "123456 : 123456 = #.5",
    "123456 : 123456 = #1.50",
    '123456 : 123456 = ""',
    '123456 : 123456 = "tab\tand\nnewline"',
    '123456 : 123456 = "bad \\n escape"',
    "123456 : 123456 = truefalse",
    "123456 : 123456 = True",
    "123456 : 123456 = tru",
    "123456 :123456=123456,123456=123456",
    "123456\n:\r\n123456\t=\t123456",
]


def _generate(rnd: random.Random, depth: int = 0) -> str:
    """A random valid expression, with random white space, terms, groups, nesting and concrete values."""
    def ws() -> str:
        return rnd.choice(["", "", " ", "  ", "\t", "\n ", "\r\n"])

    def concept() -> str:
        cid = str(rnd.randint(1, 9)) + "".join(rnd.choice("0123456789") for _ in range(rnd.randint(5, 12)))
        if rnd.random() < 0.4:
            term = rnd.choice(["Finding site", "a", "Knäprotes, höger", "x (procedure)", "ÅÄÖ 1/2", "%$#@!~{}"])
            return f"{cid}{ws()}|{ws()}{term}{ws()}|"
        return cid

    def value() -> str:
        r = rnd.random()
        if r < 0.55 or depth > 2:
            return concept()
        if r < 0.7:
            return "(" + ws() + _sub(rnd, depth + 1) + ws() + ")"
        if r < 0.8:
            return "#" + rnd.choice(["", "-", "+"]) + rnd.choice(["0", "5", "500", "12.25", "0.5"])
        if r < 0.9:
            return '"' + rnd.choice(["x", "twenty mg", 'a \\" b', "\\\\", "åäö"]) + '"'
        return rnd.choice(["true", "FALSE", "True"])

    def attribute() -> str:
        return concept() + ws() + "=" + ws() + value()

    def attribute_set() -> str:
        return (ws() + "," + ws()).join(attribute() for _ in range(rnd.randint(1, 3)))

    def group() -> str:
        return "{" + ws() + attribute_set() + ws() + "}"

    def _sub(rnd: random.Random, depth: int) -> str:
        text = (ws() + "+" + ws()).join(concept() for _ in range(rnd.randint(1, 2)))
        if rnd.random() < 0.7:
            first = group() if rnd.random() < 0.4 else attribute_set()
            rest = "".join(ws() + rnd.choice([",", ""]) + ws() + group() for _ in range(rnd.randint(0, 2)))
            text += ws() + ":" + ws() + first + rest
        return text

    status = rnd.choice(["", "", "=== ", "<<<", "<<< "])
    return ws() + status + _sub(rnd, depth) + ws()


_TOKENS = [":", ",", "{", "}", "(", ")", "=", "+", "|", "#", '"', "===", "<<<", " ", "\t", "123456", "0", "true",
           "|t|", "#1.5", "-", "."]


def _mutations(text: str, rnd: random.Random) -> list[str]:
    out = []
    i = rnd.randrange(len(text))
    out.append(text[:i] + text[i + 1:])
    i = rnd.randrange(len(text))
    out.append(text[:i] + rnd.choice(_TOKENS) + text[i:])
    i = rnd.randrange(len(text))
    out.append(text[:i] + text[i] + text[i:])
    return out


def test_the_parser_accepts_and_rejects_what_the_official_abnf_does(official):
    """Hand-written cases, generated expressions and mutations of both, against a recogniser built at test time
    from the official ABNF (with the SCG 2.4 boolean values)."""
    rnd = random.Random(19)
    generated = [_generate(rnd) for _ in range(150)]
    cases = list(HAND_WRITTEN) + generated
    for text in list(cases):
        cases += _mutations(text, rnd)
    cases = list(dict.fromkeys(c for c in cases if c))
    assert len(cases) > 700
    disagreements = [(text, _accepts(text)) for text in cases if _accepts(text) != official.accepts(text)]
    assert not disagreements, disagreements[:5]
    accepted = sum(_accepts(text) for text in cases)
    assert 0.3 * len(cases) < accepted < 0.8 * len(cases)  # both outcomes are exercised
    assert all(_accepts(text) for text in generated)


@pytest.mark.slow
def test_agreement_on_many_generated_expressions(official):
    rnd = random.Random(2024)
    for _ in range(3000):
        text = _generate(rnd)
        for case in [text] + _mutations(text, rnd):
            assert _accepts(case) == official.accepts(case), case


def test_the_tree():
    e = scg.parse("=== 609588000 |Total knee replacement| + 71388002 : 272741003 = 24028007, "
                  "{ 363704007 |Procedure site| = ( 49076000 : 272741003 = 7771000 ), 260686004 = 129304002 }, "
                  "{ 1142135004 = #-2.50, 3264475007 = \"a\\\"b\", 1142139005 = False }")
    assert e.definition_status == "==="
    assert [c.id for c in e.focus] == ["609588000", "71388002"]
    assert e.focus[0].term == "Total knee replacement" and e.focus[0].position == 5
    assert [(a.name.id, a.value.id) for a in e.attributes] == [("272741003", "24028007")]
    nested = e.groups[0].attributes[0].value
    assert isinstance(nested, ast.Expression) and nested.focus[0].id == "49076000" and nested.definition_status is None
    concrete = [a.value for a in e.groups[1].attributes]
    assert concrete[0] == ast.Concrete("decimal", Decimal("-2.50")) and concrete[0].text == "#-2.50"
    assert concrete[1].value == 'a"b' and concrete[1].text == '"a\\"b"'
    assert concrete[2].value is False and concrete[2].text == "false"
    assert [r.id for r in ast.concept_references(e)] == ["609588000", "71388002", "272741003", "24028007",
                                                         "363704007", "49076000", "272741003", "7771000",
                                                         "260686004", "129304002", "1142135004", "3264475007",
                                                         "1142139005"]


def test_terms_and_white_space_take_no_part_in_equality():
    assert scg.parse("609588000 |Knäprotes| : 272741003 = 24028007") == scg.parse("609588000:272741003=24028007")
    assert scg.parse("609588000") != scg.parse("=== 609588000")


def test_rendering_round_trips():
    rnd = random.Random(7)
    for _ in range(200):
        e = scg.parse(_generate(rnd))
        for spaced in (False, True):
            assert scg.parse(scg.render(e, spaced=spaced)) == e
    e = scg.parse("367430006 : { 272741003 = 24028007 }")
    terms = {"367430006": "Repair of tendon of hand", "272741003": "Laterality", "24028007": "Right"}
    assert scg.render(e, lambda c: terms.get(c.id)) == \
        "367430006|Repair of tendon of hand|:{272741003|Laterality|=24028007|Right|}"
    assert scg.render(e, lambda c: terms.get(c.id), spaced=True) == \
        "367430006 |Repair of tendon of hand| : { 272741003 |Laterality| = 24028007 |Right| }"
    assert scg.render(scg.parse("123456 |t| : 123456 = 123456"), terms=False) == "123456:123456=123456"


@pytest.mark.parametrize("text, position, expected", [
    ("", 1, "a concept id"),
    ("12345", 6, "a digit"),
    ("367430006:{405813007=85562004:272741003=24028007}", 30, "'}'"),
    ("367430006 : 272741003 24028007", 23, "'='"),
    ("367430006 : { 272741003 = 24028007", 35, "'}'"),
    ("367430006 : 272741003 = 24028007 ,", 35, "an attribute"),
    ("367430006 |Repair", 18, "'|' (the end of the term)"),
    ("367430006 : 272741003 = #07", 27, "the end of the expression"),
    ("367430006 : 272741003 = \"\"", 26, "a character"),
    ("367430006 : 272741003 = maybe", 25, "true or false"),
    ("== 367430006", 1, "'===' or '<<<'"),
    ("367430006 : { 272741003 = 24028007 }, 272741003 = 7771000", 39, "'{'"),
])
def test_syntax_errors_name_the_position_and_what_was_expected(text, position, expected):
    with pytest.raises(InvalidExpression) as info:
        scg.parse(text)
    err = info.value
    assert err.position == position, str(err)
    assert f"position {position}" in str(err) and expected in str(err), str(err)
    assert err.message_id == "SCG_SYNTAX" and err.expected


def test_limits():
    with pytest.raises(InvalidExpression, match="characters, more than the limit"):
        scg.parse("123456 " + " " * scg.MAX_LENGTH)
    deep = "123456 : 123456 = " * 1 + "(123456 : 123456 = " * (scg.MAX_DEPTH + 1) + "123456" + ")" * (scg.MAX_DEPTH + 1)
    with pytest.raises(InvalidExpression, match="nested too deeply"):
        scg.parse(deep)
