"""Every campaign call's record carries its attempt's outcome (issue 12).

The dialler notes an attempt's outcome in the call's fact ``campaign_outcome`` (the
call record's column of that name) as it hears of it: ``answered``, ``machine`` and
``abandoned`` from the connector, ``busy``/``noAnswer``/``invalidNumber``/``failed`` from
the call's ``FailedEvent``. But a call that fails in the switch step that ends it (a busy
number, a number that does not exist) is over, and its record taken from its facts,
before the dialler's event sink hears of the failure. So the call model's ending hook
below writes the outcome the dialler will reach (``attempts.outcome_of`` on the same
facts: answered or not, the cause of the call's last ``FailedEvent``) when none is noted
yet. It only reads the model (the events not yet drained are part of it) and writes
``Call.facts``, as ``CallModel.ending_hooks`` asks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..calls.events import FailedEvent
from .attempts import outcome_of
from .dispositions import FACT_CAMPAIGN, FACT_CAMPAIGN_OUTCOME

if TYPE_CHECKING:
    from ..calls.model import CallModel
    from ..calls.objects import Call

__all__ = ["install_outcome_hook", "pending_failure", "unnoted_outcome"]


def pending_failure(model: CallModel, call_id: str) -> str | None:
    """The cause of the call's last ``FailedEvent`` still in the model's outbox (None:
    none; one already drained has reached the dialler, which noted the outcome)."""
    cause = None
    for emitted in model.outbox:
        if isinstance(emitted.event, FailedEvent) and call_id in emitted.calls:
            cause = emitted.event.cause.value
    return cause


def unnoted_outcome(model: CallModel, call: Call) -> str | None:
    """The outcome to note on a campaign call that is ending without one; None for a
    call of no campaign or one whose outcome is noted."""
    if not isinstance(call.facts.get(FACT_CAMPAIGN), str):
        return None
    if isinstance(call.facts.get(FACT_CAMPAIGN_OUTCOME), str):
        return None
    return outcome_of(call.answered_at is not None, pending_failure(model, call.call_id))


def install_outcome_hook(model: CallModel) -> None:
    """Note the outcome of every campaign call that ends without one (module docstring)."""

    def ending(call: Call) -> None:
        outcome = unnoted_outcome(model, call)
        if outcome is not None:
            call.facts[FACT_CAMPAIGN_OUTCOME] = outcome

    model.ending_hooks.append(ending)
