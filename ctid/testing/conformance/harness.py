"""The harness interface: how the conformance scenarios drive one switch.

A scenario acts on the daemon only through its public API (an
``RpcTestClient``) and on the switch only through a ``SwitchHarness``: the
people and the network around the switch (phones that answer, hang up, press
keys and hold; outside callers; the link between ctid and the switch). A
driver joins the suite by providing one harness class; everything else is
shared.

What every harness must provide:

* ``extensions``: at least four phones. Scenarios use the first four.
* Outside numbers that behave as the constants below say (``ANSWERS`` answers
  within a few seconds, ``BUSY`` is busy, ``NO_ANSWER`` rings for ever,
  ``UNREACHABLE`` does not exist, ``OUT_OF_ORDER`` cannot be reached at all,
  ``MACHINE`` is an answering machine: ``PARTIES`` says who answers), and
  outside callers that can call any extension, or a number ctid serves (a
  queue's), from ``CALLER``-like numbers.
* Phones that stay silent unless told: they do not answer by themselves,
  except when ctid asks for auto-answer (MakeCall ``doNotPrompt``).
"""

from __future__ import annotations

import abc
from typing import ClassVar, Final

import attrs
import trio

from ...switch_drivers.base import SwitchDriver
from ...switch_drivers.simulator.config import (
    DEFAULT_OUTSIDE_RULES,
    OutsideRule,
    SimulatorConfig,
)

__all__ = [
    "ANSWERS",
    "BUSY",
    "CALLER",
    "MACHINE",
    "NO_ANSWER",
    "OUT_OF_ORDER",
    "PARTIES",
    "UNREACHABLE",
    "Hearing",
    "SwitchHarness",
]

#: An outside number that answers a few seconds after it starts ringing.
ANSWERS: Final = "5551234"
#: An outside number that is busy.
BUSY: Final = "5550486"
#: An outside number that rings and is never answered.
NO_ANSWER: Final = "5550480"
#: An outside number that does not exist (the network refuses it).
UNREACHABLE: Final = "5550404"
#: An outside number whose provider does not answer at all (nothing answers SIP at
#: its address): the network fails the call, however long the switch takes to see it.
OUT_OF_ORDER: Final = "5550408"
#: The outside caller of the inbound scenarios.
CALLER: Final = "5550001"
#: An outside number answered by an answering machine whose greeting ends with a
#: beep 3 s after the answer: a machine to Asterisk's ``AMD()`` (a greeting over
#: 1.5 s) and to mod_avmd (a beep within the driver's 4 s) alike.
MACHINE: Final = "5550263"
#: Who answers the outside numbers, person or machine, on every switch of the
#: suite (the simulator's rules, with ``MACHINE`` first).
PARTIES: Final = SimulatorConfig(
    outside=(
        OutsideRule(pattern=MACHINE, machine=True, greeting_seconds=3.0, hangup_after=23.0),
        *DEFAULT_OUTSIDE_RULES,
    )
)


@attrs.frozen
class Hearing:
    """What one party hears of another, as far as the switch can tell."""

    #: The listener hears the speaker.
    hears: bool
    #: The listener hears music on hold.
    music: bool


class SwitchHarness(abc.ABC):
    """One switch, its phones and outside parties, as the scenarios see them.

    One harness serves one scenario: the suite makes a new one for each. A
    ``device`` is an extension or an outside party's number (``CALLER``, or an
    outside number ctid called).
    """

    #: The phones; scenarios use the first four.
    extensions: tuple[str, ...]
    #: The trunk names ctid reports in ``DeliveredEvent.trunk`` for outside parties.
    trunks: ClassVar[frozenset[str]]

    async def start(self, nursery: trio.Nursery) -> None:  # noqa: B027  # optional hook
        """Start the switch itself (a fake server) before the daemon connects to it."""

    @abc.abstractmethod
    def build_driver(self) -> SwitchDriver:
        """The driver under test, connected to this harness's switch once ``run``."""

    # -------------------------------------------------------------- people

    @abc.abstractmethod
    async def answer(self, extension: str) -> None:
        """The phone picks up its ringing call."""

    @abc.abstractmethod
    async def hang_up(self, device: str) -> None:
        """A phone, or an outside party by its number, hangs up.

        Putting down a phone whose call ctid already ended is allowed (and may do
        nothing): users do it, and some phones are left off-hook on a dead line.
        """

    @abc.abstractmethod
    async def dial(self, extension: str, number: str) -> None:
        """The phone goes off-hook and dials ``number`` (the whole number)."""

    @abc.abstractmethod
    async def press_digits(self, device: str, digits: str) -> None:
        """A phone or an outside party in a call presses keys (DTMF)."""

    @abc.abstractmethod
    async def hold(self, extension: str) -> None:
        """The phone's own hold key: it puts its call on hold by itself."""

    @abc.abstractmethod
    async def unhold(self, extension: str) -> None:
        """The phone's own key takes its call off hold."""

    async def unplug(self, extension: str) -> None:
        """The phone goes away (unplugged, its registration gone): ctid still has the
        extension, but the switch can no longer reach it. Optional: a harness that
        cannot do it raises ``NotImplementedError`` and such scenarios are skipped."""
        raise NotImplementedError(f"{type(self).__name__} cannot unplug a phone")

    @abc.abstractmethod
    async def incoming_call(self, caller: str, called: str) -> None:
        """An outside party ``caller`` dials ``called`` (an extension, or a number ctid
        serves such as a queue's) from outside."""

    # ---------------------------------------------------------------- link

    @abc.abstractmethod
    async def drop_link(self) -> None:
        """The connection between ctid and the switch breaks, and stays broken."""

    @abc.abstractmethod
    async def restore_link(self) -> None:
        """The switch can be reached again; the driver reconnects by itself."""

    # ---------------------------------------------------------- what it knows

    def hears(self, listener: str, speaker: str) -> Hearing | None:
        """Whether ``listener`` hears ``speaker`` now; ``None`` if the switch cannot tell.

        A supervisor hears the agent it supervises and the agent's parties; who
        hears the supervisor depends on the mode (``SupervisionMode``).
        """
        return None

    def digits_heard(self, device: str) -> str | None:
        """The DTMF ``device`` has received from ctid so far; ``None`` if unknown."""
        return None

    def message_waiting(self, extension: str) -> tuple[int, int] | None:
        """The (new, old) message counts phone ``extension`` shows on its message-waiting
        lamp and display, (0, 0) when dark; ``None`` if the switch cannot tell."""
        return None
