"""Rules of the API listener, sans-IO: who the client is, which origins may connect, how many.

* ``client_address``: the address a connection counts against (limits,
  login throttling, logs). It is the TCP peer, unless the peer is one of
  ``[server] trusted_proxies``: then it is read from ``Forwarded`` (RFC 7239)
  or, without it, ``X-Forwarded-For``, walking from the right past every
  trusted proxy. Headers from any other peer are ignored: anyone can send them.
* ``OriginPolicy``: ``[api] allowed_origins``. A handshake with an ``Origin``
  header (a browser page) is allowed only if the origin is listed; ``"*"``
  allows any, ``http://localhost:*`` any port. No ``Origin`` header (a script, a
  server) is always allowed: the check protects browser users from other sites'
  pages, not the server from programs.
* ``ConnectionCounter``: ``max_connections`` and ``max_connections_per_address``.

No sockets, no trio: tested with strings (tests/unit/test_transport_rules.py).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence
from typing import Final

import attrs

__all__ = [
    "ConnectionCounter",
    "OriginPattern",
    "OriginPolicy",
    "client_address",
    "parse_forwarded_for",
    "parse_origin_pattern",
    "parse_proxies",
    "parse_x_forwarded_for",
]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

#: Hops read from a forwarding header at most (a longer chain is cut at the left).
MAX_HOPS: Final = 32


def parse_proxies(values: Iterable[str]) -> tuple[Network, ...]:
    """``["10.0.0.0/8", "::1"]`` -> networks; ``ValueError`` naming the bad entry."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise ValueError(f'"{value}" is not an IP address or CIDR network') from None
    return tuple(networks)


def _address(text: str) -> Address | None:
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: Address, proxies: Sequence[Network]) -> bool:
    return any(address in network for network in proxies)


_FOR = re.compile(r'(?i)(?:^|;)\s*for\s*=\s*("(?:[^"\\]|\\.)*"|[^;,\s]*)')


def _node_address(node: str) -> str | None:
    """A ``for=`` node (RFC 7239 §6) without its port; None for ``unknown``/obfuscated."""
    node = node.strip()
    if node.startswith('"') and node.endswith('"') and len(node) >= 2:
        node = re.sub(r"\\(.)", r"\1", node[1:-1])
    if node.startswith("["):
        end = node.find("]")
        if end < 0:
            return None
        host = node[1:end]
    elif node.count(":") == 1:
        host = node.split(":", 1)[0]  # IPv4 with a port
    else:
        host = node  # IPv4, or an unbracketed IPv6 (seen in the wild)
    address = _address(host)
    return None if address is None else str(address)


def parse_forwarded_for(values: Sequence[str]) -> list[str | None]:
    """The ``for=`` address of each element of ``Forwarded`` headers, left to right.

    An element without a usable address (``unknown``, an obfuscated name, no
    ``for``, garbage) is None: it breaks the chain there.
    """
    hops: list[str | None] = []
    for value in values:
        for element in _split_elements(value):
            match = _FOR.search(element)
            hops.append(_node_address(match.group(1)) if match else None)
    return hops[-MAX_HOPS:]


def parse_x_forwarded_for(values: Sequence[str]) -> list[str | None]:
    """The addresses of ``X-Forwarded-For`` headers, left to right (None: not an address)."""
    hops: list[str | None] = []
    for value in values:
        for item in value.split(","):
            item = item.strip()
            if item.startswith("[") and "]" in item:
                item = item[1 : item.index("]")]
            elif item.count(":") == 1:
                item = item.split(":", 1)[0]
            address = _address(item)
            hops.append(None if address is None else str(address))
    return hops[-MAX_HOPS:]


def _split_elements(value: str) -> list[str]:
    """Split a ``Forwarded`` value at commas outside quoted strings."""
    elements: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in value:
        if escaped:
            escaped = False
        elif char == "\\" and quoted:
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            elements.append("".join(current))
            current = []
            continue
        current.append(char)
    elements.append("".join(current))
    return [e for e in (e.strip() for e in elements) if e]


