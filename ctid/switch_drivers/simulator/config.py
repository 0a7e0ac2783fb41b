"""Configuration of the voice-card simulator."""

from __future__ import annotations

import enum
import random
import re

import attrs

__all__ = [
    "DEFAULT_FAX_MACHINES",
    "DEFAULT_OUTSIDE_RULES",
    "Callees",
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
    #: An answering machine rather than a person (``amd.AmdResult`` says which).
    machine: bool = False
    #: Seconds the party speaks when it answers: a person's "Hello?", a machine's greeting.
    greeting_seconds: float = 0.8


#: The last digits follow SIP status codes, so a tester can remember them:
#: ...486 busy, ...480 never answers, ...404 does not exist, ...603 rejects,
#: ...408 cannot be reached at all (network out of order).
DEFAULT_OUTSIDE_RULES = (
    OutsideRule(pattern=r".*486", behaviour=OutsideBehaviour.BUSY),
    OutsideRule(pattern=r".*480", behaviour=OutsideBehaviour.NO_ANSWER),
    OutsideRule(pattern=r".*404", behaviour=OutsideBehaviour.UNREACHABLE),
    OutsideRule(pattern=r".*603", behaviour=OutsideBehaviour.REJECT),
    OutsideRule(pattern=r".*408", behaviour=OutsideBehaviour.OUT_OF_ORDER),
    # ...263 ("AMD" on a keypad): an answering machine, 6 s of greeting, then 20 s of message.
    OutsideRule(pattern=r".*263", machine=True, greeting_seconds=6.0, hangup_after=26.0),
    OutsideRule(pattern=r".*", behaviour=OutsideBehaviour.ANSWER, answer_after=2.0),
)


def _span(value: tuple[float, float] | list[float]) -> tuple[float, float]:
    low, high = value
    return (float(low), float(high))


@attrs.frozen(kw_only=True)
class Callees:
    """A crowd of outside parties: each call to a number matching ``pattern`` draws anew.

    A share ``answer_share`` of calls is answered after a ring time drawn from
    ``answer_after`` (the others ring until ctid gives up); of the answers, a share
    ``machine_share`` are answering machines with a greeting of ``greeting_seconds``
    (uniform), which hang up ``message_seconds`` after it. People say "Hello?"
    (``hello_seconds``) and stay until ctid or an agent hangs up.
    """

    pattern: re.Pattern[str] = attrs.field(converter=_compile)
    answer_share: float = 1.0
    machine_share: float = 0.0
    answer_after: tuple[float, float] = attrs.field(default=(2.0, 10.0), converter=_span)
    greeting_seconds: tuple[float, float] = attrs.field(default=(3.0, 15.0), converter=_span)
    hello_seconds: tuple[float, float] = attrs.field(default=(0.4, 1.2), converter=_span)
    message_seconds: float = 20.0

    def draw(self, rng: random.Random) -> OutsideRule:
        """What the party of one call does."""
        if rng.random() >= self.answer_share:
            return OutsideRule(pattern=self.pattern, behaviour=OutsideBehaviour.NO_ANSWER)
        after = rng.uniform(*self.answer_after)
        if rng.random() < self.machine_share:
            greeting = rng.uniform(*self.greeting_seconds)
            return OutsideRule(
                pattern=self.pattern,
                answer_after=after,
                machine=True,
                greeting_seconds=greeting,
                hangup_after=greeting + self.message_seconds,
            )
        return OutsideRule(
            pattern=self.pattern,
            answer_after=after,
            greeting_seconds=rng.uniform(*self.hello_seconds),
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
    #: Crowds of outside parties who answer by chance (checked after fax machines).
    callees: tuple[Callees, ...] = ()
    #: Seed of the crowds' draws (the same seed, the same day).
    callee_seed: int = 0

    def fax_machine(self, number: str) -> FaxMachine | None:
        for machine in self.fax_machines:
            if machine.pattern.fullmatch(number):
                return machine
        return None

    def behaviour_for(self, number: str, rng: random.Random | None = None) -> OutsideRule:
        """What the party at ``number`` does on this call (``rng`` draws for ``callees``)."""
        machine = self.fax_machine(number)
        if machine is not None:
            return OutsideRule(
                pattern=machine.pattern,
                behaviour=machine.behaviour,
                answer_after=machine.answer_after,
            )
        for crowd in self.callees:
            if rng is not None and crowd.pattern.fullmatch(number):
                return crowd.draw(rng)
        for rule in self.outside:
            if rule.pattern.fullmatch(number):
                return rule
        return OutsideRule(pattern=".*")
