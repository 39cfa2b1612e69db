"""SNOMED CT Compositional Grammar 2.4 (brief syntax): the parser, the syntax tree and the renderer.

Post-coordinated expressions (``11204002 |Structure of porta hepatis| : 272741003 |Laterality| = 24028007 |Right|``)
are codes of ``http://snomed.info/sct`` ("Using SNOMED CT with FHIR" §1.1). This package knows only the grammar;
what an expression means in a loaded edition (its concepts, the concept model, normal forms, subsumption) is the
SNOMED CT provider's (:mod:`terminology.providers.snomed_expressions`).

* ``parse(text) -> ast.Expression``: a syntax error is an :class:`~terminology.errors.InvalidExpression` with the
  1-based ``position`` and what the grammar ``expected`` there;
* ``render(expression, term=None, *, spaced=False, terms=True) -> str``: back to text, with terms from ``term``.
"""

from . import ast
from .parser import MAX_DEPTH, MAX_LENGTH, parse
from .render import render

__all__ = ["MAX_DEPTH", "MAX_LENGTH", "ast", "parse", "render"]
