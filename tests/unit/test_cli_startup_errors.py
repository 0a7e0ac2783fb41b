"""`ctid run` reports start-up failures as one line, not a traceback of exception groups."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest

from ctid.cli import main


def test_a_busy_port_is_reported_plainly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CTID_ADMIN_TOKEN", "a-long-enough-admin-token")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = tmp_path / "ctid.toml"
        config.write_text(
            f'[server]\nlisten = "127.0.0.1:{port}"\nstate_dir = "{tmp_path}"\n'
            '[switch]\ndriver = "simulator"\n'
        )
        assert main(["run", "--config", str(config)]) == 1
    err = capsys.readouterr().err
    assert err == (
        f"error: cannot listen on 127.0.0.1:{port}: Address already in use (another program, "
        f"or another ctid, listens there); the address is set by server.listen in {config} "
        "(or --listen)\n"
    )


def test_a_busy_metrics_port_is_reported_plainly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CTID_ADMIN_TOKEN", "a-long-enough-admin-token")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = tmp_path / "ctid.toml"
        config.write_text(
            f'[server]\nlisten = "127.0.0.1:0"\nstate_dir = "{tmp_path}"\n'
            '[switch]\ndriver = "simulator"\n'
        )
        code = main(["run", "--config", str(config), "--metrics-listen", f"127.0.0.1:{port}"])
        assert code == 1
    err = capsys.readouterr().err
    assert err == (
        f"error: cannot listen on 127.0.0.1:{port}: Address already in use (another program, "
        "or another ctid, listens there); the address is set by server.metrics_listen "
        "(or --metrics-listen)\n"
    )


def test_a_switch_refusing_ctids_password_is_reported_plainly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A FreeSWITCH event socket that refuses the password (as mod_event_socket does:
    ``-ERR invalid``, then the notice) stops ``ctid run`` with one line."""
    monkeypatch.setenv("CTID_ADMIN_TOKEN", "a-long-enough-admin-token")
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]

        def refuse() -> None:
            conn, _ = server.accept()
            with conn:
                conn.sendall(b"Content-Type: auth/request\n\n")
                received = b""
                while not received.endswith(b"\n\n"):
                    received += conn.recv(1024)
                notice = b"Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"
                conn.sendall(
                    b"Content-Type: command/reply\nReply-Text: -ERR invalid\n\n"
                    b"Content-Type: text/disconnect-notice\nContent-Length: %d\n\n"
                    % len(notice)
                    + notice
                )

        thread = threading.Thread(target=refuse, daemon=True)
        thread.start()
        config = tmp_path / "ctid.toml"
        config.write_text(
            f'[server]\nlisten = "127.0.0.1:0"\nstate_dir = "{tmp_path}"\n'
            "[records]\nenabled = false\n"
            '[switch]\ndriver = "freeswitch"\n'
            f'[switch.freeswitch]\nport = {port}\npassword = "wrong"\nextensions = "1001"\n'
        )
        assert main(["run", "--config", str(config)]) == 1
        thread.join(timeout=10)
    err = capsys.readouterr().err
    assert err == (
        "error: FreeSWITCH refused the event socket password "
        "(authentication refused: -ERR invalid)\n"
    )
