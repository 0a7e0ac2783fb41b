"""Typed values and requests of ``webhook.*`` (admins; docs/webhooks.md)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from ._values import field, number, optional, strings

__all__ = ["Webhook", "WebhookStatus", "WebhookTest"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class Webhook:
    """A webhook's definition (``webhook.list``, ``webhook.create``, ``webhook.update``)."""

    name: str
    url: str
    secret_env: str
    events: tuple[str, ...]
    queues: tuple[str, ...]
    devices: tuple[str, ...]
    campaigns: tuple[str, ...]
    batch_max: int
    timeout_seconds: float
    max_retry_hours: float
    max_backlog: int
    allow_insecure: bool
    enabled: bool
    #: ``config`` (the file's ``[[webhooks]]``) or ``api`` (stored in the database).
    source: str

    @classmethod
    def from_wire(cls, data: Any, where: str = "webhook") -> Webhook:
        return cls(
            name=field(data, "name", str, where),
            url=field(data, "url", str, where),
            secret_env=field(data, "secretEnv", str, where),
            events=strings(data, "events", where),
            queues=strings(data, "queues", where),
            devices=strings(data, "devices", where),
            campaigns=strings(data, "campaigns", where),
            batch_max=field(data, "batchMax", int, where),
            timeout_seconds=number(data, "timeoutSeconds", where),
            max_retry_hours=number(data, "maxRetryHours", where),
            max_backlog=field(data, "maxBacklog", int, where),
            allow_insecure=field(data, "allowInsecure", bool, where),
            enabled=field(data, "enabled", bool, where),
            source=field(data, "source", str, where),
        )


@dataclasses.dataclass(frozen=True, kw_only=True)
class WebhookStatus:
    """How a webhook's deliveries go (``webhook.status``); times are ISO 8601 UTC."""

    name: str
    source: str
    enabled: bool
    #: Events waiting (in the outbox, or about to be).
    backlog: int
    delivered: int
    #: Events dropped past ``maxBacklog`` or given up after ``maxRetryHours``.
    dropped: int
    #: Failed tries since start.
    failures: int
    #: Failed tries of the batch now being retried (0 when none is).
    attempt: int
    last_success: str | None
    last_error: str | None
    last_error_at: str | None
    failing_since: str | None
    next_retry: str | None

    @classmethod
    def from_wire(cls, data: Any, where: str = "webhookStatus") -> WebhookStatus:
        return cls(
            name=field(data, "name", str, where),
            source=field(data, "source", str, where),
            enabled=field(data, "enabled", bool, where),
            backlog=field(data, "backlog", int, where),
            delivered=field(data, "delivered", int, where),
            dropped=field(data, "dropped", int, where),
            failures=field(data, "failures", int, where),
            attempt=field(data, "attempt", int, where),
            last_success=optional(data, "lastSuccess", str, where),
            last_error=optional(data, "lastError", str, where),
            last_error_at=optional(data, "lastErrorAt", str, where),
            failing_since=optional(data, "failingSince", str, where),
            next_retry=optional(data, "nextRetry", str, where),
        )


@dataclasses.dataclass(frozen=True, kw_only=True)
class WebhookTest:
    """The reply of ``webhook.test``: whether the receiver took the test event."""

    delivered: bool
    error: str | None
    event_id: str

    @classmethod
    def from_wire(cls, data: Any, where: str = "webhook.test") -> WebhookTest:
        return cls(
            delivered=field(data, "delivered", bool, where),
            error=optional(data, "error", str, where),
            event_id=field(data, "eventID", str, where),
        )


def spec_params(
    name: str,
    url: str,
    secret_env: str,
    events: Sequence[str],
    *,
    queues: Sequence[str] | None,
    devices: Sequence[str] | None,
    campaigns: Sequence[str] | None,
    batch_max: int | None,
    timeout_seconds: float | None,
    max_retry_hours: float | None,
    max_backlog: int | None,
    allow_insecure: bool | None,
    enabled: bool | None,
) -> dict[str, Any]:
    """The params of ``webhook.create`` / ``webhook.update`` (absent ones take the defaults)."""
    values: dict[str, Any] = {
        "name": name,
        "url": url,
        "secretEnv": secret_env,
        "events": list(events),
        "queues": None if queues is None else list(queues),
        "devices": None if devices is None else list(devices),
        "campaigns": None if campaigns is None else list(campaigns),
        "batchMax": batch_max,
        "timeoutSeconds": timeout_seconds,
        "maxRetryHours": max_retry_hours,
        "maxBacklog": max_backlog,
        "allowInsecure": allow_insecure,
        "enabled": enabled,
    }
    return {k: v for k, v in values.items() if v is not None}
