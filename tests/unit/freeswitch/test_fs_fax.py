"""mod_spandsp's fax events, as mod_spandsp_fax.c fires them, mapped to ctid's fax events."""

from __future__ import annotations

from pathlib import Path

from ctid.switch_drivers.base import FaxFinished, FaxProgress
from ctid.switch_drivers.freeswitch.bridges import BridgeBook
from ctid.switch_drivers.freeswitch.endpoints import EndpointConfig
from ctid.switch_drivers.freeswitch.fax import fax_variables
from ctid.switch_drivers.freeswitch.frames import EslEvent
from ctid.switch_drivers.freeswitch.mapping import SUBSCRIBED_CUSTOM, EventMapper

UUID = "0c5a36d2-8b49-4b8e-9d9a-3f7e1c2d4b01"


def spandsp(subclass: str, **fax: str) -> EslEvent:
    """A CUSTOM event with the channel's data (``switch_channel_event_set_data``) first,
    then mod_spandsp's own headers, lower case as it adds them."""
    headers = {
        "Event-Name": "CUSTOM",
        "Event-Subclass": subclass,
        "Core-UUID": "5b1a2c3d-0000-4000-8000-000000000001",
        "Event-Calling-File": "mod_spandsp_fax.c",
        "Unique-ID": UUID,
        "Channel-Name": "sofia/external/5551113290@192.0.2.7",
        "Caller-Caller-ID-Number": "5551113290",
        "variable_ctid_fax_id": "t-fx7",
        "variable_ctid_fax_file": "/var/lib/ctid/faxes/in/2027/01/15/t-fx7.tif",
        "uuid": UUID,
        **{k.replace("_", "-"): v for k, v in fax.items()},
    }
    return EslEvent(headers=headers)


def test_the_driver_subscribes_to_the_spandsp_events() -> None:
    for name in ("rxfaxresult", "txfaxresult", "rxfaxpageresult", "txfaxpageresult"):
        assert f"spandsp::{name}" in SUBSCRIBED_CUSTOM


def test_pages_then_the_result_of_a_received_fax() -> None:
    m = EventMapper(EndpointConfig(), BridgeBook())
    page = spandsp(
        "spandsp::rxfaxpageresult",
        fax_document_transferred_pages="2",
        fax_image_resolution="8031x7700",
        fax_bad_rows="0",
    )
    assert m.feed(page) == [FaxProgress(fax_id="t-fx7", pages=2)]
    result = spandsp(
        "spandsp::rxfaxresult",
        fax_success="1",
        fax_result_code="0",
        fax_result_text="OK",
        fax_document_transferred_pages="3",
        fax_document_total_pages="3",
        fax_image_resolution="8031x7700",
        fax_image_size="31520",
        fax_bad_rows="0",
        fax_transfer_rate="9600",
        fax_ecm_used="on",
        fax_local_station_id="ctid",
        fax_remote_station_id="+1 555 111 3290",
    )
    assert m.feed(result) == [
        FaxFinished(
            fax_id="t-fx7",
            success=True,
            pages=3,
            result_code=0,
            result_text="OK",
            path="/var/lib/ctid/faxes/in/2027/01/15/t-fx7.tif",
            remote_station_id="+1 555 111 3290",
            bit_rate=9600,
        )
    ]


def test_a_failed_send_has_the_t30_code_and_text_and_no_file() -> None:
    m = EventMapper(EndpointConfig(), BridgeBook())
    result = spandsp(
        "spandsp::txfaxresult",
        fax_success="0",
        fax_result_code="21",
        fax_result_text="No response after sending a page",
        fax_document_transferred_pages="1",
        fax_document_total_pages="3",
        fax_transfer_rate="9600",
        fax_remote_station_id="",
    )
    (finished,) = m.feed(result)
    assert finished == FaxFinished(
        fax_id="t-fx7",
        success=False,
        pages=1,
        result_code=21,
        result_text="No response after sending a page",
        path=None,
        remote_station_id="",
        bit_rate=9600,
    )


def test_faxes_ctid_did_not_start_are_ignored() -> None:
    m = EventMapper(EndpointConfig(), BridgeBook())
    event = spandsp("spandsp::rxfaxresult", fax_success="1")
    headers = {k: v for k, v in event.headers.items() if k != "variable_ctid_fax_id"}
    assert m.feed(EslEvent(headers=headers)) == []


