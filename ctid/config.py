"""The configuration file (TOML), checked into frozen values.

Every problem is reported as ``ConfigError`` naming the file, the key and what
is wrong, e.g. ``conf/ctid.toml: switch.simulator.trunks: expected an integer,
got "eight"``. ``ctid check-config FILE`` runs exactly this loader (plus each
service's own checks) and lists every problem it finds, then exits non-zero.
"""

from __future__ import annotations

import contextlib
import os
import re
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Final, Literal

import attrs

from .calls.directory import DEFAULT_EXTERNAL_PATTERN
from .calls.outbound_routes import OutboundRouting, salvage_outbound_routing
from .structure import Problems, StructureError, each_error
from .switch_drivers import available_drivers
from .transport import parse_origin_pattern, parse_proxies

__all__ = [
    "MIN_TOKEN_LENGTH",
    "Config",
    "ConfigError",
    "Gather",
    "TokenSection",
    "config_as_read",
    "config_from_dict",
    "load_config",
    "parse_listen",
    "raise_problems",
    "structure_error",
    "token_env_problem",
]


#: Shortest token an operator may configure (file or environment): guessing must not pay.
MIN_TOKEN_LENGTH: Final = 16


class ConfigError(Exception):
    """A problem in a configuration file: ``file``, ``key`` (dotted) and ``problem``."""

    def __init__(self, file: str, key: str | None, problem: str) -> None:
        where = f"{file}: {key}" if key else file
        super().__init__(f"{where}: {problem}")
        self.file = file
        self.key = key
        self.problem = problem


class ConfigProblems(ConfigError):
    """Several problems at once: reads as the first (and a count); ``problems`` has them all.

    ``ctid check-config`` and a refused reload list every one.
    """

    def __init__(self, problems: list[ConfigError]) -> None:
        first, more = problems[0], len(problems) - 1
        super().__init__(
            first.file, first.key, first.problem + (f" (and {more} more problems)" if more else "")
        )
        self.problems = problems


def structure_error(file: str, exc: StructureError) -> ConfigError:
    """``exc`` (one problem, or several gathered) as a ``ConfigError`` of ``file``."""
    errors = each_error(exc)
    if len(errors) == 1:
        return ConfigError(file, exc.path, exc.problem)
    return ConfigProblems([ConfigError(file, e.path, e.problem) for e in errors])


def raise_problems(file: str, problems: Problems) -> None:
    """Raise what ``problems`` gathered (every one) as a ``ConfigError`` of ``file``."""
    try:
        problems.raise_any()
    except StructureError as exc:
        raise structure_error(file, exc) from None


def each_problem(exc: ConfigError) -> list[ConfigError]:
    """The single problems in ``exc`` (itself, or those of a ``ConfigProblems``)."""
    return list(exc.problems) if isinstance(exc, ConfigProblems) else [exc]


class Gather:
    """A checker that goes on after a problem, so ``check-config`` lists every one::

    gather = Gather()
    for i, item in enumerate(items):
        with gather.check():  # a ConfigError here ends this item only
            ...
    gather.raise_any()
    """

    def __init__(self) -> None:
        self.problems: list[ConfigError] = []

    @contextlib.contextmanager
    def check(self) -> Iterator[None]:
        try:
            yield
        except ConfigError as exc:
            self.problems.extend(each_problem(exc))

    def raise_any(self) -> None:
        """Raise what was gathered: the one problem, or ``ConfigProblems``."""
        if len(self.problems) == 1:
            raise self.problems[0]
        if self.problems:
            raise ConfigProblems(self.problems)


def parse_listen(value: str) -> tuple[str, int]:
    """``"HOST:PORT"`` or ``"[v6]:PORT"`` -> (host, port); raises ValueError with the reason."""
    match = re.fullmatch(r"\[([^\]]+)\]:(\d+)|([^:\[\]]+):(\d+)", value.strip())
    if match is None:
        raise ValueError(f'expected "HOST:PORT", got "{value}"')
    host = match.group(1) or match.group(3)
    port = int(match.group(2) or match.group(4))
    if not 0 <= port <= 65535:
        raise ValueError(f"port {port} is out of range 0-65535")
    return host, port


