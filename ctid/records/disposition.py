"""How a call ended, in one word: its disposition. Pure.

The rules, first match wins (docs/records.md has the table):

1. ``conferenced`` / ``transferred``: the call was joined with another or
   handed on (a consultation call merged into the customer's call gets the
   same word, and ``merged_into``).
2. ``answered``: a person answered (an agent, a phone, an outside party), or
   the caller was served by the IVR itself (IVR exit ``selfService``). An IVR
   or queue answering to play prompts is not a person.
3. ``abandonedWhileRinging``: the caller hung up while a phone was ringing
   with the call.
4. ``abandonedInQueue``: the call waited in a queue and nobody answered.
5. ``abandonedInIvr``: the call was in an IVR flow and went no further.
6. ``busy`` / ``noAnswer`` / ``failed``: the call could not reach its
   destination, by the CSTA cause of the last failure.
7. ``failed``: anything else that was never answered (a phone lifted and
   put down without dialling, a destination that does not exist).

``interrupted`` is given only by the start-up sweep, to calls that were in
progress when the daemon died.
"""

from __future__ import annotations

import enum

import attrs

__all__ = ["CallOutcome", "Disposition", "disposition"]


class Disposition(enum.Enum):
    ANSWERED = "answered"
    ABANDONED_IN_IVR = "abandonedInIvr"
    ABANDONED_IN_QUEUE = "abandonedInQueue"
    ABANDONED_WHILE_RINGING = "abandonedWhileRinging"
    BUSY = "busy"
    NO_ANSWER = "noAnswer"
    FAILED = "failed"
    TRANSFERRED = "transferred"
    CONFERENCED = "conferenced"
    INTERRUPTED = "interrupted"


#: CSTA causes of a failed connection and the disposition they give.
_FAILURES = {
    "busy": Disposition.BUSY,
    "noAnswer": Disposition.NO_ANSWER,
}


@attrs.frozen(kw_only=True)
class CallOutcome:
    """What the disposition depends on, gathered from the call's events and facts."""

    person_answered: bool
    transferred: bool = False
    conferenced: bool = False
    #: The caller left while a phone rang with the call.
    abandoned_while_ringing: bool = False
    #: Facts: the call entered a queue; how the queue let it go.
    queued: bool = False
    queue_outcome: str | None = None
    #: Facts: an agent was named as answering it.
    agent: bool = False
    #: Facts: the call was in an IVR flow; how it left.
    ivr: bool = False
    ivr_exit: str | None = None
    #: The CSTA cause of the last connection the call failed to reach.
    failure_cause: str | None = None
    #: Facts: when an agent's phone started ringing with it (fact-only scenarios).
    ringing_fact: bool = False


def disposition(outcome: CallOutcome) -> Disposition:
    """The disposition of a call that ended normally; see the module docstring."""
    if outcome.conferenced:
        return Disposition.CONFERENCED
    if outcome.transferred:
        return Disposition.TRANSFERRED
    if outcome.person_answered or outcome.ivr_exit == "selfService":
        return Disposition.ANSWERED
    if outcome.queue_outcome == "answered" or outcome.agent:
        # The ACD says an agent took it even though no answer was seen (a
        # driver that reports answers late): trust the service that routed it.
        return Disposition.ANSWERED
    if outcome.abandoned_while_ringing:
        return Disposition.ABANDONED_WHILE_RINGING
    if outcome.queued:
        if outcome.ringing_fact and outcome.queue_outcome in (None, "abandoned"):
            return Disposition.ABANDONED_WHILE_RINGING
        return Disposition.ABANDONED_IN_QUEUE
    if outcome.ivr:
        return Disposition.ABANDONED_IN_IVR
    if outcome.failure_cause is not None:
        return _FAILURES.get(outcome.failure_cause, Disposition.FAILED)
    return Disposition.FAILED
