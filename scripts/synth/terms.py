"""Synthetic English and Swedish terms.

Implements synthetic-rf2.md §6.3 ``descriptions``, ``term_features`` and ``dialects``, and §6.4 ``sv_terms``.

All words are made up: a concept's "core" word is built from consonant-vowel syllables by a bijection
of its number, so every concept gets a different core and FSNs are unique by construction (a final
pass in ``descriptions.py`` still checks). Hierarchy templates add a flavour ("…itis of …",
"…ectomy", "Product containing …"), and synonym variants exercise term search: reordered words,
acronyms (case sensitive), eponyms, hyphens, slashes, digits, apostrophes, parentheses, about 2 %
non-ASCII letters, 1 % very long terms and a few terms with ECL-relevant characters (``*``, ``"``,
``\\``). Terms never contain TAB, CR, LF or ``|``.

US and GB spellings differ for about 4 % of concepts through a spelling-variant word. Swedish terms
are lowercase-first compounds with å, ä and ö.
"""

from __future__ import annotations

import random

from terminology import snomed as s

_ONSETS = (
    "b",
    "br",
    "c",
    "cl",
    "d",
    "dr",
    "f",
    "fl",
    "g",
    "gr",
    "h",
    "k",
    "l",
    "m",
    "n",
    "p",
    "pr",
    "qu",
    "r",
    "s",
    "st",
    "t",
    "tr",
    "v",
    "z",
)
_VOWELS = ("a", "e", "i", "o", "u")
SYLLABLES = tuple(o + v for o in _ONSETS for v in _VOWELS)
_MULTIPLIER = 7_919_003

DIALECT_WORDS = (
    ("color", "colour"),
    ("tumor", "tumour"),
    ("hemal", "haemal"),
    ("edema", "oedema"),
    ("anemia", "anaemia"),
    ("esophageal", "oesophageal"),
    ("pediatric", "paediatric"),
    ("fiber", "fibre"),
    ("center", "centre"),
    ("hematoma", "haematoma"),
    ("leukemia", "leukaemia"),
    ("orthopedic", "orthopaedic"),
)

TEMPLATES: dict[str, tuple[str, ...]] = {
    "finding": (
        "{C}itis of {w}",
        "{C}osis",
        "{A} {c}oma",
        "{C}pathy",
        "Disorder of {w} caused by {c}",
        "{C} lesion of {w}",
        "{C}algia",
        "{A} {c}emia",
    ),
    "procedure": (
        "{C}ectomy",
        "{C}otomy of {w}",
        "{A} {c}oplasty",
        "Endoscopic {c}oscopy",
        "{C} therapy",
        "Excision of {c}ic {w}",
        "{C}ography of {w}",
    ),
    "body": ("Structure of {c}al {w}", "{C}al {w}", "Entire {c}um", "{C}ic {w} part", "{C}ocyte"),
    "organism": ("Genus {C}", "{C}obacter {w}", "{C}ovirus", "Family {C}idae"),
    "substance": ("{C}amine", "{C}ol", "{C}ate", "{C}ase", "{C}ine hydrochloride"),
    "product": (
        "Product containing {c}amine",
        "{C}ol {n} mg oral tablet",
        "{C}ate-containing product",
        "{C}ine {n} microgram/mL solution",
    ),
    "object": ("{C} device", "{C}ometer", "{C} implant", "{C} catheter"),
    "qualifier": ("{C}al", "{C} value", "{C}ic", "{C}ous grade"),
    "observable": ("{C} level", "{C}ic rate", "Measurement of {c}", "{C} count"),
    "situation": ("History of {c}osis", "No {c}itis", "Suspected {c}oma", "{C}ectomy planned"),
    "social": ("{C} worker", "{C}ian", "{C} community"),
    "event": ("{C} incident", "Exposure to {c}", "{C} accident"),
    "environment": ("{C} ward", "{C}land", "{C} clinic"),
    "specimen": ("{C} sample", "Specimen from {c}al {w}", "{C} swab"),
    "staging": ("{C} scale", "{C} score", "{C} stage"),
    "record": ("{C} report", "{C} record", "{C} summary"),
    "force": ("{C} radiation", "{C}ic force", "{C} vibration"),
    "metadata": ("{C} namespace",),
    "special": ("{C} grouping",),
}

