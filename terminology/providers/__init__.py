"""Code system providers: one interface (:class:`CodeSystemProvider`) over every kind of code system.

* :class:`ResourceCodeSystem`: a FHIR CodeSystem resource (from the request or the repository), with its
  supplements merged in;
* :class:`SnomedProvider`: a loaded SNOMED CT edition/version from the store, offered to the engine (with the
  implicit value sets) by :class:`SnomedSource`.

A new kind of code system plugs in as another provider: implement :class:`CodeSystemProvider` (and, when its
data lives in a database, :class:`QuerySelection` for its filters) and offer it through a source like
:class:`SnomedSource`.
"""

from .base import (CodeSet, CodeSystemProvider, ConceptInfo, ConceptSelection, PropertyDef, QuerySelection,
                   canonical)
from .resource import ResourceCodeSystem
from .snomed import SnomedProvider, SnomedSource

__all__ = ["CodeSet", "CodeSystemProvider", "ConceptInfo", "ConceptSelection", "PropertyDef", "QuerySelection",
           "ResourceCodeSystem", "SnomedProvider", "SnomedSource", "canonical"]
