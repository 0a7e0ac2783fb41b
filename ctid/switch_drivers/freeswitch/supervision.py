"""Supervision on FreeSWITCH: ``eavesdrop`` run on the supervisor's parked leg.

The modes as mod_dptools' eavesdrop knows them, and whether a supervisor's
channel runs an eavesdrop now (a restarted ctid takes over the one a previous
run started: ``StartSupervision.restored``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from ..base import DriverUnavailable, SupervisionMode
from .commands import parse_api_result
from .frames import ApiResponse
from .link import EslLink
from .proto import EslConnection

__all__ = ["EAVESDROP_COMMAND", "EAVESDROP_FLAGS", "eavesdropping"]

#: Per mode: does the customer (the target's partners) hear the supervisor, does the
#: agent (the target) hear it. See ``FreeSwitchDriver._start_supervision``.
EAVESDROP_FLAGS: Final = {
    SupervisionMode.SILENT: (False, False),
    SupervisionMode.WHISPER: (False, True),
    SupervisionMode.BARGE: (True, True),
}
#: The eavesdrop commands (its DTMF keys) that switch to each mode: 0 listen only,
#: 2 talk to the target, 3 talk to both (switch_ivr_eavesdrop_session).
EAVESDROP_COMMAND: Final = {
    SupervisionMode.SILENT: "0",
    SupervisionMode.WHISPER: "2",
    SupervisionMode.BARGE: "3",
}


async def eavesdropping(link: EslLink | None, supervisor: str, target: str) -> bool:
    """Whether channel ``supervisor`` runs ``eavesdrop`` on ``target`` now.

    FreeSWITCH sets ``current_application`` and ``current_application_data``
    on a channel for the application it executes.
    """
    if link is None:
        raise DriverUnavailable("not connected to FreeSWITCH")
    found: list[str] = []
    for name in ("current_application", "current_application_data"):
        reply = await link.request(_getvar(supervisor, name))
        if not isinstance(reply, ApiResponse):
            return False
        found.append(parse_api_result(reply.body).text.strip())
    return found == ["eavesdrop", target]


def _getvar(uuid: str, name: str) -> Callable[[EslConnection], bytes]:
    def build(conn: EslConnection) -> bytes:
        return conn.send_api("uuid_getvar", f"{uuid} {name}")

    return build
