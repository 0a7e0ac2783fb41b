"""Who may log in, and as what.

A credential is a token with a role. ``admin`` may do everything, including
driving the simulator; ``supervisor`` may control any call and (with the ACD)
supervise the queues it is given; ``agent`` may act only on its own devices.
Tokens are compared in constant time.
"""

from __future__ import annotations

import enum
import hmac

import attrs

__all__ = ["Authenticator", "Credential", "Role"]


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


class Authenticator:
    """Looks tokens up without leaking, through timing, which prefix matched."""

    def __init__(self, credentials: list[Credential]) -> None:
        self._credentials = list(credentials)

    def add(self, credential: Credential) -> None:
        self._credentials.append(credential)

    def check(self, token: str) -> Credential | None:
        found = None
        supplied = token.encode()
        for credential in self._credentials:
            # Compare against every credential so the time taken does not say which matched.
            if hmac.compare_digest(supplied, credential.token.encode()):
                found = credential
        return found