ACCENTED = {"e": "é", "u": "ü", "o": "ø", "a": "å"}

SV_ONSETS = (
    "b",
    "bj",
    "d",
    "f",
    "fj",
    "g",
    "gl",
    "h",
    "hj",
    "k",
    "kl",
    "l",
    "m",
    "n",
    "p",
    "r",
    "s",
    "sk",
    "sl",
    "sm",
    "sn",
    "sp",
    "st",
    "sv",
    "t",
    "tr",
    "v",
)
SV_VOWELS = ("a", "e", "i", "o", "u", "y", "å", "ä", "ö", "ä", "ö", "å")
SV_CODAS = ("", "", "n", "r", "l", "k", "t", "ng", "rk", "st", "ll")
SV_SUFFIXES: dict[str, tuple[str, ...]] = {
    "finding": ("sjukdom", "skada", "inflammation", "värk", "förändring"),
    "procedure": ("operation", "undersökning", "behandling", "borttagning"),
    "body": ("struktur", "vävnad", "led", "kärl"),
    "organism": ("bakterie", "svamp", "virus"),
    "substance": ("ämne", "syra", "förening"),
    "product": ("läkemedel", "tablett", "lösning"),
    "object": ("apparat", "redskap", "instrument"),
    "qualifier": ("värde", "grad"),
    "observable": ("nivå", "mätning", "halt"),
    "situation": ("misstanke", "anamnes"),
    "social": ("arbetare", "grupp"),
    "event": ("olycka", "händelse"),
    "environment": ("avdelning", "mottagning"),
    "specimen": ("prov", "utstryk"),
    "staging": ("skala", "stadium"),
    "record": ("journal", "rapport"),
    "force": ("strålning", "kraft"),
}


def core_word(number: int, syllables: int = 3) -> str:
    """The unique made-up word of concept ``number`` (a bijection onto syllable strings)."""
    base = len(SYLLABLES)
    space = base**syllables
    x = (number * _MULTIPLIER + 12_345) % space
    out = []
    for _ in range(syllables):
        x, digit = divmod(x, base)
        out.append(SYLLABLES[digit])
    return "".join(out)


def syllables_for(count: int) -> int:
    """How many syllables make ``count`` distinct core words possible."""
    n = 3
    while len(SYLLABLES) ** n < count:
        n += 1
    return n


