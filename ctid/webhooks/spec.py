"""One webhook's definition, as the config file's ``[[webhooks]]`` or ``webhook.create`` gives it.

The same attrs class serves both: snake_case keys in the file, lowerCamel in
the API (``ctid.structure``). ``check`` refuses what cannot work (a URL that
is not http(s), plain http off loopback without ``allow_insecure``, a pattern
that is not an event name) with the key at fault.
"""

from __future__ import annotations

import ipaddress
import re
import urllib.parse
from collections.abc import Mapping
from typing import Any, Final

import attrs

from ..config import Config, ConfigError, raise_problems
from ..naming import wire_name
from ..structure import Problems, StructureError, structure

__all__ = [
    "DEFAULT_BATCH_MAX",
    "DEFAULT_MAX_BACKLOG",
    "DEFAULT_MAX_RETRY_HOURS",
    "DEFAULT_TIMEOUT_SECONDS",
    "WebhookSpec",
    "check",
    "from_row",
    "from_wire",
    "specs_from_config",
    "to_row",
    "to_wire",
]

DEFAULT_BATCH_MAX: Final = 100
DEFAULT_TIMEOUT_SECONDS: Final = 10.0
DEFAULT_MAX_RETRY_HOURS: Final = 24.0
DEFAULT_MAX_BACKLOG: Final = 100_000
#: Bounds that keep one webhook from hurting the daemon.
MAX_BATCH: Final = 10_000
MAX_TIMEOUT: Final = 300.0
MAX_BACKLOG_LIMIT: Final = 10_000_000
MAX_PATTERNS: Final = 100
MAX_FILTER_VALUES: Final = 1_000

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
#: An event name or a pattern of one: letters, digits, dots, ``*`` as a wildcard.
_PATTERN = re.compile(r"[A-Za-z*][A-Za-z0-9_.*]{0,127}")
_ENV = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")


@attrs.frozen(kw_only=True)
class WebhookSpec:
    """One webhook (see docs/webhooks.md)."""

    name: str
    #: Where events are POSTed: https, or http on loopback (or with ``allow_insecure``).
    url: str
    #: The environment variable holding the signing secret.
    secret_env: str
    #: Event names or patterns (``*`` matches any run of characters).
    events: tuple[str, ...]
    #: Only events of these queues / at these devices / of these campaigns (empty: all).
    queues: tuple[str, ...] = ()
    devices: tuple[str, ...] = ()
    campaigns: tuple[str, ...] = ()
    batch_max: int = DEFAULT_BATCH_MAX
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    max_retry_hours: float = DEFAULT_MAX_RETRY_HOURS
    max_backlog: int = DEFAULT_MAX_BACKLOG
    allow_insecure: bool = False
    #: False keeps the webhook and its backlog but sends nothing.
    enabled: bool = True


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check(spec: WebhookSpec) -> tuple[str, str] | None:
    """The first problem of ``spec`` as (key, what is wrong), or None when it is good."""
    return next(iter(problems_of(spec)), None)


def problems_of(spec: WebhookSpec) -> list[tuple[str, str]]:
    """Every problem of ``spec`` as (key, what is wrong), in the order of its keys."""
    found: list[tuple[str, str]] = []
    if not _NAME.fullmatch(spec.name):
        found.append(
            ("name", "1 to 64 letters, digits, '_', '.', '-', starting with a letter or digit")
        )
    url_problem = _url_problem(spec)
    if url_problem is not None:
        found.append(("url", url_problem))
    if not _ENV.fullmatch(spec.secret_env):
        found.append(("secret_env", "must be an environment variable's name"))
    if not spec.events:
        found.append(("events", "name at least one event or pattern"))
    if len(spec.events) > MAX_PATTERNS:
        found.append(("events", f"at most {MAX_PATTERNS} patterns"))
    for i, pattern in enumerate(spec.events):
        if not _PATTERN.fullmatch(pattern):
            found.append((f"events[{i}]", f"not an event name or pattern: {pattern!r}"))
    for key in ("queues", "devices", "campaigns"):
        values = getattr(spec, key)
        if len(values) > MAX_FILTER_VALUES:
            found.append((key, f"at most {MAX_FILTER_VALUES} values"))
        for i, value in enumerate(values):
            if not value or len(value) > 128:
                found.append((f"{key}[{i}]", "1 to 128 characters"))
    if not 1 <= spec.batch_max <= MAX_BATCH:
        found.append(("batch_max", f"must be 1 to {MAX_BATCH}"))
    if not 0 < spec.timeout_seconds <= MAX_TIMEOUT:
        found.append(("timeout_seconds", f"must be more than 0 and at most {MAX_TIMEOUT:g}"))
    if not 0 < spec.max_retry_hours <= 24 * 30:
        found.append(("max_retry_hours", "must be more than 0 and at most 720"))
    if not 1 <= spec.max_backlog <= MAX_BACKLOG_LIMIT:
        found.append(("max_backlog", f"must be 1 to {MAX_BACKLOG_LIMIT}"))
    return found


def _url_problem(spec: WebhookSpec) -> str | None:
    try:
        url = urllib.parse.urlsplit(spec.url)
        port = url.port
    except ValueError as exc:
        return f"not a URL: {exc}"
    del port
    if url.scheme not in ("http", "https") or not url.hostname:
        return "must be an http:// or https:// URL with a host"
    if url.username or url.password:
        return "must not carry a user or password (the signature authenticates)"
    if url.scheme == "http" and not spec.allow_insecure and not _loopback(url.hostname):
        return "plain http only to a loopback address, unless allow_insecure = true"
    if len(spec.url) > 2048:
        return "longer than 2048 characters"
    return None


def from_wire(data: Any, path: str = "") -> WebhookSpec:
    """A spec from API params (lowerCamel); raises ``StructureError`` naming the key."""
    spec = structure(WebhookSpec, data, path, style="camel")
    problem = check(spec)
    if problem is not None:
        key, what = problem
        raise StructureError(f"{path}.{wire_name(key)}" if path else wire_name(key), what)
    return spec


def to_wire(spec: WebhookSpec) -> dict[str, Any]:
    """A spec as the API shows it (lowerCamel keys; the secret itself is never shown)."""
    return {
        wire_name(k): list(v) if isinstance(v, tuple) else v for k, v in attrs.asdict(spec).items()
    }


def to_row(spec: WebhookSpec) -> dict[str, Any]:
    """A spec as stored (snake_case keys, lists)."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in attrs.asdict(spec).items()}


def from_row(data: Mapping[str, Any]) -> WebhookSpec:
    return structure(WebhookSpec, data, "webhooks")


def specs_from_config(config: Config) -> list[WebhookSpec]:
    """The ``[[webhooks]]`` of the config file, checked; raises ``ConfigError``."""
    raw = config.sections.get("webhooks", [])
    if not isinstance(raw, list):
        raise ConfigError(config.file, "webhooks", "expected an array of tables ([[webhooks]])")
    specs: list[WebhookSpec] = []
    names: set[str] = set()
    problems = Problems()  # every problem of every webhook: check-config lists each
    for i, table in enumerate(raw):
        path = f"webhooks[{i}]"
        spec = problems.salvage(WebhookSpec, table, path)
        for key, what in problems_of(spec):
            problems.add(f"{path}.{key}", what)
        if spec.name in names:
            problems.add(f"{path}.name", f"a second webhook named {spec.name!r}")
        names.add(spec.name)
        specs.append(spec)
    raise_problems(config.file, problems)
    return specs
