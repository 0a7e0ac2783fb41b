"""ctid/transport.py: the client address behind proxies, allowed origins, connection counts.

Sans-IO: strings in, decisions out.
"""

from __future__ import annotations

import pytest

from ctid.transport import (
    ConnectionCounter,
    OriginPattern,
    OriginPolicy,
    client_address,
    parse_forwarded_for,
    parse_origin_pattern,
    parse_proxies,
    parse_x_forwarded_for,
)

PROXIES = parse_proxies(["10.0.0.0/8", "2001:db8:ffff::/48"])


# ------------------------------------------------------------- Forwarded


@pytest.mark.parametrize(
    ("value", "hops"),
    [
        ("for=192.0.2.60;proto=http;by=203.0.113.43", ["192.0.2.60"]),
        ('for="[2001:db8:cafe::17]:4711"', ["2001:db8:cafe::17"]),
        ('For="192.0.2.43:47011"', ["192.0.2.43"]),
        ("for=192.0.2.43, for=198.51.100.17", ["192.0.2.43", "198.51.100.17"]),
        ("for=unknown, for=198.51.100.17", [None, "198.51.100.17"]),
        ("for=_hidden", [None]),
        ("proto=https;by=10.0.0.1", [None]),
        ('for="192.0.2.1";host="a,b", for=10.1.1.1', ["192.0.2.1", "10.1.1.1"]),
        ("by=10.0.0.1;for=192.0.2.9", ["192.0.2.9"]),
        ("for=::ffff:192.0.2.7", ["192.0.2.7"]),
        ("for=not-an-address", [None]),
    ],
)
def test_forwarded_for_elements(value: str, hops: list[str | None]) -> None:
    assert parse_forwarded_for([value]) == hops


def test_forwarded_headers_repeated_are_one_list() -> None:
    assert parse_forwarded_for(["for=192.0.2.1", "for=10.0.0.2"]) == ["192.0.2.1", "10.0.0.2"]


@pytest.mark.parametrize(
    ("value", "hops"),
    [
        ("203.0.113.195", ["203.0.113.195"]),
        ("203.0.113.195, 10.1.2.3", ["203.0.113.195", "10.1.2.3"]),
        ("203.0.113.195:5555,[2001:db8::1]:80", ["203.0.113.195", "2001:db8::1"]),
        ("2001:db8::5", ["2001:db8::5"]),
        ("garbage, 10.0.0.1", [None, "10.0.0.1"]),
    ],
)
def test_x_forwarded_for(value: str, hops: list[str | None]) -> None:
    assert parse_x_forwarded_for([value]) == hops


# ---------------------------------------------------------- client address


def test_headers_from_an_untrusted_peer_are_ignored() -> None:
    headers = [("forwarded", "for=198.51.100.1"), ("x-forwarded-for", "198.51.100.2")]
    assert client_address("192.0.2.50", headers, PROXIES) == "192.0.2.50"
    # Without any trusted proxy configured, the same from anywhere.
    assert client_address("10.0.0.1", headers, ()) == "10.0.0.1"


def test_a_trusted_proxy_names_the_client() -> None:
    assert client_address("10.0.0.1", [("x-forwarded-for", "198.51.100.2")], PROXIES) == (
        "198.51.100.2"
    )
    assert client_address("10.0.0.1", [("forwarded", "for=198.51.100.1")], PROXIES) == (
        "198.51.100.1"
    )


def test_forwarded_wins_over_x_forwarded_for() -> None:
    headers = [("x-forwarded-for", "198.51.100.2"), ("forwarded", "for=198.51.100.1")]
    assert client_address("10.0.0.1", headers, PROXIES) == "198.51.100.1"


def test_the_walk_stops_at_the_first_untrusted_hop_from_the_right() -> None:
    # The client wrote "1.1.1.1" itself; the first proxy appended the real address.
    headers = [("x-forwarded-for", "1.1.1.1, 198.51.100.7, 10.2.2.2")]
    assert client_address("10.0.0.1", headers, PROXIES) == "198.51.100.7"


def test_a_chain_of_trusted_proxies_only_gives_the_leftmost() -> None:
    headers = [("x-forwarded-for", "10.9.9.9, 10.2.2.2")]
    assert client_address("10.0.0.1", headers, PROXIES) == "10.9.9.9"


