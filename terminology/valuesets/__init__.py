"""Value sets and code systems defined by FHIR resources: resolution, ``$expand`` and ``$lookup``.

* :mod:`.context`: :class:`ResolutionContext` finds code systems and value sets by canonical URL and version
  (request resources, then a :class:`ResourceSource` repository, then built-in providers), applying the
  request's version rules;
* :mod:`.compose`: evaluates ``ValueSet.compose`` (includes, excludes, filters, imports);
* :mod:`.expand`: the ``$expand`` answer (languages, designations, properties, hierarchy, paging);
* :mod:`.lookup`: ``$lookup`` on resource code systems;
* :mod:`.validate`: ``$validate-code`` (membership in :mod:`.membership`, displays in :mod:`.display`).
"""

from .compose import ComposeEvaluator, Entry
from .context import ResolutionContext, ResourceSource, VersionRules
from .expand import expand_value_set, required_supplements
from .lookup import lookup_code
from .validate import validate_code

__all__ = ["ComposeEvaluator", "Entry", "ResolutionContext", "ResourceSource", "VersionRules", "expand_value_set",
           "lookup_code", "required_supplements", "validate_code"]