def client_address(
    peer: str, headers: Sequence[tuple[str, str]], proxies: Sequence[Network]
) -> str:
    """The client's address for a connection from ``peer`` (a host, no port).

    ``headers`` are the request's (lower-case names, repeated names kept). From
    a trusted proxy, the hops it reports are walked from the right; the first
    address that is not itself a trusted proxy is the client. A hop that cannot
    be read stops the walk at the proxy that reported it, so a garbled header
    never lets a client choose its own address.
    """
    peer_address = _address(peer)
    if peer_address is None or not proxies or not _trusted(peer_address, proxies):
        return str(peer_address) if peer_address is not None else peer
    forwarded = [v for k, v in headers if k == "forwarded"]
    if forwarded:
        hops = parse_forwarded_for(forwarded)
    else:
        hops = parse_x_forwarded_for([v for k, v in headers if k == "x-forwarded-for"])
    client = str(peer_address)
    for hop in reversed(hops):
        if hop is None:
            break
        client = hop
        hop_address = _address(hop)
        if hop_address is None or not _trusted(hop_address, proxies):
            break
    return client


# ------------------------------------------------------------------ origins


@attrs.frozen
class OriginPattern:
    """One ``allowed_origins`` entry: ``"*"``, or scheme, host and port (None: any port)."""

    any_origin: bool
    scheme: str = ""
    host: str = ""
    port: int | None = None


_ORIGIN = re.compile(r"(?i)(https?)://(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::(\d{1,5}|\*))?")
_DEFAULT_PORTS: Final = {"http": 80, "https": 443}


def parse_origin_pattern(value: str) -> OriginPattern:
    """``"*"``, ``"https://crm.example.com"``, ``"http://localhost:*"``; ``ValueError`` if not."""
    if value.strip() == "*":
        return OriginPattern(any_origin=True)
    match = _ORIGIN.fullmatch(value.strip())
    if match is None:
        raise ValueError(
            f'"{value}" is not an origin: expected "*" or SCHEME://HOST[:PORT] '
            '(http or https, no path; PORT may be "*")'
        )
    scheme, host, port = match.group(1).lower(), match.group(2).lower(), match.group(3)
    if port is None:
        number: int | None = _DEFAULT_PORTS[scheme]
    elif port == "*":
        number = None
    else:
        number = int(port)
        if not 0 < number <= 65535:
            raise ValueError(f'"{value}": port {number} is out of range 1-65535')
    return OriginPattern(any_origin=False, scheme=scheme, host=host, port=number)


def _parse_origin(value: str) -> tuple[str, str, int] | None:
    match = _ORIGIN.fullmatch(value.strip())
    if match is None or match.group(3) == "*":
        return None
    scheme, host = match.group(1).lower(), match.group(2).lower()
    port = int(match.group(3)) if match.group(3) else _DEFAULT_PORTS[scheme]
    return scheme, host, port


@attrs.frozen
class OriginPolicy:
    """Which ``Origin`` headers a WebSocket handshake may carry."""

    patterns: tuple[OriginPattern, ...]

    @classmethod
    def from_config(cls, values: Iterable[str]) -> OriginPolicy:
        return cls(tuple(parse_origin_pattern(v) for v in values))

    def allows(self, origin: str | None) -> bool:
        """Whether a handshake with this ``Origin`` (None: no header) may go on."""
        if origin is None:
            return True
        if any(p.any_origin for p in self.patterns):
            return True
        parsed = _parse_origin(origin)  # "null" and garbage match nothing
        if parsed is None:
            return False
        scheme, host, port = parsed
        return any(
            p.scheme == scheme and p.host == host and (p.port is None or p.port == port)
            for p in self.patterns
        )


# ------------------------------------------------------------------- limits


@attrs.define
class ConnectionCounter:
    """Open WebSocket connections, in all and by client address."""

    max_connections: int
    max_per_address: int
    total: int = 0
    by_address: dict[str, int] = attrs.field(factory=dict)

    def refusal(self, address: str) -> str | None:
        """Why a new connection from ``address`` is refused now, or None (admit it)."""
        if self.total >= self.max_connections:
            return f"server full: {self.total} connections (max_connections {self.max_connections})"
        count = self.by_address.get(address, 0)
        if count >= self.max_per_address:
            return (
                f"too many connections from {address}: {count} "
                f"(max_connections_per_address {self.max_per_address})"
            )
        return None

    def add(self, address: str) -> None:
        self.total += 1
        self.by_address[address] = self.by_address.get(address, 0) + 1

    def remove(self, address: str) -> None:
        self.total -= 1
        left = self.by_address[address] - 1
        if left:
            self.by_address[address] = left
        else:
            del self.by_address[address]
