"""The terminology core: the public door.

``api/`` and ``mappings/`` import only the names listed in ``__all__``; everything else in this package is
private (STYLE.md principle 1).
"""

from . import snomed
from .errors import (CircularReference, InvalidCode, InvalidEcl, InvalidRequest, InvalidValueSet, LoadError,
                     MissingSupplement, NotFound, ResourceGone, StoreError, TerminologyError, TooCostly, UnknownCode,
                     UnknownCodeSystem, UnknownCodeSystemVersion, UnknownResource, UnknownValueSet, Unsupported,
                     VersionCheckFailed, VersionConflict)
from .messages import MESSAGES, format_message
from .model import (CodeSystemVersion, Coding, Designation, Expansion, ExpansionItem, ExpansionParameter, Issue,
                    LookupResult, Property, SubsumesOutcome, ValidateResult)
from .refset_maps import RefsetMapEntry
from .repository import RESOURCE_TYPES, ResourceRepository, Saved
from .requests import ExpandRequest, LookupRequest, SubsumesRequest, ValidateRequest
from .service import TerminologyService
from .store import Database, default_sqlite_url

__all__ = [
    "CircularReference", "InvalidValueSet", "MissingSupplement", "VersionCheckFailed",
    "RefsetMapEntry",
    "CodeSystemVersion", "Coding", "Database", "Designation", "ExpandRequest", "Expansion", "ExpansionItem",
    "ExpansionParameter", "RESOURCE_TYPES", "ResourceRepository", "Saved", "InvalidCode", "InvalidEcl", "InvalidRequest", "Issue", "LoadError", "LookupRequest",
    "LookupResult", "MESSAGES", "NotFound", "Property", "ResourceGone", "StoreError", "SubsumesOutcome", "SubsumesRequest",
    "TerminologyError", "TerminologyService", "TooCostly", "UnknownCode", "UnknownCodeSystem",
    "UnknownCodeSystemVersion", "UnknownResource", "UnknownValueSet", "Unsupported", "ValidateRequest",
    "ValidateResult", "VersionConflict", "default_sqlite_url", "format_message", "snomed",
]

from .access import ANONYMOUS, COMMAND_LINE, ROLES, TERMINOLOGY_EDITORS, Principal, require, require_region  # noqa: E402
from .accounts import Accounts  # noqa: E402
from .errors import Forbidden, Unauthenticated  # noqa: E402
from .ecl import EclLimits, EclResult  # noqa: E402

__all__ += ["ANONYMOUS", "Accounts", "COMMAND_LINE", "Forbidden", "Principal", "ROLES", "TERMINOLOGY_EDITORS",
            "Unauthenticated", "require", "require_region"]
__all__ += ["EclLimits", "EclResult"]

from . import scg  # noqa: E402
from .errors import InvalidExpression  # noqa: E402

__all__ += ["InvalidExpression", "scg"]
