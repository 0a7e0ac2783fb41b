"""``[cluster]`` as ``ctid check-config`` and the daemon read it."""

from __future__ import annotations

from pathlib import Path

import pytest

from ctid.cli import main
from ctid.cluster.config import ClusterSettings, cluster_settings
from ctid.config import ConfigError, config_from_dict

PG = "postgresql://ctid@db.example/ctid"


def settings(cluster: dict[str, object], database: str = PG) -> ClusterSettings | None:
    return cluster_settings(
        config_from_dict({"cluster": cluster, "records": {"database": database}})
    )


def test_a_good_table() -> None:
    assert settings({"node_name": "a", "advertise_url": "ws://10.0.0.1:8765/v1"}) == (
        ClusterSettings(
            node_name="a",
            advertise_url="ws://10.0.0.1:8765/v1",
            lease_seconds=15.0,
            database_url="postgresql+psycopg://ctid@db.example/ctid",
        )
    )


def test_no_table_means_one_node() -> None:
    assert cluster_settings(config_from_dict({})) is None


@pytest.mark.parametrize(
    ("cluster", "database", "key", "problem"),
    [
        (
            {"node_name": "a", "advertise_url": "ws://h/v1"},
            "",
            "cluster",
            "a cluster needs PostgreSQL: set records.database (or records.database_env) to a "
            "postgresql:// URL shared by every node",
        ),
        (
            {"node_name": "a", "advertise_url": "ws://h/v1"},
            "sqlite:////tmp/x.db",
            "cluster",
            "a cluster needs PostgreSQL: set records.database (or records.database_env) to a "
            "postgresql:// URL shared by every node",
        ),
        (
            {"node_name": "a b", "advertise_url": "ws://h/v1"},
            PG,
            "cluster.node_name",
            "use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit",
        ),
        (
            {"node_name": "a", "advertise_url": "http://h/v1"},
            PG,
            "cluster.advertise_url",
            'expected a ws:// or wss:// URL such as "ws://10.0.0.1:8765/v1", got "http://h/v1"',
        ),
        (
            {"node_name": "a", "advertise_url": "ws://h/v1", "lease_seconds": 2},
            PG,
            "cluster.lease_seconds",
            "must be at least 3",
        ),
        ({"advertise_url": "ws://h/v1"}, PG, "cluster.node_name", "required"),
    ],
)
def test_problems(cluster: dict[str, object], database: str, key: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        settings(cluster, database)
    assert caught.value.key == key
    assert problem in caught.value.problem


def test_check_config_says_postgresql_is_required(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "ctid.toml"
    path.write_text('[cluster]\nnode_name = "a"\nadvertise_url = "ws://10.0.0.1:8765/v1"\n')
    assert main(["check-config", str(path)]) == 1
    assert capsys.readouterr().err == (
        f"error: {path}: cluster: a cluster needs PostgreSQL: set records.database (or "
        "records.database_env) to a postgresql:// URL shared by every node\n"
        f"{path}: 1 problem(s)\n"
    )
    path.write_text(
        '[cluster]\nnode_name = "a"\nadvertise_url = "ws://10.0.0.1:8765/v1"\n'
        f'[records]\ndatabase = "{PG}"\n'
    )
    assert main(["check-config", str(path)]) == 0
