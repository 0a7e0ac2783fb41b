"""The cost of keeping calls in the live store, per switch event, as the open calls grow.

A pure ``CallModel`` holds N answered calls (an outside caller and an agent
each); the measured step is one switch event (the agent's hold key, then its
release, on a call picked at random) folded in, then the live store told what
changed. Three ways:

* **none**: no store (the model as before issue 11);
* **keeper**: ``CallKeeper.sync`` (only the calls the step marked changed, and
  only rows that differ are put);
* **naive**: every open call's row built and put after every event.

``put`` goes to an in-memory store (the real one only records the newest value
of a row; its database writes happen in another thread, off the call path).
Times are microseconds per event (median of several repeats).
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable

from ctid.calls.directory import Directory
from ctid.calls.keep import KIND_CALL, CallKeeper, call_row
from ctid.calls.model import CallModel
from ctid.ids import IdFactory
from ctid.switch_drivers import base as sw
from ctid.testing.rows import MemoryRows


def _model(calls: int) -> tuple[CallModel, list[str]]:
    extensions = [str(100_000 + i) for i in range(calls)]
    model = CallModel(
        ids=IdFactory("b", deterministic=True),
        directory=Directory(extensions=set(extensions)),
        now=lambda: 0.0,
    )
    agents = []
    for i, ext in enumerate(extensions):
        before = set(model.legs)
        model.apply(
            sw.ChannelCreated(
                channel_id=f"in{i}",
                kind=sw.EndpointKind.EXTERNAL,
                device=f"555{i:06d}",
                direction=sw.Direction.INBOUND,
                called_number=ext,
                trunk="t",
            )
        )
        (leg,) = set(model.legs) - before - {f"in{i}"}
        model.apply(
            sw.ChannelCreated(
                channel_id=leg,
                kind=sw.EndpointKind.EXTENSION,
                device=ext,
                direction=sw.Direction.OUTBOUND,
            )
        )
        model.apply(sw.ChannelAnswered(channel_id=leg))
        agents.append(leg)
    model.outbox.clear()
    model.notices.clear()
    return model, agents


def _run(calls: int, events: int, how: str) -> float:
    model, agents = _model(calls)
    store = MemoryRows()
    keeper = CallKeeper(store, lambda t: t)
    keeper.sync(model)  # every call written once, as it would have been
    rng = random.Random(7)
    picks = [rng.choice(agents) for _ in range(events // 2)]
    after: Callable[[], None]
    if how == "none":
        after = model.dirty.clear
    elif how == "keeper":

        def after() -> None:
            keeper.sync(model)

    else:

        def after() -> None:
            model.dirty.clear()
            for call in model.calls.values():
                store.put(KIND_CALL, call.call_id, call_row(call, lambda t: t))

    start = time.perf_counter()
    for leg in picks:
        model.apply(sw.ChannelHeld(channel_id=leg))
        after()
        model.apply(sw.ChannelRetrieved(channel_id=leg))
        after()
        model.outbox.clear()
    elapsed = time.perf_counter() - start
    return elapsed / (2 * len(picks)) * 1e6


def main(*, quick: bool = False) -> None:
    sizes = [10, 100] if quick else [10, 100, 1000]
    repeats = 2 if quick else 5
    events = 2000 if quick else 10_000
    print(f"{'open calls':>10} {'none':>9} {'keeper':>9} {'naive':>11}   (µs per event)")
    for n in sizes:
        row = []
        for how in ("none", "keeper", "naive"):
            count = events if how != "naive" or n <= 100 else max(200, events * 100 // n)
            row.append(statistics.median(_run(n, count, how) for _ in range(repeats)))
        print(f"{n:>10} {row[0]:>9.1f} {row[1]:>9.1f} {row[2]:>11.1f}")