def test_an_unreadable_hop_stops_at_the_proxy_that_sent_it() -> None:
    assert client_address("10.0.0.1", [("forwarded", "for=unknown")], PROXIES) == "10.0.0.1"
    headers = [("x-forwarded-for", "198.51.100.3, junk, 10.3.3.3")]
    assert client_address("10.0.0.1", headers, PROXIES) == "10.3.3.3"


def test_a_trusted_proxy_without_headers_is_the_client() -> None:
    assert client_address("10.0.0.1", [], PROXIES) == "10.0.0.1"


def test_ipv6_and_mapped_peers() -> None:
    headers = [("x-forwarded-for", "198.51.100.4")]
    assert client_address("2001:db8:ffff::2", headers, PROXIES) == "198.51.100.4"
    assert client_address("::ffff:10.0.0.1", headers, PROXIES) == "198.51.100.4"
    assert client_address("::ffff:192.0.2.1", headers, PROXIES) == "192.0.2.1"


def test_bad_proxy_entries_are_refused() -> None:
    with pytest.raises(ValueError, match=r'"10\.0\.0\.0/33" is not an IP address or CIDR'):
        parse_proxies(["10.0.0.0/33"])
    with pytest.raises(ValueError, match=r'"proxy\.example" is not'):
        parse_proxies(["proxy.example"])


# ---------------------------------------------------------------- origins


def test_origin_patterns() -> None:
    assert parse_origin_pattern("*") == OriginPattern(any_origin=True)
    assert parse_origin_pattern("https://CRM.example.com") == OriginPattern(
        any_origin=False, scheme="https", host="crm.example.com", port=443
    )
    assert parse_origin_pattern("http://localhost:*") == OriginPattern(
        any_origin=False, scheme="http", host="localhost", port=None
    )
    assert parse_origin_pattern("http://127.0.0.1:8080") == OriginPattern(
        any_origin=False, scheme="http", host="127.0.0.1", port=8080
    )


@pytest.mark.parametrize(
    "bad", ["crm.example.com", "https://crm.example.com/", "ftp://x", "http://a:99999", "null"]
)
def test_bad_origin_patterns_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match=r"is not an origin|out of range"):
        parse_origin_pattern(bad)


def test_origin_policy() -> None:
    policy = OriginPolicy.from_config(
        ["https://crm.example.com", "http://127.0.0.1:*", "http://localhost:*"]
    )
    assert policy.allows(None)  # scripts and servers send no Origin
    assert policy.allows("https://crm.example.com")
    assert policy.allows("https://crm.example.com:443")
    assert policy.allows("http://127.0.0.1:5173")
    assert policy.allows("http://localhost:3000")
    assert not policy.allows("https://evil.example.net")
    assert not policy.allows("null")
    assert not policy.allows("http://crm.example.com")  # another scheme
    assert not policy.allows("https://crm.example.com:8443")
    assert not policy.allows("https://127.0.0.1:5173")
    assert not policy.allows("https://crm.example.com.evil.example.net")
    assert not policy.allows("")


def test_no_origins_listed_refuses_every_browser() -> None:
    policy = OriginPolicy.from_config([])
    assert policy.allows(None)
    assert not policy.allows("http://localhost:3000")


def test_star_allows_every_origin_even_null() -> None:
    policy = OriginPolicy.from_config(["*"])
    assert policy.allows("https://evil.example.net")
    assert policy.allows("null")


# ----------------------------------------------------------------- counts


def test_connection_counter() -> None:
    counter = ConnectionCounter(max_connections=3, max_per_address=2)
    assert counter.refusal("a") is None
    counter.add("a")
    counter.add("a")
    assert counter.refusal("a") == (
        "too many connections from a: 2 (max_connections_per_address 2)"
    )
    assert counter.refusal("b") is None
    counter.add("b")
    assert counter.refusal("c") == "server full: 3 connections (max_connections 3)"
    counter.remove("a")
    assert counter.refusal("a") is None
    assert counter.by_address == {"a": 1, "b": 1}
    counter.remove("a")
    counter.remove("b")
    assert (counter.total, counter.by_address) == (0, {})
