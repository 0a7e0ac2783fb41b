"""Screen pop in an asyncio program: show who calls a phone, with the data that came with the call.

python screen_pop.py ws://127.0.0.1:8765/v1 TOKEN 1001
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable

from ctid_client import Client, SessionRestarted


async def show_calls(ctid: Client, phone: str) -> None:
    for call in await ctid.snapshot_device(phone):
        print(f"{phone} is already in call {call.connection.call_id} ({call.local_call_state})")


async def watch(
    url: str,
    token: str,
    phone: str,
    *,
    pops: int | None = None,
    ready: Callable[[], object] = print,
) -> list[str]:
    """Print a line for each call ringing at ``phone``; stop after ``pops`` of them (or never)."""
    shown: list[str] = []
    async with Client(url, token=token) as ctid, ctid.events("DeliveredEvent") as events:
        await ctid.monitor_start(phone)
        await show_calls(ctid, phone)
        ready()
        async for item in events:
            if isinstance(item, SessionRestarted):
                # Events were lost while the client reconnected: look at the phone again.
                await show_calls(ctid, phone)
                continue
            if item["alertingDevice"] != phone:
                continue
            data = dict(item.get("userData") or {})
            line = f"{item['callingDevice']} is calling {phone}" + (f" {data}" if data else "")
            print(line)
            shown.append(line)
            if pops is not None and len(shown) >= pops:
                break
    return shown


if __name__ == "__main__":
    asyncio.run(watch(*sys.argv[1:4]))