@attrs.frozen(kw_only=True)
class ServerSection:
    #: Where the WebSocket API (``/v1``) and HTTP routes listen.
    listen: str = "127.0.0.1:8765"
    #: Where ``/metrics`` and ``/healthz`` are served for Prometheus (empty: off).
    metrics_listen: str = ""
    #: Directory for the database, recordings, prompt cache and spool.
    state_dir: str = "state"
    #: Logging level: debug, info, warning or error.
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    #: WebSocket connections the node serves at once; past it upgrades get 503.
    max_connections: int = 10_000
    #: WebSocket connections from one client address (a whole contact centre may
    #: sit behind one NAT or proxy).
    max_connections_per_address: int = 1_000
    #: Reverse proxies (CIDRs) whose Forwarded / X-Forwarded-For headers are believed.
    trusted_proxies: list[str] = attrs.field(factory=list)
    #: PEM certificate chain and private key: the API listener serves wss:// only.
    tls_certificate: str = ""
    tls_private_key: str = ""
    #: Serve the metrics listener over https:// with the same certificate.
    metrics_tls: bool = False


@attrs.frozen(kw_only=True)
class ApiSection:
    max_message_bytes: int = 1 << 20
    login_timeout: float = 30.0
    ping_interval: float = 30.0
    max_monitors: int = 1000
    #: Origins whose browser pages may open a WebSocket ("*": any; a port may be "*").
    allowed_origins: list[str] = attrs.field(factory=list)


@attrs.frozen(kw_only=True)
class EventsSection:
    replay_events: int = 10_000
    replay_seconds: float = 300.0
    max_pending: int = 5_000


@attrs.frozen(kw_only=True)
class TokenSection:
    """One credential. ``token`` or ``token_env`` (the name of an environment variable)."""

    role: Literal["admin", "supervisor", "agent"]
    name: str
    token: str | None = None
    token_env: str | None = None
    devices: list[str] = attrs.field(factory=list)
    agent_id: str | None = None
    queues: list[str] = attrs.field(factory=list)


@attrs.frozen(kw_only=True)
class JwtSection:
    """``[auth.jwt]``: signed tokens (JWT) minted by a CRM; see docs/security.md."""

    algorithms: list[str] = attrs.field(factory=lambda: ["HS256"])
    #: Environment variable holding the HMAC secret (for HS256/HS384/HS512).
    secret_env: str = "CTID_JWT_SECRET"
    #: PEM public key (RS*/PS*/ES*), or a JWKS file whose keys are chosen by ``kid``.
    public_key_file: str | None = None
    jwks_file: str | None = None
    #: Checked when set.
    issuer: str | None = None
    audience: str | None = None
    #: Seconds of tolerance on exp, nbf and iat for clocks that differ.
    leeway_seconds: float = 30.0


@attrs.frozen(kw_only=True)
class AuthSection:
    #: Environment variable holding the admin token.
    admin_token_env: str = "CTID_ADMIN_TOKEN"
    tokens: list[TokenSection] = attrs.field(factory=list)
    #: Failed logins from one client address within ``failure_window_seconds``
    #: after which its logins are refused until the window has passed.
    max_failures: int = 10
    failure_window_seconds: float = 60.0
    #: Addresses or CIDR networks never throttled (e.g. a trusted CRM backend).
    exempt_addresses: list[str] = attrs.field(factory=list)
    jwt: JwtSection | None = None


@attrs.frozen(kw_only=True)
class SwitchSection:
    driver: str = "simulator"
    #: Seconds ctid lets an extension ring before giving up.
    ring_timeout: float = 45.0
    #: Numbers that count as outside numbers (dialled through a trunk).
    external_pattern: str = DEFAULT_EXTERNAL_PATTERN


