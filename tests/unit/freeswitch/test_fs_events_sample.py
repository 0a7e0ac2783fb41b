"""Every line of events-sample.jsonl through the JSON event parser."""

from __future__ import annotations

import collections
import json
from typing import Any

import pytest
from esl_captures import load_event_lines
from esl_replay import drain, feed_bytewise

from ctid.switch_drivers.freeswitch.frames import EslEvent, parse_event_json
from ctid.switch_drivers.freeswitch.proto import EslConnection

LINES = load_event_lines()


def frame_of(body: bytes) -> bytes:
    return b"Content-Length: %d\nContent-Type: text/event-json\n\n%s" % (len(body), body)


def expected_of(line: bytes) -> tuple[dict[str, Any], list[str], Any]:
    pairs = json.loads(line, object_pairs_hook=lambda p: p)
    keys = [k for k, _ in pairs]
    counts = collections.Counter(keys)
    duplicates = list(dict.fromkeys(k for k in keys if counts[k] > 1))
    last = dict(pairs)
    body = last.pop("_body", None)
    headers = {k: v if isinstance(v, str) else tuple(v) for k, v in last.items()}
    return headers, duplicates, body


def test_the_sample_has_118_events_of_43_types() -> None:
    assert len(LINES) == 118
    names = {
        (d["Event-Name"], d.get("Event-Subclass")) for d in (json.loads(line) for line in LINES)
    }
    assert len(names) == 43


@pytest.mark.parametrize("index", range(len(LINES)))
def test_every_sample_line_parses_keeping_the_last_duplicate(index: int) -> None:
    line = LINES[index]
    headers, duplicates, body = expected_of(line)
    event = parse_event_json(line)
    assert dict(event.headers) == headers
    assert list(event.duplicate_keys) == duplicates
    assert event.body == body
    assert event.name == headers["Event-Name"]


@pytest.mark.parametrize("index", range(0, len(LINES), 9))
def test_sample_lines_frame_whole_bytewise_and_with_trailing_data(index: int) -> None:
    frame = frame_of(LINES[index])
    whole = EslConnection()
    whole.receive_data(frame + b"Content-Length: 10\nContent-Type: text/ev")
    (event,) = drain(whole)
    assert whole.buffered_size == len(b"Content-Length: 10\nContent-Type: text/ev")
    bytewise = feed_bytewise(EslConnection(), frame)
    assert bytewise == [event]
    assert isinstance(event, EslEvent)


def test_known_duplicates_and_arrays() -> None:
    by_name: dict[str, list[EslEvent]] = collections.defaultdict(list)
    for line in LINES:
        event = parse_event_json(line)
        by_name[event.name].append(event)
    (private,) = by_name["PRIVATE_COMMAND"]
    assert private.name == "PRIVATE_COMMAND"  # the second Event-Name (COMMAND came first)
    assert "Event-Name" in private.duplicate_keys
    assert all("Hangup-Cause" in e.duplicate_keys for e in by_name["CHANNEL_HANGUP_COMPLETE"])
    floor = [e for e in by_name["CUSTOM"] if e.get("Action") == "floor-change"]
    assert floor[0].duplicate_keys[:2] == ("Conference-Name", "Conference-Domain")
    bridge = next(e for e in by_name["CHANNEL_BRIDGE"] if e.get("Call-Direction") == "inbound")
    assert isinstance(bridge.headers["variable_DP_MATCH"], tuple)
    assert bridge.get_all("variable_DP_MATCH") == ("1001", "1001")
    assert bridge.get("variable_DP_MATCH") == "1001"
    # The same key is a string in one event and an array in another.
    shapes = {
        type(e.headers["variable_transfer_history"])
        for events in by_name.values()
        for e in events
        if "variable_transfer_history" in e.headers
    }
    assert shapes == {str, tuple}
