"""``[auth]`` from the configuration into the API's authenticator and login throttle.

Used at start-up (``App``) and by ``ctid check-config``, so both report the
same problems: a token from the environment that is too short, a JWT secret
that is missing or short, an unreadable key file, a bad CIDR.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Mapping

import trio

from .api.auth import Authenticator, Credential, Role
from .api.jwt_tokens import ALGORITHMS, HMAC_ALGORITHMS, MIN_SECRET_BYTES, JwtVerifier
from .api.throttle import LoginThrottle, Network, parse_networks
from .blocking import Blocking
from .config import MIN_TOKEN_LENGTH, Config, ConfigError, Gather, token_env_problem

log = logging.getLogger(__name__)

__all__ = [
    "AuthReloader",
    "build_authenticator",
    "build_credentials",
    "build_throttle",
    "build_verifier",
    "check_admin_token",
    "check_auth",
]


def check_admin_token(config: Config, admin_token: str | None) -> None:
    """The admin token (from ``auth.admin_token_env``) must be long enough to resist guessing."""
    if admin_token is not None and len(admin_token) < MIN_TOKEN_LENGTH:
        raise ConfigError(
            config.file,
            "auth.admin_token_env",
            f"the token in {config.auth.admin_token_env} is too short: "
            f"use at least {MIN_TOKEN_LENGTH} characters",
        )


def build_credentials(config: Config, admin_token: str | None) -> list[Credential]:
    """The static credentials: the admin token and ``[[auth.tokens]]`` (environment read)."""
    credentials = []
    if admin_token:
        credentials.append(Credential(token=admin_token, role=Role.ADMIN, name="admin"))
    for section, token in config.credentials_tokens():
        credentials.append(
            Credential(
                token=token,
                role=Role(section.role),
                name=section.name,
                devices=frozenset(section.devices),
                agent_id=section.agent_id,
                queues=frozenset(section.queues),
            )
        )
    return credentials


def build_throttle(config: Config) -> LoginThrottle:
    auth = config.auth
    gather = Gather()  # every problem, not only the first
    if auth.max_failures < 1:
        gather.problems.append(ConfigError(config.file, "auth.max_failures", "must be at least 1"))
    if auth.failure_window_seconds <= 0:
        gather.problems.append(
            ConfigError(config.file, "auth.failure_window_seconds", "must be more than 0")
        )
    exempt: list[Network] = []
    try:
        exempt = parse_networks(auth.exempt_addresses)
    except ValueError as exc:
        gather.problems.append(ConfigError(config.file, "auth.exempt_addresses", str(exc)))
    gather.raise_any()
    return LoginThrottle(
        max_failures=auth.max_failures, window=auth.failure_window_seconds, exempt=exempt
    )


def build_verifier(config: Config, environ: Mapping[str, str] | None = None) -> JwtVerifier | None:
    """The JWT verifier of ``[auth.jwt]`` (None without that table); reads secret and keys."""
    jwt = config.auth.jwt
    if jwt is None:
        return None
    environ = os.environ if environ is None else environ
    file = config.file
    gather = Gather()  # every problem, not only the first

    def bad(key: str, problem: str) -> None:
        gather.problems.append(ConfigError(file, key, problem))

    if not jwt.algorithms:
        bad("auth.jwt.algorithms", "name at least one algorithm")
    for i, name in enumerate(jwt.algorithms):
        if name not in ALGORITHMS:
            bad(
                f"auth.jwt.algorithms[{i}]",
                f'"{name}" is not supported (use one of {", ".join(sorted(ALGORITHMS))})',
            )
    if jwt.public_key_file is not None and jwt.jwks_file is not None:
        bad("auth.jwt", "give at most one of public_key_file and jwks_file")
    wants_secret = any(a in HMAC_ALGORITHMS for a in jwt.algorithms)
    wants_key = any(a in ALGORITHMS and a not in HMAC_ALGORITHMS for a in jwt.algorithms)
    if wants_key and not (jwt.public_key_file or jwt.jwks_file):
        bad("auth.jwt", "public-key algorithms (RS*, PS*, ES*) need public_key_file or jwks_file")
    if jwt.leeway_seconds < 0:
        bad("auth.jwt.leeway_seconds", "must not be negative")
    secret = None
    if wants_secret:
        secret = environ.get(jwt.secret_env)
        if not secret:
            bad(
                "auth.jwt.secret_env",
                f"environment variable {jwt.secret_env} is not set (HMAC algorithms need it)",
            )
        elif len(secret.encode()) < MIN_SECRET_BYTES:
            bad(
                "auth.jwt.secret_env",
                f"the secret in {jwt.secret_env} is too short: "
                f"use at least {MIN_SECRET_BYTES} bytes",
            )
    gather.raise_any()
    key_key = "auth.jwt.public_key_file" if jwt.public_key_file else "auth.jwt.jwks_file"
    try:
        return JwtVerifier.from_settings(
            algorithms=list(jwt.algorithms),
            secret=secret,
            public_key_file=config.path(jwt.public_key_file) if jwt.public_key_file else None,
            jwks_file=config.path(jwt.jwks_file) if jwt.jwks_file else None,
            issuer=jwt.issuer,
            audience=jwt.audience,
            leeway=jwt.leeway_seconds,
        )
    except ValueError as exc:
        raise ConfigError(file, key_key, str(exc)) from None


def build_authenticator(
    config: Config,
    admin_token: str | None,
    now: Callable[[], float],
    environ: Mapping[str, str] | None = None,
) -> Authenticator:
    """Static credentials plus, with ``[auth.jwt]``, the JWT verifier."""
    return Authenticator(
        build_credentials(config, admin_token),
        verifier=build_verifier(config, environ),
        now=now,
    )


def check_auth(config: Config, environ: Mapping[str, str] | None = None) -> None:
    """Everything about ``[auth]`` a daemon would refuse at start-up; raises ``ConfigError``.

    Each token named by ``token_env`` is checked in ``environ``: unset, empty or short
    is a problem, as a start refuses it (``ctid check-config`` answers for the
    environment it runs in: run it with the daemon's).
    """
    environ = os.environ if environ is None else environ
    gather = Gather()  # every problem of [auth], not only the first
    admin = environ.get(config.auth.admin_token_env)
    with gather.check():
        check_admin_token(config, admin or None)
    for i, section in enumerate(config.auth.tokens):
        if section.token_env is None:
            continue
        problem = token_env_problem(
            config.file, i, section.name, section.token_env, environ.get(section.token_env)
        )
        if problem is not None:
            gather.problems.append(problem)
    with gather.check():
        build_throttle(config)
    with gather.check():
        build_verifier(config, environ)
    gather.raise_any()


class AuthReloader:
    """On SIGHUP: read the JWT keys (secret, PEM, JWKS) again, for key rotation.

    ``reload_soon`` (the SIGHUP hook) wakes ``run``, a task in the daemon's
    nursery, which reads the files through ``blocking`` (a worker thread). A
    problem is logged and the keys in use are kept: a bad file must not lock
    everyone out.
    """

    def __init__(self, config: Config, auth: Authenticator, blocking: Blocking) -> None:
        self.config = config
        self.auth = auth
        self.blocking = blocking
        # One pending request is enough: a reload reads everything anew.
        self._send, self._receive = trio.open_memory_channel[None](1)

    def reload_soon(self) -> None:
        with contextlib.suppress(trio.WouldBlock):
            self._send.send_nowait(None)

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        async for _ in self._receive:
            await self.reload()

    async def reload(self) -> bool:
        """Read the keys again now; False (and the old keys kept) if they are unusable."""
        if self.config.auth.jwt is None:
            return False
        try:
            verifier = await self.blocking(build_verifier, self.config)
        except ConfigError as exc:
            log.error("JWT keys not reloaded, the old ones stay in use: %s", exc)
            return False
        self.auth.verifier = verifier
        log.info("JWT keys reloaded")
        return True
