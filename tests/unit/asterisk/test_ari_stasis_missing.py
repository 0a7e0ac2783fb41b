"""A call Asterisk cannot hand to ctid fails visibly (issue 14).

With ``app_stasis`` unloaded, ARI still originates (POST /channels answers 200) and
the phone rings; when it answers, Asterisk cannot run Stasis() ("No such
application 'Stasis'") and hangs the channel up without a StasisStart. ctid used to
report that as an ordinary hang-up (normalClearing, nothing in its log).
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

import pytest
import trio.testing

from ctid.testing.ari_schema import AriSchema
from ctid.testing.conformance.asterisk import FakeAsteriskHarness
from ctid.testing.conformance.run import Scenario, ScenarioRun, run_scenario

API_DOCS = Path(__file__).resolve().parents[2] / "fixtures" / "ari" / "api-docs"


@functools.cache
def _schema() -> AriSchema:
    return AriSchema.load(API_DOCS)


async def _make_call_without_app_stasis(run: ScenarioRun) -> None:
    harness = run.switch
    assert isinstance(harness, FakeAsteriskHarness)
    harness.fake.stasis_loaded = False
    a, b = run.a, run.b
    mon = await run.watch(a)
    reply = await mon.call(
        "MakeCall", {"callingDevice": a, "calledDirectoryNumber": b, "autoOriginate": "prompt"}
    )
    call_id = reply["callingDevice"]["callID"]
    await run.received(mon, "ServiceInitiatedEvent")
    await trio.sleep(2)
    await harness.answer(a)
    await trio.sleep(5)
    await run.settle()
    events = mon.take()
    assert [(e["_name"], e.get("cause")) for e in events] == [
        ("ServiceInitiatedEvent", "makeCall"),
        ("FailedEvent", "networkOutOfOrder"),
        ("CallClearedEvent", "normalClearing"),
    ]
    failed = events[1]
    assert failed["failedConnection"] == {"callID": call_id, "deviceID": a}
    assert failed["failingDevice"] == a
    # Nothing was left on the switch.
    assert harness.fake.channels == {}


async def test_a_call_that_never_reaches_stasis_fails_with_a_warning(
    autojump_clock: trio.testing.MockClock, caplog: pytest.LogCaptureFixture
) -> None:
    scenario = Scenario(
        "make_call_without_app_stasis", _make_call_without_app_stasis, frozenset(), ""
    )
    with caplog.at_level(logging.WARNING, logger="ctid.switch_drivers.asterisk.mapping"):
        await run_scenario(lambda: FakeAsteriskHarness(_schema()), scenario)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("never entered the Stasis application 'ctid'" in w for w in warnings), warnings
    assert any("app_stasis" in w for w in warnings), warnings
