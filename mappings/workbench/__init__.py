"""The mapping workbench (issue 21): a local term list mapped to SNOMED CT, KVÅ, ICD-10-SE or any stored code
system with ranked suggestions, review and a published ConceptMap. Public door: ``__all__``."""

from .files import MAX_ROWS
from .project import FILTERS, RELATIONSHIPS, FileRejected, Target, Workbench

__all__ = ["FILTERS", "FileRejected", "MAX_ROWS", "RELATIONSHIPS", "Target", "Workbench"]
