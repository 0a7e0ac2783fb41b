"""``ctid reload`` of ``[[webhooks]]``: the file's webhooks are added, changed and
removed live (the API's stay the API's); a clash with an API webhook, or a bad one,
refuses the whole reload and changes nothing. Real receiver, real clock, under a guard."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

import pytest
import trio

from ctid.reloading import ReloadRefused
from ctid.testing import sim_config

from .receiver import Receiver
from .test_api import AGENT_TOKEN, SECRET, centre, events_of, service

GUARD: Final = 30.0


@pytest.fixture(autouse=True)
def secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRM_SECRET", SECRET)


def hook(name: str, url: str, events: list[str]) -> dict[str, Any]:
    return {"name": name, "url": url, "secret_env": "CRM_SECRET", "events": events}


async def test_the_file_webhooks_reload(tmp_path: Path) -> None:
    receiver = Receiver()
    with trio.fail_after(GUARD):
        async with trio.open_nursery() as nursery:
            await receiver.start(nursery)
            async with centre(tmp_path, receiver.url) as (cc, admin):
                base = {"url": receiver.url, "secretEnv": "CRM_SECRET", "events": ["Agent*"]}
                await admin.call("webhook.create", {"name": "api-made", **base})
                old = cc.app.config

                def config(webhooks: list[dict[str, Any]]) -> Any:
                    return sim_config(
                        {
                            "server": {"state_dir": str(tmp_path)},
                            "records": {
                                "enabled": True,
                                "fsync": False,
                                "heartbeat_seconds": 1e6,
                            },
                            "recording": {"record": "all"},
                            "auth": {
                                "tokens": [
                                    {
                                        "role": "agent",
                                        "name": "ann",
                                        "token": AGENT_TOKEN,
                                        "devices": ["1001"],
                                    }
                                ]
                            },
                            "webhooks": webhooks,
                        }
                    )

                # A file webhook named like an API one, and a bad one: refused whole.
                bad = config(
                    [
                        hook("api-made", receiver.url, ["CallClearedEvent"]),
                        hook("broken", "ftp://127.0.0.1/x", ["CallClearedEvent"]),
                    ]
                )
                with pytest.raises(ReloadRefused) as refused:
                    await cc.app.reloads.reload(old, bad)
                assert [p.key for p in refused.value.problems] == ["webhooks[1].url"]
                listed = await admin.call("webhook.list")
                assert [(w["name"], w["source"]) for w in listed["webhooks"]] == [
                    ("api-made", "api"),
                    ("from-file", "config"),
                ]
                clash = config([hook("api-made", receiver.url, ["CallClearedEvent"])])
                with pytest.raises(ReloadRefused) as refused:
                    await cc.app.reloads.reload(old, clash)
                assert [(p.key, p.problem) for p in refused.value.problems] == [
                    (
                        "webhooks",
                        "webhooks: 'api-made' is also a webhook made through the API; rename one",
                    )
                ]
                # from-file changes its events, crm is new; the API's webhook stays.
                new = config(
                    [
                        hook("from-file", receiver.url, ["queue.*"]),
                        hook("crm", receiver.url, ["CallClearedEvent"]),
                    ]
                )
                report = await cc.app.reloads.reload(old, new)
                assert report.applied["webhooks"] == {
                    "added": ["crm"],
                    "changed": ["from-file"],
                    "removed": [],
                }
                hooks = service(cc).hooks
                assert {n: (h.source, list(h.spec.events)) for n, h in hooks.items()} == {
                    "api-made": ("api", ["Agent*"]),
                    "from-file": ("config", ["queue.*"]),
                    "crm": ("config", ["CallClearedEvent"]),
                }

                def to(name: str) -> list[Any]:
                    return [r for r in receiver.requests if json.loads(r.body)["webhook"] == name]

                # A call: its CallClearedEvent goes to crm now, not to from-file.
                await admin.call(
                    "sim.incomingCall", {"callingNumber": "+15550100", "calledNumber": "1001"}
                )
                await cc.settle()
                await admin.call("sim.onHook", {"device": "+15550100"})
                await service(cc).wait_until(lambda: bool(to("crm")))
                assert to("from-file") == []
                # Removed from the file: it stops; the API's webhook is untouched.
                report = await cc.app.reloads.reload(new, config([]))
                assert report.applied["webhooks"] == {
                    "added": [],
                    "changed": [],
                    "removed": ["crm", "from-file"],
                }
                assert [(n, h.source) for n, h in service(cc).hooks.items()] == [
                    ("api-made", "api")
                ]
            nursery.cancel_scope.cancel()
    assert events_of(receiver.requests, "CallClearedEvent")
