"""A simulated day is the same day, call by call, as before the speed work (issue 14).

The fingerprints in ``tests/fixtures/simulate/days.json`` were made by the code
before any of the call-path savings (see ``simulate_days.py``); every saving
must leave each scenario's summary, calls and minute samples exactly as they were.
"""

from __future__ import annotations

import os

import pytest

from .simulate_days import SCENARIOS, kept, run

QUICK = [name for name, (_, slow) in SCENARIOS.items() if not slow]
SLOW = [name for name, (_, slow) in SCENARIOS.items() if slow]


def test_every_scenario_is_kept() -> None:
    assert set(kept()) == set(SCENARIOS)


@pytest.mark.slow
@pytest.mark.parametrize("name", QUICK)
def test_the_same_day_as_before(name: str) -> None:
    assert run(name) == kept()[name]


@pytest.mark.slow
@pytest.mark.skipif(
    not os.environ.get("CTID_SIMULATE_DAY"), reason="the whole day: set CTID_SIMULATE_DAY=1"
)
@pytest.mark.parametrize("name", SLOW)
def test_the_issue_14_day_as_before(name: str) -> None:
    """The 8-hour, 100-agent day of issue 14 (~10,000 calls; ~10 s of CPU, so on request)."""
    assert run(name) == kept()[name]
