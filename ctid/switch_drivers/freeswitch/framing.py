"""Sans-IO framing shared by both directions of the event socket.

Every ESL message, server to client and client to server, is a block of
``Name: value`` lines that ends at the first empty line, then, if the block has
a ``Content-Length`` header, exactly that many **bytes** of body. The client's
messages start with a command line (``api status``) before the headers.

``FrameReader`` cuts a byte stream into such frames. It knows nothing of what
the headers mean; ``proto`` and the fake server do. It keeps at most
``max_frame_size`` bytes of one frame: a header block or a declared body that
would make a frame larger is a protocol error, so a peer cannot make us buffer
without bound. Values are kept as sent; percent-decoding belongs to the
``text/event-plain`` body parser, per value and after framing.
"""

from __future__ import annotations

import re
from typing import Final

import attrs

from .errors import EslProtocolError, RemoteProtocolError

__all__ = ["DEFAULT_MAX_FRAME_SIZE", "FrameReader", "RawFrame", "parse_header_line"]

#: The largest frame (header block plus body) we accept by default. The
#: largest frame in the captures is 13 kB (a CHANNEL_HANGUP_COMPLETE event);
#: ``show channels as json`` grows by about 1 kB per channel, so 4 MiB leaves
#: room for a few thousand channels.
DEFAULT_MAX_FRAME_SIZE: Final = 4 * 1024 * 1024

# Content-Length is at most ten digits: anything longer is over any sane limit
# and is refused before int() has to convert it.
_CONTENT_LENGTH = re.compile(rb"[0-9]{1,10}")
_END_STRICT: Final = b"\n\n"
_END_TOLERANT = re.compile(rb"\r?\n\r?\n")


@attrs.frozen(kw_only=True)
class RawFrame:
    """One framed message: its optional command line, its headers and its body."""

    #: The first line of a client command (``"api status"``); None for server messages.
    start_line: str | None
    #: The header lines in order, as ``(name, value)``; names may repeat.
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def get(self, name: str) -> str | None:
        """The last value of header ``name`` (matched without regard to case), or None."""
        wanted = name.lower()
        for key, value in reversed(self.headers):
            if key.lower() == wanted:
                return value
        return None


def parse_header_line(line: str, error: type[EslProtocolError]) -> tuple[str, str]:
    """Split ``Name: value``. The value keeps everything after the colon and its spaces."""
    name, sep, value = line.partition(":")
    if not sep or not name.strip():
        raise error(f"malformed header line {line[:80]!r}")
    return name.strip(), value.lstrip(" ")


class FrameReader:
    """Cuts a byte stream into ``RawFrame``s.

    ``command_lines=True`` reads the client-to-server direction (the first line
    is a command, not a header); ``tolerate_cr=True`` accepts ``\\r\\n`` line
    ends, as FreeSWITCH does for commands. ``error`` is the exception class to
    raise for bad input: ``RemoteProtocolError`` when the bytes come from the
    peer.
    """

    def __init__(
        self,
        *,
        max_frame_size: int = DEFAULT_MAX_FRAME_SIZE,
        command_lines: bool = False,
        tolerate_cr: bool = False,
        error: type[EslProtocolError] = RemoteProtocolError,
    ) -> None:
        if max_frame_size < 2:
            raise ValueError("max_frame_size must be at least 2")
        self._max = max_frame_size
        self._command_lines = command_lines
        self._tolerate_cr = tolerate_cr
        self._error = error
        self._buf = bytearray()
        # Where to resume the search for the end of the header block, so that
        # data arriving a byte at a time is not rescanned from the start.
        self._scan_from = 0
        # Headers already parsed while we wait for the rest of the body.
        self._pending: tuple[str | None, tuple[tuple[str, str], ...], int, int] | None = None

    @property
    def buffered_size(self) -> int:
        """How many received bytes are held and not yet returned in a frame."""
        return len(self._buf)

    def feed(self, data: bytes) -> None:
        """Append received bytes."""
        self._buf += data

    def next_frame(self) -> RawFrame | None:
        """The next complete frame, or None if more bytes are needed."""
        if self._pending is None:
            self._skip_blank_lines()
            found = self._find_end_of_headers()
            if found is None:
                if len(self._buf) > self._max:
                    raise self._error(
                        f"header block longer than max_frame_size ({self._max} bytes)"
                    )
                return None
            head_end, body_start = found
            start_line, headers = self._parse_block(bytes(self._buf[:head_end]))
            length = self._content_length(headers)
            if body_start + length > self._max:
                raise self._error(
                    f"frame of {body_start + length} bytes exceeds max_frame_size ({self._max})"
                )
            self._pending = (start_line, headers, body_start, length)
        start_line, headers, body_start, length = self._pending
        end = body_start + length
        if len(self._buf) < end:
            return None
        body = bytes(self._buf[body_start:end])
        del self._buf[:end]
        self._pending = None
        self._scan_from = 0
        return RawFrame(start_line=start_line, headers=headers, body=body)

    # ------------------------------------------------------------------ helpers

    def _skip_blank_lines(self) -> None:
        # FreeSWITCH skips empty lines before a command; we do the same in
        # both directions so a stray newline never becomes an empty frame.
        blank = b"\r\n" if self._tolerate_cr else b"\n"
        i = 0
        while i < len(self._buf) and self._buf[i] in blank:
            i += 1
        if i:
            del self._buf[:i]
            self._scan_from = 0

    def _find_end_of_headers(self) -> tuple[int, int] | None:
        start = max(0, self._scan_from - 3)
        if self._tolerate_cr:
            match = _END_TOLERANT.search(self._buf, start)
            if match is None:
                self._scan_from = len(self._buf)
                return None
            return match.start(), match.end()
        index = self._buf.find(_END_STRICT, start)
        if index < 0:
            self._scan_from = len(self._buf)
            return None
        return index, index + len(_END_STRICT)

    def _parse_block(self, block: bytes) -> tuple[str | None, tuple[tuple[str, str], ...]]:
        text = block.decode("utf-8", errors="replace")
        lines = text.split("\n")
        if self._tolerate_cr:
            lines = [line.rstrip("\r") for line in lines]
        start_line: str | None = None
        if self._command_lines:
            start_line, lines = lines[0], lines[1:]
        headers = tuple(parse_header_line(line, self._error) for line in lines)
        return start_line, headers

    def _content_length(self, headers: tuple[tuple[str, str], ...]) -> int:
        values = {v for k, v in headers if k.lower() == "content-length"}
        if not values:
            return 0
        if len(values) > 1:
            raise self._error(f"conflicting Content-Length headers {sorted(values)}")
        (value,) = values
        raw = value.strip().encode("ascii", errors="replace")
        if not _CONTENT_LENGTH.fullmatch(raw):
            raise self._error(f"bad Content-Length {value[:40]!r}")
        return int(raw)
