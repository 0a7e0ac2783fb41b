"""Voicemail through the SDK against a real ctid (the simulator in a thread, real time):
a caller leaves a message for the sales mailbox; the client is told, lists, reads, marks
it heard and deletes it, with typed values checked field by field."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
from ctid_client import Mailbox, VoicemailEvent, VoicemailMessage

from .helpers import DEADLINE, client, next_event
from .server import ServerThread


@pytest.fixture
def voicemail_server(tmp_path: Path) -> Iterator[ServerThread]:
    overrides = {
        "server": {"state_dir": str(tmp_path)},
        "records": {"enabled": True},
        "ivr": {"tts": "silent", "timezone": "UTC", "queues": {"sales": "1001"}},
        "routing": {
            "rules": [{"name": "vm", "dnis": ["4009"], "destination": {"voicemail": "queue:sales"}}]
        },
    }
    with ServerThread(overrides) as running:
        yield running


async def test_a_message_is_told_listed_heard_and_deleted(
    voicemail_server: ServerThread,
) -> None:
    with anyio.fail_after(DEADLINE):
        async with client(voicemail_server) as ctid, ctid.events() as events:
            await ctid.monitor_start(mailbox="queue:sales")
            call_id = await ctid.sim_incoming_call("+15550100", "4009")
            await ctid.associate_data(call_id, user_data={"ticket": "T-9"})
            await anyio.sleep(0.3)  # real time: the caller speaks a little
            await ctid.sim_press_digits("+15550100", "#")
            new = VoicemailEvent.from_event(await next_event(events, "voicemail.new"))
            assert (new.name, new.mailbox, new.caller, new.called) == (
                "voicemail.new",
                "queue:sales",
                "+15550100",
                "4009",
            )
            assert (new.new_messages, new.old_messages, new.change) == (1, 0, None)
            assert dict(new.user_data) == {"ticket": "T-9"}

            box = await ctid.voicemail_list("queue:sales")
            assert isinstance(box, Mailbox)
            assert (box.mailbox, box.new_messages, box.old_messages) == ("queue:sales", 1, 0)
            (message,) = box.messages
            assert isinstance(message, VoicemailMessage)
            assert message.message_id == new.message_id
            assert (message.call_id, message.heard, message.deleted) == (call_id, False, False)
            assert message.download == f"/recordings/download?id={new.message_id}"
            assert message.duration is not None
            assert message.duration > 0
            assert await ctid.voicemail_get(new.message_id) == message

            await ctid.voicemail_mark_heard(new.message_id)
            heard = VoicemailEvent.from_event(await next_event(events, "voicemail.changed"))
            assert (heard.change, heard.new_messages, heard.old_messages) == ("heard", 0, 1)
            assert (await ctid.voicemail_list("queue:sales", unheard_only=True)).messages == ()
            await ctid.voicemail_delete(new.message_id)
            deleted = VoicemailEvent.from_event(await next_event(events, "voicemail.changed"))
            assert (deleted.change, deleted.new_messages, deleted.old_messages) == (
                "deleted",
                0,
                0,
            )
            assert (await ctid.voicemail_get(new.message_id)).deleted is True
