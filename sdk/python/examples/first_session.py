"""A first session with the demo: a customer calls extension 1002, and 1002 answers.

python first_session.py ws://127.0.0.1:8765/v1 TOKEN    (an admin token: it drives the simulator)
"""

from __future__ import annotations

import sys

from ctid_client import Event, SessionRestarted
from ctid_client.sync import Client


def show(event: Event | SessionRestarted) -> str:
    print(event)
    return event.name if isinstance(event, Event) else "SessionRestarted"


def main(argv: list[str]) -> list[str]:
    url, token = argv
    names = []
    with Client(url, token=token) as ctid, ctid.events() as events:
        ctid.monitor_start("1002")
        ctid.call("sim.incomingCall", {"callingNumber": "+15550100", "calledNumber": "1002"})
        names.append(show(events.next_event(timeout=5)))  # DeliveredEvent: 1002 rings
        ctid.call("sim.offHook", {"device": "1002"})  # 1002 answers
        names.append(show(events.next_event(timeout=5)))  # EstablishedEvent
    return names


if __name__ == "__main__":
    main(sys.argv[1:])
