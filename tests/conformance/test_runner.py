"""The conformance machinery itself: capabilities, failures and deadlines are reported."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import pytest
import trio
import trio.testing

from ctid.switch_drivers.base import Capability
from ctid.testing.conformance import (
    SCENARIOS,
    Scenario,
    ScenarioNotSupported,
    ScenarioRun,
    run_scenario,
    scenario,
)
from ctid.testing.conformance.run import SCENARIO_DEADLINE, at, needs_state_dir
from ctid.testing.conformance.simulator import SimulatorHarness

from .test_drivers import HARNESSES


async def _nothing(run: ScenarioRun) -> None:
    await run.settle()


def test_every_scenario_says_what_it_checks() -> None:
    assert len(SCENARIOS) >= 20
    assert all(s.doc for s in SCENARIOS), [s.name for s in SCENARIOS if not s.doc]
    with pytest.raises(ValueError, match="registered twice"):
        scenario()(SCENARIOS[0].body)


@pytest.mark.parametrize("driver", sorted(HARNESSES))
async def test_a_missing_capability_is_declared(
    driver: str, autojump_clock: trio.testing.MockClock
) -> None:
    needs_all = Scenario("needs_everything", _nothing, frozenset(Capability), "needs all")
    capabilities = HARNESSES[driver]().build_driver().capabilities
    if capabilities == frozenset(Capability):
        await run_scenario(HARNESSES[driver], needs_all)
        return
    with pytest.raises(ScenarioNotSupported) as info:
        await run_scenario(HARNESSES[driver], needs_all)
    assert info.value.missing == frozenset(Capability) - capabilities
    assert f"driver {driver!r} lacks" in str(info.value)
    assert "needs_everything" in str(info.value)


async def test_a_failing_scenario_fails(autojump_clock: trio.testing.MockClock) -> None:
    async def wrong(run: ScenarioRun) -> None:
        mon = await run.watch(run.a)
        await run.make_call(run.a, run.b)
        await run.settle()
        assert [e["_name"] for e in mon.take()] == ["EstablishedEvent"], "wrong on purpose"

    with pytest.RaisesGroup(
        pytest.RaisesExc(AssertionError, match="wrong on purpose"), flatten_subgroups=True
    ):
        await run_scenario(SimulatorHarness, Scenario("wrong", wrong, frozenset(), "fails"))


async def test_a_stuck_scenario_hits_the_deadline(autojump_clock: trio.testing.MockClock) -> None:
    async def stuck(run: ScenarioRun) -> None:
        mon = await run.watch(run.a)
        await mon.event("EstablishedEvent")  # nothing will ever ring

    start = trio.current_time()
    with pytest.RaisesGroup(trio.TooSlowError, flatten_subgroups=True):
        await run_scenario(SimulatorHarness, Scenario("stuck", stuck, frozenset(), "hangs"))
    assert trio.current_time() - start == pytest.approx(SCENARIO_DEADLINE)


async def test_a_harness_needs_four_phones(autojump_clock: trio.testing.MockClock) -> None:
    class Small(SimulatorHarness):
        extensions: ClassVar[tuple[str, ...]] = ("1001", "1002", "1003")

    with pytest.RaisesGroup(
        pytest.RaisesExc(ValueError, match="four extensions"), flatten_subgroups=True
    ):
        await run_scenario(Small, Scenario("small", _nothing, frozenset(), "too small"))


@pytest.mark.parametrize("driver", sorted(HARNESSES))
async def test_a_scenario_brings_its_own_configuration(
    driver: str, autojump_clock: trio.testing.MockClock
) -> None:
    async def short_ring(run: ScenarioRun) -> None:
        mon = await run.watch(run.b)
        await run.make_call(run.a, run.b)
        await run.received(mon, "FailedEvent")
        delivered, failed = mon.take()
        assert at(failed) - at(delivered) == 10.0

    ten = Scenario(
        "short_ring", short_ring, frozenset(), "rings 10 s", {"switch": {"ring_timeout": 10}}
    )
    await run_scenario(HARNESSES[driver], ten)
    assert SCENARIOS[0].config == {}


async def test_a_scenario_with_records_gets_a_temporary_state_directory(
    autojump_clock: trio.testing.MockClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Call records (and recordings) go to a temporary directory that is removed
    afterwards; nothing is written to the working directory."""
    monkeypatch.chdir(tmp_path)
    seen: list[Path] = []

    async def note_state_dir(run: ScenarioRun) -> None:
        state = run.cc.app.config.path(run.cc.app.config.server.state_dir)
        assert state.is_dir()
        seen.append(state)
        await run.inbound("5550001", run.b)

    records = {"records": {"enabled": True, "fsync": False}}
    await run_scenario(
        SimulatorHarness, Scenario("records", note_state_dir, frozenset(), "records", records)
    )
    (state,) = seen
    assert state.is_absolute() and not state.is_relative_to(tmp_path)
    assert _left_in(state.parent, state) == []
    assert _left_in(tmp_path) == []
    assert needs_state_dir(records)
    assert needs_state_dir({"recording": {}})
    assert not needs_state_dir({"acd": {}})


def _left_in(directory: Path, only: Path | None = None) -> list[Path]:
    """What is in ``directory`` (or just ``only`` if it is still there)."""
    if only is not None:
        return [only] if only.exists() else []
    return list(directory.iterdir())
