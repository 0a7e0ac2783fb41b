"""Small pure parts: errors from wire codes, backoff, exception-group unwrapping, events."""

from __future__ import annotations

from pathlib import Path

import anyio
import anyio.lowlevel
import ctid_client
import pytest
from ctid_client import (
    AuthenticationError,
    CloseCode,
    ConnectionClosed,
    CstaError,
    PermissionDenied,
    ReconnectPolicy,
    ReplayGap,
    RpcError,
    SessionLost,
    sync,
)
from ctid_client._errors import rpc_error_from_wire
from ctid_client._events import event_from_wire
from ctid_client._groups import unwrap


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        (-32000, CstaError),
        (-32002, AuthenticationError),
        (-32003, SessionLost),
        (-32004, ReplayGap),
        (-32005, PermissionDenied),
        (-32001, RpcError),
        (-32601, RpcError),
        (12345, RpcError),
    ],
)
def test_error_classes_come_from_wire_codes(code: int, cls: type[RpcError]) -> None:
    error = rpc_error_from_wire({"code": code, "message": "m"}, method="X")
    assert type(error) is cls
    assert (error.code, error.message, error.method) == (code, "m", "X")


def test_malformed_error_member_still_gives_an_rpc_error() -> None:
    error = rpc_error_from_wire({"code": "x", "data": 5})
    assert error.code == -32603
    assert error.data is None
    assert CstaError(-32000, "m").csta_error == "generic"


def test_error_tree() -> None:
    assert issubclass(ReplayGap, SessionLost)
    assert issubclass(SessionLost, RpcError)
    assert issubclass(CstaError, ctid_client.CtidError)
    assert issubclass(ctid_client.RequestTimeout, TimeoutError)


@pytest.mark.parametrize(
    ("code", "fatal"),
    [
        (4000, False),
        (4001, True),
        (4002, True),
        (4003, False),
        (4004, True),
        (4005, False),
        (1001, False),
        (1006, False),
    ],
)
def test_which_close_codes_forbid_reconnecting(code: int, fatal: bool) -> None:
    assert ConnectionClosed(code, "").fatal is fatal
    assert code in {c.value for c in CloseCode}


def test_backoff_delays() -> None:
    policy = ReconnectPolicy(initial=1, maximum=10, multiplier=3, jitter=0)
    assert [policy.delay(n) for n in range(5)] == [1, 3, 9, 10, 10]
    assert policy.delay(10_000) == 10  # no overflow
    jittered = ReconnectPolicy(initial=2, maximum=2, jitter=0.5, random=lambda: 0.999)
    assert jittered.delay(0) == pytest.approx(1.001)


@pytest.mark.parametrize(
    "options",
    [
        {"initial": -1},
        {"initial": 5, "maximum": 1},
        {"multiplier": 0.5},
        {"jitter": 2},
        {"max_attempts": 0},
    ],
)
def test_backoff_rejects_nonsense(options: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=r"must|need"):
        ReconnectPolicy(**options)  # type: ignore[arg-type]


async def a_cancellation() -> BaseException:
    """A real cancellation exception of the running event loop."""
    with anyio.CancelScope() as scope:
        scope.cancel()
        try:
            await anyio.lowlevel.checkpoint()
        except anyio.get_cancelled_exc_class() as exc:
            return exc
    raise AssertionError("not cancelled")  # pragma: no cover


async def test_unwrap_a_single_exception_at_any_depth() -> None:
    inner = KeyError("x")
    cancelled = await a_cancellation()
    group = BaseExceptionGroup("outer", [ExceptionGroup("inner", [inner]), cancelled])
    assert unwrap(group) is inner


async def test_unwrap_keeps_a_group_of_several_or_of_cancellations() -> None:
    group = ExceptionGroup("two", [KeyError(1), ValueError(2)])
    assert unwrap(group) is group
    only_cancelled = BaseExceptionGroup("c", [await a_cancellation()])
    assert unwrap(only_cancelled) is only_cancelled


def test_event_from_wire_lifts_the_common_fields() -> None:
    event = event_from_wire(
        "EstablishedEvent",
        {
            "monitorCrossRefID": "m3",
            "seq": 9,
            "timestamp": "2027-01-15T08:00:00Z",
            "localConnectionInfo": "connected",
            "establishedConnection": {"callID": "c1", "deviceID": "1002"},
            "answeringDevice": "1002",
        },
    )
    assert (event.name, event.seq, event.monitor_cross_ref_id) == ("EstablishedEvent", 9, "m3")
    assert event.local_connection_info == "connected"
    assert set(event.params) == {"establishedConnection", "answeringDevice"}
    assert event.get("trunk") is None
    assert event.connection("establishedConnection") == ctid_client.ConnectionID(
        call_id="c1", device_id="1002"
    )
    assert event.connection("answeringDevice") is None
    with pytest.raises(TypeError):
        event.params["x"] = 1  # type: ignore[index]


def test_public_names_are_exported_explicitly() -> None:
    public = {name for name in vars(ctid_client) if not name.startswith("_")}
    modules = {"sync", "webhooks"}  # submodules, imported on demand
    assert sorted(ctid_client.__all__) == sorted(public - modules - {"annotations"})
    # Each one re-exported as `X as X` from a private module (STYLE 3.1), not with `*`.
    source = Path(ctid_client.__file__).read_text()
    assert "import *" not in source
    for name in ctid_client.__all__:
        assert f"import {name} as {name}\n" in source, name
    assert sync.__all__ == ["Client", "EventIterator"]
