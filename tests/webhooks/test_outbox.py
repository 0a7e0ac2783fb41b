"""The outbox's own functions, on SQLite and PostgreSQL: every row and every count exact.

``test_delivery.py`` drives the outbox through the service; here each function
is called directly on a migrated database with two webhooks' events
interleaved (as the writer appends them), so that a filter on the wrong
webhook, an off-by-one at a boundary or a count that is not returned shows.
The events are those a real call publishes (``DeliveredEvent`` and
``CallClearedEvent`` of a simulator call, with non-ASCII ``userData``).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ctid.records import db
from ctid.records.schema import webhook_events, webhooks
from ctid.webhooks import outbox
from ctid.webhooks.outbox import Queued, Stored

from ..postgres import PostgresServer

DELIVERED: dict[str, Any] = {
    "monitorCrossRefID": "m1",
    "connection": {"callID": "c1", "deviceID": "1001"},
    "alertingDevice": "1001",
    "callingDevice": "+8613800138000",
    "calledDevice": "1001",
    "cause": "newCall",
    "userData": {"crm.note": "王先生 回电", "priority": 2},
}
CLEARED: dict[str, Any] = {
    "monitorCrossRefID": "m1",
    "clearedCall": {"callID": "c1"},
    "cause": "normalClearing",
}


def queued(webhook: str, n: int) -> Queued:
    """Event ``n`` for ``webhook``: odd ones delivered, even ones cleared."""
    method, params = ("DeliveredEvent", DELIVERED) if n % 2 else ("CallClearedEvent", CLEARED)
    return Queued(webhook, f"run1-e{n}", method, params, f"2026-12-07T10:00:{n:02d}.000Z")


def stored_rows(engine: Engine) -> list[tuple[int, str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                webhook_events.c.id, webhook_events.c.webhook, webhook_events.c.event_id
            ).order_by(webhook_events.c.id)
        ).all()
    return [(int(i), w, e) for i, w, e in rows]


def fill(engine: Engine) -> None:
    """Events 1-6: crm gets 1, 2, 4, 5, 6; erp gets 2, 3, 6 (one append per writer pass)."""
    outbox.append(engine, [queued("crm", 1), queued("crm", 2), queued("erp", 2)])
    outbox.append(engine, [queued("erp", 3)])
    outbox.append(engine, [queued("crm", 4), queued("crm", 5), queued("crm", 6), queued("erp", 6)])


def ids_of(engine: Engine, webhook: str) -> list[int]:
    return [i for i, w, _ in stored_rows(engine) if w == webhook]


def test_append_keeps_order_and_encodes_params_compactly_and_unescaped(engine: Engine) -> None:
    fill(engine)
    rows = stored_rows(engine)
    assert [(w, e) for _, w, e in rows] == [
        ("crm", "run1-e1"),
        ("crm", "run1-e2"),
        ("erp", "run1-e2"),
        ("erp", "run1-e3"),
        ("crm", "run1-e4"),
        ("crm", "run1-e5"),
        ("crm", "run1-e6"),
        ("erp", "run1-e6"),
    ]
    assert [i for i, _, _ in rows] == sorted({i for i, _, _ in rows})
    with engine.connect() as conn:
        first = conn.execute(
            sa.select(webhook_events).where(webhook_events.c.id == rows[0][0])
        ).one()
    assert first.method == "DeliveredEvent"
    assert first.timestamp == "2026-12-07T10:00:01.000Z"
    # Compact separators, and the Chinese text as it is (not \\u escapes).
    assert first.params == json.dumps(DELIVERED, separators=(",", ":"), ensure_ascii=False)
    assert "王先生 回电" in first.params
    assert ", " not in first.params and ": " not in first.params


def test_next_batch_is_one_webhooks_oldest_events_up_to_the_limit(engine: Engine) -> None:
    fill(engine)
    crm = ids_of(engine, "crm")
    batch = outbox.next_batch(engine, "crm", 3)
    assert batch == [
        Stored(crm[0], "run1-e1", "DeliveredEvent", _text(DELIVERED), "2026-12-07T10:00:01.000Z"),
        Stored(crm[1], "run1-e2", "CallClearedEvent", _text(CLEARED), "2026-12-07T10:00:02.000Z"),
        Stored(crm[2], "run1-e4", "CallClearedEvent", _text(CLEARED), "2026-12-07T10:00:04.000Z"),
    ]
    assert [s.event_id for s in outbox.next_batch(engine, "erp", 100)] == [
        "run1-e2",
        "run1-e3",
        "run1-e6",
    ]
    assert [s.event_id for s in outbox.next_batch(engine, "crm", 1)] == ["run1-e1"]
    assert outbox.next_batch(engine, "nobody", 10) == []


def _text(params: dict[str, Any]) -> str:
    return json.dumps(params, separators=(",", ":"), ensure_ascii=False)


def test_delete_through_deletes_up_to_and_including_the_id_of_one_webhook(
    engine: Engine,
) -> None:
    fill(engine)
    crm, erp = ids_of(engine, "crm"), ids_of(engine, "erp")
    # Through crm's third event: erp's events between them stay.
    assert outbox.delete_through(engine, "crm", crm[2]) == 3
    assert ids_of(engine, "crm") == crm[3:]
    assert ids_of(engine, "erp") == erp
    assert outbox.delete_through(engine, "crm", crm[2]) == 0
    assert outbox.delete_through(engine, "erp", erp[0]) == 1
    assert ids_of(engine, "erp") == erp[1:]
    assert outbox.backlogs(engine) == {"crm": 2, "erp": 2}


def test_trim_drops_exactly_the_oldest_count_of_one_webhook(engine: Engine) -> None:
    fill(engine)
    crm, erp = ids_of(engine, "crm"), ids_of(engine, "erp")
    assert outbox.trim(engine, "crm", 1) == 1
    assert ids_of(engine, "crm") == crm[1:]
    assert outbox.trim(engine, "crm", 2) == 2
    assert ids_of(engine, "crm") == crm[3:]
    assert ids_of(engine, "erp") == erp
    # More than there are: all of that webhook's events go, none of the other's.
    assert outbox.trim(engine, "erp", 10) == 3
    assert ids_of(engine, "erp") == []
    assert ids_of(engine, "crm") == crm[3:]
    assert outbox.trim(engine, "erp", 1) == 0


def test_drop_all_and_backlogs_count_per_webhook(engine: Engine) -> None:
    assert outbox.backlogs(engine) == {}
    fill(engine)
    assert outbox.backlogs(engine) == {"crm": 5, "erp": 3}
    assert outbox.drop_all(engine, "erp") == 3
    assert outbox.drop_all(engine, "erp") == 0
    assert outbox.backlogs(engine) == {"crm": 5}
    assert [e for _, _, e in stored_rows(engine)] == [f"run1-e{n}" for n in (1, 2, 4, 5, 6)]


def test_specs_are_saved_sorted_updated_in_place_listed_by_name_and_deleted(
    engine: Engine,
) -> None:
    at = dt.datetime(2026, 12, 7, 10, 0, tzinfo=dt.UTC)
    later = at + dt.timedelta(minutes=5)
    assert outbox.load_specs(engine) == []
    erp = {"url": "https://erp.example/hook", "name": "erp", "events": ["Agent*"]}
    crm = {"url": "https://crm.example/hook", "name": "crm", "events": ["record.callClosed"]}
    outbox.save_spec(engine, "erp", erp, at)
    outbox.save_spec(engine, "crm", crm, at)
    # By name, whatever the order of saving.
    assert outbox.load_specs(engine) == [crm, erp]
    changed = {**crm, "events": ["*"], "batch_max": 10}
    outbox.save_spec(engine, "crm", changed, later)
    assert outbox.load_specs(engine) == [changed, erp]
    with engine.connect() as conn:
        rows = {r.name: r for r in conn.execute(sa.select(webhooks))}
    assert set(rows) == {"crm", "erp"}
    assert rows["crm"].spec == json.dumps(changed, sort_keys=True)
    assert rows["crm"].spec.startswith('{"batch_max": 10, "events"')
    assert rows["crm"].updated_at == later
    assert rows["erp"].updated_at == at

    fill(engine)
    outbox.delete_spec(engine, "crm")
    assert outbox.load_specs(engine) == [erp]
    # Its waiting events go with it; the other webhook's stay.
    assert outbox.backlogs(engine) == {"erp": 3}


@pytest.mark.postgres
def test_order_is_by_id_when_the_table_is_not_in_id_order(postgres: PostgresServer) -> None:
    """PostgreSQL reuses the space of delivered rows: a scan without ORDER BY is out of order.

    Events 1-4 are written, 1 and 2 delivered, the table vacuumed; 5 and 6 then take
    the first slots of the page, so the table reads 5, 6, 3, 4. ``next_batch`` and
    ``trim`` must still go by ``id``.
    """
    engine = db.make_engine(postgres.url(postgres.create_database()))
    try:
        db.prepare(engine)
        outbox.append(engine, [queued("crm", n) for n in (1, 2, 3, 4)])
        first = ids_of(engine, "crm")
        assert outbox.delete_through(engine, "crm", first[1]) == 2
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM webhook_events"))
        outbox.append(engine, [queued("crm", n) for n in (5, 6)])
        with engine.connect() as conn:
            physical = conn.execute(sa.text("SELECT event_id FROM webhook_events")).scalars()
            assert list(physical) == ["run1-e5", "run1-e6", "run1-e3", "run1-e4"]
        batch = outbox.next_batch(engine, "crm", 3)
        assert [s.event_id for s in batch] == ["run1-e3", "run1-e4", "run1-e5"]
        assert outbox.trim(engine, "crm", 1) == 1
        assert [s.event_id for s in outbox.next_batch(engine, "crm", 10)] == [
            "run1-e4",
            "run1-e5",
            "run1-e6",
        ]
    finally:
        engine.dispose()


def test_append_missing_adds_only_what_the_outbox_lacks_in_order(engine: Engine) -> None:
    """What the journal recovered at start: 1,201 events of "crm" (the ids looked up 500 at a
    time), some already in the outbox at each edge of those lookups, and 3 of "erp"."""

    def event(webhook: str, n: int, text: str | None = None) -> Queued:
        return Queued(webhook, f"r0-e{n:04d}", "CallClearedEvent", None,
                      f"2026-12-07T10:00:{n % 60:02d}.000Z", text or f'{{"n":{n}}}')  # fmt: skip

    present = [0, 499, 500, 999, 1000, 1200]
    outbox.append(engine, [event("crm", n) for n in present] + [event("erp", 2)])
    recovered = [event("crm", n) for n in range(1201)] + [event("erp", n) for n in (1, 2, 3)]
    assert outbox.append_missing(engine, recovered) == {"crm": 1195, "erp": 2}
    rows = stored_rows(engine)
    assert [(w, e) for _, w, e in rows] == (
        [("crm", f"r0-e{n:04d}") for n in present]
        + [("erp", "r0-e0002")]
        + [("crm", f"r0-e{n:04d}") for n in range(1201) if n not in present]
        + [("erp", "r0-e0001"), ("erp", "r0-e0003")]
    )
    (last,) = outbox.next_batch(engine, "erp", 10)[-1:]
    assert (last.event_id, last.method, last.params, last.timestamp) == (
        "r0-e0003", "CallClearedEvent", '{"n":3}', "2026-12-07T10:00:03.000Z"
    )  # fmt: skip
    # Everything there already: nothing added, nothing counted.
    assert outbox.append_missing(engine, recovered) == {}
    assert len(stored_rows(engine)) == len(rows)
