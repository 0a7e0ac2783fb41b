"""The built-in demo: 4008001234 reaches the example flow, choices travel to the phones."""

from __future__ import annotations

import math
import tomllib
from importlib import resources
from pathlib import Path

import pytest
import trio
import trio.testing

from ctid.app import App
from ctid.config import config_from_dict
from ctid.demo_command import add_demo
from ctid.ids import IdFactory
from ctid.testing.harness import ADMIN_TOKEN, ANCHOR_WALL, CallCentre


@pytest.mark.slow
async def test_demo_traffic_goes_through_the_menu(
    tmp_path: Path, autojump_clock: trio.testing.MockClock
) -> None:
    data = tomllib.loads(resources.files("ctid.demo").joinpath("demo.toml").read_text())
    data["server"] |= {"listen": "127.0.0.1:0", "state_dir": str(tmp_path)}
    data["ivr"]["tts"] = "silent"  # espeak-ng has its own tests; this one is about routing
    config = config_from_dict(data, "<demo>")
    app = App(config, admin_token=ADMIN_TOKEN, ids=IdFactory("d"), anchor_wall=ANCHOR_WALL)
    add_demo(app, traffic=True, seed=7)
    async with trio.open_nursery() as nursery:
        # Start-up makes the flow's prompts in worker threads: time stands still
        # meanwhile, so the generated traffic is the same on every run.
        autojump_clock.autojump_threshold = math.inf
        await nursery.start(app.run)
        autojump_clock.autojump_threshold = 0
        cc = CallCentre(app, nursery)
        client = await cc.client()
        for device in [str(n) for n in range(1001, 1011)]:
            await client.call("MonitorStart", {"monitorObject": {"deviceObject": device}})
        assert app.api.services["banner"][-2:] == [
            "IVR           : 4008001234 -> flow main",
            "Routing rules : switched off: after-hours",
        ]
        await trio.sleep(600)
        delivered = [
            e["params"]
            for e in client.events
            if e["method"] == "DeliveredEvent"
            and e["params"]["callingDevice"].startswith("+")
            and "menu" in e["params"]["userData"]
        ]
        assert delivered
        for event in delivered:
            # The ACD offers the call from the queue the menu chose (1 sales,
            # 2 support, or support by overflow), and the choice came along.
            queue = event["lastRedirectionDevice"]
            assert queue in ("sales", "support")
            if queue == "sales":
                assert event["userData"]["menu"] == "1"
            assert event["userData"]["LANGUAGE"] == "en"
        stats = await client.call("ivr.statistics", {"flow": "main"})
        (day,) = stats["statistics"]
        assert day["calls"] >= len(delivered)
        assert set(day["menuChoices"]["main_menu"]) <= {"1", "2"}
        nursery.cancel_scope.cancel()
