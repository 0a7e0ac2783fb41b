"""The fake Asterisk's message-waiting lamps: ARI ``/mailboxes`` and PJSIP ``mailboxes``.

As Asterisk 22 does it (res/ari/resource_mailboxes.c, res/res_mwi_external.c,
res/res_pjsip_mwi.c): ``PUT /mailboxes/{name}?oldMessages=&newMessages=`` creates
or updates an external MWI mailbox and answers 204; ``GET`` answers the
``Mailbox`` model or 404 "Mailbox is does not exist" (sic); ``DELETE`` clears it
(404 "Mailbox does not exist" when unknown). A phone's PJSIP endpoint lists the
mailboxes its lamp shows (``FakePhone.mailboxes``, ``1001@ctid`` by default, as
``mailboxes = 1001@ctid`` in pjsip.conf): the lamp shows the sum of their counts
and is lit while any new message waits. With ``AriSwitch.mwi_loaded`` False the
modules are not loaded and every ``/mailboxes`` request is 404 "Resource not found"
(res_ari.c), which is what a switch without ``res_mwi_external`` answers.
"""

from __future__ import annotations

from typing import Any, Final

from ._fake_ari_objects import JSON
from ._fake_ari_switch import AriError, AriSwitch

__all__ = ["HANDLERS", "lamp"]


def lamp(fake: AriSwitch, extension: str) -> tuple[int, int]:
    """The (new, old) counts phone ``extension`` shows: its mailboxes added up."""
    phone = fake.phones[extension]
    new = old = 0
    for name in phone.mailboxes:
        n, o = fake.mailboxes.get(name, (0, 0))
        new += n
        old += o
    return new, old


def _loaded(fake: AriSwitch) -> None:
    if not fake.mwi_loaded:
        raise AriError(404, "Resource not found")


def _json(name: str, counts: tuple[int, int]) -> JSON:
    return {"name": name, "old_messages": counts[1], "new_messages": counts[0]}


def _list(fake: AriSwitch, path: Any, q: Any, body: Any) -> Any:
    _loaded(fake)
    return [_json(name, counts) for name, counts in sorted(fake.mailboxes.items())]


def _get(fake: AriSwitch, path: Any, q: Any, body: Any) -> Any:
    _loaded(fake)
    name = path["mailboxName"]
    if name not in fake.mailboxes:
        raise AriError(404, "Mailbox is does not exist")
    return _json(name, fake.mailboxes[name])


def _update(fake: AriSwitch, path: Any, q: Any, body: Any) -> Any:
    _loaded(fake)
    # The counts are unsigned in res_mwi_external; the schema already checked "int".
    fake.mailboxes[path["mailboxName"]] = (int(q["newMessages"]), int(q["oldMessages"]))


def _delete(fake: AriSwitch, path: Any, q: Any, body: Any) -> Any:
    _loaded(fake)
    if fake.mailboxes.pop(path["mailboxName"], None) is None:
        raise AriError(404, "Mailbox does not exist")


HANDLERS: Final = {
    "mailboxes.list": _list,
    "mailboxes.get": _get,
    "mailboxes.update": _update,
    "mailboxes.delete": _delete,
}
