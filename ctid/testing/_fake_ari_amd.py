"""The fake Asterisk's answering-machine detection: app_amd and the ``ctid-amd`` context.

As Asterisk 22 does: ``GET /asterisk/modules/app_amd.so`` answers the module
(404 "Module could not be found in running modules" when it is not loaded);
``POST /channels/{id}/continue`` with a ``label`` looks the label up first (404
"Requested label can not be found" when the context lacks it) and otherwise
sends ``StasisEnd`` and runs the context. There ``AMD()`` listens to the
outside party (``fake.parties``, the simulator's rules by default: ``...263`` is a
machine with a 6 s greeting, everybody else a person who says "Hello?"), with
app_amd's defaults as ``simulator.machines`` models them: a greeting longer than
``greeting`` (1.5 s) is ``MACHINE`` (``LONGGREETING-1500-1500``), reported then;
a person is ``HUMAN`` (``HUMAN-800-800``) once ``afterGreetingSilence`` (0.8 s)
follows their hello. app_amd sets ``AMDSTATUS`` and ``AMDCAUSE``
(``ChannelVarset``) and ``Stasis(ctid,amd,${AMDSTATUS},${AMDCAUSE})`` brings the
channel back (``StasisStart`` with those arguments). Without app_amd the
dialplan cannot run ``AMD()`` and the channel is hung up.
"""

from __future__ import annotations

from typing import Any

from ..switch_drivers.simulator import machines
from . import _fake_ari_fax
from ._fake_ari_objects import _Channel
from ._fake_ari_switch import AriError, AriSwitch

__all__ = ["HANDLERS"]

_MODULES = {"app_amd.so": "Answering Machine Detection Application"}


def _get_module(fake: AriSwitch, path: Any, q: Any, body: Any) -> Any:
    name = path["moduleName"]
    if name not in fake.modules:
        raise AriError(404, "Module could not be found in running modules")
    return {
        "name": name,
        "description": _MODULES.get(name, name),
        "use_count": 0,
        "status": "Running",
        "support_level": "extended",
    }


def _continue(fake: AriSwitch, path: Any, q: Any, body: Any) -> Any:
    context, label = q.get("context", ""), q.get("label")
    if label is not None and (context != fake.amd_context or label != "amd"):
        # resource_channels.c: the label is looked up before the channel moves.
        raise AriError(404, "Requested label can not be found")
    if context != fake.amd_context:
        return _fake_ari_fax.HANDLERS["channels.continueInDialplan"](fake, path, q, body)
    channel = fake.channels.get(path["channelId"])
    if channel is None or channel.dying:
        raise AriError(404, "Channel not found")
    app = channel.stasis_app
    if app is None:
        raise AriError(409, "Channel not in a Stasis application")
    fake.leave_stasis(channel.id)
    channel.dialplan.update(context=context, exten="s", priority=1, app_name="AMD", app_data="")
    if "app_amd.so" not in fake.modules:
        fake.hangup_channel(channel, cause=16, soft=False)  # "No application 'AMD'"
        return None
    _listen(fake, channel, app)
    return None


def _listen(fake: AriSwitch, channel: _Channel, app: str) -> None:
    rule = fake.parties.behaviour_for(channel.party or "")
    if rule.machine and rule.greeting_seconds > machines.GREETING_LIMIT:
        status, cause, after = "MACHINE", "LONGGREETING-1500-1500", machines.GREETING_LIMIT
    else:
        status, cause = "HUMAN", "HUMAN-800-800"
        after = rule.greeting_seconds + machines.AFTER_GREETING_SILENCE
    cid = channel.id

    def verdict() -> None:
        live = fake.channels.get(cid)
        if live is None or live.dying:
            return  # hung up while AMD listened: never back in Stasis
        for name, value in (("AMDSTATUS", status), ("AMDCAUSE", cause)):
            live.variables[name] = value
            fake.emit_channel(live, "ChannelVarset", variable=name, value=value)
        fake.enter_stasis(live, app, ["amd", status, cause])

    fake.later(after, verdict)


HANDLERS = {
    "asterisk.getModule": _get_module,
    "channels.continueInDialplan": _continue,
}