def test_the_variables_set_before_rxfax_and_txfax() -> None:
    assert fax_variables("t-fx1", "/f.tif") == {"ctid_fax_id": "t-fx1", "ctid_fax_file": "/f.tif"}
    assert fax_variables("t-fx1", "/f.tif", station_id="+1 555", header="ACME") == {
        "ctid_fax_id": "t-fx1",
        "ctid_fax_file": "/f.tif",
        "fax_ident": "+1 555",
        "fax_header": "ACME",
    }


def test_the_lab_freeswitchs_own_fax_events() -> None:
    """Real frames (tests/fixtures/esl/lab-fax-events.txt): FreeSWITCH 1.10.12 with
    mod_spandsp (spandsp 3.0.0), 2026-12-07, a socket subscribed with ``event plain
    CUSTOM spandsp::...``. ctid received a 3-page fax on its fax number (``3m9r038-fx2``,
    sent by a loopback leg running txfax) and sent one with fax.send (``3m9r038-fx4``,
    taken by a loopback leg running rxfax); the lab's own legs' events carry no
    ``ctid_fax_id`` and are ignored. Pages come one by one, then phase E."""
    from ctid.switch_drivers.freeswitch.frames import parse_event_plain
    from ctid.switch_drivers.freeswitch.framing import FrameReader

    raw = Path(__file__).resolve().parents[2] / "fixtures" / "esl" / "lab-fax-events.txt"
    reader = FrameReader()
    reader.feed(raw.read_bytes())
    m = EventMapper(EndpointConfig(), BridgeBook())
    out = []
    while (frame := reader.next_frame()) is not None:
        if frame.get("Content-Type") == "text/event-plain":
            out.extend(m.feed(parse_event_plain(frame.body)))
    progress = [(o.fax_id, o.pages) for o in out if isinstance(o, FaxProgress)]
    assert progress == [
        ("3m9r038-fx2", 1),
        ("3m9r038-fx2", 2),
        ("3m9r038-fx2", 3),
        ("3m9r038-fx4", 1),
        ("3m9r038-fx4", 2),
        ("3m9r038-fx4", 3),
    ]
    finished = [o for o in out if isinstance(o, FaxFinished)]
    assert [(f.fax_id, f.success, f.pages, f.result_code, f.result_text) for f in finished] == [
        ("3m9r038-fx2", True, 3, 0, "OK"),
        ("3m9r038-fx4", True, 3, 0, "OK"),
    ]
    assert [(f.remote_station_id, f.bit_rate) for f in finished] == [
        ("5551234", 14400),
        ("5557777", 14400),
    ]
    assert finished[0].path is not None and finished[0].path.endswith("3m9r038-fx2.tif")
    assert finished[1].path is None


def test_the_fax_tone_from_spandsp_start_fax_detect() -> None:
    from ctid.switch_drivers.base import FaxToneDetected
    from ctid.switch_drivers.freeswitch.fax import detect_argument, tone_events

    # mod_spandsp.c: "<app> <arg> [timeout] [cng|ced]"; the application is required.
    assert detect_argument(10) == "set ctid_fax_tone=true 10 cng"
    assert detect_argument(0.2) == "set ctid_fax_tone=true 1 cng"
    heard = EslEvent(
        headers={"Event-Name": "DETECTED_TONE", "Unique-ID": "u1", "Detected-Fax-Tone": "true"}
    )
    assert tone_events(heard) == [FaxToneDetected(channel_id="u1")]
    other = EslEvent(
        headers={"Event-Name": "DETECTED_TONE", "Unique-ID": "u1", "Detected-Tone": "busy"}
    )
    assert tone_events(other) == []


def test_after_a_restart_channels_in_rxfax_or_txfax_are_asked_whether_theirs() -> None:
    """A restarted ctid does not know its fax channels; ``show channels`` has no
    variables, so the driver asks each one in rxfax/txfax for ``ctid_fax_id``."""
    m = EventMapper(EndpointConfig(), BridgeBook())
    rows = [
        {"uuid": "a", "application": "rxfax", "direction": "inbound"},
        {"uuid": "b", "application": "txfax", "direction": "outbound"},
        {"uuid": "c", "application": "park", "direction": "inbound"},
        {"uuid": "", "application": "rxfax"},
    ]
    assert m.fax_legs(rows) == ["a", "b"]
