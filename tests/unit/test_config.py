from pathlib import Path

import pytest

from ctid.cli import main
from ctid.config import ConfigError, config_from_dict, load_config, parse_listen

ROOT = Path(__file__).parents[2]


def test_the_shipped_configs_are_valid() -> None:
    config = load_config(ROOT / "conf" / "ctid.toml")
    assert config.switch.driver == "simulator"
    assert config.driver_section["extensions"] == "1001-1010"
    assert config.path(config.server.state_dir) == (ROOT / "state").resolve()
    assert main(["check-config", str(ROOT / "conf" / "ctid.toml")]) == 0
    assert main(["check-config", str(ROOT / "ctid" / "demo" / "demo.toml")]) == 0


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        ("[serv\n", None, "not valid TOML"),
        ("[server]\nlisten = 'nope'\n", "server.listen", 'expected "HOST:PORT"'),
        ("[server]\nlisten = '1.2.3.4:99999'\n", "server.listen", "out of range"),
        ("[server]\nlisten = 8765\n", "server.listen", "expected a string, got 8765"),
        ("[server]\nlog_level = 'loud'\n", "server.log_level", "expected one of"),
        ("[servre]\n", "servre", "unknown key"),
        ("[api]\nlogin_timeout = 'soon'\n", "api.login_timeout", "expected a number"),
        (
            "[switch]\ndriver = 'simulator'\n[switch.simulator]\ntrunks = 'eight'\n",
            "switch.simulator.trunks",
            "expected an integer",
        ),
        (
            "[switch]\ndriver = 'simulator'\n[switch.simulator]\nextensions = '1010-1001'\n",
            "switch.simulator.extensions",
            "bad number range",
        ),
        (
            "[switch]\ndriver = 'simulator'\n[switch.simulator]\nring_timeout = 0\n",
            "switch.simulator.ring_timeout",
            "more than 0",
        ),
        (
            "[switch]\ndriver = 'simulator'\n[switch.simulator]\noutside = [{pattern = '('}]\n",
            "switch.simulator.outside[0].pattern",
            "bad pattern",
        ),
        (
            "[switch]\ndriver = 'simulator'\n[switch.simulator]\n"
            "outside = [{pattern = '.*', behaviour = 'sing'}]\n",
            "switch.simulator.outside[0].behaviour",
            "expected one of",
        ),
        ("[switch]\ndriver = 'nosuch'\n", "switch.driver", "no switch driver 'nosuch'"),
        ("[switch]\nexternal_pattern = '['\n", "switch.external_pattern", "bad regular expression"),
        ("[switch.typo]\nx = 1\n", "switch.typo", "no driver 'typo'"),
        (
            "[[auth.tokens]]\nrole = 'agent'\nname = 'a'\ntoken = 'short'\n",
            "auth.tokens[0].token",
            "too short",
        ),
        (
            "[[auth.tokens]]\nrole = 'agent'\nname = 'a'\n",
            "auth.tokens[0]",
            "exactly one of token and token_env",
        ),
        (
            "[[auth.tokens]]\nrole = 'boss'\nname = 'a'\ntoken = '0123456789abcdef'\n",
            "auth.tokens[0].role",
            "expected one of",
        ),
        ("[acd]\nx = 1\n", "acd.x", "unknown key"),
        ("[nosuch]\nx = 1\n", "nosuch", "unknown key"),
    ],
)
def test_check_config_names_file_key_and_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, key: str | None, problem: str
) -> None:
    path = tmp_path / "ctid.toml"
    path.write_text(text)
    assert main(["check-config", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path}: ")
    if key is not None:
        assert f": {key}: " in err
    assert problem in err


def test_missing_file_and_missing_environment_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "absent.toml")
    config = config_from_dict(
        {"auth": {"tokens": [{"role": "agent", "name": "a", "token_env": "CTID_TEST_ABSENT"}]}}
    )
    monkeypatch.delenv("CTID_TEST_ABSENT", raising=False)
    with pytest.raises(ConfigError, match="environment variable CTID_TEST_ABSENT is not set"):
        config.credentials_tokens()
    monkeypatch.setenv("CTID_TEST_ABSENT", "from-the-environment")
    assert config.credentials_tokens()[0][1] == "from-the-environment"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("127.0.0.1:8765", ("127.0.0.1", 8765)),
        ("[::1]:0", ("::1", 0)),
        ("localhost:1", ("localhost", 1)),
    ],
)
def test_parse_listen(value: str, expected: tuple[str, int]) -> None:
    assert parse_listen(value) == expected


def test_run_refuses_to_start_without_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("CTID_ADMIN_TOKEN", raising=False)
    path = tmp_path / "ctid.toml"
    path.write_text("[server]\nlisten = '127.0.0.1:0'\n")
    assert main(["run", "--config", str(path)]) == 2
    assert "no credentials" in capsys.readouterr().err


def test_demo_with_another_driver_is_refused_cleanly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "ctid.toml"
    path.write_text(
        "[switch]\ndriver = 'asterisk'\n"
        "[switch.asterisk]\nuser = 'ctid'\npassword = 'x'\nextensions = '1001'\n"
    )
    assert main(["demo", "--config", str(path), "--no-traffic"]) == 2
    assert capsys.readouterr().err == (
        f"error: {path}: switch.driver: ctid demo needs the simulator driver\n"
    )
