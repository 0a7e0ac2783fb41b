"""Click-to-dial from a script: make a phone call a number and follow the call.

python click_to_dial.py ws://127.0.0.1:8765/v1 TOKEN 1001 1002
"""

from __future__ import annotations

import sys

from ctid_client import Event
from ctid_client.sync import Client


def main(argv: list[str]) -> int:
    url, token, phone, number = argv
    with Client(url, token=token) as ctid, ctid.events() as events:
        ctid.monitor_start(phone)
        call = ctid.make_call(phone, number, auto_originate="doNotPrompt")
        print(f"{phone} is calling {number} (call {call.call_id})")
        while True:
            event = events.next_event(timeout=30)
            if isinstance(event, Event):
                print(f"  {event.seq}: {event.name}")
                if event.name == "DeliveredEvent":
                    return 0  # it rings at the far end: done
                if event.name in ("FailedEvent", "CallClearedEvent"):
                    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
