"""A first session with the demo: a customer calls extension 1002, 1002 answers, then hangs up.

python first_session.py ws://127.0.0.1:8765/v1 TOKEN    (an admin token: it drives the simulator)

It leaves the simulator as it found it (the call ended, every line idle), so it
runs again, as often as you like.
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
        answered = False
        try:
            names.append(show(events.next_event(timeout=5)))  # DeliveredEvent: 1002 rings
            ctid.call("sim.offHook", {"device": "1002"})  # 1002 answers
            answered = True
            names.append(show(events.next_event(timeout=5)))  # EstablishedEvent
        finally:
            # Clean up, even after a failure: 1002 hangs up (or, had it not
            # answered, the caller gives up), and the call ends.
            ctid.call("sim.onHook", {"device": "1002" if answered else "+15550100"})
            while show(events.next_event(timeout=5)) != "CallClearedEvent":
                pass
    return names


if __name__ == "__main__":
    main(sys.argv[1:])
