"""A stored call record as the protocol shows it: one shape for ``records.get``,
``records.search`` and the ``record.callClosed`` event; and a recording's, for
``recording.get``, ``recording.search`` and the ``recording.available`` event (the
records' announcer publishes it, and the recording service sits above the records).

The input is the ``calls`` row as a mapping (column names as keys, times as
aware datetimes, as SQLAlchemy reads them) with one more key, ``legs``: the
call's ``call_legs`` rows in ``seq`` order. Columns another migration adds
later (``campaign``, ``fax_id``) are read with ``get`` so the shape does not depend on them
being there: absent, they are ``null``.

A campaign's call shows its campaign, the list record it dialled
(``campaignRecord``), how the attempt ended (``campaignOutcome``), the answering
machine detection's verdict (``amd``: the call's fact ``answeredBy``) and the agent's
code (``agentDisposition``); other calls have ``null`` there. Every campaign call ends
with its ``campaign_outcome`` fact (``ctid.outbound.outcome_hook``: one that fails in the
switch step that ends it too). A record written before that (or left by a run that
died) may lack the column: its outcome is read from the record's own ``disposition``
then, by the rule ``report.campaign`` and the dialler's recovery use
(``ctid.outbound.attempts.outcome_of``; a test keeps the two the same).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Final

from ..clock import format_iso

__all__ = ["OUTCOME_OF_DISPOSITION", "campaign_outcome", "record_to_wire", "recording_to_wire"]


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else format_iso(value.timestamp())


def _leg(leg: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "device": leg["device"],
        "kind": leg["kind"],
        "trunk": leg["trunk"],
        "joinedAt": _iso(leg["joined_at"]),
        "answeredAt": _iso(leg["answered_at"]),
        "endedAt": _iso(leg["ended_at"]),
        "holdSeconds": leg["hold_seconds"],
        "endCause": leg["end_cause"],
        "failed": bool(leg["failed"]),
    }


#: The verdicts of answering-machine detection (``switch_drivers.amd.AnsweredBy``).
_AMD_VERDICTS = frozenset({"human", "machine", "unknown"})


def _amd(facts: Any) -> str | None:
    """The AMD verdict among the call's facts (``calls.notices.ANSWERED_BY``), or None."""
    verdict = facts.get("answeredBy") if isinstance(facts, Mapping) else None
    return verdict if verdict in _AMD_VERDICTS else None


#: A call record's ``disposition`` -> the attempt's outcome, for a closed campaign call
#: without ``campaign_outcome``; any other disposition is ``failed``.
OUTCOME_OF_DISPOSITION: Final = {"answered": "answered", "busy": "busy", "noAnswer": "noAnswer"}


def campaign_outcome(record: Mapping[str, Any]) -> str | None:
    """How a campaign's attempt ended (see the module docstring); None for other calls
    and for a campaign call still open without an outcome."""
    outcome = record.get("campaign_outcome")
    if outcome is not None or record.get("campaign") is None or record["state"] != "closed":
        return outcome
    return OUTCOME_OF_DISPOSITION.get(record["disposition"] or "", "failed")


def record_to_wire(record: Mapping[str, Any]) -> dict[str, Any]:
    """The protocol dict of one stored call record (see the module docstring)."""
    return {
        "callID": record["call_id"],
        "node": record["node"],
        "state": record["state"],
        "direction": record["direction"],
        "caller": record["caller"],
        "called": record["called"],
        "dnis": record["dnis"],
        "trunk": record["trunk"],
        "queue": record["queue"],
        "queueOutcome": record["queue_outcome"],
        "agentID": record["agent_id"],
        "agentDevice": record["agent_device"],
        "answeredBy": record["answered_by"],
        "campaign": record.get("campaign"),
        "campaignRecord": record.get("campaign_record"),
        "campaignOutcome": campaign_outcome(record),
        "amd": _amd(record.get("facts")),
        "agentDisposition": record.get("agent_disposition"),
        "faxID": record.get("fax_id"),
        "ivrFlow": record["ivr_flow"],
        "ivrExit": record["ivr_exit"],
        "startedAt": _iso(record["started_at"]),
        "answeredAt": _iso(record["answered_at"]),
        "ivrEnteredAt": _iso(record["ivr_entered_at"]),
        "ivrLeftAt": _iso(record["ivr_left_at"]),
        "queueEnteredAt": _iso(record["queue_entered_at"]),
        "queueLeftAt": _iso(record["queue_left_at"]),
        "endedAt": _iso(record["ended_at"]),
        "waitSeconds": record["wait_seconds"],
        "holdSeconds": record["hold_seconds"],
        "talkSeconds": record["talk_seconds"],
        "acwSeconds": record["acw_seconds"],
        "disposition": record["disposition"],
        "endCause": record["end_cause"],
        "mergedInto": record["merged_into"],
        "recordingIDs": list(record["recording_ids"] or ()),
        "correlatorData": record["correlator_data"],
        "userData": dict(record["user_data"] or {}),
        "legs": [_leg(leg) for leg in record.get("legs", ())],
    }


def recording_to_wire(row: dict[str, Any]) -> dict[str, Any]:
    """A recording row as the API shows it (lowerCamel keys, ISO times, a download path)."""
    return {
        "recordingID": row["recording_id"],
        "callID": row["call_id"],
        "state": row["state"],
        "format": row["format"],
        "startedAt": _iso(row["started_at"]),
        "endedAt": _iso(row["ended_at"]),
        "duration": row["duration"],
        "pausedSeconds": row["paused_seconds"],
        "sizeBytes": row["size_bytes"],
        "sha256": row["sha256"],
        "startedBy": row["started_by"],
        "caller": row["caller"],
        "called": row["called"],
        "queue": row["queue"],
        "agentID": row["agent_id"],
        "tags": list(row["tags"] or ()),
        "important": bool(row["important"]),
        # Why it failed (state "failed"); null otherwise.
        "detail": row["detail"] or None,
        "download": f"/recordings/download?id={row['recording_id']}",
    }
