"""Real keys and real JWTs for the auth tests: generated per run, signed with PyJWT."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

import attrs
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

#: An HS256 secret of 48 bytes (ctid wants at least 32).
SECRET: Final = "jwt-test-secret-0123456789abcdef-0123456789abcdef"


@attrs.frozen
class KeyPair:
    private: Any
    public_pem: bytes


def rsa_pair() -> KeyPair:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return KeyPair(private, _pem(private))


def ec_pair() -> KeyPair:
    private = ec.generate_private_key(ec.SECP256R1())
    return KeyPair(private, _pem(private))


def _pem(private: Any) -> bytes:
    return bytes(
        private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


def write_jwks(path: Path, keys: dict[str, KeyPair]) -> Path:
    """A JWKS file holding the public halves of ``keys`` (kid -> pair)."""
    entries = []
    for kid, pair in keys.items():
        public = pair.private.public_key()
        if isinstance(public, rsa.RSAPublicKey):
            jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(public))
        else:
            jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(public))
        jwk["kid"] = kid
        entries.append(jwk)
    path.write_text(json.dumps({"keys": entries}))
    return path


def claims(now: float, **extra: Any) -> dict[str, Any]:
    """An agent's claims, valid for 300 s from ``now``; ``extra`` adds or (None) removes."""
    out: dict[str, Any] = {
        "sub": "alice",
        "role": "agent",
        "agent": "A100",
        "devices": ["1001"],
        "iat": int(now),
        "exp": int(now) + 300,
    }
    for key, value in extra.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def hs256(payload: dict[str, Any], secret: str = SECRET) -> str:
    return jwt.encode(payload, secret, algorithm="HS256")


def signed(payload: dict[str, Any], pair: KeyPair, algorithm: str, kid: str | None = None) -> str:
    headers = {"kid": kid} if kid is not None else None
    return jwt.encode(payload, pair.private, algorithm=algorithm, headers=headers)
