"""Every conformance scenario against every driver ctid ships, on the mock clock.

The simulator runs directly; Asterisk runs against the fake ARI server
(``ctid.testing.fake_asterisk``) and FreeSWITCH against the fake event socket
(``ctid.testing.fake_freeswitch``), both over memory streams.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

import pytest
import trio.testing

from ctid.testing.ari_schema import AriSchema
from ctid.testing.conformance import (
    SCENARIOS,
    Scenario,
    ScenarioNotSupported,
    SwitchHarness,
    run_scenario,
)
from ctid.testing.conformance.asterisk import FakeAsteriskHarness
from ctid.testing.conformance.freeswitch import FakeFreeSwitchHarness
from ctid.testing.conformance.simulator import SimulatorHarness

API_DOCS = Path(__file__).resolve().parents[1] / "fixtures" / "ari" / "api-docs"


@functools.cache
def _schema() -> AriSchema:
    return AriSchema.load(API_DOCS)


def _asterisk() -> SwitchHarness:
    return FakeAsteriskHarness(_schema())


HARNESSES: dict[str, Callable[[], SwitchHarness]] = {
    "simulator": SimulatorHarness,
    "asterisk": _asterisk,
    "freeswitch": FakeFreeSwitchHarness,
}


@pytest.mark.parametrize("driver", sorted(HARNESSES))
@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
async def test_conformance(
    driver: str, scenario: Scenario, autojump_clock: trio.testing.MockClock
) -> None:
    try:
        await run_scenario(HARNESSES[driver], scenario)
    except ScenarioNotSupported as exc:
        pytest.skip(str(exc))
