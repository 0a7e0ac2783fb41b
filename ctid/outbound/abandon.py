"""Answered campaign calls: machines, persons, and the 2-second abandon rule.

When the callee answers, a campaign with ``amd`` waits for the switch's verdict
(``AnswerClassified``): a machine is hung up (outcome ``machine``); a person, or
``unknown`` (taken as a person: the safe side of the abandon rule), waits for an
agent. With AMD off every answer is a person, machines too.

A person is handed to the campaign's queue (ahead of inbound callers) as soon as
one of its agents is ready and not already promised to another handed call. One
whose 2 seconds run out first is *abandoned*: the campaign's ``abandon_message``
is played (a prompt on the switch) and the call is hung up, outcome ``abandoned``
in the attempt and the fact ``campaign_outcome`` in the call record. The seconds
count from the moment the call is known to be a person: the answer, or the AMD
verdict, which comes at the end of the callee's greeting (as the FTC's rule and
Ofcom's count them: from the end of the greeting).

Nothing here blocks: the dialler's ``_watch`` task calls ``check`` at each deadline
and whenever an agent may have become ready.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final, Protocol

import attrs

from .campaign_config import CampaignSpec
from .pacer import Pacer

__all__ = ["ABANDON_SECONDS", "OUTCOME_FACT", "Answered", "Connector", "Handing"]

#: Seconds a person may wait for an agent before the call is abandoned.
ABANDON_SECONDS: Final = 2.0
#: Seconds after the answer that AMD may take (Asterisk ``AMD()``'s ``totalAnalysisTime``);
#: a switch that says nothing by then (one without AMD) leaves the call ``unknown``.
AMD_SECONDS: Final = 5.0
#: The call's fact (kept in its call record) with the attempt's outcome.
OUTCOME_FACT: Final = "campaign_outcome"


class Handing(Protocol):
    """What the connector needs of the calls and the ACD."""

    def to_queue(self, call_id: str, number: str, priority: int) -> None: ...

    def play(self, call_id: str, media: list[str]) -> str: ...

    def hang_up(self, call_id: str) -> None: ...

    def set_fact(self, call_id: str, key: str, value: Any) -> None: ...

    def free_agents(self, queue: str) -> int: ...

    def offered(self, call_id: str) -> bool:
        """Whether the ACD has offered the call to an agent (who is then no longer ready)."""
        ...

    def queue_number(self, queue: str) -> str | None: ...


@attrs.define
class Answered:
    """An answered attempt, from the answer until it is handed, abandoned or hung up."""

    call_id: str
    spec: CampaignSpec
    dialled_at: float
    answered_at: float
    #: When the call became a person (None: AMD has not said yet).
    person_at: float | None = None
    #: Set once the attempt's outcome is decided here (``machine``, ``abandoned``).
    outcome: str | None = None
    handed: bool = False


#: ANSWERED_PRIORITY of the dialler: a live person is waiting.
PRIORITY: Final = 1000


class Connector:
    """The answered calls of every campaign; see the module docstring."""

    def __init__(self, port: Handing, pacers: Mapping[str, Pacer], now: Callable[[], float]):
        self._port = port
        self._pacers = pacers
        self._now = now
        #: Call id -> its answered attempt (until the call ends).
        self.answered: dict[str, Answered] = {}
        #: Persons waiting for an agent, oldest first: call id -> deadline.
        self.waiting: dict[str, float] = {}
        #: Answers AMD is listening to: call id -> when it is taken as ``unknown``.
        self.detecting: dict[str, float] = {}
        #: Handed calls no agent has been offered yet: call id -> queue.
        self.promised: dict[str, str] = {}
        #: Abandon message playback id -> call id.
        self._playing: dict[str, str] = {}

    def needing(self, campaign: str) -> int:
        """The campaign's answered calls that may still need an agent: AMD listening,
        or a person waiting."""
        # Those are the calls AMD listens to (``detecting``: no person yet, no outcome)
        # and the persons waiting (``waiting``: no outcome yet), a handful, where the
        # answered calls are every call up; a pacing round asks this each time.
        answered = self.answered
        return sum(
            1
            for call_id in (*self.detecting, *self.waiting)
            if answered[call_id].spec.name == campaign
        )

    def next_deadline(self) -> float | None:
        return min([*self.waiting.values(), *self.detecting.values()], default=None)

    # --------------------------------------------------------------- facts in

    def on_answer(self, call_id: str, spec: CampaignSpec, dialled_at: float) -> None:
        now = self._now()
        answered = Answered(call_id=call_id, spec=spec, dialled_at=dialled_at, answered_at=now)
        self.answered[call_id] = answered
        if spec.amd:
            self.detecting[call_id] = now + AMD_SECONDS
        else:
            self._person(answered, now)
            self.check()

    def on_classified(self, call_id: str, answered_by: str) -> None:
        answered = self.answered.get(call_id)
        if answered is None or answered.person_at is not None or answered.outcome is not None:
            return
        self.detecting.pop(call_id, None)
        if answered_by == "machine":
            answered.outcome = "machine"
            self._port.set_fact(call_id, OUTCOME_FACT, "machine")
            self._port.hang_up(call_id)
            return
        self._person(answered, self._now())
        self.check()

    def on_offered(self, call_id: str) -> None:
        """An agent's phone was offered the handed call: it is theirs now."""
        self.promised.pop(call_id, None)

    def on_playback_done(self, playback_id: str) -> None:
        call_id = self._playing.pop(playback_id, None)
        if call_id is not None and call_id in self.answered:
            self._port.hang_up(call_id)

    def on_ended(self, call_id: str) -> Answered | None:
        """The call is over: what became of its answer (None: never answered)."""
        self.waiting.pop(call_id, None)
        self.detecting.pop(call_id, None)
        self.promised.pop(call_id, None)
        for playback_id, playing in list(self._playing.items()):
            if playing == call_id:
                del self._playing[playback_id]
        return self.answered.pop(call_id, None)

    # ------------------------------------------------------------- decisions

    def _person(self, answered: Answered, now: float) -> None:
        answered.person_at = now
        pacer = self._pacers.get(answered.spec.name)
        if pacer is not None:
            pacer.person(now - answered.dialled_at)
        self.waiting[answered.call_id] = now + ABANDON_SECONDS

    def capacity(self, queue: str) -> int:
        """Ready agents of ``queue`` not promised to a handed call yet."""
        # A handed call the ACD has offered holds its agent, who is no longer ready: not
        # counted twice while the phone is still to ring (on the lab's FreeSWITCH an
        # agent's phone that never rang held a second person back until abandoned).
        promised = sum(
            1
            for call_id, q in self.promised.items()
            if q == queue and not self._port.offered(call_id)
        )
        return self._port.free_agents(queue) - promised

    def check(self) -> None:
        """Hand waiting persons to ready agents; abandon those whose time is up."""
        now = self._now()
        for call_id, deadline in list(self.detecting.items()):
            if now >= deadline:  # the switch said nothing: a person, to be safe
                del self.detecting[call_id]
                self._person(self.answered[call_id], now)
        for call_id, deadline in list(self.waiting.items()):
            answered = self.answered[call_id]
            queue = answered.spec.queue
            number = self._port.queue_number(queue)
            if number is not None and self.capacity(queue) > 0:
                del self.waiting[call_id]
                self._hand(answered, number)
            elif now >= deadline:
                del self.waiting[call_id]
                self._abandon(answered)

    def _hand(self, answered: Answered, number: str) -> None:
        answered.handed = True
        self.promised[answered.call_id] = answered.spec.queue
        self._port.set_fact(answered.call_id, OUTCOME_FACT, "answered")
        pacer = self._pacers.get(answered.spec.name)
        if pacer is not None:
            pacer.connected()
        self._port.to_queue(answered.call_id, number, PRIORITY + answered.spec.priority)

    def _abandon(self, answered: Answered) -> None:
        answered.outcome = "abandoned"
        call_id = answered.call_id
        self._port.set_fact(call_id, OUTCOME_FACT, "abandoned")
        pacer = self._pacers.get(answered.spec.name)
        if pacer is not None:
            pacer.abandoned()
        message = answered.spec.abandon_message
        if message is None:
            self._port.hang_up(call_id)
            return
        self._playing[self._port.play(call_id, [message])] = call_id
