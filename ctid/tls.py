"""TLS for the API and metrics listeners: the certificate files, loaded and reloadable.

``TlsFiles.context`` is what the listeners wrap each new connection with. On
SIGHUP ``reload()`` reads the files again into a *new* context and swaps it in:
connections already open keep the context (and certificate) they were
accepted with, new ones get the new certificate, and nothing is dropped. A
reload that fails (a half-copied file, a key that does not match) is logged
and leaves the old certificate in service.
"""

from __future__ import annotations

import logging
import ssl
from pathlib import Path

__all__ = ["TlsError", "TlsFiles", "server_context"]

log = logging.getLogger(__name__)


class TlsError(Exception):
    """The certificate or key cannot be loaded (the message says which file and why)."""


def server_context(certificate: Path, private_key: Path) -> ssl.SSLContext:
    """A server context for ``certificate`` (PEM chain) and ``private_key``; ``TlsError`` if not."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    for path in (certificate, private_key):
        # OpenSSL's own error for a missing file does not name it.
        if not path.is_file():
            raise TlsError(f"no such file: {path}")
    try:
        context.load_cert_chain(certificate, private_key)
    except ssl.SSLError as exc:  # an OSError too: first
        raise TlsError(
            f"cannot load {certificate} with key {private_key}: {exc.reason or exc}"
        ) from None
    except OSError as exc:
        raise TlsError(f"cannot read {exc.filename or certificate}: {exc.strerror}") from None
    return context


class TlsFiles:
    """The configured certificate and key and the context currently in service."""

    def __init__(self, certificate: Path, private_key: Path) -> None:
        self.certificate = certificate
        self.private_key = private_key
        self.context = server_context(certificate, private_key)
        #: Successful reloads (tests and logs).
        self.reloads = 0

    def reload(self) -> bool:
        """Read the files again; True if the new certificate is now in service."""
        try:
            context = server_context(self.certificate, self.private_key)
        except TlsError as exc:
            log.error("TLS reload failed, keeping the current certificate: %s", exc)
            return False
        self.context = context
        self.reloads += 1
        log.info("TLS certificate reloaded from %s", self.certificate)
        return True
