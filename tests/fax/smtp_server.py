"""A real SMTP server for the fax mail tests: a port-0 socket, a thread per connection.

Small on purpose (RFC 5321's EHLO/HELO, MAIL, RCPT, DATA with dot-unstuffing,
RSET, NOOP, QUIT, and AUTH PLAIN): the standard library has no SMTP server
since Python 3.12, and the tests need to make it fail at will: ``mode`` ``"ok"``
takes mail, ``"down"`` answers 421 at the greeting (a relay out of service),
``"tempfail"`` answers 451 to the end of DATA (refused after the whole message).
"""

from __future__ import annotations

import base64
import socketserver
import threading
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

import attrs


@attrs.define
class Received:
    sender: str
    recipients: list[str]
    message: EmailMessage
    #: (user, password) of AUTH PLAIN, if the client logged in.
    login: tuple[str, str] | None


class SmtpServer:
    """``with SmtpServer() as smtp:`` ... ``smtp.port``, ``smtp.received``."""

    def __init__(self, *, mode: str = "ok") -> None:
        self.mode = mode
        self.received: list[Received] = []
        #: Every conversation: the mode it met.
        self.sessions: list[str] = []
        self._lock = threading.Lock()
        server = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                server._session(self)

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> SmtpServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def _session(self, h: socketserver.StreamRequestHandler) -> None:
        mode = self.mode
        with self._lock:
            self.sessions.append(mode)

        def say(line: str) -> None:
            h.wfile.write(line.encode() + b"\r\n")
            h.wfile.flush()

        if mode == "down":
            say("421 4.3.2 relay.test out of service")
            return
        say("220 relay.test ESMTP")
        sender = ""
        recipients: list[str] = []
        login = None
        while True:
            raw = h.rfile.readline()
            if not raw:
                return
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            verb = line[:4].upper()
            if verb == "EHLO":
                say("250-relay.test")
                say("250-AUTH PLAIN")
                say("250 8BITMIME")
            elif verb == "HELO":
                say("250 relay.test")
            elif verb == "AUTH":
                parts = line.split()
                _, user, password = base64.b64decode(parts[2]).decode().split("\0")
                login = (user, password)
                say("235 2.7.0 ok")
            elif verb == "MAIL":
                sender = line.split(":", 1)[1].split()[0].strip("<>")
                recipients = []
                say("250 ok")
            elif verb == "RCPT":
                recipients.append(line.split(":", 1)[1].split()[0].strip("<>"))
                say("250 ok")
            elif verb == "DATA":
                say("354 go on")
                data = bytearray()
                while True:
                    chunk = h.rfile.readline()
                    if chunk in (b".\r\n", b".\n", b""):
                        break
                    data += chunk[1:] if chunk.startswith(b"..") else chunk
                if mode == "tempfail":
                    say("451 4.3.0 try again later")
                    continue
                message = BytesParser(policy=policy.default).parsebytes(bytes(data))
                assert isinstance(message, EmailMessage)
                with self._lock:
                    self.received.append(Received(sender, recipients, message, login))
                say("250 2.0.0 queued")
            elif verb == "RSET" or verb == "NOOP":
                say("250 ok")
            elif verb == "QUIT":
                say("221 bye")
                return
            else:
                say("502 5.5.2 what?")
