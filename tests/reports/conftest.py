"""Session fixtures of the report tests; the drills themselves are in report_cases.py."""

from __future__ import annotations

import pytest

from report_cases import Case, make_case


@pytest.fixture(scope="session")
def single_case() -> Case:
    """One run of a global config-push outage on a Monday morning in Berlin."""
    # seed 3: with recovery running from the mitigating step (issue 14), seed 1 no longer
    # misses the recovery objective the tests need; seed 3 misses it alone, as seed 1 did
    return make_case("single", "config-push-global-outage", runs=1, seed=3, start="2026-11-30T10:00:00+00:00")


@pytest.fixture(scope="session")
def batch_case() -> Case:
    """30 runs of a data-loss drill, start times spread over four weeks."""
    return make_case("batch", "db-primary-data-deleted", runs=30, seed=7, start="2026-11-30T00:00:00+00:00",
                     window=28 * 86400.0)
