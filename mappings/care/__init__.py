"""The care-service directory and the concept-hierarchy care search (care-search.md). Public door: ``__all__``.

``CareDirectory`` is the facade: FHIR create/read/update/search and transaction Bundles of the seven care
resource types, file imports, the change history, and ``search`` (``HealthcareService/$care-search``).
Its tables live in the terminology catalog database (:mod:`mappings.care.store`).
"""

from . import agreements, codes, geo, release
from .access import READERS, WRITERS
from .concepts import Candidate, Concept
from .directory import CareDirectory, Written
from .fhir import render as render_resource
from .rest import SEARCH_PARAMETERS
from .model import (RESOURCE_TYPES, Agreement, Capacity, CareService, Commission, Eligibility, Event, Location,
                    Organization, Stored, WaitingTime)
from .search import (MATCH_TEXT, MATCH_TYPES, REASON_TEXT, REASONS, CareSearchRequest, CareSearchResult, Hit, Match,
                     Place, Resolution, Verdict, Wait)

__all__ = [
    "Agreement", "Candidate", "Capacity", "CareDirectory", "CareSearchRequest", "CareSearchResult", "CareService",
    "Commission", "Concept", "Eligibility", "Event", "Hit", "Location", "MATCH_TEXT", "MATCH_TYPES", "Match",
    "Organization", "Place", "READERS", "REASONS", "REASON_TEXT", "RESOURCE_TYPES", "Resolution",
    "SEARCH_PARAMETERS", "Stored", "Verdict", "Wait", "WaitingTime", "WRITERS", "Written", "agreements", "codes",
    "geo", "release", "render_resource",
]
