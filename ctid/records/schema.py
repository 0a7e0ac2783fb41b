"""The records database: tables as SQLAlchemy Core metadata.

Migrations (``ctid/records/migrations``) create and change these tables; this
module is what the code reads and writes through. The first migration and
these definitions must agree, which ``tests/records/test_migrations.py``
checks by comparing the migrated database with this metadata.

Times are ``UtcDateTime`` (timezone-aware UTC in Python, ``timestamptz`` on
PostgreSQL), so the tables read naturally in SQL and BI tools; durations are
seconds as floats.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, Final

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    false,
)

__all__ = [
    "agent_states",
    "call_legs",
    "calls",
    "campaign_lists",
    "campaign_records",
    "campaigns",
    "cluster_lease",
    "dnc_numbers",
    "fax_documents",
    "faxes",
    "ivr_runs",
    "ivr_visits",
    "live_state",
    "metadata",
    "nodes",
    "queue_waits",
    "recordings",
    "voicemail_messages",
    "webhook_events",
    "webhooks",
]


class UtcDateTime(TypeDecorator[dt.datetime]):
    """Aware UTC datetimes in and out, whatever the database keeps.

    SQLite has no time zones: values are stored as naive UTC and given their
    zone back when read.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if not isinstance(value, dt.datetime) or value.tzinfo is None:
            raise ValueError(f"expected an aware datetime, got {value!r}")
        moment: dt.datetime = value.astimezone(dt.UTC)
        if dialect.name == "sqlite":
            return moment.replace(tzinfo=None)
        return moment

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        """On SQLite, in one step what ``process_bind_param`` and SQLAlchemy's own
        DATETIME processor do in two: the same string, from ``isoformat`` (C) rather
        than a ``%`` format of seven fields. Each record holds several times, and
        the call records writer spent most of its statements' parameter work here
        (docs/performance.md, "The campaign day, fifth pass").
        ``tests/records/test_utc_bind.py`` compares it with the two-step way."""
        if dialect.name != "sqlite" or not _default_sqlite_storage(self, dialect):
            return super().bind_processor(dialect)
        utc = dt.UTC
        datetime_type = dt.datetime

        def process(value: Any) -> str | None:
            if value is None:
                return None
            if not isinstance(value, datetime_type) or value.tzinfo is None:
                raise ValueError(f"expected an aware datetime, got {value!r}")
            # "YYYY-MM-DD HH:MM:SS.ffffff", SQLAlchemy's SQLite storage format.
            text: str = value.astimezone(utc).replace(tzinfo=None).isoformat(" ", "microseconds")
            return text

        return process

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if not isinstance(value, dt.datetime):
            raise TypeError(f"expected a datetime from the database, got {value!r}")
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def _default_sqlite_storage(column_type: TypeDecorator[Any], dialect: Dialect) -> bool:
    """SQLite keeps these times as SQLAlchemy's default strings (no native datetimes,
    no storage format of its own): what the one-step processor writes."""
    impl = column_type.impl_instance.dialect_impl(dialect)
    return (
        not getattr(dialect, "native_datetime", False)
        and getattr(impl, "_storage_format", None) == _SQLITE_DATETIME_FORMAT
    )


#: SQLAlchemy's default storage format of DATETIME on SQLite.
_SQLITE_DATETIME_FORMAT: Final = (
    "%(year)04d-%(month)02d-%(day)02d %(hour)02d:%(minute)02d:%(second)02d.%(microsecond)06d"
)

ID = String(64)
NAME = String(128)

metadata = MetaData()

