"""Configuration of the voice-card simulator."""

from __future__ import annotations

import enum
import re

import attrs

__all__ = [
    "DEFAULT_FAX_MACHINES",
    "DEFAULT_OUTSIDE_RULES",
    "FaxMachine",
    "OutsideBehaviour",
    "OutsideRule",
    "SimulatorConfig",
]


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
class FaxMachine:
    """Outside numbers that fully match ``pattern`` are fax machines.

    Called, one answers after ``answer_after`` seconds (unless ``behaviour``
    says busy, no answer...) and takes the fax sent to it; calling in, it plays
    its calling tone (CNG) and sends ``pages`` pages to whoever receives. With
    ``fail_at_page``, the line drops during that page (a page error).
    """

    pattern: re.Pattern[str] = attrs.field(converter=_compile)
    pages: int = 3
    behaviour: OutsideBehaviour = OutsideBehaviour.ANSWER
    answer_after: float = 2.0
    fail_at_page: int | None = None
    #: Whether it sends the calling tone when it calls (the switch reports CNG).
    cng: bool = True


#: "329" is FAX on a phone's keypad: ...3299 drops the line on page 2 (a page
#: error), other numbers ending in 329 and one more digit, or in 329, are fax
#: machines that work.
DEFAULT_FAX_MACHINES = (
    FaxMachine(pattern=r".*3299", fail_at_page=2),
    FaxMachine(pattern=r".*329\d?"),
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
    #: Simulated fax machines among the outside parties (checked before ``outside``).
    fax_machines: tuple[FaxMachine, ...] = DEFAULT_FAX_MACHINES
    #: Line rate of simulated fax transfers (V.29: 9,600 bit/s).
    fax_bit_rate: int = 9600

    def fax_machine(self, number: str) -> FaxMachine | None:
        for machine in self.fax_machines:
            if machine.pattern.fullmatch(number):
                return machine
        return None

    def behaviour_for(self, number: str) -> OutsideRule:
        machine = self.fax_machine(number)
        if machine is not None:
            return OutsideRule(
                pattern=machine.pattern,
                behaviour=machine.behaviour,
                answer_after=machine.answer_after,
            )
        for rule in self.outside:
            if rule.pattern.fullmatch(number):
                return rule
        return OutsideRule(pattern=".*")
