"""Protocol errors of the ESL core, split by whose fault they are (as in h11).

``EslProtocolError`` is the base. ``LocalProtocolError`` means *we* tried to do
something the protocol does not allow (send a command with a newline in it,
send after ``exit``); ``RemoteProtocolError`` means the bytes the server sent do
not follow the protocol (an over-long frame, a bad ``Content-Length``, an event
body that is not JSON). After either, the connection object is in its ERROR
state and the link must be dropped: there is no way to resynchronise a byte
stream whose framing is lost.
"""

from __future__ import annotations

__all__ = ["EslProtocolError", "LocalProtocolError", "RemoteProtocolError"]


class EslProtocolError(Exception):
    """Base of the ESL protocol errors."""


class LocalProtocolError(EslProtocolError):
    """Our side broke the protocol (a bug or bad input in ctid)."""


class RemoteProtocolError(EslProtocolError):
    """The server sent bytes that do not follow the protocol."""
