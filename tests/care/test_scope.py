"""Scope (care-search.md "Scope" and "Exclusion reasons"): a candidate that only other regions have agreements
for is excluded as ``other-region`` (plus ``confidential`` when every one of them is confidential), and nothing
else is said about those agreements: not their validity, not which agreement it is. The validity reasons
(``agreement-expired``, ``commission-not-started``, ...) are about the searching region's own routes only.
The fixture's Gastroskopi services (``tests/care_fixture.py``) cover each case; search date 2025-10-01."""

from __future__ import annotations

from mappings.care import CareSearchRequest
from terminology import COMMAND_LINE

from ..care_fixture import DATE


def excluded(directory, region: str = "05") -> dict:
    r = directory.search(CareSearchRequest(region=region, date=DATE, code="76009000", include_excluded=True),
                         by=COMMAND_LINE)
    return {h.service.record.id: h for h in r.excluded} | {h.service.record.id: h for h in r.hits}


def test_another_regions_ended_agreement_is_only_other_region(directory):
    found = excluded(directory)
    assert found["s-gastro-06-ended"].reasons == ("other-region",)
    assert found["s-gastro-06-future"].reasons == ("other-region",)


def test_another_regions_confidential_agreement_is_other_region_and_confidential(directory):
    assert excluded(directory)["s-gastro-01-secret"].reasons == ("other-region", "confidential")


def test_an_own_route_is_judged_even_when_another_region_has_a_valid_one(directory):
    """Region 06's valid agreement does not make the service reachable for 05, and is not what 05 is told
    about: 05's own agreement has ended."""
    assert excluded(directory)["s-gastro-05-ended"].reasons == ("agreement-expired",)


def test_an_excluded_candidate_does_not_name_another_regions_agreement(directory):
    for sid in ("s-gastro-06-ended", "s-gastro-01-secret", "s-gastro-06-future"):
        hit = excluded(directory)[sid]
        assert hit.agreement is None and hit.commission is None and hit.agreement_withheld, sid
        assert not hit.expires_within_90_days


def test_the_region_that_owns_the_agreement_sees_its_own_reasons(directory):
    found = excluded(directory, "06")
    assert found["s-gastro-06-ended"].reasons == ("agreement-expired", "commission-expired")
    assert found["s-gastro-06-ended"].agreement.record.id == "ct-gastro-06-ended"
    assert found["s-gastro-06-future"].reasons == ("agreement-not-started", "commission-not-started")
    assert not found["s-gastro-05-ended"].reasons  # a hit for 06
    assert excluded(directory, "01")["s-gastro-01-secret"].reasons == ("agreement-expired",)
