"""Configuration of the voice-card simulator."""

from __future__ import annotations

import enum
import re

import attrs

__all__ = ["DEFAULT_OUTSIDE_RULES", "OutsideBehaviour", "OutsideRule", "SimulatorConfig"]


class OutsideBehaviour(enum.Enum):
    """What a simulated outside party does when ctid calls it."""

    ANSWER = "answer"
    BUSY = "busy"
    NO_ANSWER = "noAnswer"
    REJECT = "reject"
    UNREACHABLE = "unreachable"
    #: Nothing answers at the far end's address at all (the network fails the call).
    OUT_OF_ORDER = "outOfOrder"


def _compile(value: str | re.Pattern[str]) -> re.Pattern[str]:
    return value if isinstance(value, re.Pattern) else re.compile(value)


@attrs.frozen(kw_only=True)
class OutsideRule:
    """Outside numbers that fully match ``pattern`` behave as ``behaviour``."""

    pattern: re.Pattern[str] = attrs.field(converter=_compile)
    behaviour: OutsideBehaviour = OutsideBehaviour.ANSWER
    #: Seconds of ringing before a party that answers does so.
    answer_after: float = 2.0
    #: Seconds after answering that the party hangs up by itself (None: never).
    hangup_after: float | None = None


#: The last digits follow SIP status codes, so a tester can remember them:
#: ...486 busy, ...480 never answers, ...404 does not exist, ...603 rejects,
#: ...408 cannot be reached at all (network out of order).
DEFAULT_OUTSIDE_RULES = (
    OutsideRule(pattern=r".*486", behaviour=OutsideBehaviour.BUSY),
    OutsideRule(pattern=r".*480", behaviour=OutsideBehaviour.NO_ANSWER),
    OutsideRule(pattern=r".*404", behaviour=OutsideBehaviour.UNREACHABLE),
    OutsideRule(pattern=r".*603", behaviour=OutsideBehaviour.REJECT),
    OutsideRule(pattern=r".*408", behaviour=OutsideBehaviour.OUT_OF_ORDER),
    OutsideRule(pattern=r".*", behaviour=OutsideBehaviour.ANSWER, answer_after=2.0),
)


@attrs.frozen(kw_only=True)
class SimulatorConfig:
    """A voice card: ``extensions`` (inside lines with phones) and ``trunks`` outside lines."""

    extensions: tuple[str, ...] = tuple(str(n) for n in range(1001, 1011))
    trunks: int = 8
    #: Name of the trunk group the outside lines form (lines are ``<group>/1`` ...).
    trunk_group: str = "T"
    #: Seconds an extension rings before the card gives up (ring-no-answer).
    ring_timeout: float = 45.0
    #: Seconds of silence after a digit that end dialling.
    inter_digit_timeout: float = 4.0
    #: Seconds an off-hook phone may wait before its first digit.
    first_digit_timeout: float = 15.0
    #: Seconds between ringing an outside number and its far end alerting.
    dial_delay: float = 0.5
    #: Seconds a phone told to auto-answer takes to go off-hook.
    auto_answer_delay: float = 0.0
    #: Seconds a ``sound:`` prompt lasts when the card does not know its file.
    default_sound_seconds: float = 1.0
    outside: tuple[OutsideRule, ...] = DEFAULT_OUTSIDE_RULES

    def behaviour_for(self, number: str) -> OutsideRule:
        for rule in self.outside:
            if rule.pattern.fullmatch(number):
                return rule
        return OutsideRule(pattern=".*")
