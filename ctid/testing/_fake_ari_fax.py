"""The fake Asterisk's fax: the ARI requests ctid uses for it, and the ``ctid-fax``
dialplan context (docs/fax.md) that runs ``ReceiveFax()``/``SendFax()``.

As Asterisk does: ``POST /channels/{id}/variable`` sets a variable (a
``ChannelVarset`` event); ``POST /channels/{id}/continue`` on a channel in
Stasis sends ``StasisEnd`` and runs the context. There the simulated fax machine
at the other end (the simulator's ``fax_machines`` rules, by the outside
party's number) sends or takes its pages, timed as on the simulator; res_fax
then sets ``FAXSTATUS``, ``FAXERROR``, ``FAXSTATUSSTRING``, ``FAXPAGES``,
``REMOTESTATIONID``, ``FAXBITRATE`` (``set_channel_variables``) and the
context's ``Stasis(ctid,fax,${CTID_FAX_ID})`` brings the channel back
(``StasisStart`` with those arguments). A received fax is written as a real TIFF.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .. import faximage
from ..switch_drivers import t30
from ..switch_drivers.simulator import fax as simfax
from ..switch_drivers.simulator.config import SimulatorConfig
from ._fake_ari_objects import _Channel
from ._fake_ari_switch import AriError, AriSwitch

__all__ = ["FAX_CONTEXT", "HANDLERS"]

FAX_CONTEXT = "ctid-fax"
_MACHINES = SimulatorConfig()


def _channel(fake: AriSwitch, cid: str) -> _Channel:
    channel = fake.channels.get(cid)
    if channel is None or channel.dying:
        raise AriError(404, "Channel not found")
    return channel


def _set_var(fake: AriSwitch, path: Any, q: Any, body: Any) -> Any:
    channel = _channel(fake, path["channelId"])
    name, value = q.get("variable", ""), q.get("value", "")
    channel.variables[name] = value
    fake.emit_channel(channel, "ChannelVarset", variable=name, value=value)
    return None


def _get_var(fake: AriSwitch, path: Any, q: Any, body: Any) -> Any:
    channel = _channel(fake, path["channelId"])
    name = q.get("variable", "")
    if name not in channel.variables:
        raise AriError(404, "Provided variable was not found")
    return {"value": channel.variables[name]}


def _continue(fake: AriSwitch, path: Any, q: Any, body: Any) -> Any:
    channel = _channel(fake, path["channelId"])
    app = channel.stasis_app
    if app is None:
        raise AriError(409, "Channel not in a Stasis application")
    context, extension = q.get("context", ""), q.get("extension", "")
    if context != FAX_CONTEXT or extension not in ("receive", "send"):
        raise AriError(400, f"the fake knows only {FAX_CONTEXT},receive and send")
    fake.leave_stasis(channel.id)
    channel.dialplan.update(context=context, exten=extension, priority=1, app_name="ReceiveFax")
    _run(fake, channel, app, extension)
    return None


def _run(fake: AriSwitch, channel: _Channel, app: str, extension: str) -> None:
    """The context: the transfer, res_fax's variables, back to Stasis."""
    v = channel.variables
    fax_id, file = v.get("CTID_FAX_ID", ""), v.get("CTID_FAX_FILE", "")
    machine = _MACHINES.fax_machine(channel.party or "")
    if extension == "receive":
        sizes: tuple[int, ...] = (simfax.PAGE_BYTES,) * (machine.pages if machine else 0)
    else:
        try:
            sizes = faximage.tiff_info(Path(file)).page_bytes
        except (OSError, faximage.FaxImageError):
            sizes = ()
    rate = _MACHINES.fax_bit_rate
    if machine is None or not sizes:
        code, pages, seconds = (t30.T0_EXPIRED, 0, simfax.T0)
    elif extension == "receive" and not Path(file).parent.is_dir():
        # spandsp opens the TIFF once the machines have met, in a directory it does
        # not make (seen on Asterisk 22.10.1: 41 after the training, pages 0).
        code, pages, seconds = (t30.FILE_ERROR, 0, simfax.PHASE_B)
    else:
        fail = machine.fail_at_page
        done = len(sizes) if fail is None or fail > len(sizes) else fail - 1
        seconds = simfax.PHASE_B + sum(n * 8 / rate + simfax.PAGE_END for n in sizes[: done + 1])
        if done == len(sizes):
            code = t30.OK
        else:
            code = t30.NO_CARRIER if extension == "receive" else t30.TX_PHD_DEAD
        pages = done
    epoch_id = channel.id

    def finish() -> None:
        live = fake.channels.get(epoch_id)
        if live is None or live.dying:
            return  # hung up meanwhile: the h extension, never back in Stasis
        if extension == "receive" and pages:
            out = Path(file)
            texts = [f"Fax from {live.party}, page {n}" for n in range(1, pages + 1)]
            out.write_bytes(faximage.make_fax_tiff(texts))
        ok = code == t30.OK
        # res_fax's set_channel_variables, in its order; on a failure FAXERROR is
        # spandsp's text too (as captured on Asterisk 22.10.1).
        for name, value in (
            ("FAXSTATUS", "SUCCESS" if ok else "FAILED"),
            ("FAXERROR", "" if ok else t30.TEXT[code]),
            ("FAXSTATUSSTRING", t30.TEXT[code]),
            ("REMOTESTATIONID", live.party or "" if machine else ""),
            ("LOCALSTATIONID", v.get("CTID_FAX_STATION", "")),
            ("FAXBITRATE", str(rate) if machine else ""),
            ("FAXRESOLUTION", "8040x7700" if pages else "0x0"),
            ("FAXMODE", "audio"),
            ("FAXPAGES", str(pages)),
        ):
            live.variables[name] = value
            fake.emit_channel(live, "ChannelVarset", variable=name, value=value)
        fake.enter_stasis(live, app, ["fax", fax_id])

    fake.later(seconds, finish)


HANDLERS = {
    "channels.setChannelVar": _set_var,
    "channels.getChannelVar": _get_var,
    "channels.continueInDialplan": _continue,
}
