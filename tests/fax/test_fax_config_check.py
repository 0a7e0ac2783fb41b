"""``[fax]`` passes the start-up and ``check-config`` checks (and a bad one is named).

Found trying fax on the lab's real Asterisk 22.10.1: ``ctid run`` and ``ctid
check-config`` refused any configuration with a ``[fax]`` table ("table [fax] is not
used by this version of ctid"), because no checker was registered for it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ctid.config import Config, ConfigError
from ctid.testing import sim_config
from ctid.wiring.checks import check_services, config_problems


def _config(tmp_path: Path, fax: dict[str, object]) -> Config:
    return sim_config(
        {"server": {"state_dir": str(tmp_path)}, "records": {"enabled": True}, "fax": fax}
    )


def test_a_fax_table_is_accepted(tmp_path: Path) -> None:
    cfg = _config(tmp_path, {"station_id": "+1 555 0100", "numbers": {"4008003290": "orders"}})
    check_services(cfg)
    assert config_problems(cfg) == []


def test_a_bad_fax_table_is_named(tmp_path: Path) -> None:
    cfg = _config(tmp_path, {"retries": 11})
    with pytest.raises(ConfigError) as info:
        check_services(cfg)
    assert (info.value.key, info.value.problem) == ("fax.retries", "must be 0 to 10")
    [problem] = config_problems(cfg)
    assert problem.key == "fax.retries"


def test_fax_email_tables_are_accepted_and_a_bad_one_is_named(tmp_path: Path) -> None:
    relay = {"host": "smtp.example.com", "from": "fax@example.com", "password_env": "PW"}
    good = {"email": {**relay, "username": "ctid"}, "email_to": {"orders": ["o@example.com"]}}
    cfg = _config(tmp_path, good)
    check_services(cfg)
    assert config_problems(cfg) == []
    bad = _config(tmp_path, {"email": {**relay, "security": "ssl"}})
    [problem] = config_problems(bad)
    assert problem.key == "fax.email.security"
