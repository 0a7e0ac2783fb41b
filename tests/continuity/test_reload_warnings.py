"""The warnings of ``ctid check-config`` reach the daemon's log: a real ``ctid run`` on
Asterisk (the fake ARI switch as a process of its own) logs each one at start and again on
``ctid reload`` (its SIGHUP), one WARNING line each, while ``ctid reload`` prints them too.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import trio

from ctid.cli import main

from ..conformance.test_switch_process import FakeSwitchProcess, _config
from ..records.daemon import START_GUARD, Daemon

pytestmark = pytest.mark.slow

REC = "/var/spool/asterisk/recording"


#: No [voicemail] table: the routing rule alone has callers leave messages.
ROUTING = """
[routing]
[[routing.rules]]
name = "closed"
dnis = ["5000"]
destination = { voicemail = "number:8100" }
"""
TOKEN = '[[auth.tokens]]\nrole = "agent"\nname = "new"\ntoken = "agent-token-0123456789"\n'


def _logged(line: str) -> str:
    """A log line without its time stamp (date and time)."""
    return line.split(" ", 2)[2]


async def test_the_daemon_logs_the_warnings_at_start_and_on_a_reload(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    switch = FakeSwitchProcess(
        "asterisk", "--password", "fake-ari-password", "--extensions", "1001-1006"
    )
    await switch.start()
    path, state = tmp_path / "ctid.toml", tmp_path / "state"
    warning = (
        f"{path}: server.state_dir: voicemail messages go to {state}/voicemail, outside "
        f"switch.asterisk.recording_dir ({REC}), where Asterisk records them: set "
        f"server.state_dir to a directory inside {REC} (or switch.asterisk.recording_dir to "
        "one that holds it); a warning only, as the directories may be mounted differently "
        "on the switch's host"
    )
    try:
        text = _config(path, state, "asterisk", switch.listen).read_text() + ROUTING
        path.write_text(text)
        daemon = Daemon(path)
        async with trio.open_nursery() as nursery:
            await daemon.start(nursery)
            # The start logged it before serving.
            assert [_logged(ln) for ln in daemon.lines if " WARNING " in ln] == [
                f"WARNING ctid: {warning}"
            ]
            seen = len(daemon.lines)
            path.write_text(text + TOKEN)
            assert main(["reload", "--config", str(path)]) == 0
            printed = capsys.readouterr()
            assert printed.err.splitlines() == [f"warning: {warning}"]
            out = printed.out.splitlines()
            assert out[0] == f"{path}: ok, with 1 warning(s)"
            assert out[1].startswith("reload sent to ctid (pid ")
            with trio.fail_after(START_GUARD):
                done = await daemon.wait_line(r"reload done: ", since=seen)
            logged = [_logged(ln) for ln in daemon.lines[seen:] if " WARNING " in ln]
            assert logged == [f"WARNING ctid.wiring.reload: reload: {warning}"]
            # Only a warning: the new token is in.
            assert "tokens: {'added': ['new'], 'removed': [], 'sessions_ended': 0}" in "\n".join(
                daemon.lines[daemon.lines.index(done) :]
            )
            await daemon.kill()
            nursery.cancel_scope.cancel()
    finally:
        await switch.stop()
