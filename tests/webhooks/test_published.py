"""What a ``kill -9`` keeps of the webhook events: exactly those the outbox writer committed.

docs/webhooks.md ("What survives a kill -9") states the guarantee: an event is kept
from the moment the writer's transaction that holds it has committed; events the
bus has handed to the service (and to monitors) but that are not committed yet are
lost with the process. Here the first service is stopped dead, as a SIGKILL stops
it (no flush, no shutdown step: its tasks are cancelled and its memory dropped),
once after a commit and once between a publication and the writer's next pass; a
second service on the same database then delivers to a real HTTP server on port 0.
``test_kill.py`` does the same with a real process and a real SIGKILL.
"""

from __future__ import annotations

import json

import trio
from sqlalchemy.engine import Engine

from ctid.clock import WallClock
from ctid.webhooks import outbox
from ctid.webhooks.service import WebhookService

from .receiver import Receiver
from .test_delivery import ANCHOR, GUARD, SECRET, Waits, body_events, delivered_ids, event, spec


def service(engine: Engine, url: str, prefix: str) -> WebhookService:
    return WebhookService(
        engine=engine,
        clock=WallClock(anchor_wall=ANCHOR, anchor_trio=trio.current_time()),
        run_prefix=prefix,
        specs=[spec(url)],
        secrets={"CRM_SECRET": SECRET}.get,
        rng=lambda: 0.5,
        sleep=Waits(),
    )


async def test_committed_events_survive_a_kill_and_uncommitted_ones_do_not(
    engine: Engine,
) -> None:
    # The first run's receiver is down (503): everything stays in the outbox.
    down = Receiver(lambda request: 503)
    up = Receiver()
    with trio.fail_after(GUARD):
        async with trio.open_nursery() as servers:
            await down.start(servers)
            await up.start(servers)

            first = service(engine, down.url, "t1")
            async with trio.open_nursery() as process:
                await process.start(first.run)
                for n in (1, 2, 3):
                    first.on_published(event(n), ())
                # Committed: from here on a kill keeps events 1-3.
                await first.wait_written()
                assert [s.event_id for s in outbox.next_batch(engine, "crm", 10)] == [
                    "t1-e1",
                    "t1-e2",
                    "t1-e3",
                ]
                await first.wait_until(lambda: len(down.requests) >= 1)
                # Published (the bus has called the tap, monitors have it queued),
                # not committed: the writer has not had its next pass.
                first.on_published(event(4), ())
                first.on_published(event(5), ())
                assert first.hooks["crm"].waiting == 2
                # kill -9: nothing more runs in this process.
                process.cancel_scope.cancel()

            assert [s.event_id for s in outbox.next_batch(engine, "crm", 10)] == [
                "t1-e1",
                "t1-e2",
                "t1-e3",
            ]
            second = service(engine, up.url, "t2")
            async with trio.open_nursery() as process:
                await process.start(second.run)
                await second.wait_until(lambda: second.hooks["crm"].delivery.delivered == 3)
                second.on_published(event(6), ())
                await second.wait_until(lambda: second.hooks["crm"].delivery.delivered == 4)
                process.cancel_scope.cancel()
            servers.cancel_scope.cancel()

    # The batch the dead receiver refused is the batch delivered after the restart:
    # the same events with the same ids; 4 and 5 are gone; the new run counts anew.
    assert [e["id"] for e in body_events(down.requests[0])] == ["t1-e1", "t1-e2", "t1-e3"]
    assert delivered_ids(up) == ["t1-e1", "t1-e2", "t1-e3", "t2-e1"]
    calls = [e["params"]["clearedCall"]["callID"] for r in up.accepted for e in body_events(r)]
    assert calls == ["c1", "c2", "c3", "c6"]
    assert json.loads(up.accepted[0].body)["webhook"] == "crm"
    assert outbox.backlogs(engine) == {}
