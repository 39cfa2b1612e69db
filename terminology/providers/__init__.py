"""Code system providers: one interface (:class:`CodeSystemProvider`) over every kind of code system.

* :class:`ResourceCodeSystem`: a FHIR CodeSystem resource (from the request or the repository), with its
  supplements merged in;
* :class:`SnomedProvider`: a loaded SNOMED CT edition/version from the store.
"""

from .base import CodeSet, CodeSystemProvider, ConceptInfo, ConceptSelection, PropertyDef, canonical
from .resource import ResourceCodeSystem
from .snomed import SnomedProvider

__all__ = ["CodeSet", "CodeSystemProvider", "ConceptInfo",
           "ConceptSelection", "PropertyDef", "ResourceCodeSystem", "SnomedProvider", "canonical"]
