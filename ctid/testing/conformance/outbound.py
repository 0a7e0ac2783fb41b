"""Conformance scenarios of outbound calling: routing of outside numbers.

The routes below rewrite a short number into one of the harness's outside
numbers, so the switch (real or fake) answers only if it was sent the routed
digits; clients still see the number as dialled.
"""

from __future__ import annotations

from typing import Any, Final

from .harness import ANSWERS
from .run import ScenarioRun, brief, conn, scenario

__all__: list[str] = []

#: What a client dials: a 0 and the last four digits of ``ANSWERS``.
SHORT: Final = "0" + ANSWERS[-4:]

ROUTED: Final[dict[str, Any]] = {
    "switch": {
        "outbound_routes": [
            {"name": "short", "pattern": r"0\d{4}", "strip": 1, "prefix": ANSWERS[:-4]},
        ]
    }
}


@scenario(config=ROUTED)
async def outbound_route_rewrites_the_number(run: ScenarioRun) -> None:
    """MakeCall to a short number: the route strips the 0 and prefixes the rest; the
    switch dials the routed number, which answers; clients see the number dialled."""
    a = run.a
    mon = await run.watch(a)
    shown = await mon.call("routing.test", {"calledNumber": SHORT, "direction": "outbound"})
    assert (shown["route"], shown["dial"], shown["trunkGroup"]) == ("short", ANSWERS, "*")
    assert shown["line"] in run.switch.trunks
    result = await mon.call(
        "MakeCall",
        {"callingDevice": a, "calledDirectoryNumber": SHORT, "autoOriginate": "doNotPrompt"},
    )
    call_id = result["callingDevice"]["callID"]
    await run.received(mon, "EstablishedEvent")
    await run.switch.hang_up(a)
    await run.settle()
    events = mon.take()
    assert [brief(e) for e in events] == [
        ("ServiceInitiatedEvent", "initiated", a, "makeCall"),
        ("OriginatedEvent", "connected", SHORT, "newCall"),
        ("DeliveredEvent", "connected", SHORT, "newCall"),
        ("EstablishedEvent", "connected", SHORT, "newCall"),
        ("ConnectionClearedEvent", "null", a, "normalClearing"),
        ("CallClearedEvent", "null", "<call>", "normalClearing"),
    ]
    delivered = events[2]
    assert delivered["connection"] == conn(call_id, SHORT)
    assert delivered["trunk"] == shown["line"]


@scenario(config=ROUTED)
async def outbound_number_without_route_is_not_dialled(run: ScenarioRun) -> None:
    """With routes configured, an outside number none of them takes fails at once
    (destNotObtainable) and the switch is sent nothing."""
    a = run.a
    mon = await run.watch(a)
    result = await mon.call(
        "MakeCall",
        {"callingDevice": a, "calledDirectoryNumber": ANSWERS, "autoOriginate": "doNotPrompt"},
    )
    call_id = result["callingDevice"]["callID"]
    await run.received(mon, "FailedEvent")
    events = mon.take()
    assert [brief(e) for e in events] == [
        ("ServiceInitiatedEvent", "initiated", a, "makeCall"),
        ("OriginatedEvent", "connected", ANSWERS, "newCall"),
        ("FailedEvent", "connected", ANSWERS, "destNotObtainable"),
    ]
    assert events[2]["failedConnection"] == conn(call_id, ANSWERS)
