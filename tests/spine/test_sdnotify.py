"""The systemd notify protocol: datagrams, the environment, and the pings' schedule.

The sans-IO half is tested with values; the task on MockClock with a list for a
socket; a real ``ctid demo`` process against a socket the test owns is in
``test_systemd_process.py``.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import trio
import trio.testing

from ctid.sdnotify import (
    STATUS_INTERVAL,
    Notifier,
    NotifySettings,
    NotifySocket,
    message,
    socket_address,
    status_line,
)

PID = 4242


def test_message_is_one_key_value_line_per_field() -> None:
    assert message(READY=1) == b"READY=1\n"
    assert message(READY=1, STATUS="switch link up, 0 API sessions") == (
        b"READY=1\nSTATUS=switch link up, 0 API sessions\n"
    )
    assert message(STOPPING=1, STATUS="stopping") == b"STOPPING=1\nSTATUS=stopping\n"


def test_a_value_with_a_newline_is_refused() -> None:
    with pytest.raises(ValueError, match="STATUS: a notify value cannot hold a newline"):
        message(STATUS="up\nREADY=1")


def test_socket_address_path_or_abstract() -> None:
    assert socket_address("/run/systemd/notify") == "/run/systemd/notify"
    assert socket_address("@/org/freedesktop/systemd1/notify/123") == (
        b"\0/org/freedesktop/systemd1/notify/123"
    )
    for bad in ("relative/path", "@", "x"):
        with pytest.raises(ValueError, match="neither an absolute path nor @abstract"):
            socket_address(bad)


def test_status_line_says_link_state_and_sessions() -> None:
    assert status_line("up", 0) == "switch link up, 0 API sessions"
    assert status_line("down", 1) == "switch link down, 1 API session"
    assert status_line("syncing", 12) == "switch link syncing, 12 API sessions"


def test_settings_without_notify_socket_are_off() -> None:
    settings = NotifySettings.from_environ({"WATCHDOG_USEC": "30000000"}, PID)
    assert settings == NotifySettings(address=None, ping_interval=None)
    assert not settings.enabled


def test_settings_ping_at_half_the_watchdog_interval() -> None:
    env = {"NOTIFY_SOCKET": "/run/systemd/notify", "WATCHDOG_USEC": "30000000"}
    settings = NotifySettings.from_environ(env, PID)
    assert settings == NotifySettings(address="/run/systemd/notify", ping_interval=15.0)
    assert settings.enabled
    env_abstract = {"NOTIFY_SOCKET": "@sd", "WATCHDOG_USEC": "500000", "WATCHDOG_PID": str(PID)}
    assert NotifySettings.from_environ(env_abstract, PID) == NotifySettings(
        address=b"\0sd", ping_interval=0.25
    )


def test_a_watchdog_for_another_process_is_not_ours() -> None:
    env = {"NOTIFY_SOCKET": "@sd", "WATCHDOG_USEC": "500000", "WATCHDOG_PID": str(PID + 1)}
    assert NotifySettings.from_environ(env, PID) == NotifySettings(
        address=b"\0sd", ping_interval=None
    )


@pytest.mark.parametrize(
    "env",
    [
        {"NOTIFY_SOCKET": "@sd", "WATCHDOG_USEC": "0"},
        {"NOTIFY_SOCKET": "@sd", "WATCHDOG_USEC": "-5"},
        {"NOTIFY_SOCKET": "@sd", "WATCHDOG_USEC": "soon"},
        {"NOTIFY_SOCKET": "@sd", "WATCHDOG_USEC": "1000", "WATCHDOG_PID": "me"},
    ],
)
def test_unusable_watchdog_values_switch_the_watchdog_off(
    env: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    assert NotifySettings.from_environ(env, PID) == NotifySettings(
        address=b"\0sd", ping_interval=None
    )
    assert "ignoring the systemd watchdog" in caplog.text


def test_an_unusable_notify_socket_is_ignored(caplog: pytest.LogCaptureFixture) -> None:
    assert NotifySettings.from_environ({"NOTIFY_SOCKET": "notify"}, PID) == NotifySettings()
    assert "ignoring systemd notification: NOTIFY_SOCKET='notify'" in caplog.text


async def test_ready_then_pings_at_half_interval_status_changes_and_stopping(
    autojump_clock: trio.testing.MockClock,
) -> None:
    sent: list[tuple[float, bytes]] = []
    state = {"link": "down", "sessions": 0}

    def send(datagram: bytes) -> None:
        sent.append((trio.current_time(), datagram))

    notifier = Notifier(
        NotifySettings(address="/unused", ping_interval=5.0),
        lambda: status_line(state["link"], state["sessions"]),
        send=send,
    )
    start = trio.current_time()
    async with trio.open_nursery() as nursery:
        await nursery.start(notifier.run)
        assert sent == [
            (start, b"READY=1\nSTATUS=switch link down, 0 API sessions\n"),
            (start, b"WATCHDOG=1\n"),
        ]
        await trio.sleep(2.5)
        state["link"] = "up"
        state["sessions"] = 1
        await trio.sleep(8.0)  # to start + 10.5
        nursery.cancel_scope.cancel()
    assert [(t - start, d) for t, d in sent] == [
        (0.0, b"READY=1\nSTATUS=switch link down, 0 API sessions\n"),
        (0.0, b"WATCHDOG=1\n"),
        # The status is looked at every STATUS_INTERVAL and sent only when it changed.
        (3 * STATUS_INTERVAL, b"STATUS=switch link up, 1 API session\n"),
        (5.0, b"WATCHDOG=1\n"),
        (10.0, b"WATCHDOG=1\n"),
        (10.5, b"STOPPING=1\nSTATUS=stopping\n"),
    ]


async def test_without_watchdog_no_pings_and_stopping_is_said_once(
    autojump_clock: trio.testing.MockClock,
) -> None:
    sent: list[bytes] = []
    notifier = Notifier(
        NotifySettings(address="/unused", ping_interval=None),
        lambda: "switch link up, 0 API sessions",
        send=sent.append,
    )
    async with trio.open_nursery() as nursery:
        await nursery.start(notifier.run)
        await trio.sleep(3600)
        # Shutdown begins (SIGTERM): said at once, not again when the task ends.
        notifier.stopping()
        assert sent[-1] == b"STOPPING=1\nSTATUS=stopping\n"
        nursery.cancel_scope.cancel()
    assert sent == [
        b"READY=1\nSTATUS=switch link up, 0 API sessions\n",
        b"STOPPING=1\nSTATUS=stopping\n",
    ]


def _receiver(address: str | bytes) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(address)
    sock.settimeout(0)
    return sock


def test_notify_socket_sends_to_a_path(tmp_path: Path) -> None:
    path = str(tmp_path / "notify")
    with _receiver(path) as receiver:
        sender = NotifySocket(socket_address(path))
        try:
            sender.send(b"READY=1\n")
            sender.send(b"WATCHDOG=1\n")
        finally:
            sender.close()
        assert receiver.recv(4096) == b"READY=1\n"
        assert receiver.recv(4096) == b"WATCHDOG=1\n"


def test_notify_socket_sends_to_an_abstract_socket(tmp_path: Path) -> None:
    name = f"@ctid-test-{id(tmp_path)}"
    with _receiver(b"\0" + name[1:].encode()) as receiver:
        sender = NotifySocket(socket_address(name))
        try:
            sender.send(b"READY=1\n")
        finally:
            sender.close()
        assert receiver.recv(4096) == b"READY=1\n"


def test_a_manager_that_went_away_is_logged_not_raised(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    sender = NotifySocket(str(tmp_path / "nobody-listens"))
    try:
        sender.send(b"WATCHDOG=1\n")
    finally:
        sender.close()
    assert "systemd notification failed" in caplog.text
