"""``[auth]`` checks: at start-up (``ctid run``) and by ``ctid check-config``, same messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from ctid.cli import main

from .keys import SECRET, rsa_pair, write_jwks

SIM = "[server]\nlisten = '127.0.0.1:0'\n[switch]\ndriver = 'simulator'\n"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CTID_ADMIN_TOKEN", "CTID_JWT_SECRET", "CTID_TEST_AGENT"):
        monkeypatch.delenv(name, raising=False)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "ctid.toml"
    path.write_text(SIM + text)
    return path


@pytest.mark.parametrize(
    ("text", "env", "key", "problem"),
    [
        (
            "",
            {"CTID_ADMIN_TOKEN": "x" * 15},
            "auth.admin_token_env",
            "the token in CTID_ADMIN_TOKEN is too short: use at least 16 characters",
        ),
        (
            "[[auth.tokens]]\nrole = 'agent'\nname = 'a'\ntoken_env = 'CTID_TEST_AGENT'\n",
            {"CTID_TEST_AGENT": "1"},
            "auth.tokens[0].token_env",
            "the token in CTID_TEST_AGENT is too short: use at least 16 characters",
        ),
        ("[auth]\nmax_failures = 0\n", {}, "auth.max_failures", "must be at least 1"),
        (
            "[auth]\nfailure_window_seconds = 0\n",
            {},
            "auth.failure_window_seconds",
            "must be more than 0",
        ),
        (
            "[auth]\nexempt_addresses = ['10.0.0.0/8', 'crm.example']\n",
            {},
            "auth.exempt_addresses",
            '"crm.example" is not an address or CIDR network',
        ),
        (
            "[auth.jwt]\nalgorithms = ['HS256']\n",
            {},
            "auth.jwt.secret_env",
            "environment variable CTID_JWT_SECRET is not set (HMAC algorithms need it)",
        ),
        (
            "[auth.jwt]\nalgorithms = ['HS256']\n",
            {"CTID_JWT_SECRET": "s" * 31},
            "auth.jwt.secret_env",
            "the secret in CTID_JWT_SECRET is too short: use at least 32 bytes",
        ),
        (
            "[auth.jwt]\nalgorithms = ['none']\n",
            {},
            "auth.jwt.algorithms[0]",
            '"none" is not supported',
        ),
        ("[auth.jwt]\nalgorithms = []\n", {}, "auth.jwt.algorithms", "at least one"),
        (
            "[auth.jwt]\nalgorithms = ['RS256']\n",
            {},
            "auth.jwt",
            "public-key algorithms (RS*, PS*, ES*) need public_key_file or jwks_file",
        ),
        (
            "[auth.jwt]\nalgorithms = ['RS256']\npublic_key_file = 'absent.pem'\n",
            {},
            "auth.jwt.public_key_file",
            "cannot read",
        ),
        (
            "[auth.jwt]\nalgorithms = ['RS256']\njwks_file = 'absent.json'\n",
            {},
            "auth.jwt.jwks_file",
            "cannot read",
        ),
        ("[auth.jwt]\nleeway_seconds = 'lots'\n", {}, "auth.jwt.leeway_seconds", "a number"),
        ("[auth.jwt]\nsecret = 'inline'\n", {}, "auth.jwt.secret", "unknown key"),
    ],
)
def test_check_config_and_run_say_what_is_wrong(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    text: str,
    env: dict[str, str],
    key: str,
    problem: str,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    path = write(tmp_path, text)
    assert main(["check-config", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path}: {key}: ") and problem in err
    if "CTID_ADMIN_TOKEN" not in env:
        monkeypatch.setenv("CTID_ADMIN_TOKEN", "a-long-enough-admin-token")
    assert main(["run", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path}: {key}: ") and problem in err


def test_a_good_jwt_configuration_passes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CTID_JWT_SECRET", SECRET)
    write_jwks(tmp_path / "keys.json", {"k1": rsa_pair()})
    path = write(
        tmp_path,
        "[auth]\nmax_failures = 5\nexempt_addresses = ['10.0.0.0/8', '::1']\n"
        "[auth.jwt]\nalgorithms = ['HS256', 'RS256']\njwks_file = 'keys.json'\n"
        "issuer = 'https://crm.example'\naudience = 'ctid'\nleeway_seconds = 10\n",
    )
    assert main(["check-config", str(path)]) == 0
    assert capsys.readouterr().out == f"{path}: ok\n"
