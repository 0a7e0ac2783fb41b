"""Who may log in, and as what.

A credential is a token with a role. ``admin`` may do everything, including
driving the simulator; ``supervisor`` may control any call and (with the ACD)
supervise the queues it is given; ``agent`` may act only on its own devices.

Tokens are either static (configured, compared in constant time) or signed
JWTs checked by a ``TokenVerifier`` (``jwt_tokens.JwtVerifier``), whose
credentials carry an expiry.
"""

from __future__ import annotations

import enum
import hmac
from collections.abc import Callable
from typing import Final, Protocol

import attrs

__all__ = ["Authenticator", "Credential", "LoginRefused", "Role", "TokenVerifier"]

#: Longest token looked at; longer ones are refused unread (JWTs with many devices fit).
MAX_TOKEN: Final = 8192


class Role(enum.Enum):
    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    AGENT = "agent"


@attrs.frozen(kw_only=True)
class Credential:
    token: str = attrs.field(repr=False)
    role: Role
    name: str
    #: Devices an agent may act on (its phones). Empty: none, unless logged on by the ACD.
    devices: frozenset[str] = frozenset()
    #: The ACD agent this credential belongs to, if any.
    agent_id: str | None = None
    #: Queues a supervisor supervises; empty means all of them.
    queues: frozenset[str] = frozenset()
    #: Wall-clock time (Unix seconds) after which a signed token is no longer
    #: accepted (its ``exp`` plus the leeway); None for static tokens, which never expire.
    expires_at: float | None = None

    @property
    def signed(self) -> bool:
        return self.expires_at is not None

    def same_principal(self, other: Credential) -> bool:
        """True if ``other`` may carry on a session of this one (resume, refresh).

        A static credential is itself; a signed one is its subject and role,
        since every fresh token of the same user is a new credential.
        """
        if self is other:
            return True
        return self.signed and other.signed and self.name == other.name and self.role is other.role


class LoginRefused(Exception):
    """A token was refused. ``counted``: it proved nothing, so it counts as a guess."""

    def __init__(self, message: str, *, reason: str, counted: bool) -> None:
        super().__init__(message)
        self.message = message
        #: Short and stable, for logs and the metric's label.
        self.reason = reason
        self.counted = counted


class TokenVerifier(Protocol):
    """Checks a signed token at a wall-clock time (``jwt_tokens.JwtVerifier``)."""

    def verify(self, token: str, now: float) -> Credential: ...


def looks_like_jwt(token: str) -> bool:
    """Three dot-separated parts: worth handing to the JWT verifier."""
    return token.count(".") == 2


class Authenticator:
    """Looks tokens up without leaking, through timing, which prefix matched."""

    def __init__(
        self,
        credentials: list[Credential],
        *,
        verifier: TokenVerifier | None = None,
        now: Callable[[], float] | None = None,
    ) -> None:
        self._credentials = list(credentials)
        self.verifier = verifier
        #: Wall-clock seconds (``WallClock.now``); needed only with a verifier.
        self.now = now

    def add(self, credential: Credential) -> None:
        self._credentials.append(credential)

    @property
    def credentials(self) -> tuple[Credential, ...]:
        """The static credentials (admin token, ``[[auth.tokens]]``, added ones)."""
        return tuple(self._credentials)

    def replace_credentials(self, credentials: list[Credential]) -> None:
        """A reload's tokens take the place of the static ones (sessions are the caller's)."""
        self._credentials = list(credentials)

    def authenticate(self, token: str) -> Credential:
        """The credential for ``token``; raises ``LoginRefused`` saying why not."""
        if len(token) > MAX_TOKEN:
            raise LoginRefused(
                f"authentication failed: token longer than {MAX_TOKEN} characters",
                reason="malformed token",
                counted=True,
            )
        found = self._static(token)
        if found is not None:
            return found
        if self.verifier is not None and looks_like_jwt(token):
            assert self.now is not None, "a token verifier needs a clock"
            return self.verifier.verify(token, self.now())
        raise LoginRefused(
            "authentication failed: unknown token", reason="unknown token", counted=True
        )

    def check(self, token: str) -> Credential | None:
        """The credential for ``token``, or None (for callers that need no reason)."""
        try:
            return self.authenticate(token)
        except LoginRefused:
            return None

    def _static(self, token: str) -> Credential | None:
        found = None
        supplied = token.encode()
        for credential in self._credentials:
            # Compare against every credential so the time taken does not say which matched.
            if hmac.compare_digest(supplied, credential.token.encode()):
                found = credential
        return found
