"""The client address behind trusted proxies, as uvicorn's ``ProxyHeadersMiddleware`` finds it.

A load balancer appends the address it saw to ``X-Forwarded-For``; everything to its left
was written by the client and proves nothing. So the header is believed only when the direct
peer is a trusted proxy, and read from the right: trusted proxies are skipped and the first
address that is not one is the client (uvicorn ``_TrustedHosts.get_trusted_client_host``).
Every hop is parsed with :mod:`ipaddress`; one that does not parse ends the walk, so a forged
``not-an-ip<script>`` can never become the logged client.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_networks(entries: Iterable[str]) -> tuple[_Network, ...]:
    """Addresses or CIDR networks; raises ValueError naming the bad entry."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError as exc:
            raise ValueError(f"not an IP address or network: {entry!r}") from exc
    return tuple(networks)


class TrustedProxies:
    def __init__(self, entries: Iterable[str]) -> None:
        self.networks = parse_networks(entries)

    def trusts(self, address: _Address | None) -> bool:
        return address is not None and any(address in net for net in self.networks)

    def client(self, peer: str | None, forwarded_for: str | None) -> str | None:
        """The client address for a request from ``peer`` carrying ``forwarded_for`` (may be None)."""
        peer_address = _parse(peer)
        if not forwarded_for or not self.trusts(peer_address):
            return str(peer_address) if peer_address is not None else peer
        nearest = peer_address
        for hop in reversed(forwarded_for.split(",")):
            address = _parse(hop.strip())
            if address is None:
                break  # a hop that is not an address: believe nothing further left
            if not self.trusts(address):
                return str(address)
            nearest = address
        return str(nearest)


def _parse(text: str | None) -> _Address | None:
    if not text:
        return None
    try:
        return ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None
