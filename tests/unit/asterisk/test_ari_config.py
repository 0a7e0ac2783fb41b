"""``[switch.asterisk]``: checked with errors naming the key, and applied to the driver."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
import trio
import trio.testing

from ctid.app import build_driver
from ctid.cli import main
from ctid.config import ConfigError, config_from_dict, load_config
from ctid.structure import StructureError
from ctid.switch_drivers.asterisk.config import driver_options
from ctid.switch_drivers.asterisk.driver import AsteriskDriver
from ctid.switch_drivers.base import (
    EVENT_CHANNEL_SIZE,
    EndpointKind,
    LinkState,
    LinkStateChanged,
    Originate,
    SwitchEvent,
)
from ctid.testing.ari_schema import AriSchema
from ctid.testing.fake_asterisk import FakeAsterisk

ROOT = Path(__file__).parents[3]

MINIMAL: dict[str, Any] = {"user": "ctid", "password": "secret", "extensions": "1001-1004"}


def options(**changes: Any) -> dict[str, Any]:
    section = {**MINIMAL, **changes}
    return driver_options({k: v for k, v in section.items() if v is not None})


def test_the_shipped_example_is_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CTID_ARI_PASSWORD", "from-the-environment")
    path = ROOT / "conf" / "asterisk.toml"
    assert main(["check-config", str(path)]) == 0
    driver = build_driver(load_config(path))
    assert isinstance(driver, AsteriskDriver)
    assert driver.extensions == tuple(str(n) for n in range(1001, 1011))


def test_defaults() -> None:
    got = options()
    endpoints = got.pop("endpoints")
    assert got == {
        "base_url": "http://127.0.0.1:8088/ari",
        "user": "ctid",
        "password": "secret",
        "app": "ctid",
        "subscribe_all": False,
        "auto_answer_variables": {"PJSIP_HEADER(add,Call-Info)": "<sip:ctid>;answer-after=0"},
        "dialplan_context": None,
        "recording_dir": "/var/spool/asterisk/recording",
        "fax_context": "ctid-fax",
        "amd_context": "ctid-amd",
        "mwi_mailbox": "{extension}@ctid",
        "ssl_context": None,
        "backoff_initial": 0.5,
        "backoff_max": 30.0,
        "jitter": 0.5,
        "replaced_retry": 60.0,
        "heartbeat_interval": 20.0,
        "heartbeat_timeout": 10.0,
        "request_timeout": 10.0,
    }
    assert endpoints.extensions == ("1001", "1002", "1003", "1004")
    assert endpoints.trunks == ()
    assert endpoints.extension_endpoint == "PJSIP/{extension}"


def test_extensions_and_trunks_decide_devices() -> None:
    endpoints = options(
        extensions=["1001-1002", "2000"],
        extension_endpoint="Local/{extension}@phones",
        trunks=[
            {"name": "a", "endpoint": "PJSIP/carrier-a", "dial": "PJSIP/{number}@carrier-a"},
            {"name": "b", "endpoint": "IAX2/carrier-b", "dial": "IAX2/carrier-b/{number}"},
        ],
    )["endpoints"]
    assert endpoints.extensions == ("1001", "1002", "2000")
    # Listed extensions decide what a dialled number is, not a digit-count rule.
    assert endpoints.number_kind("2000") is EndpointKind.EXTENSION
    assert endpoints.number_kind("1003") is EndpointKind.EXTERNAL
    assert endpoints.dial_string(EndpointKind.EXTENSION, "1001", None) == "Local/1001@phones"
    assert endpoints.dial_string(EndpointKind.EXTERNAL, "0612", "b") == "IAX2/carrier-b/0612"
    assert endpoints.dial_string(EndpointKind.EXTERNAL, "0612", None) == "PJSIP/0612@carrier-a"


def test_password_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CTID_TEST_ARI", "s3cret")
    assert options(password=None, password_env="CTID_TEST_ARI")["password"] == "s3cret"
    monkeypatch.delenv("CTID_TEST_ARI")
    with pytest.raises(StructureError) as info:
        options(password=None, password_env="CTID_TEST_ARI")
    assert (info.value.path, info.value.problem) == (
        "switch.asterisk.password_env",
        "environment variable CTID_TEST_ARI is not set",
    )


@pytest.mark.parametrize(
    ("changes", "key", "problem"),
    [
        ({"user": None}, "user", "required but missing"),
        ({"extensions": None}, "extensions", "required but missing"),
        ({"user": ""}, "user", "must not be empty"),
        ({"user": 7}, "user", "expected a string, got 7"),
        ({"pasword": "x"}, "pasword", "unknown key"),
        ({"password": None}, "", "give exactly one of password and password_env"),
        ({"password_env": "X"}, "", "give exactly one of password and password_env"),
        ({"password": ""}, "password", "must not be empty"),
        ({"base_url": "ftp://pbx/ari"}, "base_url", 'expected "http(s)://HOST[:PORT]/ari"'),
        ({"base_url": "http:///ari"}, "base_url", 'expected "http(s)://HOST[:PORT]/ari"'),
        ({"base_url": "http://pbx:99999/ari"}, "base_url", "out of range"),
        ({"app": "a,b"}, "app", "without commas"),
        ({"app": ""}, "app", "without commas"),
        ({"amd_context": ""}, "amd_context", "expected a dialplan context name"),
        ({"amd_context": "a b"}, "amd_context", "expected a dialplan context name, got 'a b'"),
        ({"extensions": "1010-1001"}, "extensions", "bad number range"),
        ({"extensions": ["1001", "1001"]}, "extensions", "listed twice"),
        ({"extensions": []}, "extensions", "at least one"),
        ({"extensions": 1001}, "extensions", "expected a string or a list"),
        ({"extension_endpoint": "PJSIP/fixed"}, "extension_endpoint", "{extension} once"),
        (
            {"trunks": [{"name": "t", "endpoint": "PJSIP/t"}]},
            "trunks[0].dial",
            "required but missing",
        ),
        (
            {"trunks": [{"name": "", "endpoint": "PJSIP/t", "dial": "PJSIP/{number}@t"}]},
            "trunks[0].name",
            "must not be empty",
        ),
        (
            {"trunks": [{"name": "t", "endpoint": "trunk", "dial": "PJSIP/{number}@t"}]},
            "trunks[0].endpoint",
            'expected "TECH/resource"',
        ),
        (
            {"trunks": [{"name": "t", "endpoint": "PJSIP/t", "dial": "PJSIP/t"}]},
            "trunks[0].dial",
            "with {number} once",
        ),
        (
            {
                "trunks": [
                    {"name": "t", "endpoint": "PJSIP/t", "dial": "PJSIP/{number}@t"},
                    {"name": "t", "endpoint": "PJSIP/u", "dial": "PJSIP/{number}@u"},
                ]
            },
            "trunks[1].name",
            "listed twice",
        ),
        ({"trunks": {"name": "t"}}, "trunks", "expected a list"),
        ({"dialplan_context": "a b"}, "dialplan_context", "not a usable context name"),
        ({"auto_answer": {"X": 1}}, "auto_answer.X", "expected a string"),
        ({"subscribe_all": "yes"}, "subscribe_all", "expected true or false"),
        ({"ca_file": "/etc/ca.pem"}, "ca_file", "only with an https:// base_url"),
        (
            {"base_url": "https://pbx/ari", "ca_file": "/nonexistent/ca.pem"},
            "ca_file",
            "cannot load /nonexistent/ca.pem",
        ),
        ({"recording_dir": "recordings"}, "recording_dir", "an absolute directory"),
        ({"request_timeout": 0}, "request_timeout", "more than 0"),
        ({"heartbeat_interval": -1}, "heartbeat_interval", "more than 0"),
        ({"heartbeat_timeout": 0}, "heartbeat_timeout", "more than 0"),
        ({"reconnect": {"backoff_initial": 0}}, "reconnect.backoff_initial", "more than 0"),
        (
            {"reconnect": {"backoff_initial": 5, "backoff_max": 1}},
            "reconnect.backoff_max",
            "at least backoff_initial",
        ),
        ({"reconnect": {"jitter": 1.5}}, "reconnect.jitter", "from 0 to 1"),
        ({"reconnect": {"replaced_retry": -1}}, "reconnect.replaced_retry", "not be negative"),
        ({"reconnect": {"backof_max": 1}}, "reconnect.backof_max", "unknown key"),
    ],
)
def test_every_problem_names_its_key(changes: dict[str, Any], key: str, problem: str) -> None:
    section = {**MINIMAL, **changes}
    section = {k: v for k, v in section.items() if v is not None}
    with pytest.raises(StructureError) as info:
        driver_options(section)
    assert info.value.path == ("switch.asterisk." + key).rstrip(".")
    assert problem in info.value.problem


def test_check_config_reports_the_file_and_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "ctid.toml"
    path.write_text(
        "[switch]\ndriver = 'asterisk'\n"
        "[switch.asterisk]\nuser = 'ctid'\npassword = 'x'\nextensions = '1001'\n"
        "[[switch.asterisk.trunks]]\nname = 't'\nendpoint = 'PJSIP/t'\ndial = 'PJSIP/t'\n"
    )
    assert main(["check-config", str(path)]) == 1
    assert capsys.readouterr().err == (
        f"error: {path}: switch.asterisk.trunks[0].dial: "
        'expected "TECH/..." with {number} once, got "PJSIP/t"\n'
        f"{path}: 1 problem(s)\n"
    )
    with pytest.raises(ConfigError, match=r"switch\.asterisk\.user: required but missing"):
        build_driver(config_from_dict({"switch": {"driver": "asterisk", "asterisk": {}}}))


async def test_the_options_reach_the_driver(
    autojump_clock: trio.testing.MockClock, nursery: trio.Nursery
) -> None:
    """Reconnect timing, the dialplan context and auto-answer, seen from outside."""
    fake = FakeAsterisk(schema=AriSchema.load(ROOT / "tests" / "fixtures" / "ari" / "api-docs"))
    await nursery.start(fake.run)
    text = """
        user = "ctid"
        password = "secret"
        extensions = "1001-1004"
        dialplan_context = "ctid-in"
        auto_answer = { "PJSIP_HEADER(add,Alert-Info)" = "autoanswer" }
        [reconnect]
        backoff_initial = 2
        jitter = 0
    """
    driver = AsteriskDriver.from_config(tomllib.loads(text), open_stream=fake.open_stream)
    send, receive = trio.open_memory_channel[SwitchEvent](EVENT_CHANNEL_SIZE)
    await nursery.start(driver.run, send)
    await driver.execute(
        Originate(channel_id="o1", kind=EndpointKind.EXTENSION, device="1001", auto_answer=True)
    )
    assert fake.channels["o1"].variables == {
        "TRANSFER_CONTEXT": "ctid-in",
        "PJSIP_HEADER(add,Alert-Info)": "autoanswer",
        # ctid's mark, by which a restarted ctid knows the leg while it rings.
        "CTID_APP": "ctid",
    }
    await trio.testing.wait_all_tasks_blocked()
    assert fake.channels["o1"].state == "Up"  # the phone honoured the auto-answer header
    fake.reachable = False
    await fake.drop_connections()
    t0 = trio.current_time()
    downs = []
    while len(downs) < 3:
        event = await receive.receive()
        if isinstance(event, LinkStateChanged) and event.state is LinkState.DOWN:
            downs.append(trio.current_time() - t0)
    assert downs == [0, 2, 6]  # backoff_initial 2 s, doubling, no jitter
