"""FreeSWITCH hangup cause names to ctid's ``HangupCause`` and back."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from ..base import HangupCause

__all__ = ["cause_from_freeswitch", "cause_to_freeswitch"]

_FROM_FREESWITCH: Final[Mapping[str, HangupCause]] = {
    "NORMAL_CLEARING": HangupCause.NORMAL,
    "NORMAL_UNSPECIFIED": HangupCause.NORMAL,
    "USER_BUSY": HangupCause.BUSY,
    "NO_ANSWER": HangupCause.NO_ANSWER,
    "NO_USER_RESPONSE": HangupCause.NO_ANSWER,
    "ALLOTTED_TIMEOUT": HangupCause.NO_ANSWER,
    "PROGRESS_TIMEOUT": HangupCause.NO_ANSWER,
    "CALL_REJECTED": HangupCause.REJECTED,
    "UNALLOCATED_NUMBER": HangupCause.UNREACHABLE,
    "NO_ROUTE_DESTINATION": HangupCause.UNREACHABLE,
    "USER_NOT_REGISTERED": HangupCause.UNREACHABLE,
    "SUBSCRIBER_ABSENT": HangupCause.UNREACHABLE,
    "NUMBER_CHANGED": HangupCause.UNREACHABLE,
    "INVALID_NUMBER_FORMAT": HangupCause.UNREACHABLE,
    "DESTINATION_OUT_OF_ORDER": HangupCause.UNREACHABLE,
    # Nothing answered SIP at the address (the network refused it, or timer B
    # ran out): a network failure, as Asterisk's 408 to an unanswered INVITE.
    "NETWORK_OUT_OF_ORDER": HangupCause.FAILED,
    "RECOVERY_ON_TIMER_EXPIRE": HangupCause.FAILED,
    "NORMAL_CIRCUIT_CONGESTION": HangupCause.CONGESTION,
    "SWITCH_CONGESTION": HangupCause.CONGESTION,
    "REQUESTED_CHAN_UNAVAIL": HangupCause.CONGESTION,
    "LOSE_RACE": HangupCause.ANSWERED_ELSEWHERE,
    "PICKED_OFF": HangupCause.ANSWERED_ELSEWHERE,
    "ORIGINATOR_CANCEL": HangupCause.CANCELLED,
    "SYSTEM_SHUTDOWN": HangupCause.SHUTDOWN,
}

_TO_FREESWITCH: Final[Mapping[HangupCause, str]] = {
    HangupCause.NORMAL: "NORMAL_CLEARING",
    HangupCause.BUSY: "USER_BUSY",
    HangupCause.NO_ANSWER: "NO_ANSWER",
    HangupCause.REJECTED: "CALL_REJECTED",
    HangupCause.UNREACHABLE: "UNALLOCATED_NUMBER",
    HangupCause.CONGESTION: "NORMAL_CIRCUIT_CONGESTION",
    HangupCause.ANSWERED_ELSEWHERE: "LOSE_RACE",
    HangupCause.CANCELLED: "ORIGINATOR_CANCEL",
    HangupCause.SHUTDOWN: "SYSTEM_SHUTDOWN",
    HangupCause.FAILED: "NORMAL_TEMPORARY_FAILURE",
}


def cause_from_freeswitch(name: str) -> HangupCause:
    """Normalize a FreeSWITCH cause name; unknown names are ``FAILED``."""
    return _FROM_FREESWITCH.get(name, HangupCause.FAILED)


def cause_to_freeswitch(cause: HangupCause) -> str:
    """The FreeSWITCH cause name to give ``uuid_kill`` for ``cause``."""
    return _TO_FREESWITCH[cause]
