"""`ctid run` reports start-up failures as one line, not a traceback of exception groups."""

from __future__ import annotations

import socket
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
    assert err.startswith("error: ")
    assert "address already in use" in err.lower()
    assert "Traceback" not in err
