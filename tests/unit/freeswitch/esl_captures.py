"""Readers for the recorded FreeSWITCH traffic in tests/fixtures/esl (test helpers).

The markers give exact byte counts; these readers check that every message is
followed by the layout newline and a next marker, so a miscounted read fails
loudly instead of silently shifting every later message.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import attrs

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "esl"

_SESSION_MARKER = re.compile(
    rb"### (?:(?P<dir><<<|>>>) (?P<kind>RECV|SENT) #(?P<n>\d+) \+(?P<t>[\d.]+)s "
    rb"\((?P<size>\d+) bytes\)|<<< EOF [^\n]*)\n"
)
_CONNECTION = re.compile(rb"#### CONNECTION (?P<name>[^:\s]+):")


@attrs.frozen
class Message:
    kind: str  # "SENT" or "RECV"
    data: bytes


@attrs.frozen
class Connection:
    name: str
    messages: tuple[Message, ...]
    eof: bool

    @property
    def received(self) -> bytes:
        """Everything the client read from the socket, byte for byte."""
        return b"".join(m.data for m in self.messages if m.kind == "RECV")

    @property
    def recv_messages(self) -> list[bytes]:
        return [m.data for m in self.messages if m.kind == "RECV"]

    @property
    def sent_messages(self) -> list[bytes]:
        return [m.data for m in self.messages if m.kind == "SENT"]


def load_sessions() -> list[Connection]:
    data = (FIXTURES / "session-raw.txt").read_bytes()
    connections: list[Connection] = []
    name: str | None = None
    messages: list[Message] = []
    eof = False
    pos = 0
    while pos < len(data):
        marker = _SESSION_MARKER.match(data, pos)
        if marker:
            assert name is not None, "a marker before the first connection header"
            if marker.group("kind") is None:
                eof = True
                pos = marker.end()
                continue
            size = int(marker.group("size"))
            start = marker.end()
            messages.append(Message(marker.group("kind").decode(), data[start : start + size]))
            pos = start + size
            # The message is followed by exactly one layout newline.
            assert data[pos : pos + 1] == b"\n", f"no layout newline after message in {name}"
            pos += 1
            continue
        header = _CONNECTION.match(data, pos)
        if header:
            if name is not None:
                connections.append(Connection(name, tuple(messages), eof))
            name, messages, eof = header.group("name").decode(), [], False
        end = data.find(b"\n", pos)
        line = data[pos : end if end >= 0 else len(data)]
        assert not line.startswith(b"### "), f"unparsed marker {line[:60]!r}"
        pos = end + 1 if end >= 0 else len(data)
    if name is not None:
        connections.append(Connection(name, tuple(messages), eof))
    return connections


@attrs.frozen
class ReplyExample:
    connection: str
    title: str
    sent: bytes | None
    received: bytes


_REPLY_MARKER = re.compile(
    rb"\n(?:=== \[(?P<conn>[^\]]*)\] (?P<title>[^\n]*)|>>> SENT \((?P<sent>\d+) bytes\)"
    rb"|<<< RECV \((?P<recv>\d+) bytes\))\n"
)


def load_replies() -> list[ReplyExample]:
    data = (FIXTURES / "replies-sample.txt").read_bytes()
    examples: list[ReplyExample] = []
    current: dict[str, object] | None = None
    pos = 0
    while True:
        marker = _REPLY_MARKER.search(data, pos)
        if marker is None:
            break
        if marker.group("conn") is not None:
            if current is not None:
                examples.append(ReplyExample(**current))  # type: ignore[arg-type]
            current = {
                "connection": marker.group("conn").decode(),
                "title": marker.group("title").decode("utf-8", "replace"),
                "sent": None,
                "received": b"",
            }
            pos = marker.end()
            continue
        assert current is not None
        size = int(marker.group("sent") or marker.group("recv"))
        body = data[marker.end() : marker.end() + size]
        assert len(body) == size
        current["sent" if marker.group("sent") else "received"] = body
        pos = marker.end() + size
    if current is not None:
        examples.append(ReplyExample(**current))  # type: ignore[arg-type]
    return examples


def load_event_lines() -> list[bytes]:
    lines = (FIXTURES / "events-sample.jsonl").read_bytes().split(b"\n")
    assert lines[-1] == b""
    return lines[:-1]


def load_event_dicts() -> list[dict[str, object]]:
    return [json.loads(line) for line in load_event_lines()]
