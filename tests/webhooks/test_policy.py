"""The outbox's rules (ctid.webhooks.policy) and definitions (spec), with plain data."""

from __future__ import annotations

import hashlib

import pytest

from ctid.structure import StructureError
from ctid.webhooks.policy import BACKOFF_MAX, Delivery, Selector, backoff, batch_id, overflow
from ctid.webhooks.spec import WebhookSpec, check, from_wire, to_wire


def spec(**kw: object) -> WebhookSpec:
    values: dict[str, object] = {
        "name": "crm",
        "url": "https://crm.example/hook",
        "secret_env": "CRM_SECRET",
        "events": ("*",),
    }
    values.update(kw)
    return WebhookSpec(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("patterns", "name", "wanted"),
    [
        (("CallClearedEvent",), "CallClearedEvent", True),
        (("CallClearedEvent",), "CallClearedEventX", False),
        (("CallClearedEvent",), "XCallClearedEvent", False),
        (("Agent*",), "AgentReadyEvent", True),
        (("Agent*",), "agentReadyEvent", False),
        (("queue.*",), "queue.figures", True),
        (("queue.*",), "queueXfigures", False),
        (("record.callClosed",), "record.callClosed", True),
        (("*Event",), "DeliveredEvent", True),
        (("*Event",), "record.callClosed", False),
        (("Agent*", "record.*"), "record.callClosed", True),
        (("*",), "anything.at.all", True),
    ],
)
def test_patterns(patterns: tuple[str, ...], name: str, wanted: bool) -> None:
    assert Selector(spec(events=patterns)).wants(name, {}) is wanted


def test_filters_all_must_match() -> None:
    selector = Selector(spec(queues=("vip",), devices=("1001",)))
    assert selector.wants("X", {"queue": "vip"}, devices=("1001", "1002"))
    assert selector.wants("X", {}, devices=("1001",), topics=("agent:7", "queue:vip"))
    assert not selector.wants("X", {"queue": "sales"}, devices=("1001",))
    assert not selector.wants("X", {"queue": "vip"}, devices=("1002",))
    assert not selector.wants("X", {}, devices=("1001",))
    assert not selector.wants("X", {"queue": None}, devices=("1001",), topics=("queues",))
    campaigns = Selector(spec(campaigns=("spring",)))
    assert campaigns.wants("X", {"campaign": "spring"})
    assert not campaigns.wants("X", {"campaign": "autumn"})
    assert not campaigns.wants("X", {})
    assert Selector(spec()).wants("X", {}, devices=(), topics=())


def test_backoff_doubles_from_one_second_to_ten_minutes_with_jitter() -> None:
    assert [backoff(n, lambda: 0.0) for n in range(1, 12)] == [
        1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 600.0,
    ]  # fmt: skip
    assert backoff(50, lambda: 0.0) == BACKOFF_MAX
    assert backoff(1_000_000, lambda: 0.999) == pytest.approx(450.15)
    # The jitter takes up to a quarter off, never below the first second.
    assert backoff(3, lambda: 0.5) == 3.5
    assert backoff(1, lambda: 0.99) == 1.0


def test_delivery_state() -> None:
    d = Delivery(max_retry_seconds=100.0)
    assert d.failed(1000.0, "HTTP 500", lambda: 0.0) == 1.0
    assert (d.attempt, d.failing_since, d.next_try, d.last_error) == (1, 1000.0, 1001.0, "HTTP 500")
    assert d.failed(1001.0, "HTTP 502", lambda: 0.0) == 2.0
    # The last try falls at the end of the period...
    assert d.failed(1098.0, "timeout", lambda: 0.0) == 2.0
    # ... after which the batch is given up and the state starts afresh.
    assert d.failed(1100.0, "timeout", lambda: 0.0) is None
    assert (d.attempt, d.failing_since, d.next_try, d.failures) == (0, None, None, 4)
    d.failed(2000.0, "HTTP 500", lambda: 0.0)
    d.succeeded(2001.0, 7)
    assert (d.attempt, d.failing_since, d.next_try, d.last_success, d.delivered) == (
        0, None, None, 2001.0, 7,
    )  # fmt: skip
    assert d.last_error == "HTTP 500"


