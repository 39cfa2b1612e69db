"""The terminology core: the public door.

``api/`` and ``mappings/`` import only the names listed in ``__all__``; everything else in this package is
private (STYLE.md principle 1).
"""

from . import snomed
from .errors import (InvalidCode, InvalidEcl, InvalidRequest, LoadError, NotFound, StoreError, TerminologyError,
                     TooCostly, UnknownCode, UnknownCodeSystem, UnknownCodeSystemVersion, UnknownResource,
                     UnknownValueSet, Unsupported)
from .messages import MESSAGES, format_message
from .model import (CodeSystemVersion, Coding, Designation, Expansion, ExpansionItem, ExpansionParameter, Issue,
                    LookupResult, Property, SubsumesOutcome, ValidateResult)
from .requests import ExpandRequest, LookupRequest, SubsumesRequest, ValidateCodeRequest
from .service import TerminologyService
from .store import Database, default_sqlite_url

__all__ = [
    "CodeSystemVersion", "Coding", "Database", "Designation", "ExpandRequest", "Expansion", "ExpansionItem",
    "ExpansionParameter", "InvalidCode", "InvalidEcl", "InvalidRequest", "Issue", "LoadError", "LookupRequest",
    "LookupResult", "MESSAGES", "NotFound", "Property", "StoreError", "SubsumesOutcome", "SubsumesRequest",
    "TerminologyError", "TerminologyService", "TooCostly", "UnknownCode", "UnknownCodeSystem",
    "UnknownCodeSystemVersion", "UnknownResource", "UnknownValueSet", "Unsupported", "ValidateCodeRequest",
    "ValidateResult", "default_sqlite_url", "format_message", "snomed",
]
