"""JwtVerifier: real tokens signed with real keys; every refusal and whether it counts."""

from __future__ import annotations

from pathlib import Path

import pytest

from ctid.api.auth import Credential, LoginRefused, Role
from ctid.api.jwt_tokens import JwtVerifier

from .keys import SECRET, KeyPair, claims, ec_pair, hs256, rsa_pair, signed, write_jwks

NOW = 1_800_000_000.0


def hmac_verifier(**kw: object) -> JwtVerifier:
    return JwtVerifier.from_settings(
        algorithms=["HS256"],
        secret=SECRET,
        public_key_file=None,
        jwks_file=None,
        issuer=kw.get("issuer"),  # type: ignore[arg-type]
        audience=kw.get("audience"),  # type: ignore[arg-type]
        leeway=float(kw.get("leeway", 30.0)),  # type: ignore[arg-type]
    )


def key_verifier(tmp_path: Path, pair: KeyPair, algorithm: str) -> JwtVerifier:
    pem = tmp_path / "key.pem"
    pem.write_bytes(pair.public_pem)
    return JwtVerifier.from_settings(
        algorithms=[algorithm],
        secret=None,
        public_key_file=pem,
        jwks_file=None,
        issuer=None,
        audience=None,
        leeway=30.0,
    )


def refused(verifier: JwtVerifier, token: str, now: float = NOW) -> LoginRefused:
    with pytest.raises(LoginRefused) as info:
        verifier.verify(token, now)
    return info.value


def test_hs256_token_gives_its_claims() -> None:
    token = hs256(claims(NOW, queues=["sales", "support"]))
    credential = hmac_verifier().verify(token, NOW)
    assert credential == Credential(
        token="",
        role=Role.AGENT,
        name="alice",
        devices=frozenset({"1001"}),
        agent_id="A100",
        queues=frozenset({"sales", "support"}),
        expires_at=NOW + 300 + 30,
    )
    assert credential.signed


def test_optional_claims_may_be_absent() -> None:
    token = hs256(claims(NOW, agent=None, devices=None, iat=None, role="supervisor"))
    credential = hmac_verifier().verify(token, NOW)
    assert (credential.role, credential.agent_id, credential.devices, credential.queues) == (
        Role.SUPERVISOR,
        None,
        frozenset(),
        frozenset(),
    )


@pytest.mark.parametrize(("make", "algorithm"), [(rsa_pair, "RS256"), (ec_pair, "ES256")])
def test_public_key_algorithms(tmp_path: Path, make: object, algorithm: str) -> None:
    pair = make()  # type: ignore[operator]
    verifier = key_verifier(tmp_path, pair, algorithm)
    credential = verifier.verify(signed(claims(NOW), pair, algorithm), NOW)
    assert (credential.name, credential.role) == ("alice", Role.AGENT)
    # Another key's signature proves nothing.
    other = refused(verifier, signed(claims(NOW), make(), algorithm))  # type: ignore[operator]
    assert (other.message, other.reason, other.counted) == (
        "authentication failed: bad token signature",
        "bad signature",
        True,
    )


def test_jwks_picks_the_key_by_kid(tmp_path: Path) -> None:
    first, second = rsa_pair(), ec_pair()
    jwks = write_jwks(tmp_path / "keys.json", {"k1": first, "k2": second})
    verifier = JwtVerifier.from_settings(
        algorithms=["RS256", "ES256"],
        secret=None,
        public_key_file=None,
        jwks_file=jwks,
        issuer=None,
        audience=None,
        leeway=30.0,
    )
    assert verifier.verify(signed(claims(NOW), first, "RS256", "k1"), NOW).name == "alice"
    assert verifier.verify(signed(claims(NOW, sub="bob"), second, "ES256", "k2"), NOW).name == (
        "bob"
    )
    # Signed with k2 but naming k1 (an RSA key) for ES256: refused, and counted.
    wrong = refused(verifier, signed(claims(NOW), second, "ES256", "k1"))
    assert (wrong.message, wrong.reason, wrong.counted) == (
        "authentication failed: the key does not fit the token's algorithm",
        "unknown key",
        True,
    )
    # Signed by another EC key under k2: a bad signature.
    forged = refused(verifier, signed(claims(NOW), ec_pair(), "ES256", "k2"))
    assert (forged.reason, forged.counted) == ("bad signature", True)
    unknown = refused(verifier, signed(claims(NOW), first, "RS256", "k9"))
    assert (unknown.message, unknown.counted) == (
        "authentication failed: unknown key id (kid)",
        True,
    )


def test_bad_signature_counts() -> None:
    exc = refused(hmac_verifier(), hs256(claims(NOW), secret="another-secret-" + "x" * 32))
    assert (exc.message, exc.reason, exc.counted) == (
        "authentication failed: bad token signature",
        "bad signature",
        True,
    )


@pytest.mark.parametrize("token", ["a.b.c", "eyJhbGciOiJIUzI1NiJ9.!!!.xyz", "..", "x.y."])
def test_malformed_counts(token: str) -> None:
    exc = refused(hmac_verifier(), token)
    assert (exc.message, exc.reason, exc.counted) == (
        "authentication failed: malformed token",
        "malformed token",
        True,
    )


