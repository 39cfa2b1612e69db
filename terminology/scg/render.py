"""Expressions back to compositional grammar text.

Two layouts: ``compact`` (no white space, ``123456|term|:{7891011|term|=121314|term|}``: the ``display`` tx.fhir.org
gives an expression, and what the HL7 SNOMED CT tests expect) and ``spaced`` (``123456 |term| : { 7891011 |term| =
121314 |term| }``, the layout of SNOMED International's guides, used for normal forms). Terms come from ``term``
(a function of the concept reference, e.g. the preferred term in the request's languages); without one, or when it
gives None, the term written in the expression is kept, and with ``terms=False`` none is written.
"""

from __future__ import annotations

from typing import Callable

from . import ast

TermOf = Callable[[ast.ConceptReference], "str | None"]


def render(e: ast.Expression, term: TermOf | None = None, *, spaced: bool = False, terms: bool = True) -> str:
    """``e`` as compositional grammar text (see the module docstring)."""
    return _Writer(term, spaced, terms).expression(e, top=True)


class _Writer:
    def __init__(self, term: TermOf | None, spaced: bool, terms: bool) -> None:
        self.term = term
        self.spaced = spaced
        self.terms = terms

    def expression(self, e: ast.Expression, *, top: bool = False) -> str:
        sp = " " if self.spaced else ""
        out = (e.definition_status + " " if top and e.definition_status else "")
        out += f"{sp}+{sp}".join(self.concept(c) for c in e.focus)
        if e.refined:
            parts = [self.attribute(a) for a in e.attributes]
            parts += ["{" + sp + f",{sp}".join(self.attribute(a) for a in g.attributes) + sp + "}" for g in e.groups]
            out += f"{sp}:{sp}" + f",{sp}".join(parts)
        return out

    def concept(self, c: ast.ConceptReference) -> str:
        if not self.terms:
            return c.id
        text = (self.term(c) if self.term is not None else None) or c.term
        if not text:
            return c.id
        return f"{c.id} |{text}|" if self.spaced else f"{c.id}|{text}|"

    def attribute(self, a: ast.Attribute) -> str:
        sp = " " if self.spaced else ""
        v = a.value
        if isinstance(v, ast.Concrete):
            value = v.text
        elif isinstance(v, ast.Expression):
            value = "(" + sp + self.expression(v) + sp + ")"
        else:
            value = self.concept(v)
        return f"{self.concept(a.name)}{sp}={sp}{value}"
