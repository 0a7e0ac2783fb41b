"""``[cluster]``: this node's name and address in a hot-standby pair (or more).

```toml
[cluster]
node_name = "a"
advertise_url = "ws://10.0.0.1:8765/v1"
lease_seconds = 15
```

Without the table ctid runs alone. With it, the records database must be
PostgreSQL: the nodes elect the active one through it.
"""

from __future__ import annotations

import re
from typing import Final

import attrs

from ..config import Config, ConfigError, Gather, each_problem, raise_problems
from ..records.config import records_settings
from ..structure import Problems

__all__ = ["ClusterSection", "ClusterSettings", "cluster_settings"]

#: Below this a database hiccup would already cost the active node its lease.
MIN_LEASE: Final = 3.0


@attrs.frozen(kw_only=True)
class ClusterSection:
    """The table as written in the file."""

    #: This node's name, unique in the cluster (shown in logs and the lease row).
    node_name: str
    #: Where clients reach this node's API when it is active (sent to them by standbys).
    advertise_url: str
    #: Seconds a lease lasts: a standby takes over at most this long (plus lease/3) after
    #: the active node dies; the active node stops after lease/2 without the database.
    lease_seconds: float = 15.0


@attrs.frozen(kw_only=True)
class ClusterSettings:
    """The checked section, with the database URL the election uses."""

    node_name: str
    advertise_url: str
    lease_seconds: float
    database_url: str


def cluster_settings(config: Config) -> ClusterSettings | None:
    """The checked ``[cluster]`` table (None: no table, ctid runs alone); raises ``ConfigError``."""
    raw = config.sections.get("cluster")
    if raw is None:
        return None
    problems = Problems()  # every problem of the table, not only the first
    section = problems.salvage(ClusterSection, raw, "cluster")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", section.node_name):
        problems.add(
            "cluster.node_name",
            "use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit",
        )
    if not re.fullmatch(r"wss?://[^\s/]+(/\S*)?", section.advertise_url):
        problems.add(
            "cluster.advertise_url",
            f'expected a ws:// or wss:// URL such as "ws://10.0.0.1:8765/v1", '
            f'got "{section.advertise_url}"',
        )
    elif len(section.advertise_url) > 512:
        problems.add("cluster.advertise_url", "longer than 512 characters")
    if section.lease_seconds < MIN_LEASE:
        problems.add("cluster.lease_seconds", f"must be at least {MIN_LEASE:g}")
    url: str | None = None
    later: list[ConfigError] = []  # [records]' own (its checker lists them too, once)
    try:
        url = records_settings(config).url
    except ConfigError as exc:
        later = each_problem(exc)
    if url is not None and not url.startswith("postgresql"):
        problems.add(
            "cluster",
            "a cluster needs PostgreSQL: set records.database (or records.database_env) to a "
            "postgresql:// URL shared by every node",
        )
    gather = Gather()
    with gather.check():
        raise_problems(config.file, problems)
    gather.problems += later
    gather.raise_any()
    assert url is not None
    return ClusterSettings(
        node_name=section.node_name,
        advertise_url=section.advertise_url,
        lease_seconds=section.lease_seconds,
        database_url=url,
    )
