"""``[switch.freeswitch]``: checked with errors naming the key, and applied to the driver."""

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
from ctid.switch_drivers.base import (
    EVENT_CHANNEL_SIZE,
    EndpointKind,
    LinkState,
    LinkStateChanged,
    Originate,
    SwitchEvent,
)
from ctid.switch_drivers.freeswitch.config import driver_options
from ctid.switch_drivers.freeswitch.driver import FreeSwitchDriver
from ctid.testing.fake_freeswitch import FakeFreeSwitch

ROOT = Path(__file__).parents[3]

MINIMAL: dict[str, Any] = {"password": "ClueCon", "extensions": "1001-1004"}


def options(**changes: Any) -> dict[str, Any]:
    section = {**MINIMAL, **changes}
    return driver_options({k: v for k, v in section.items() if v is not None})


def test_the_shipped_example_is_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CTID_ESL_PASSWORD", "from-the-environment")
    path = ROOT / "conf" / "freeswitch.toml"
    assert main(["check-config", str(path)]) == 0
    driver = build_driver(load_config(path))
    assert isinstance(driver, FreeSwitchDriver)
    assert driver.extensions == tuple(str(n) for n in range(1001, 1011))


def test_defaults() -> None:
    got = options()
    endpoints = got.pop("endpoints")
    assert got == {
        "host": "127.0.0.1",
        "port": 8021,
        "password": "ClueCon",
        "dialplan_context": None,
        "auto_answer_variables": {"sip_auto_answer": "true"},
        "conference_profile": "default",
        "mwi_domain": None,
        "fax_detect_seconds": 0.0,
        "amd_seconds": 4.0,
        "backoff_initial": 0.5,
        "backoff_max": 30.0,
        "jitter": 0.2,
    }
    assert endpoints.extensions == ("1001", "1002", "1003", "1004")
    assert endpoints.trunks == ()
    assert endpoints.extension_endpoint == "user/{extension}"


def test_extensions_and_trunks_decide_devices() -> None:
    endpoints = options(
        extensions=["1001-1002", "2000"],
        extension_endpoint="user/{extension}@pbx.example.com",
        trunks=[
            {"name": "a", "dial": "sofia/gateway/carrier-a/{number}"},
            {"name": "b", "dial": "sofia/external/{number}@192.0.2.7", "profiles": ["external"]},
            {"name": "c", "dial": "sofia/gateway/c/00{number}", "gateway": "c-in"},
        ],
    )["endpoints"]
    assert endpoints.extensions == ("1001", "1002", "2000")
    assert endpoints.is_extension("2000") and not endpoints.is_extension("1003")
    ext = EndpointKind.EXTENSION
    assert endpoints.dial_string(ext, "1001") == "user/1001@pbx.example.com"
    assert (
        endpoints.dial_string(EndpointKind.EXTERNAL, "0612", "b") == "sofia/external/0612@192.0.2.7"
    )
    assert endpoints.dial_string(EndpointKind.EXTERNAL, "0612") == "sofia/gateway/carrier-a/0612"
    # Inbound calls: by gateway (from the dial string, or given), else by profile.
    assert endpoints.trunk_of(gateway="carrier-a", profile="external").name == "a"
    assert endpoints.trunk_of(gateway="c-in", profile=None).name == "c"
    assert endpoints.trunk_of(gateway=None, profile="external").name == "b"
    assert endpoints.trunk_of(gateway="other", profile="internal") is None
    with pytest.raises(ValueError, match="not a dialable device"):
        endpoints.dial_string(ext, "1001,origination_uuid=x")
    with pytest.raises(ValueError, match="unknown trunk"):
        endpoints.dial_string(EndpointKind.EXTERNAL, "0612", "z")


