"""Drive an EslConnection through a recorded connection (test helper).

Each command the capture client wrote is cut out of its write with the
command-direction framer, rebuilt with the core's own ``send_*`` method, and
compared with the recorded bytes, so the command builders are checked against
real traffic while the state machine sees every command before its reply.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from esl_captures import Connection

from ctid.switch_drivers.freeswitch.frames import ConnectionClosed, Frame
from ctid.switch_drivers.freeswitch.framing import FrameReader, RawFrame
from ctid.switch_drivers.freeswitch.proto import NEED_DATA, EslConnection

Feeder = Callable[[EslConnection, bytes], list[Frame]]


def drain(conn: EslConnection) -> list[Frame]:
    frames: list[Frame] = []
    while True:
        frame = conn.next_event()
        if frame is NEED_DATA:
            return frames
        frames.append(frame)
        if isinstance(frame, ConnectionClosed):
            # At EOF the core answers ConnectionClosed for ever; stop at the first.
            return frames


def feed_whole(conn: EslConnection, data: bytes) -> list[Frame]:
    conn.receive_data(data)
    return drain(conn)


def feed_bytewise(conn: EslConnection, data: bytes) -> list[Frame]:
    frames: list[Frame] = []
    for i in range(len(data)):
        conn.receive_data(data[i : i + 1])
        frames += drain(conn)
    return frames


def split_commands(write: bytes) -> list[RawFrame]:
    reader = FrameReader(command_lines=True, tolerate_cr=True)
    reader.feed(write)
    frames: list[RawFrame] = []
    while (frame := reader.next_frame()) is not None:
        frames.append(frame)
    assert reader.buffered_size == 0
    return frames


def resend(conn: EslConnection, command: RawFrame) -> bytes:
    """Rebuild one recorded command through the core's send methods."""
    assert command.start_line is not None
    word, _, rest = command.start_line.partition(" ")
    headers = [(k, v) for k, v in command.headers if k.lower() != "content-length"]
    if word == "auth":
        return conn.send_auth(rest)
    if word == "api":
        name, _, args = rest.partition(" ")
        return conn.send_api(name, args)
    if word == "bgapi":
        name, _, args = rest.partition(" ")
        return conn.send_bgapi(name, args, job_uuid=command.get("Job-UUID"))
    if word == "event":
        fmt, *names = rest.split(" ")
        if "CUSTOM" in names:
            at = names.index("CUSTOM")
            return conn.send_event(names[:at], custom=names[at + 1 :], format=fmt)
        return conn.send_event(names, format=fmt)
    if word == "exit":
        return conn.send_exit()
    if word == "sendmsg" and command.get("call-command") == "execute" and not command.body:
        loops = command.get("loops")
        return conn.send_execute(
            rest,
            command.get("execute-app-name") or "",
            command.get("execute-app-arg") or "",
            event_uuid=command.get("Event-UUID"),
            loops=int(loops) if loops else None,
            event_lock=command.get("event-lock") == "true",
        )
    return conn.send_command(command.start_line, headers, command.body)


def replay(
    connection: Connection, feeder: Feeder, *, max_frame_size: int | None = None
) -> Iterator[tuple[str, object]]:
    """Yield ("sent", bytes) for each write and ("frame", Frame) for each frame, in order.

    Consecutive RECV messages (those between two writes) are fed as one blob,
    so frames are also cut where one message's bytes trail another's.
    """
    conn = (
        EslConnection() if max_frame_size is None else EslConnection(max_frame_size=max_frame_size)
    )
    pending = b""
    for message in connection.messages:
        if message.kind == "RECV":
            pending += message.data
            continue
        for frame in feeder(conn, pending):
            yield "frame", frame
        pending = b""
        rebuilt = b"".join(resend(conn, cmd) for cmd in split_commands(message.data))
        assert rebuilt == message.data, (
            f"{connection.name}: rebuilt {rebuilt!r} != {message.data!r}"
        )
        yield "sent", message.data
    for frame in feeder(conn, pending):
        yield "frame", frame
    if connection.eof:
        conn.receive_data(None)
        for frame in drain(conn):
            yield "frame", frame
    yield "state", conn.state
