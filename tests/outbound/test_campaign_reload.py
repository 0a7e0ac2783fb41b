"""``ctid reload`` of ``[[campaigns]]`` with ``[acd]``: a new queue and a campaign on it
in the same reload; the file's campaigns are written again (the file wins); a campaign
naming a queue that does not exist refuses the whole reload and changes nothing; and
campaign.create sees the ACD's queues as they are after a reload."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import trio
import trio.testing

from ctid.reloading import ReloadRefused
from ctid.testing import call_centre, sim_config

SALES = {"name": "sales", "number": "8001"}
AGENTS = [{"id": "2001", "name": "Ann", "skills": [{"queue": "sales", "level": 1}]}]


def config(tmp_path: Path, url: str, queues: list[Any], campaigns: list[Any]) -> Any:
    return sim_config(
        {
            "server": {"state_dir": str(tmp_path)},
            "records": {"enabled": True, "database": url},
            "acd": {"queues": queues, "agents": AGENTS},
            "campaigns": campaigns,
        }
    )


async def test_campaigns_reload_with_the_acd(
    tmp_path: Path, database_url: str, autojump_clock: trio.testing.MockClock
) -> None:
    first = [{"name": "fixed", "queue": "sales", "mode": "predictive"}]
    async with call_centre(config(tmp_path, database_url, [SALES], first)) as cc:
        admin = await cc.client()
        old = cc.app.config
        billing = {"name": "billing", "number": "8002"}
        bad = config(
            tmp_path,
            database_url,
            [SALES, billing],
            [{"name": "winback", "queue": "nosuch", "mode": "progressive"}],
        )
        with pytest.raises(ReloadRefused) as refused:
            await cc.app.reloads.reload(old, bad)
        assert [p.key for p in refused.value.problems] == ["campaigns[0].queue"]
        # Nothing changed: no billing queue, no winback campaign.
        assert [q["queue"] for q in (await admin.call("queue.list"))["queues"]] == ["sales"]
        names = [c["name"] for c in (await admin.call("campaign.list"))["campaigns"]]
        assert names == ["fixed"]
        new = config(
            tmp_path,
            database_url,
            [SALES, billing],
            [
                {"name": "fixed", "queue": "sales", "mode": "progressive"},
                {"name": "winback", "queue": "billing", "mode": "progressive"},
            ],
        )
        report = await cc.app.reloads.reload(old, new)
        assert report.applied["campaigns"] == {"campaigns": ["fixed", "winback"]}
        got = await admin.call("campaign.get", {"name": "fixed"})
        assert (got["source"], got["campaign"]["mode"]) == ("config", "progressive")
        got = await admin.call("campaign.get", {"name": "winback"})
        assert (got["source"], got["campaign"]["queue"]) == ("config", "billing")
        # The API sees the new queue too.
        created = await admin.call(
            "campaign.create", {"name": "api-made", "queue": "billing", "mode": "progressive"}
        )
        assert (created["source"], created["campaign"]["queue"]) == ("api", "billing")