def test_overflow() -> None:
    assert overflow(10, 10) == 0
    assert overflow(3, 10) == 0
    assert overflow(15, 10) == 5


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"name": ""}, "name"),
        ({"name": "a b"}, "name"),
        ({"name": "x" * 65}, "name"),
        ({"url": "crm.example/hook"}, "url"),
        ({"url": "ftp://crm.example/hook"}, "url"),
        ({"url": "http://crm.example/hook"}, "url"),
        ({"url": "http://10.0.0.1/hook"}, "url"),
        ({"url": "https://user:pw@crm.example/hook"}, "url"),
        ({"url": "https://crm.example:99999/hook"}, "url"),
        ({"secret_env": "1X"}, "secret_env"),
        ({"events": ()}, "events"),
        ({"events": ("a b",)}, "events[0]"),
        ({"events": ("ok", "x?")}, "events[1]"),
        ({"queues": ("",)}, "queues[0]"),
        ({"batch_max": 0}, "batch_max"),
        ({"batch_max": 10_001}, "batch_max"),
        ({"timeout_seconds": 0.0}, "timeout_seconds"),
        ({"max_retry_hours": 0.0}, "max_retry_hours"),
        ({"max_backlog": 0}, "max_backlog"),
    ],
)
def test_bad_definitions(changes: dict[str, object], key: str) -> None:
    problem = check(spec(**changes))
    assert problem is not None
    assert problem[0] == key


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8080/hook", "http://localhost/hook", "http://[::1]/hook",
     "https://crm.example/hook"],
)  # fmt: skip
def test_good_urls(url: str) -> None:
    assert check(spec(url=url)) is None
    assert check(spec(url="http://10.0.0.1/hook", allow_insecure=True)) is None


def test_wire_round_trip() -> None:
    wire = {"name": "crm", "url": "https://crm.example/hook", "secretEnv": "S", "events": ["*"],
            "maxBacklog": 5}  # fmt: skip
    parsed = from_wire(wire, "params")
    assert parsed == spec(secret_env="S", max_backlog=5)
    assert to_wire(parsed)["maxBacklog"] == 5
    assert from_wire(to_wire(parsed)) == parsed
    with pytest.raises(StructureError) as bad:
        from_wire({**wire, "batchMax": 0}, "params")
    assert bad.value.path == "params.batchMax"


def test_only_the_star_is_special_in_a_pattern() -> None:
    """``check`` refuses "?" and "["; a spec made without it still treats them as nothing."""
    for pattern in ("Agent?", "[Agent", "Ag?[ent"):
        selector = Selector(spec(events=(pattern,)))
        assert selector.wants("Agent", {}) is True, pattern
        assert selector.wants("AgentX", {}) is False, pattern
        assert selector.wants("[Agent", {}) is False, pattern


def test_delivery_counts_add_up_and_say_when_the_last_error_was() -> None:
    d = Delivery(max_retry_seconds=100.0)
    d.succeeded(10.0, 3)
    d.succeeded(20.0, 4)
    assert (d.delivered, d.last_success, d.last_error_at) == (7, 20.0, None)
    d.failed(30.0, "HTTP 503", lambda: 0.0)
    assert (d.last_error, d.last_error_at, d.failures) == ("HTTP 503", 30.0, 1)
    # Less than a second of the retry period left: the last try waits only that long.
    d.failed(129.6, "HTTP 503", lambda: 0.0)
    assert d.next_try == pytest.approx(130.0)


def test_the_delivery_id_is_a_hash_of_the_webhook_and_its_rows() -> None:
    digest = hashlib.sha256(b"crm\x00101\x00200").hexdigest()
    assert batch_id("crm", 101, 200) == "d-" + digest[:24]
    assert len(batch_id("crm", 101, 200)) == 26
    assert batch_id("crm", 101, 201) != batch_id("crm", 101, 200)
    assert batch_id("erp", 101, 200) != batch_id("crm", 101, 200)
