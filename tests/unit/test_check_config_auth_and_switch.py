"""``ctid check-config`` (and ``ctid run``) list every problem of ``[auth]`` (each token
whose environment variable is unusable, naming the token and the variable; the login
throttle; ``[auth.jwt]``), check the outbound routes and the IVR numbers against the
driver's table even when the driver does not build, and warn (without failing) about
what may only be wrong where the daemon runs: an unset token variable, and on Asterisk
voicemail kept outside Asterisk's recording directory. Every output line is compared."""

from __future__ import annotations

from pathlib import Path

import pytest

from ctid.cli import main

SIM = '[server]\nlisten = "127.0.0.1:0"\n[switch]\ndriver = "simulator"\n'


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CTID_ADMIN_TOKEN", "CTID_JWT_SECRET", "C2_A", "C2_B", "C2_C"):
        monkeypatch.delenv(name, raising=False)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "ctid.toml"
    path.write_text(text)
    return path


def tokens(*entries: tuple[str, str, str]) -> str:
    return "".join(
        f'[[auth.tokens]]\nrole = "{role}"\nname = "{name}"\ntoken_env = "{env}"\n'
        for role, name, env in entries
    )


def test_two_unset_token_variables_are_two_warnings_and_two_errors_at_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, SIM + tokens(("agent", "agent-a", "C2_A"), ("agent", "agent-b", "C2_B")))
    # check-config may run where the secrets are not: a warning each, and the file is ok.
    assert main(["check-config", str(path)]) == 0
    out = capsys.readouterr()
    assert out.out == f"{path}: ok, with 2 warning(s)\n"
    assert out.err.splitlines() == [
        f"warning: {path}: auth.tokens[{i}].token_env: environment variable {env} is not set "
        f"here (token 'agent-{x}'): ctid run and a reload refuse the file where it is unset"
        for i, (env, x) in enumerate((("C2_A", "a"), ("C2_B", "b")))
    ]
    # A start refuses the file, naming both tokens and both variables.
    monkeypatch.setenv("CTID_ADMIN_TOKEN", "a-long-enough-admin-token")
    assert main(["run", "--config", str(path)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"error: {path}: auth.tokens[0].token_env: environment variable C2_A is not set "
        "(token 'agent-a')",
        f"error: {path}: auth.tokens[1].token_env: environment variable C2_B is not set "
        "(token 'agent-b')",
    ]


def test_a_bad_role_and_an_empty_variable_are_both_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The bad role stops the file from loading; the other token's variable is checked anyway.
    monkeypatch.setenv("C2_B", "")
    path = write(tmp_path, SIM + tokens(("boss", "agent-a", "C2_A"), ("agent", "agent-b", "C2_B")))
    assert main(["check-config", str(path)]) == 1
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err.splitlines() == [
        f"error: {path}: auth.tokens[0].role: "
        'expected one of "admin", "supervisor", "agent", got "boss"',
        f"error: {path}: auth.tokens[1].token_env: environment variable C2_B is empty "
        "(token 'agent-b')",
        f"{path}: 2 problem(s)",
    ]


def test_every_problem_of_auth_is_listed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CTID_ADMIN_TOKEN", "short")
    monkeypatch.setenv("C2_A", "")
    monkeypatch.setenv("C2_B", "x" * 15)
    monkeypatch.setenv("CTID_JWT_SECRET", "too-short")
    text = SIM + (
        "[auth]\nmax_failures = 0\nfailure_window_seconds = 0\n"
        "exempt_addresses = ['crm.example']\n"
        "[auth.jwt]\nalgorithms = ['HS256', 'XX1']\nleeway_seconds = -1\n"
        "public_key_file = 'a.pem'\njwks_file = 'b.json'\n"
    )
    text += tokens(("agent", "agent-a", "C2_A"), ("agent", "agent-b", "C2_B"))
    path = write(tmp_path, text)
    assert main(["check-config", str(path)]) == 1
    f = f"error: {path}: "
    expected = [
        f"{f}auth.admin_token_env: the token in CTID_ADMIN_TOKEN is too short: "
        "use at least 16 characters",
        f"{f}auth.tokens[0].token_env: environment variable C2_A is empty (token 'agent-a')",
        f"{f}auth.tokens[1].token_env: the token in C2_B is too short: "
        "use at least 16 characters (token 'agent-b')",
        f"{f}auth.max_failures: must be at least 1",
        f"{f}auth.failure_window_seconds: must be more than 0",
        f'{f}auth.exempt_addresses: "crm.example" is not an address or CIDR network',
        f'{f}auth.jwt.algorithms[1]: "XX1" is not supported (use one of ES256, ES384, '
        "ES512, HS256, HS384, HS512, PS256, PS384, PS512, RS256, RS384, RS512)",
        f"{f}auth.jwt: give at most one of public_key_file and jwks_file",
        f"{f}auth.jwt.leeway_seconds: must not be negative",
        f"{f}auth.jwt.secret_env: the secret in CTID_JWT_SECRET is too short: "
        "use at least 32 bytes",
    ]
    assert capsys.readouterr().err.splitlines() == [*expected, f"{path}: 10 problem(s)"]
    # A start refuses the file with the same lines (the admin token stays short).
    assert main(["run", "--config", str(path)]) == 2
    assert capsys.readouterr().err.splitlines() == expected


ASTERISK = """
[server]
listen = "127.0.0.1:0"
state_dir = "/var/spool/asterisk/recording/ctid"

[switch]
driver = "asterisk"

[switch.asterisk]
url = "http://pbx:8088/ari"
user = "ctid"
password = "secret"
extensions = "1001-1004"

[[switch.asterisk.trunks]]
name = "provider"
endpoint = "PJSIP/provider"
dial = "PJSIP/{number}@provider"

[[switch.asterisk.trunks]]
name = "backup"
endpoint = "PJSIP/backup"
dial = "PJSIP/backup"

[[switch.trunk_groups]]
name = "pstn"
lines = ["provider", "backup", "nosuchline"]

[[switch.outbound_routes]]
pattern = "0\\\\d+"
trunk_group = "pstn"

[[switch.outbound_routes]]
pattern = "00\\\\d+"
trunk_group = "nosuchgroup"

[acd]
[[acd.queues]]
name = "sales"

[ivr]
flows_dir = "flows"
tts = "silent"
[ivr.numbers]
"1002" = "main"
"4000" = "nosuchflow"
"""
FLOW = "name: main\nstart: bye\nnodes:\n  bye:\n    type: hangup\n"


def test_routes_and_ivr_numbers_are_checked_when_the_driver_does_not_build(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "main.yaml").write_text(FLOW)
    path = write(tmp_path, ASTERISK)
    assert main(["check-config", str(path)]) == 1
    out = capsys.readouterr()
    assert out.out == ""
    lines = out.err.splitlines()
    a, f = "switch.asterisk", f"error: {path}: "
    # Another helper may add keys to [switch.asterisk]: the known keys are checked apart.
    assert lines[0].startswith(f"{f}{a}.url: unknown key (known keys: ")
    assert "base_url" in lines[0]
    assert lines[1:] == [
        f'{f}{a}.trunks[1].dial: expected "TECH/..." with {{number}} once, got "PJSIP/backup"',
        # The lines the table names (a trunk with a problem is still one of them).
        f"{f}switch.trunk_groups[0].lines: the switch has no outside line 'nosuchline' "
        "(its lines: backup, provider)",
        f"{f}switch.outbound_routes[1].trunk_group: no trunk group 'nosuchgroup' "
        "(groups: *, backup, provider, pstn)",
        f"{f}ivr.numbers.1002: 1002 is already an extension",
        f"{f}ivr.numbers.4000: no flow 'nosuchflow'",
        f"{path}: 6 problem(s)",
    ]


def test_a_simulator_table_with_problems_still_names_its_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = """
[switch.simulator]
trunks = 2
ring_timeout = 0

[[switch.trunk_groups]]
name = "pstn"
lines = ["T/1", "T/3"]
"""
    path = write(tmp_path, text)
    assert main(["check-config", str(path)]) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"error: {path}: switch.simulator.ring_timeout: must be more than 0 seconds",
        f"error: {path}: switch.trunk_groups[0].lines: the switch has no outside line 'T/3' "
        "(its lines: T/1, T/2)",
        f"{path}: 2 problem(s)",
    ]