def test_password_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CTID_TEST_ESL", "s3cret with spaces")
    assert options(password=None, password_env="CTID_TEST_ESL")["password"] == "s3cret with spaces"
    monkeypatch.setenv("CTID_TEST_ESL", "two\nlines")
    with pytest.raises(StructureError) as info:
        options(password=None, password_env="CTID_TEST_ESL")
    assert info.value.path == "switch.freeswitch.password_env"
    assert "line breaks" in info.value.problem
    monkeypatch.delenv("CTID_TEST_ESL")
    with pytest.raises(StructureError) as info:
        options(password=None, password_env="CTID_TEST_ESL")
    assert (info.value.path, info.value.problem) == (
        "switch.freeswitch.password_env",
        "environment variable CTID_TEST_ESL is not set",
    )


def _trunk(**changes: Any) -> list[dict[str, Any]]:
    trunk = {"name": "t", "dial": "sofia/gateway/t/{number}", **changes}
    return [{k: v for k, v in trunk.items() if v is not None}]


@pytest.mark.parametrize(
    ("changes", "key", "problem"),
    [
        ({"extensions": None}, "extensions", "required but missing"),
        ({"pasword": "x"}, "pasword", "unknown key"),
        ({"host": ""}, "host", "expected a host name or address"),
        ({"host": "pbx example"}, "host", "expected a host name or address"),
        ({"host": 7}, "host", "expected a string, got 7"),
        ({"port": 0}, "port", "from 1 to 65535"),
        ({"port": 70000}, "port", "from 1 to 65535"),
        ({"port": "8021"}, "port", "expected an integer"),
        ({"password": None}, "", "give exactly one of password and password_env"),
        ({"password_env": "X"}, "", "give exactly one of password and password_env"),
        ({"password": ""}, "password", "must not be empty"),
        ({"password": "a\nb"}, "password", "line breaks"),
        ({"extensions": "1010-1001"}, "extensions", "bad number range"),
        ({"extensions": ["1001", "1001"]}, "extensions", "listed twice"),
        ({"extensions": []}, "extensions", "at least one"),
        ({"extensions": 1001}, "extensions", "expected a string or a list"),
        ({"extension_endpoint": "user/fixed"}, "extension_endpoint", "{extension} once"),
        ({"extension_endpoint": "{extension}"}, "extension_endpoint", "a dial string"),
        ({"extension_endpoint": "user/{extension} x"}, "extension_endpoint", "a dial string"),
        ({"trunks": _trunk(dial=None)}, "trunks[0].dial", "required but missing"),
        ({"trunks": _trunk(name="")}, "trunks[0].name", "a name of letters"),
        ({"trunks": _trunk(name="a b")}, "trunks[0].name", "a name of letters"),
        ({"trunks": _trunk(dial="sofia/gateway/t/1")}, "trunks[0].dial", "{number} once"),
        ({"trunks": _trunk(dial="{number}")}, "trunks[0].dial", "a dial string"),
        ({"trunks": _trunk(dial="sofia/gw/{number},x")}, "trunks[0].dial", "a dial string"),
        ({"trunks": _trunk(gateway="a b")}, "trunks[0].gateway", "not a usable gateway"),
        ({"trunks": _trunk(profiles=["ok", "no good"])}, "trunks[0].profiles[1]", "profile"),
        ({"trunks": _trunk(profiles="external")}, "trunks[0].profiles", "expected a list"),
        ({"trunks": _trunk() + _trunk()}, "trunks[1].name", "listed twice"),
        ({"trunks": {"name": "t"}}, "trunks", "expected a list"),
        ({"dialplan_context": "a b"}, "dialplan_context", "not a usable context name"),
        ({"conference_profile": "x/y"}, "conference_profile", "not a usable profile name"),
        ({"mwi_domain": "pbx example"}, "mwi_domain", "expected a domain name"),
        ({"fax_detect_seconds": -1}, "fax_detect_seconds", "0 (off) to 3600 seconds"),
        ({"amd_seconds": 0}, "amd_seconds", "more than 0, at most 60 seconds"),
        ({"amd_seconds": 61}, "amd_seconds", "more than 0, at most 60 seconds"),
        ({"auto_answer": {"X": 1}}, "auto_answer.X", "expected a string"),
        ({"auto_answer": {"a,b": "1"}}, "auto_answer.a,b", "channel variable name"),
        ({"reconnect": {"backoff_initial": 0}}, "reconnect.backoff_initial", "more than 0"),
        (
            {"reconnect": {"backoff_initial": 5, "backoff_max": 1}},
            "reconnect.backoff_max",
            "at least backoff_initial",
        ),
        ({"reconnect": {"jitter": 1.5}}, "reconnect.jitter", "from 0 to 1"),
        ({"reconnect": {"backof_max": 1}}, "reconnect.backof_max", "unknown key"),
    ],
)
def test_every_problem_names_its_key(changes: dict[str, Any], key: str, problem: str) -> None:
    section = {**MINIMAL, **changes}
    section = {k: v for k, v in section.items() if v is not None}
    with pytest.raises(StructureError) as info:
        driver_options(section)
    assert info.value.path == ("switch.freeswitch." + key).rstrip(".")
    assert problem in info.value.problem


