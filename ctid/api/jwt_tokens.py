"""Signed tokens (JWT) minted by a CRM's backend for each agent's toolbar.

The signature is checked with PyJWT; the claims, and above all the times
(``exp``, ``nbf``, ``iat``), are checked here against ctid's own clock
(``WallClock``, which follows trio's clock), not the machine's: so the 60 s
warning, the expiry and the leeway behave the same on ``MockClock`` in the
tests as in production.

Every refusal says whether it *counts* as a failed login for the brute-force
throttle: only credentials that prove nothing do (garbage, a bad signature,
an algorithm or key we do not accept). A correctly signed token that has
expired, is not valid yet, or is for another issuer or audience is refused
with its own message and is not counted.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import attrs

from .auth import Credential, LoginRefused, Role

__all__ = ["ALGORITHMS", "JwtVerifier"]

#: Algorithms ctid accepts in ``auth.jwt.algorithms`` (never ``none``).
HMAC_ALGORITHMS: Final = frozenset({"HS256", "HS384", "HS512"})
PUBLIC_KEY_ALGORITHMS: Final = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"}
)
ALGORITHMS: Final = HMAC_ALGORITHMS | PUBLIC_KEY_ALGORITHMS
#: Shortest HMAC secret accepted: 256 bits, as RFC 7518 §3.2 asks for HS256.
MIN_SECRET_BYTES: Final = 32


def _refused(message: str, reason: str, *, counted: bool) -> LoginRefused:
    return LoginRefused(message, reason=reason, counted=counted)


@attrs.frozen(kw_only=True)
class JwtVerifier:
    """Checks a JWT and turns its claims into a ``Credential``.

    Build it with ``from_settings`` (keys are read once, at start-up).
    ``secret`` is the HMAC secret; ``public_key`` one public key; ``jwks`` a
    key set (``kid`` -> key); ``leeway`` seconds of tolerance for clocks that
    differ between the CRM and ctid.
    """

    algorithms: frozenset[str]
    secret: bytes | None = attrs.field(default=None, repr=False)
    public_key: Any = None
    jwks: Mapping[str, Any] = attrs.field(factory=dict)
    issuer: str | None = None
    audience: str | None = None
    leeway: float = 30.0

    @classmethod
    def from_settings(
        cls,
        *,
        algorithms: list[str],
        secret: str | None,
        public_key_file: Path | None,
        jwks_file: Path | None,
        issuer: str | None,
        audience: str | None,
        leeway: float,
    ) -> JwtVerifier:
        """Read the keys; raises ``ValueError`` with the problem (a configuration error)."""
        # PyJWT and cryptography are imported only where tokens are configured: they
        # cost ~0.15 s at every start of a ctid that takes none (``ctid simulate``).
        import jwt
        from cryptography.hazmat.primitives.serialization import load_pem_public_key

        public_key = None
        jwks: dict[str, Any] = {}
        if public_key_file is not None:
            try:
                public_key = load_pem_public_key(public_key_file.read_bytes())
            except OSError as exc:
                raise ValueError(f"cannot read {public_key_file}: {exc.strerror}") from None
            except (ValueError, TypeError) as exc:
                raise ValueError(f"{public_key_file}: not a PEM public key ({exc})") from None
        if jwks_file is not None:
            try:
                keyset = jwt.PyJWKSet.from_json(jwks_file.read_text())
            except OSError as exc:
                raise ValueError(f"cannot read {jwks_file}: {exc.strerror}") from None
            except (jwt.PyJWKSetError, jwt.InvalidKeyError, json.JSONDecodeError) as exc:
                raise ValueError(f"{jwks_file}: not a usable JWKS ({exc})") from None
            for index, key in enumerate(keyset.keys):
                jwks[key.key_id or f"#{index}"] = key.key
        return cls(
            algorithms=frozenset(algorithms),
            secret=secret.encode() if secret is not None else None,
            public_key=public_key,
            jwks=jwks,
            issuer=issuer,
            audience=audience,
            leeway=leeway,
        )

    def _key(self, header: Mapping[str, Any]) -> Any:
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in self.algorithms:
            raise _refused(
                f"authentication failed: token algorithm {str(alg)[:16]!r} is not accepted",
                "bad algorithm",
                counted=True,
            )
        if alg in HMAC_ALGORITHMS:
            return self.secret
        if self.jwks:
            kid = header.get("kid")
            if isinstance(kid, str) and kid in self.jwks:
                return self.jwks[kid]
            if kid is None and len(self.jwks) == 1:
                return next(iter(self.jwks.values()))
            raise _refused(
                "authentication failed: unknown key id (kid)", "unknown key", counted=True
            )
        return self.public_key

    def verify(self, token: str, now: float) -> Credential:
        """The credential ``token`` carries at wall-clock time ``now``; raises ``LoginRefused``."""
        import jwt  # imported by from_settings already (see there): a look-up

        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            raise _refused(
                "authentication failed: malformed token", "malformed token", counted=True
            ) from None
        key = self._key(header)
        if key is None:
            raise _refused(
                "authentication failed: no key for this token's algorithm",
                "unknown key",
                counted=True,
            )
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[str(header["alg"])],
                # Times, issuer and audience are checked below, on ctid's clock
                # and with ctid's messages; PyJWT checks the signature.
                options={
                    "verify_signature": True,
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                    "verify_aud": False,
                    "verify_iss": False,
                },
            )
        except jwt.InvalidSignatureError:
            raise _refused(
                "authentication failed: bad token signature", "bad signature", counted=True
            ) from None
        except jwt.InvalidTokenError:
            raise _refused(
                "authentication failed: malformed token", "malformed token", counted=True
            ) from None
        except (jwt.InvalidKeyError, TypeError, ValueError):
            # The header names a key of another type than its algorithm (an RSA
            # key for ES256, say): nothing a genuine token does.
            raise _refused(
                "authentication failed: the key does not fit the token's algorithm",
                "unknown key",
                counted=True,
            ) from None
        return self._credential(claims, now)

    def _credential(self, claims: dict[str, Any], now: float) -> Credential:
        # From here the signature is good: nothing below counts as a guess.
        exp = claims.get("exp")
        if not _is_time(exp):
            raise _refused(
                "authentication failed: token has no exp (expiry) claim", "no exp", counted=False
            )
        assert isinstance(exp, int | float)
        if now > exp + self.leeway:
            raise _refused("token expired", "token expired", counted=False)
        nbf = claims.get("nbf")
        if nbf is not None:
            if not _is_time(nbf):
                raise _bad_claim("nbf", "must be a number")
            if now + self.leeway < nbf:
                raise _refused("token not yet valid (nbf)", "token not yet valid", counted=False)
        iat = claims.get("iat")
        if iat is not None:
            if not _is_time(iat):
                raise _bad_claim("iat", "must be a number")
            if now + self.leeway < iat:
                raise _refused(
                    "token not yet valid (iat is in the future)",
                    "token not yet valid",
                    counted=False,
                )
        if self.issuer is not None and claims.get("iss") != self.issuer:
            raise _refused("authentication failed: wrong issuer", "wrong issuer", counted=False)
        if self.audience is not None:
            aud = claims.get("aud")
            audiences = aud if isinstance(aud, list) else [aud]
            if self.audience not in audiences:
                raise _refused(
                    "authentication failed: wrong audience", "wrong audience", counted=False
                )
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub:
            raise _bad_claim("sub", "must be a non-empty string")
        try:
            role = Role(claims.get("role"))
        except ValueError:
            raise _bad_claim("role", "must be agent, supervisor or admin") from None
        agent = claims.get("agent")
        if agent is not None and (not isinstance(agent, str) or not agent):
            raise _bad_claim("agent", "must be a non-empty string")
        return Credential(
            token="",
            role=role,
            name=sub,
            devices=_string_set(claims, "devices"),
            agent_id=agent,
            queues=_string_set(claims, "queues"),
            expires_at=float(exp) + self.leeway,
        )


def _is_time(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _bad_claim(name: str, problem: str) -> LoginRefused:
    return _refused(
        f"authentication failed: claim {name} {problem}", f"bad claim {name}", counted=False
    )


def _string_set(claims: Mapping[str, Any], name: str) -> frozenset[str]:
    value = claims.get(name)
    if value is None:
        return frozenset()
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise _bad_claim(name, "must be a list of strings")
    return frozenset(value)
