"""``[server]`` limits, proxies and TLS keys, ``[api] allowed_origins``; the descriptor budget;
what counts as running out of descriptors rather than a database outage."""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import trustme

from ctid.app import App, server_options
from ctid.cli import check_config
from ctid.config import ConfigError
from ctid.descriptors import socket_budget
from ctid.records.store import is_outage, out_of_descriptors
from ctid.testing import sim_config
from ctid.transport import OriginPolicy, parse_proxies


def test_defaults() -> None:
    config = sim_config()
    assert config.server.max_connections == 10_000
    assert config.server.max_connections_per_address == 1_000
    assert config.server.trusted_proxies == []
    assert (config.server.tls_certificate, config.server.tls_private_key) == ("", "")
    assert config.server.metrics_tls is False
    assert config.api.allowed_origins == []


def test_server_options_from_config() -> None:
    config = sim_config(
        {
            "server": {
                "max_connections": 50,
                "max_connections_per_address": 5,
                "trusted_proxies": ["10.0.0.0/8"],
            },
            "api": {"allowed_origins": ["https://crm.example.com"]},
        }
    )
    options = server_options(config)
    assert options.max_connections == 50
    assert options.max_connections_per_address == 5
    assert options.trusted_proxies == parse_proxies(["10.0.0.0/8"])
    assert options.origins == OriginPolicy.from_config(["https://crm.example.com"])


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"server": {"max_connections": 0}}, "<test>: server.max_connections: must be at least 1"),
        (
            {"server": {"max_connections_per_address": 0}},
            "<test>: server.max_connections_per_address: must be at least 1",
        ),
        (
            {"server": {"trusted_proxies": ["10.0.0.0/8", "nope"]}},
            '<test>: server.trusted_proxies: "nope" is not an IP address or CIDR network',
        ),
        (
            {"server": {"tls_certificate": "cert.pem"}},
            "<test>: server.tls_certificate: give both tls_certificate and tls_private_key",
        ),
        (
            {"server": {"metrics_tls": True}},
            "<test>: server.metrics_tls: needs tls_certificate and tls_private_key",
        ),
        (
            {"api": {"allowed_origins": ["https://ok.example.com", "evil.example.net"]}},
            '<test>: api.allowed_origins[1]: "evil.example.net" is not an origin: expected "*" '
            'or SCHEME://HOST[:PORT] (http or https, no path; PORT may be "*")',
        ),
    ],
)
def test_bad_transport_settings_are_refused(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as error:
        sim_config(overrides)
    assert str(error.value) == message


def test_a_certificate_that_cannot_load_is_a_config_error(tmp_path: Path) -> None:
    cert = trustme.CA().issue_cert("localhost")
    cert.cert_chain_pems[0].write_to_path(str(tmp_path / "cert.pem"))
    (tmp_path / "key.pem").write_text("not a key")
    config = sim_config(
        {
            "server": {
                "tls_certificate": str(tmp_path / "cert.pem"),
                "tls_private_key": str(tmp_path / "key.pem"),
            }
        }
    )
    with pytest.raises(ConfigError, match=r"^<test>: server\.tls_certificate: cannot load "):
        App(config)
    missing = sim_config(
        {
            "server": {
                "tls_certificate": str(tmp_path / "none.pem"),
                "tls_private_key": str(tmp_path / "key.pem"),
            }
        }
    )
    with pytest.raises(ConfigError) as error:
        App(missing)
    assert str(error.value) == (
        f"<test>: server.tls_certificate: no such file: {tmp_path / 'none.pem'}"
    )


def test_check_config_loads_the_certificate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ca = trustme.CA()
    cert = ca.issue_cert("localhost")
    cert.cert_chain_pems[0].write_to_path(str(tmp_path / "cert.pem"))
    cert.private_key_pem.write_to_path(str(tmp_path / "key.pem"))
    config = tmp_path / "ctid.toml"
    config.write_text(
        '[server]\ntls_certificate = "cert.pem"\ntls_private_key = "key.pem"\n'
        '[switch]\ndriver = "simulator"\n'
    )
    assert check_config(config) == 0
    # A key of another certificate: refused before a restart would fail on it.
    ca.issue_cert("other").private_key_pem.write_to_path(str(tmp_path / "key.pem"))
    assert check_config(config) == 1
    error = capsys.readouterr().err
    assert error.startswith(f"error: {config}: server.tls_certificate: cannot load ")


def test_socket_budget_keeps_a_reserve() -> None:
    assert socket_budget(65536) == 65536 - 256
    assert socket_budget(1024) == 768
    assert socket_budget(256) == 128  # small limits: half stays for the daemon
    assert socket_budget(20) == 16  # never below a floor


def test_running_out_of_descriptors_is_not_a_database_outage() -> None:
    emfile = OSError(errno.EMFILE, "Too many open files")
    assert out_of_descriptors(emfile)
    assert out_of_descriptors(OSError(errno.ENFILE, "File table overflow"))
    wrapped = sa.exc.OperationalError("connect", {}, emfile)
    assert is_outage(wrapped) and out_of_descriptors(wrapped)
    psycopg_text = sa.exc.OperationalError(
        "connect", {}, Exception("could not create socket: Too many open files")
    )
    assert out_of_descriptors(psycopg_text)
    refused = sa.exc.OperationalError("connect", {}, ConnectionRefusedError(111, "refused"))
    assert is_outage(refused) and not out_of_descriptors(refused)
    assert not out_of_descriptors(OSError(errno.ENOSPC, "No space left on device"))
