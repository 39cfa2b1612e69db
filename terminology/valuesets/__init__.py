"""The terminology engine: ``$expand``, ``$validate-code``, ``$lookup`` and ``$subsumes`` for every code system.

Code systems are providers (:mod:`terminology.providers`): CodeSystem resources, the FHIR core ones and SNOMED
CT answer the same questions, and value sets are ValueSet definitions, the SNOMED CT implicit ones included.

* :mod:`.context`: :class:`ResolutionContext` finds code systems and value sets by canonical URL and version
  (request resources, then the built-in ones of a :class:`BuiltinSource`, then a :class:`ResourceSource`
  repository), applying the request's version rules;
* :mod:`.compose`: evaluates ``ValueSet.compose`` (includes, excludes, filters, imports);
* :mod:`.expand`: the ``$expand`` answer (languages, designations, properties, hierarchy, paging);
* :mod:`.lookup`: ``$lookup``; :func:`subsumes`: ``$subsumes`` (both ask the provider);
* :mod:`.validate`: ``$validate-code`` (membership in :mod:`.membership`, displays in :mod:`.display`).
"""

from .compose import ComposeEvaluator, Entry
from .context import BuiltinSource, ResolutionContext, ResourceSource, VersionRules
from .expand import expand_value_set, required_supplements
from .lookup import lookup_code
from .validate import validate_code

__all__ = ["BuiltinSource", "ComposeEvaluator", "Entry", "ResolutionContext", "ResourceSource", "VersionRules",
           "expand_value_set", "lookup_code", "required_supplements", "subsumes", "validate_code"]


def subsumes(ctx: ResolutionContext, system: str, version: str | None, code_a: str, code_b: str) -> str:
    """``CodeSystem/$subsumes`` (OperationDefinition CodeSystem-subsumes): how ``code_a`` relates to ``code_b``
    in the code system's is-a hierarchy: ``equivalent``, ``subsumes``, ``subsumed-by`` or ``not-subsumed``."""
    return ctx.code_system(system, version, purpose="lookup").subsumes(code_a.strip(), code_b.strip())
