"""Helpers for the IVR tests: flows from dicts, and a runner that drives a FlowRun by hand."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from ctid.ivr import engine as E
from ctid.ivr.flow import Flow
from ctid.ivr.load import KnownNames, load_flow_text

QUEUES = frozenset({"sales", "support"})
KNOWN = KnownNames(queue_exists=QUEUES.__contains__, databases=frozenset({"crm"}))
#: Friday 15 January 2027, 09:30:05 local time.
NOW = dt.datetime(2027, 1, 15, 9, 30, 5)


def make_flow(doc: dict[str, Any], *, known: KnownNames = KNOWN) -> Flow:
    return load_flow_text(json.dumps(doc), fmt="json", file="test.json", name="test", known=known)


class Driver:
    """A FlowRun and everything it asked for so far."""

    def __init__(self, doc: dict[str, Any], *, user_data: dict[str, Any] | None = None) -> None:
        self.flow = make_flow(doc)
        self.user_data = user_data if user_data is not None else {}
        self.run = E.FlowRun(
            self.flow,
            E.CallInfo(call_id="c1", ani="+8613800138000", dnis="4008001234"),
            local_now=lambda: NOW,
            user_data=lambda: self.user_data,
        )
        self.actions: list[E.Action] = []

    def feed(self, event: E.Event) -> list[E.Action]:
        out = self.run.feed(event)
        self.actions += out
        for action in out:
            if isinstance(action, E.SetUserData):
                self.user_data.update(action.values)
        return out

    def start(self) -> list[E.Action]:
        return self.feed(E.Start())

    def last(self, kind: type[Any]) -> Any:
        for action in reversed(self.actions):
            if isinstance(action, kind):
                return action
        raise AssertionError(f"no {kind.__name__} in {self.actions}")

    def all(self, kind: type[Any]) -> list[Any]:
        return [a for a in self.actions if isinstance(a, kind)]

    def finish_play(self, reason: str = "done") -> list[E.Action]:
        return self.feed(E.PlayFinished(token=self.last(E.PlayPrompt).token, reason=reason))

    def press(self, digits: str) -> list[E.Action]:
        out = []
        for d in digits:
            out += self.feed(E.DigitPressed(digit=d))
        return out

    def time_out(self) -> list[E.Action]:
        return self.feed(E.TimerFired(token=self.last(E.StartTimer).token))

    def spoken(self) -> str:
        items = self.last(E.PlayPrompt).items
        return " | ".join(i.text for i in items if isinstance(i, E.SpeakText))

    @property
    def finished(self) -> E.Finished | None:
        done = self.all(E.Finished)
        return done[0] if done else None


def tts(en: str, zh: str | None = None) -> dict[str, Any]:
    return {"tts": en if zh is None else {"en": en, "zh": zh}}
