"""The terminology core: the public door.

``api/`` and ``mappings/`` import only the names listed in ``__all__``; everything else in this package is
private (STYLE.md principle 1).
"""

from . import snomed, spreadsheet
from .errors import (CircularReference, InvalidCode, InvalidEcl, InvalidRequest, InvalidValueSet, LoadError,
                     MissingSupplement, NotEditable, NotFound, ResourceGone, StoreError, TerminologyError, TooCostly,
                     UnknownCode, UnknownCodeSystem, UnknownCodeSystemVersion, UnknownResource, UnknownValueSet,
                     Unsupported, VersionCheckFailed, VersionConflict)
from .messages import MESSAGES, format_message
from .model import (CodeSystemVersion, Coding, Designation, Expansion, ExpansionItem, ExpansionParameter, Issue,
                    LookupResult, Property, SubsumesOutcome, ValidateResult)
from .refset_maps import RefsetMapEntry
from .repository import RESOURCE_TYPES, ResourceRepository, Saved
from .resource_search import PARAMETERS as SEARCH_PARAMETERS
from .requests import ExpandRequest, LookupRequest, SubsumesRequest, ValidateRequest
from .service import TerminologyService
from .store import Database, default_sqlite_url

__all__ = [
    "CircularReference", "InvalidValueSet", "MissingSupplement", "VersionCheckFailed",
    "RefsetMapEntry",
    "CodeSystemVersion", "Coding", "Database", "Designation", "ExpandRequest", "Expansion", "ExpansionItem",
    "ExpansionParameter", "RESOURCE_TYPES", "ResourceRepository", "Saved", "SEARCH_PARAMETERS", "InvalidCode",
    "InvalidEcl", "InvalidRequest", "Issue", "LoadError", "LookupRequest", "LookupResult", "MESSAGES", "NotEditable",
    "NotFound", "Property", "ResourceGone", "StoreError", "SubsumesOutcome", "SubsumesRequest", "TerminologyError",
    "TerminologyService", "TooCostly", "UnknownCode", "UnknownCodeSystem", "UnknownCodeSystemVersion",
    "UnknownResource", "UnknownValueSet", "Unsupported", "ValidateRequest", "ValidateResult", "VersionConflict",
    "default_sqlite_url", "format_message", "snomed", "spreadsheet",
]

from .access import ANONYMOUS, COMMAND_LINE, ROLES, TERMINOLOGY_EDITORS, Principal, require, require_region  # noqa: E402
from .accounts import Accounts, LoginThrottle  # noqa: E402
from .errors import Forbidden, ReadOnlyNode, Throttled, Unauthenticated  # noqa: E402
from .ecl import EclLimits, EclResult  # noqa: E402
from .bounded import cache_stats  # noqa: E402
from .store.migrate import SCHEMA_REVISION  # noqa: E402

__all__ += ["ANONYMOUS", "Accounts", "COMMAND_LINE", "Forbidden", "LoginThrottle", "Principal", "ReadOnlyNode",
            "ROLES", "TERMINOLOGY_EDITORS", "Throttled", "Unauthenticated", "require", "require_region"]
__all__ += ["EclLimits", "EclResult", "cache_stats", "SCHEMA_REVISION"]

from . import authoring, lifecycle  # noqa: E402
from .authoring import Authoring  # noqa: E402
from .store.authoring import Listed, PublishedPackage, ResourceEvent  # noqa: E402

__all__ += ["Authoring", "Listed", "PublishedPackage", "ResourceEvent", "authoring", "lifecycle"]
from .numbers import FHIR_INTEGER_MAX, decimal_number, etag_version, whole_number  # noqa: E402

__all__ += ["FHIR_INTEGER_MAX", "decimal_number", "etag_version", "whole_number"]

from .text import MAX_FILTER_LENGTH, MAX_FILTER_WORDS, bounded_filter  # noqa: E402

__all__ += ["MAX_FILTER_LENGTH", "MAX_FILTER_WORDS", "bounded_filter"]

from .resource_rules import check_resource  # noqa: E402

__all__ += ["check_resource"]

from . import scg  # noqa: E402
from .errors import InvalidExpression  # noqa: E402

__all__ += ["InvalidExpression", "scg"]

from . import release  # noqa: E402
from .release import ReleaseReview  # noqa: E402

__all__ += ["ReleaseReview", "release"]

from .suggest import Suggester, Suggestion, SuggestTarget  # noqa: E402

__all__ += ["Suggester", "Suggestion", "SuggestTarget"]
