"""Cost bounds (issue 5): expressions that are too long or too complex are refused before anything runs,
every statement has a time budget, and the library call refuses an unpaged result above the limit."""

from __future__ import annotations

import pytest

from terminology import EclLimits, TerminologyService, TooCostly, ecl


def test_too_long_and_too_complex_are_refused_before_parsing_or_querying(mini_service):
    store = mini_service.edition().store
    with pytest.raises(TooCostly, match="characters"):
        ecl.evaluate(store, "<< 90470006 " + " " * 200, limits=EclLimits(max_length=100))
    many = " OR ".join(f"<< {c}" for c in ["90470006", "609588000", "73761001"] * 20)
    with pytest.raises(TooCostly, match="constructs"):
        ecl.evaluate(store, many, limits=EclLimits(max_operations=50))
    deep = "<< (" * 300 + "90470006" + ")" * 300
    with pytest.raises(TooCostly, match="nested"):
        ecl.evaluate(store, deep, limits=EclLimits(max_operations=100_000))


def test_nesting_is_cheap_for_the_database(mini_service):
    """Each composite node is one common table expression, read once: deep nesting stays one flat statement."""
    store = mini_service.edition().store
    nested = "<< (" * 40 + "90470006" + ")" * 40
    assert store.count(ecl.evaluate(store, nested)) == 7
    chain = " OR ".join(f"<< {c}" for c in ["90470006", "609588000", "73761001"] * 30)
    assert store.count(ecl.evaluate(store, chain)) == 7 + 5 + 4


def test_a_statement_over_its_time_budget_is_stopped(mini_service):
    store = mini_service.edition().store
    # Ancestors of ancestors of everything, five times over: cheap to write, slow to run.
    slow = "*"
    for _ in range(6):
        slow = f"(>> ({slow}) OR << ({slow}))"
    s = ecl.evaluate(store, slow, limits=EclLimits(time_budget_ms=5))
    with pytest.raises(TooCostly, match="time budget of 5 ms"):
        store.count(s)
    assert store.count(ecl.evaluate(store, "<< 90470006", limits=EclLimits(time_budget_ms=5))) == 7


def test_the_library_call_refuses_big_unpaged_results_but_pages_them(mini_dbs, backend):
    svc = TerminologyService(mini_dbs(backend), refresh_seconds=0, ecl_limits=EclLimits(max_result=10))
    with pytest.raises(TooCostly, match="more than the limit of 10"):
        svc.evaluate_ecl("<< 71388002")
    page = svc.evaluate_ecl("<< 71388002", count=5, offset=5)
    assert page.total > 10 and len(page.items) == 5
    assert svc.evaluate_ecl("<< 71388002", count=0).items == ()