@attrs.frozen(kw_only=True)
class Config:
    """The whole configuration; ``sections`` keeps the raw tables services check themselves."""

    file: str
    server: ServerSection = ServerSection()
    api: ApiSection = ApiSection()
    events: EventsSection = EventsSection()
    auth: AuthSection = AuthSection()
    switch: SwitchSection = SwitchSection()
    #: The driver's own table (``[switch.<driver>]``), checked by the driver.
    driver_section: Mapping[str, Any] = attrs.field(factory=dict)
    #: Tables of ctid services (``acd``, ``ivr``, ...) checked by each service.
    sections: Mapping[str, Any] = attrs.field(factory=dict)
    #: ``[[switch.outbound_routes]]`` and ``[[switch.trunk_groups]]`` (ctid.outbound).
    outbound_routing: OutboundRouting = attrs.field(factory=OutboundRouting)

    @property
    def base_dir(self) -> Path:
        """Relative paths in the file are relative to the file's directory."""
        return Path(self.file).resolve().parent if self.file != "<defaults>" else Path.cwd()

    def path(self, value: str) -> Path:
        p = Path(value).expanduser()
        return (p if p.is_absolute() else self.base_dir / p).resolve()

    def credentials_tokens(self) -> list[tuple[TokenSection, str]]:
        """Each configured credential with its token resolved (environment variables read);
        ``ConfigError`` (``ConfigProblems``) names every token whose variable is unusable."""
        out = []
        gather = Gather()
        for i, section in enumerate(self.auth.tokens):
            token = section.token
            if section.token_env:
                token = os.environ.get(section.token_env)
                problem = token_env_problem(self.file, i, section.name, section.token_env, token)
                if problem is not None:
                    gather.problems.append(problem)
                    continue
            assert token is not None
            out.append((section, token))
        gather.raise_any()
        return out


def token_env_problem(
    file: str, index: int, name: str, variable: str, token: str | None
) -> ConfigError | None:
    """What is wrong with ``token``, read from the environment variable ``variable`` (None:
    unset) for ``auth.tokens[index]`` (named ``name``), if anything; the message names both."""
    if token is None:
        problem = f"environment variable {variable} is not set (token {name!r})"
    elif not token:
        problem = f"environment variable {variable} is empty (token {name!r})"
    elif len(token) < MIN_TOKEN_LENGTH:
        problem = (
            f"the token in {variable} is too short: use at least {MIN_TOKEN_LENGTH} "
            f"characters (token {name!r})"
        )
    else:
        return None
    return ConfigError(file, f"auth.tokens[{index}].token_env", problem)


#: Top-level tables that services check themselves (added as services grow).
SERVICE_SECTIONS: set[str] = {
    "acd",
    "ivr",
    "records",
    "recording",
    "routing",
    "demo",
    "livestate",
    "voicemail",
}
#: The hot-standby table, checked by ``ctid.cluster.config``.
SERVICE_SECTIONS.add("cluster")
SERVICE_SECTIONS.add("numbers")
#: ``[[webhooks]]``: an array of tables, checked by ``ctid.webhooks.spec``.
SERVICE_SECTIONS.add("webhooks")
#: Outbound campaigns (``[[campaigns]]``) and their settings, checked by ``ctid.outbound``.
SERVICE_SECTIONS.update({"campaigns", "outbound"})
#: Fax, checked by ``ctid.fax.config``.
SERVICE_SECTIONS.add("fax")


def config_from_dict(data: Mapping[str, Any], file: str = "<defaults>") -> Config:
    """Check a parsed configuration table; raises ``ConfigError`` (``ConfigProblems``
    with every problem found, not only the first)."""
    config, problems = config_as_read(data, file)
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise ConfigProblems(problems)
    return config