def test_check_config_reports_the_file_and_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "ctid.toml"
    path.write_text(
        "[switch]\ndriver = 'freeswitch'\n"
        "[switch.freeswitch]\npassword = 'x'\nextensions = '1001'\n"
        "[[switch.freeswitch.trunks]]\nname = 't'\ndial = 'sofia/gateway/t'\n"
    )
    assert main(["check-config", str(path)]) == 1
    assert capsys.readouterr().err == (
        f"error: {path}: switch.freeswitch.trunks[0].dial: expected a dial string like "
        '"sofia/gateway/NAME/{number}" with {number} once, got "sofia/gateway/t"\n'
        f"{path}: 1 problem(s)\n"
    )
    with pytest.raises(ConfigError, match=r"switch\.freeswitch\.extensions: required but missing"):
        build_driver(
            config_from_dict({"switch": {"driver": "freeswitch", "freeswitch": {"password": "x"}}})
        )


async def test_the_options_reach_the_driver(
    autojump_clock: trio.testing.MockClock, nursery: trio.Nursery
) -> None:
    """The connection, auto-answer, the dialplan context and reconnect timing, seen
    from the switch's side."""
    fake = FakeFreeSwitch(password="s3cret", users={"1001": False})
    await nursery.start(fake.run)
    dialled: list[tuple[str, int]] = []

    async def open_stream(host: str, port: int) -> trio.abc.Stream:
        dialled.append((host, port))
        return await fake.connect()

    text = """
        host = "fs.example"
        port = 8022
        password = "s3cret"
        extensions = "1001-1004"
        dialplan_context = "ctid-in"
        auto_answer = { sip_auto_answer = "true", alert_info = "auto" }
        [reconnect]
        backoff_initial = 2
        jitter = 0
    """
    driver = FreeSwitchDriver.from_config(tomllib.loads(text), open_stream=open_stream)
    send, receive = trio.open_memory_channel[SwitchEvent](EVENT_CHANNEL_SIZE)
    await nursery.start(driver.run, send)
    assert dialled == [("fs.example", 8022)]
    await driver.execute(
        Originate(channel_id="o1", kind=EndpointKind.EXTENSION, device="1001", auto_answer=True)
    )
    await trio.testing.wait_all_tasks_blocked()
    variables = fake.switch.channels["o1"].variables
    assert variables["force_transfer_context"] == "ctid-in"
    assert (variables["sip_auto_answer"], variables["alert_info"]) == ("true", "auto")
    await trio.sleep(2)
    assert fake.switch.channels["o1"].answer_state == "answered"  # it honoured the header
    fake.reachable = False
    fake.drop_connections()
    t0 = trio.current_time()
    downs = []
    while len(downs) < 3:
        event = await receive.receive()
        if isinstance(event, LinkStateChanged) and event.state is LinkState.DOWN:
            downs.append(trio.current_time() - t0)
    assert downs == [0, 2, 6]  # backoff_initial 2 s, doubling, no jitter


def test_registered_as_an_entry_point() -> None:
    from importlib.metadata import entry_points

    (point,) = [e for e in entry_points(group="ctid.switch_drivers") if e.name == "freeswitch"]
    assert point.load() is FreeSwitchDriver