#: One row per call: what happened, who took part, how it ended.
calls = Table(
    "calls",
    metadata,
    Column("call_id", ID, primary_key=True),
    #: The ctid daemon that handled it, and that daemon's run (ids restart per run).
    Column("node", NAME, nullable=False),
    Column("run_id", ID, nullable=False),
    #: ``open`` while the call is in progress, ``closed`` once it has ended.
    Column("state", String(8), nullable=False),
    Column("direction", String(16), nullable=False),
    Column("caller", NAME, nullable=False),
    Column("called", NAME, nullable=False),
    #: The number the caller dialled (inbound calls), before any routing.
    Column("dnis", NAME),
    Column("trunk", NAME),
    Column("queue", NAME),
    Column("queue_outcome", String(16)),
    Column("agent_id", NAME),
    Column("agent_device", NAME),
    #: The first person's device that answered (an agent's phone, an outside party).
    Column("answered_by", NAME),
    Column("ivr_flow", NAME),
    Column("ivr_exit", String(16)),
    Column("started_at", UtcDateTime, nullable=False),
    #: When a person answered (not an IVR).
    Column("answered_at", UtcDateTime),
    Column("ivr_entered_at", UtcDateTime),
    Column("ivr_left_at", UtcDateTime),
    Column("queue_entered_at", UtcDateTime),
    Column("queue_left_at", UtcDateTime),
    Column("ended_at", UtcDateTime),
    Column("wait_seconds", Float),
    Column("hold_seconds", Float),
    Column("talk_seconds", Float),
    Column("acw_seconds", Float),
    Column("disposition", String(32)),
    Column("end_cause", NAME),
    #: A consultation call that became part of another call (transfer, conference).
    Column("merged_into", ID),
    Column("recording_ids", JSON, nullable=False),
    Column("correlator_data", String(512)),
    Column("user_data", JSON, nullable=False),
    #: Every call fact the services recorded, for what the columns do not cover.
    Column("facts", JSON, nullable=False),
    #: A campaign's call (migration 0007_outbound_campaigns): the campaign, its list record, how
    #: the attempt ended (``ctid.outbound.campaign_config.OUTCOMES``) and the agent's
    #: disposition code.
    Column("campaign", NAME),
    Column("campaign_record", Integer),
    Column("campaign_outcome", String(16)),
    Column("agent_disposition", String(32)),
    #: A fax call's fax (migration 0011_fax2_call_fax): reception, fax-back or ``fax.send``.
    #: A call with several (an IVR that receives and then faxes back) names the first;
    #: ``facts["faxes"]`` lists them all.
    Column("fax_id", ID),
)
Index("ix_calls_started_at", calls.c.started_at)
Index("ix_calls_queue_started", calls.c.queue, calls.c.started_at)
Index("ix_calls_agent_started", calls.c.agent_id, calls.c.started_at)
Index("ix_calls_node_state", calls.c.node, calls.c.state)
# A number's history (``records.history``) and number prefixes (``records.search``);
# pattern ops so PostgreSQL serves ``LIKE 'prefix%'`` from them in any collation.
Index(
    "ix_calls_caller_started",
    calls.c.caller,
    calls.c.started_at,
    postgresql_ops={"caller": "varchar_pattern_ops"},
)
Index(
    "ix_calls_called_started",
    calls.c.called,
    calls.c.started_at,
    postgresql_ops={"called": "varchar_pattern_ops"},
)