def config_as_read(data: Mapping[str, Any], file: str) -> tuple[Config, list[ConfigError]]:
    """The configuration as far as it reads, and every problem of its core tables: a
    value with a problem stands in with its default, an outbound route or trunk group
    with one is left out. With problems, the result is for checking the rest of the
    file only (``ctid check-config``: a mistake here hides none of the others)."""
    data = dict(data)
    sections = {k: data.pop(k) for k in list(data) if k in SERVICE_SECTIONS}
    problems = Problems()
    switch = data.pop("switch", None) or {}
    if not isinstance(switch, dict):
        problems.add("switch", "expected a table")
        switch = {}
    switch = dict(switch)
    outbound_routing, routing_errors = salvage_outbound_routing(
        switch.pop("outbound_routes", None), switch.pop("trunk_groups", None)
    )
    for error in routing_errors:
        problems.add(error.path, error.problem)
    driver = switch.get("driver", "simulator")
    driver_section = {}
    installed = available_drivers()
    for key in list(switch):
        if isinstance(switch[key], dict):
            table = switch.pop(key)
            if key == driver:
                driver_section = table
            elif key not in installed:
                # Tables of other installed drivers may stay in the file; anything
                # else is a typo that must not pass silently.
                problems.add(
                    f"switch.{key}", f"no driver {key!r} (installed: {', '.join(installed)})"
                )
    data["switch"] = switch
    parts = problems.salvage(_Top, data)
    for key, value in (
        ("server.listen", parts.server.listen),
        ("server.metrics_listen", parts.server.metrics_listen),
    ):
        if value:
            try:
                parse_listen(value)
            except ValueError as exc:
                problems.add(key, str(exc))
    try:
        check_transport(file, parts.server, parts.api)
    except ConfigError as exc:
        for one in each_problem(exc):
            problems.add(one.key or "", one.problem)
    try:
        re.compile(parts.switch.external_pattern)
    except re.error as exc:
        problems.add("switch.external_pattern", f"bad regular expression: {exc}")
    for i, token in enumerate(parts.auth.tokens):
        if (token.token is None) == (token.token_env is None):
            problems.add(f"auth.tokens[{i}]", "give exactly one of token and token_env")
        if token.token is not None and len(token.token) < MIN_TOKEN_LENGTH:
            problems.add(
                f"auth.tokens[{i}].token", f"too short: use at least {MIN_TOKEN_LENGTH} characters"
            )
    config = Config(
        file=file,
        server=parts.server,
        api=parts.api,
        events=parts.events,
        auth=parts.auth,
        switch=parts.switch,
        driver_section=driver_section,
        sections=sections,
        outbound_routing=outbound_routing,
    )
    return config, [ConfigError(file, e.path, e.problem) for e in problems.errors]


def check_transport(file: str, server: ServerSection, api: ApiSection) -> None:
    """The ``[server]`` limits, proxies and TLS keys and ``[api] allowed_origins``: every
    problem (``ConfigProblems`` when there are several)."""
    gather = Gather()
    for key in ("max_connections", "max_connections_per_address"):
        if getattr(server, key) < 1:
            gather.problems.append(ConfigError(file, f"server.{key}", "must be at least 1"))
    try:
        parse_proxies(server.trusted_proxies)
    except ValueError as exc:
        gather.problems.append(ConfigError(file, "server.trusted_proxies", str(exc)))
    if bool(server.tls_certificate) != bool(server.tls_private_key):
        gather.problems.append(
            ConfigError(
                file, "server.tls_certificate", "give both tls_certificate and tls_private_key"
            )
        )
    if server.metrics_tls and not server.tls_certificate:
        gather.problems.append(
            ConfigError(file, "server.metrics_tls", "needs tls_certificate and tls_private_key")
        )
    for i, pattern in enumerate(api.allowed_origins):
        try:
            parse_origin_pattern(pattern)
        except ValueError as exc:
            gather.problems.append(ConfigError(file, f"api.allowed_origins[{i}]", str(exc)))
    gather.raise_any()


@attrs.frozen(kw_only=True)
class _Top:
    server: ServerSection = ServerSection()
    api: ApiSection = ApiSection()
    events: EventsSection = EventsSection()
    auth: AuthSection = AuthSection()
    switch: SwitchSection = SwitchSection()


def load_config(path: str | Path) -> Config:
    """Read and check a configuration file; raises ``ConfigError``."""
    file = str(path)
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError(file, None, "no such file") from None
    except OSError as exc:
        raise ConfigError(file, None, f"cannot read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(file, None, f"not valid TOML: {exc}") from None
    return config_from_dict(data, file)