def test_algorithm_not_configured_counts(tmp_path: Path) -> None:
    pair = rsa_pair()
    exc = refused(hmac_verifier(), signed(claims(NOW), pair, "RS256"))
    assert (exc.message, exc.counted) == (
        "authentication failed: token algorithm 'RS256' is not accepted",
        True,
    )
    unsigned = jwt_none(claims(NOW))
    exc = refused(hmac_verifier(), unsigned)
    assert (exc.message, exc.counted) == (
        "authentication failed: token algorithm 'none' is not accepted",
        True,
    )


def jwt_none(payload: dict[str, object]) -> str:
    import jwt

    return jwt.encode(payload, None, algorithm="none")


def test_no_exp_is_refused_without_counting() -> None:
    exc = refused(hmac_verifier(), hs256(claims(NOW, exp=None)))
    assert (exc.message, exc.reason, exc.counted) == (
        "authentication failed: token has no exp (expiry) claim",
        "no exp",
        False,
    )


def test_expiry_and_leeway_exactly() -> None:
    verifier = hmac_verifier(leeway=30.0)
    token = hs256(claims(NOW, exp=int(NOW) + 10))
    # Accepted up to exp + leeway, refused a moment later.
    assert verifier.verify(token, NOW + 10 + 30).name == "alice"
    exc = refused(verifier, token, NOW + 10 + 30.001)
    assert (exc.message, exc.reason, exc.counted) == ("token expired", "token expired", False)
    strict = hmac_verifier(leeway=0.0)
    assert strict.verify(token, NOW + 10).expires_at == NOW + 10
    assert refused(strict, token, NOW + 10.5).message == "token expired"


def test_nbf_and_iat_in_the_future() -> None:
    verifier = hmac_verifier(leeway=30.0)
    early = hs256(claims(NOW, nbf=int(NOW) + 100))
    exc = refused(verifier, early)
    assert (exc.message, exc.reason, exc.counted) == (
        "token not yet valid (nbf)",
        "token not yet valid",
        False,
    )
    # Within the leeway the clocks are taken to differ: accepted.
    assert verifier.verify(early, NOW + 70).name == "alice"
    assert refused(verifier, early, NOW + 69.9).reason == "token not yet valid"
    future_iat = hs256(claims(NOW, iat=int(NOW) + 31))
    exc = refused(verifier, future_iat)
    assert (exc.message, exc.counted) == ("token not yet valid (iat is in the future)", False)
    assert verifier.verify(hs256(claims(NOW, iat=int(NOW) + 30)), NOW).name == "alice"


def test_issuer_and_audience_checked_when_set() -> None:
    verifier = hmac_verifier(issuer="https://crm.example", audience="ctid")
    good = hs256(claims(NOW, iss="https://crm.example", aud=["other", "ctid"]))
    assert verifier.verify(good, NOW).name == "alice"
    exc = refused(verifier, hs256(claims(NOW, iss="https://evil.example", aud="ctid")))
    assert (exc.message, exc.reason, exc.counted) == (
        "authentication failed: wrong issuer",
        "wrong issuer",
        False,
    )
    exc = refused(verifier, hs256(claims(NOW, iss="https://crm.example", aud="billing")))
    assert (exc.message, exc.reason, exc.counted) == (
        "authentication failed: wrong audience",
        "wrong audience",
        False,
    )
    exc = refused(verifier, hs256(claims(NOW, iss="https://crm.example")))
    assert exc.reason == "wrong audience"
    # Unset: any issuer and audience pass.
    assert hmac_verifier().verify(hs256(claims(NOW, iss="x", aud="y")), NOW).name == "alice"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"role": "root"}, "authentication failed: claim role must be agent, supervisor or admin"),
        ({"role": None}, "authentication failed: claim role must be agent, supervisor or admin"),
        ({"sub": None}, "authentication failed: claim sub must be a non-empty string"),
        ({"sub": ""}, "authentication failed: claim sub must be a non-empty string"),
        ({"devices": "1001"}, "authentication failed: claim devices must be a list of strings"),
        ({"queues": [1]}, "authentication failed: claim queues must be a list of strings"),
        ({"agent": 7}, "authentication failed: claim agent must be a non-empty string"),
        ({"nbf": "soon"}, "authentication failed: claim nbf must be a number"),
        ({"exp": "later"}, "authentication failed: token has no exp (expiry) claim"),
    ],
)
def test_bad_claims_are_refused_without_counting(extra: dict[str, object], message: str) -> None:
    exc = refused(hmac_verifier(), hs256(claims(NOW, **extra)))
    assert (exc.message, exc.counted) == (message, False)


def test_unreadable_key_files_are_configuration_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot read"):
        JwtVerifier.from_settings(
            algorithms=["RS256"],
            secret=None,
            public_key_file=tmp_path / "missing.pem",
            jwks_file=None,
            issuer=None,
            audience=None,
            leeway=30,
        )
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a key")
    with pytest.raises(ValueError, match="not a PEM public key"):
        JwtVerifier.from_settings(
            algorithms=["RS256"],
            secret=None,
            public_key_file=garbage,
            jwks_file=None,
            issuer=None,
            audience=None,
            leeway=30,
        )
    with pytest.raises(ValueError, match="not a usable JWKS"):
        JwtVerifier.from_settings(
            algorithms=["RS256"],
            secret=None,
            public_key_file=None,
            jwks_file=garbage,
            issuer=None,
            audience=None,
            leeway=30,
        )