#: One row per party per stint in a call.
call_legs = Table(
    "call_legs",
    metadata,
    Column("call_id", ID, primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("device", NAME, nullable=False),
    #: ``extension``, ``external`` or ``routePoint``.
    Column("kind", String(16), nullable=False),
    Column("trunk", NAME),
    Column("joined_at", UtcDateTime, nullable=False),
    Column("answered_at", UtcDateTime),
    Column("ended_at", UtcDateTime, nullable=False),
    Column("hold_seconds", Float, nullable=False),
    #: The CSTA cause it left with (``normalClearing``, ``busy``, ``transfer``...).
    Column("end_cause", NAME, nullable=False),
    #: The call never reached it (busy, no answer, unreachable).
    Column("failed", Boolean, nullable=False),
)
Index("ix_call_legs_device", call_legs.c.device, call_legs.c.joined_at)
Index("ix_call_legs_trunk", call_legs.c.trunk, call_legs.c.joined_at)

#: The agent state log: one row per state an agent was in.
agent_states = Table(
    "agent_states",
    metadata,
    Column("id", ID, primary_key=True),
    Column("node", NAME, nullable=False),
    Column("run_id", ID, nullable=False),
    Column("agent_id", NAME, nullable=False),
    Column("device", NAME),
    Column("state", String(32), nullable=False),
    Column("previous_state", String(32), nullable=False),
    Column("reason_code", NAME),
    Column("call_id", ID),
    Column("queues", JSON, nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    #: Empty while the agent is still in the state.
    Column("ended_at", UtcDateTime),
    Column("duration", Float),
)
Index("ix_agent_states_agent", agent_states.c.agent_id, agent_states.c.started_at)
Index("ix_agent_states_call", agent_states.c.call_id)
Index("ix_agent_states_open", agent_states.c.node, agent_states.c.ended_at)

#: Each IVR node a call went through.
ivr_visits = Table(
    "ivr_visits",
    metadata,
    Column("id", ID, primary_key=True),
    Column("call_id", ID, nullable=False),
    Column("flow", NAME, nullable=False),
    Column("version", String(64), nullable=False),
    Column("node", NAME, nullable=False),
    Column("node_type", String(32), nullable=False),
    Column("choice", String(32)),
    Column("at", UtcDateTime, nullable=False),
)
Index("ix_ivr_visits_at", ivr_visits.c.at)

#: Each pass of a call through an IVR flow.
ivr_runs = Table(
    "ivr_runs",
    metadata,
    Column("id", ID, primary_key=True),
    Column("call_id", ID, nullable=False),
    Column("flow", NAME, nullable=False),
    Column("version", String(64), nullable=False),
    Column("entered_at", UtcDateTime, nullable=False),
    Column("left_at", UtcDateTime, nullable=False),
    Column("exit", String(16), nullable=False),
    Column("detail", String(512), nullable=False),
)
Index("ix_ivr_runs_entered", ivr_runs.c.entered_at)

#: Each wait of a call in a queue (a call can wait in several: overflow).
queue_waits = Table(
    "queue_waits",
    metadata,
    Column("id", ID, primary_key=True),
    Column("call_id", ID, nullable=False),
    Column("queue", NAME, nullable=False),
    Column("seconds", Float, nullable=False),
    Column("outcome", String(16), nullable=False),
    #: When the wait ended.
    Column("at", UtcDateTime, nullable=False),
)
Index("ix_queue_waits_queue_at", queue_waits.c.queue, queue_waits.c.at)

#: Recordings: metadata here, audio in files under the recordings directory.
recordings = Table(
    "recordings",
    metadata,
    Column("recording_id", ID, primary_key=True),
    Column("call_id", ID),
    Column("node", NAME, nullable=False),
    Column("run_id", ID, nullable=False),
    #: Relative to the recordings directory (``2027/01/15/t-r1.wav``).
    Column("path", String(512), nullable=False),
    Column("format", String(16), nullable=False),
    #: ``recording``, ``paused``, ``done``, ``failed`` or ``deleted``.
    Column("state", String(16), nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("ended_at", UtcDateTime),
    Column("duration", Float),
    Column("paused_seconds", Float, nullable=False),
    Column("size_bytes", Integer),
    Column("sha256", String(64)),
    #: Who asked: ``policy:all``, ``policy:queue``, ``policy:agent`` or a user's name.
    Column("started_by", NAME, nullable=False),
    Column("caller", NAME),
    Column("called", NAME),
    Column("queue", NAME),
    Column("agent_id", NAME),
    Column("tags", JSON, nullable=False),
    Column("detail", String(512), nullable=False),
    Column("deleted_at", UtcDateTime),
    #: Kept whatever the retention rules say (``recording.setImportant``).
    Column("important", Boolean, nullable=False, server_default=false()),
)
Index("ix_recordings_started", recordings.c.started_at)
Index("ix_recordings_call", recordings.c.call_id)

#: Voicemail messages: metadata here, audio under the voicemail directory.
voicemail_messages = Table(
    "voicemail_messages",
    metadata,
    Column("message_id", ID, primary_key=True),
    #: ``queue:NAME``, ``agent:ID`` or ``number:DN``.
    Column("mailbox", NAME, nullable=False),
    Column("call_id", ID),
    Column("caller", NAME),
    Column("called", NAME),
    Column("received_at", UtcDateTime, nullable=False),
    Column("duration", Float),
    #: Relative to the voicemail directory.
    Column("path", String(512), nullable=False),
    Column("size_bytes", Integer),
    #: The call's userData when the caller left the message (the screen pop's data).
    Column("user_data", JSON, nullable=False),
    Column("heard_at", UtcDateTime),
    Column("heard_by", NAME),
    Column("deleted_at", UtcDateTime),
)
Index("ix_voicemail_mailbox", voicemail_messages.c.mailbox, voicemail_messages.c.received_at)

#: Each daemon that writes here, and when it was last known alive (for
#: closing the calls it had open if it died).
nodes = Table(
    "nodes",
    metadata,
    Column("node", NAME, primary_key=True),
    Column("run_id", ID, nullable=False),
    Column("last_seen", UtcDateTime, nullable=False),
)

#: What the daemon knows and the switch does not (agents, queue entries, calls'
#: identity and data, records and recordings in progress), kept so a restart
#: or a standby taking over carries on from it. Owned by ``ctid.livestate``;
#: ``value`` is a JSON object as text.
live_state = Table(
    "live_state",
    metadata,
    Column("kind", String(32), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

#: Which node of a hot-standby pair is active, until when (the database's
#: clock) and where clients reach it. One row per cluster. Owned by
#: ``ctid.cluster.lease``.
cluster_lease = Table(
    "cluster_lease",
    metadata,
    Column("name", NAME, primary_key=True),
    Column("holder", NAME, nullable=False),
    Column("advertise_url", String(512), nullable=False),
    Column("term", Integer, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    #: The holder held the cluster's advisory lock on the session that renewed.
    Column("locked", Boolean, nullable=False, server_default=false()),
    #: ``pg_postmaster_start_time()`` at that renewal: a lock freed by a server
    #: restart says nothing about the holder.
    Column("server_started", UtcDateTime, nullable=True),
)

#: Webhooks created with ``webhook.create`` (those of the config file are not
#: stored). ``spec`` is the checked definition as a JSON object. Owned by
#: ``ctid.webhooks``.
webhooks = Table(
    "webhooks",
    metadata,
    Column("name", NAME, primary_key=True),
    Column("spec", Text, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

#: The webhook outbox: each event waiting for one webhook, in order of ``id``.
#: A row is deleted once its receiver answered 2xx (or it was dropped).
#: ``event_id`` is the id receivers see (the same for every try). Owned by
#: ``ctid.webhooks``.
webhook_events = Table(
    "webhook_events",
    metadata,
    Column(
        "id",
        BigInteger().with_variant(Integer(), "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    Column("webhook", NAME, nullable=False),
    Column("event_id", ID, nullable=False),
    Column("method", NAME, nullable=False),
    #: The event's params as JSON text (as the protocol sends them).
    Column("params", Text, nullable=False),
    #: The event's own ``timestamp`` (ISO 8601, as the protocol sends it).
    Column("timestamp", String(32), nullable=False),
)
Index("ix_webhook_events_webhook", webhook_events.c.webhook, webhook_events.c.id)
#: The journal's replay at start asks which recovered events the outbox has
#: (``outbox.append_missing``: webhook and ``event_id IN (...)``). Migration 0013.
Index("ix_webhook_events_event_id", webhook_events.c.webhook, webhook_events.c.event_id)

# ------------------------------------------------------------ outbound campaigns
# Migration 0007_outbound_campaigns; read and written by ``ctid.outbound.store``.

#: One row per campaign: its definition (``CampaignSpec.to_wire``) and run state.
campaigns = Table(
    "campaigns",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("spec", JSON, nullable=False),
    #: ``stopped``, ``running``, ``paused`` or ``finished``.
    Column("state", String(16), nullable=False),
    #: ``config`` ([[campaigns]]) or ``api`` (campaign.create).
    Column("source", String(8), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

#: One row per imported list.
campaign_lists = Table(
    "campaign_lists",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("campaign", String(64), nullable=False),
    Column("name", NAME, nullable=False),
    Column("number_column", NAME, nullable=False),
    Column("imported_at", UtcDateTime, nullable=False),
    Column("imported", Integer, nullable=False),
    Column("rejected", Integer, nullable=False),
)
Index("ix_campaign_lists_campaign", campaign_lists.c.campaign, campaign_lists.c.name, unique=True)

#: One row per number to call: its data (the list's other columns) and where it stands.
campaign_records = Table(
    "campaign_records",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("campaign", String(64), nullable=False),
    Column("list_id", Integer, nullable=False),
    #: The list's line the record came from (1 is the header).
    Column("line", Integer, nullable=False),
    Column("number", String(32), nullable=False),
    Column("data", JSON, nullable=False),
    #: ``new``, ``retry``, ``callback``, ``dialling``, ``done``, ``failed``, ``dnc``, ``skipped``.
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    #: Retries of the last outcome so far (a new outcome starts again at 0).
    Column("retries", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime),
    Column("last_outcome", String(16)),
    Column("disposition", String(32)),
    Column("callback_agent", NAME),
    Column("updated_at", UtcDateTime, nullable=False),
)
#: ``id`` last: each state's due records come in the due query's order, ties of
#: ``next_attempt_at`` (every ``new`` record's NULL) included, with no sort (migration 0014).
Index(
    "ix_campaign_records_due",
    campaign_records.c.campaign,
    campaign_records.c.status,
    campaign_records.c.next_attempt_at,
    campaign_records.c.id,
)
Index("ix_campaign_records_number", campaign_records.c.campaign, campaign_records.c.number)

#: Do-not-call numbers: ``scope`` is ``*`` for the global list or a campaign's name.
dnc_numbers = Table(
    "dnc_numbers",
    metadata,
    Column("scope", String(64), primary_key=True),
    Column("number", String(32), primary_key=True),
    Column("added_at", UtcDateTime, nullable=False),
    Column("note", String(256), nullable=False),
)
Index("ix_dnc_numbers_number", dnc_numbers.c.number)
#: Documents to fax (uploaded PDF or TIFF, kept as fax TIFF). Owned by ``ctid.fax``.
fax_documents = Table(
    "fax_documents",
    metadata,
    Column("document_id", ID, primary_key=True),
    #: A name IVR flows can use (``faxSend: {document: price-list}``); unique when set.
    Column("name", NAME, unique=True),
    #: Relative to the fax directory (``documents/2027/01/15/d-1.tif``).
    Column("path", String(512), nullable=False),
    #: What was uploaded: ``pdf`` or ``tiff``.
    Column("source", String(16), nullable=False),
    Column("pages", Integer, nullable=False),
    Column("size_bytes", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("uploaded_by", NAME, nullable=False),
    Column("uploaded_at", UtcDateTime, nullable=False),
)

#: Faxes received and sent. Owned by ``ctid.fax``.
faxes = Table(
    "faxes",
    metadata,
    Column("fax_id", ID, primary_key=True),
    #: Faxes sent together by one ``fax.send`` to a list of numbers.
    Column("batch_id", ID),
    #: ``in`` or ``out``.
    Column("direction", String(8), nullable=False),
    #: ``queued``, ``dialing``, ``sending``, ``receiving``, ``completed``,
    #: ``failed``, ``cancelled`` or ``deleted``.
    Column("state", String(16), nullable=False),
    Column("mailbox", NAME, nullable=False),
    Column("call_id", ID),
    #: The other side's number (sender of a received fax, destination of a sent one).
    Column("remote_number", NAME, nullable=False),
    Column("local_number", NAME),
    Column("document_ids", JSON, nullable=False),
    #: The fax image, relative to the fax directory (None until there is one).
    Column("path", String(512)),
    Column("pages", Integer, nullable=False),
    Column("total_pages", Integer),
    Column("attempts", Integer, nullable=False),
    Column("max_attempts", Integer, nullable=False),
    Column("result_code", Integer),
    Column("result_text", String(255), nullable=False),
    Column("remote_station_id", NAME, nullable=False),
    Column("bit_rate", Integer),
    Column("size_bytes", Integer),
    Column("sha256", String(64)),
    Column("header", String(255), nullable=False),
    Column("requested_by", NAME, nullable=False),
    Column("tags", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("ended_at", UtcDateTime),
    Column("deleted_at", UtcDateTime),
    #: The ctid node that handled it (migration 0012_fax3_fax_email_node; NULL before).
    Column("node", NAME),
    #: Forwarding by e-mail (``ctid/fax/mail.py``): the addresses (NULL: no mail),
    #: ``pending``/``sent``/``failed``, attempts made, when the relay took it, the last error.
    Column("email_to", JSON),
    Column("email_status", String(16)),
    Column("email_attempts", Integer),
    Column("emailed_at", UtcDateTime),
    Column("email_error", String(255)),
)
Index("ix_faxes_created", faxes.c.created_at)
Index("ix_faxes_email_status", faxes.c.email_status)
Index("ix_faxes_batch", faxes.c.batch_id)
