"""The examples in examples/ run against the real server (as README shows them)."""

from __future__ import annotations

import asyncio
import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Final

import pytest
from ctid_client.sync import Client

from .server import ADMIN_TOKEN, ServerThread

EXAMPLES = Path(__file__).parent.parent / "examples"


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_click_to_dial(server: ServerThread, capsys: pytest.CaptureFixture[str]) -> None:
    assert load("click_to_dial").main([server.url, ADMIN_TOKEN, "1001", "1002"]) == 0
    out = capsys.readouterr().out
    assert "1001 is calling 1002" in out
    assert "DeliveredEvent" in out


def test_screen_pop(server: ServerThread) -> None:
    example = load("screen_pop")
    shown = asyncio.run(
        example.watch(
            server.url,
            ADMIN_TOKEN,
            "1001",
            pops=1,
            ready=lambda: server.incoming_call("+15550100", "1001"),
        )
    )
    assert shown == ["+15550100 is calling 1001"]


def test_first_session_runs_again_and_again(server: ServerThread) -> None:
    """The README's first session, twice on one server: it cleans up after itself."""
    example = load("first_session")
    for _ in range(2):
        assert example.main([server.url, ADMIN_TOKEN]) == ["DeliveredEvent", "EstablishedEvent"]
    with Client(server.url, token=ADMIN_TOKEN) as ctid:
        lines = ctid.call("sim.lines")["lines"]
    assert {line["line"]: (line["state"], line["offHook"]) for line in lines} == {
        line["line"]: ("idle", False) for line in lines
    }
    assert len(lines) == 14  # ten phones, four outside lines


#: The ACD of the agent desk example: one queue whose wrap-up the agent ends itself.
ACD: Final = {
    "acd": {
        "reason_codes": ["break", "lunch"],
        "queues": [
            {"name": "sales", "number": "8001", "wrap_up": "manual", "announce_interval": 0}
        ],
        "agents": [{"id": "2001", "name": "Alice", "skills": [{"queue": "sales"}]}],
    }
}


def test_agent_desk(capsys: pytest.CaptureFixture[str]) -> None:
    with ServerThread(ACD) as server:
        states = asyncio.run(
            load("agent_desk").desk(
                server.url,
                ADMIN_TOKEN,
                "2001",
                "1001",
                ready=lambda: server.incoming_call("+15550100", "8001"),
            )
        )
    assert states == [
        "notReady",
        "ready",
        "reserved",
        "busy",
        "workingAfterCall",
        "ready",
        "loggedOff",
    ]
    out = capsys.readouterr().out
    assert "+15550100 rings (queue sales)" in out
    assert "2001: busy -> workingAfterCall (callEnded)" in out