VOICEMAIL = """
[server]
listen = "127.0.0.1:0"
state_dir = "{state_dir}"

[switch]
driver = "{driver}"

[switch.asterisk]
base_url = "http://pbx:8088/ari"
user = "ctid"
password = "secret"
extensions = "1001-1004"
{recording_dir}

[[voicemail.mailboxes]]
number = "8100"
"""


def voicemail(tmp_path: Path, state_dir: str, driver: str = "asterisk", rec: str = "") -> Path:
    text = VOICEMAIL.format(state_dir=state_dir, driver=driver, recording_dir=rec)
    return write(tmp_path, text)


def test_asterisk_voicemail_outside_the_recording_directory_is_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = voicemail(tmp_path, "/var/lib/ctid")
    assert main(["check-config", str(path)]) == 0
    out = capsys.readouterr()
    assert out.out == f"{path}: ok, with 1 warning(s)\n"
    rec = "/var/spool/asterisk/recording"
    assert out.err.splitlines() == [
        f"warning: {path}: server.state_dir: voicemail messages go to /var/lib/ctid/voicemail, "
        f"outside switch.asterisk.recording_dir ({rec}), where Asterisk records them: set "
        f"server.state_dir to a directory inside {rec} (or switch.asterisk.recording_dir to "
        "one that holds it); a warning only, as the directories may be mounted differently "
        "on the switch's host"
    ]
    # The recording directory as configured, not only its default.
    path = voicemail(tmp_path, "/srv/ast/rec/ctid", rec='recording_dir = "/srv/other"')
    assert main(["check-config", str(path)]) == 0
    err = capsys.readouterr().err
    assert "go to /srv/ast/rec/ctid/voicemail, outside switch.asterisk.recording_dir " in err
    assert "(/srv/other)" in err


@pytest.mark.parametrize(
    ("state_dir", "driver", "rec"),
    [
        ("/var/spool/asterisk/recording/ctid", "asterisk", ""),
        ("/srv/ast/rec/ctid", "asterisk", 'recording_dir = "/srv/ast/rec"'),
        ("/var/lib/ctid", "simulator", ""),  # ctid writes the simulator's messages itself
    ],
)
def test_no_voicemail_warning_where_asterisk_can_record_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], state_dir: str, driver: str, rec: str
) -> None:
    path = voicemail(tmp_path, state_dir, driver, rec)
    assert main(["check-config", str(path)]) == 0
    out = capsys.readouterr()
    assert (out.out, out.err) == (f"{path}: ok\n", "")


def test_no_voicemail_warning_without_a_voicemail_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = VOICEMAIL.format(state_dir="/var/lib/ctid", driver="asterisk", recording_dir="")
    path = write(tmp_path, text.split("[[voicemail.mailboxes]]")[0])
    assert main(["check-config", str(path)]) == 0
    out = capsys.readouterr()
    assert (out.out, out.err) == (f"{path}: ok\n", "")