class TermMaker:
    """Builds the terms of one concept from its core word, with a seeded ``random.Random``."""

    def __init__(self, rnd: random.Random, syllables: int) -> None:
        self.rnd = rnd
        self.syllables = syllables

    def word(self) -> str:
        """A random made-up word (not unique), for the secondary slots of templates."""
        r = self.rnd
        return "".join(SYLLABLES[r.randrange(len(SYLLABLES))] for _ in range(r.randint(2, 3)))

    def base(self, code: str, number: int) -> tuple[str, int]:
        """The FSN term without its tag, and its case significance."""
        r = self.rnd
        core = core_word(number, self.syllables)
        template = r.choice(TEMPLATES.get(code, ("{C}",)))
        adjective = self.word() + r.choice(("ic", "al", "ous"))
        term = template.format(
            C=core.capitalize(), c=core, w=self.word(), A=adjective.capitalize(), n=r.randint(1, 500)
        )
        if r.random() < 0.01:
            term = self.long(term)
        if r.random() < 0.08:
            return f"{term} {self.word().upper()[:3]}", s.INITIAL_CHARACTER_CASE_INSENSITIVE
        if code == "organism" and term.startswith(("Genus", "Family")):
            return term, s.ENTIRE_TERM_CASE_SENSITIVE
        if r.random() < 0.07:
            return f"{core.capitalize()}'s {term[0].lower()}{term[1:]}", s.ENTIRE_TERM_CASE_SENSITIVE
        return term, s.CASE_INSENSITIVE

    def long(self, term: str) -> str:
        """A very long variant (200-205 characters) of a term (§6.3 ``term_features``)."""
        target = self.rnd.randint(200, 205)
        while len(term) < target:
            term += f" with {self.word()} and {self.word()}"
        return term[:target].rstrip()

    def synonyms(self, base: str, k: int) -> list[tuple[str, int]]:
        """``k`` distinct synonyms other than the preferred term, with case significance."""
        out: list[tuple[str, int]] = []
        seen = {base}
        for _ in range(4 * k):
            if len(out) == k:
                break
            term, case = self.variant(base)
            if term not in seen and len(term) <= 255:
                seen.add(term)
                out.append((term, case))
        return out

    def variant(self, base: str) -> tuple[str, int]:
        """One synonym variant of ``base``."""
        r = self.rnd
        words = base.split(" ")
        x = r.random()
        if x < 0.08:
            acronym = "".join(w[0] for w in words if w[:1].isalpha()).upper() or "X"
            return (acronym + r.choice(("", " - " + base.lower())), s.ENTIRE_TERM_CASE_SENSITIVE)
        if x < 0.16:
            return (
                f"{words[0]} {self.word().upper()[:3]} {' '.join(words[1:])}".strip(),
                s.INITIAL_CHARACTER_CASE_INSENSITIVE,
            )
        if x < 0.18:
            accented = "".join(ACCENTED.get(ch, ch) if i % 4 == 1 else ch for i, ch in enumerate(base))
            return accented, s.CASE_INSENSITIVE
        if x < 0.19:
            return self.long(base), s.CASE_INSENSITIVE
        if x < 0.192:
            mark = r.choice(('"{}" form', "{} * variant", "{} \\ alternative"))
            return mark.format(base), s.CASE_INSENSITIVE
        if x < 0.35 and " of " in base:
            head, tail = base.split(" of ", 1)
            return f"{tail.capitalize()} {head.lower()}", s.CASE_INSENSITIVE
        if x < 0.5:
            return f"{base} type {r.randint(1, 9)}", s.CASE_INSENSITIVE
        if x < 0.6:
            return f"{base}-{self.word()}", s.CASE_INSENSITIVE
        if x < 0.68:
            return f"{base} (left/right)", s.CASE_INSENSITIVE
        if x < 0.8:
            return f"{base} {r.choice(('NOS', 'variant', 'form', 'disorder', 'kind'))}", s.CASE_INSENSITIVE
        return f"{self.word().capitalize()} {base.lower()}", s.CASE_INSENSITIVE

    def definition(self, base: str, tag: str) -> str:
        """A synthetic text definition."""
        return (
            f"A synthetic {tag} named {base.lower()}, in which {self.word()} affects the "
            f"{self.word()} of {self.word()}."
        )


class SwedishMaker:
    """Swedish-looking compound terms with å, ä and ö (§6.4 ``sv_terms``)."""

    def __init__(self, rnd: random.Random) -> None:
        self.rnd = rnd

    def stem(self) -> str:
        """One or two Swedish-looking syllables."""
        r = self.rnd
        return "".join(r.choice(SV_ONSETS) + r.choice(SV_VOWELS) + r.choice(SV_CODAS) for _ in range(r.randint(1, 2)))

    def preferred(self, code: str) -> str:
        """A lowercase-first compound: stem + linking s + stem + hierarchy suffix."""
        r = self.rnd
        suffix = r.choice(SV_SUFFIXES.get(code, ("begrepp",)))
        term = self.stem() + r.choice(("", "s")) + self.stem() + suffix
        if r.random() < 0.3:
            term += f" i {self.stem()}{r.choice(('leden', 'området', 'vävnaden'))}"
        return term

    def acceptable(self, preferred: str) -> str:
        """An acceptable Swedish synonym of a preferred term."""
        r = self.rnd
        x = r.random()
        if x < 0.3:
            return f"{preferred} UNS"
        if x < 0.6:
            return f"{self.stem()}{preferred}"
        return f"{preferred}, {r.choice(('kronisk', 'akut', 'ospecificerad', 'övrig'))}"
