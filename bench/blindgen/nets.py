"""Client addresses over time: a home line, a mobile carrier's shared NAT, a server's fixed IPs, a proxy pool."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

from . import world
from .engine import Addr

AddrFn = Callable[[random.Random, float], Addr]


def home(rng: random.Random, net: world.Network, *, v6: bool = False, renumber_p: float = 0.15) -> AddrFn:
    """A household line: one v4 address (renumbered once by the ISP now and then), or a v6 /64 whose interface
    half changes every day (privacy extensions)."""
    if v6 and net.v6:
        prefix = world.v6_prefix64(rng, net)
        seed = rng.getrandbits(32)

        def v6_addr(_: random.Random, ts: float) -> Addr:
            day = int((ts - world.T0) // world.DAY)
            return world.v6_host(random.Random(f"{seed}/{day}"), prefix), net.asn

        return v6_addr
    first = world.v4_in(rng, net)
    second = world.v4_in(rng, net) if rng.random() < renumber_p else first
    switch = world.T0 + rng.uniform(2, 19) * world.DAY

    def v4_addr(_: random.Random, ts: float) -> Addr:
        return (first if ts < switch else second), net.asn

    return v4_addr


def fixed(ips: Sequence[str], asn: int) -> AddrFn:
    """A server or an office egress: a few fixed addresses used in turn."""
    pool = list(ips)

    def pick(r: random.Random, _: float) -> Addr:
        return r.choice(pool), asn

    return pick


def pool(exits: Sequence[Addr]) -> AddrFn:
    """A rotating pool (carrier-grade NAT, a residential proxy provider): any exit, per request."""
    choices = list(exits)

    def pick(r: random.Random, _: float) -> Addr:
        return r.choice(choices)

    return pick


def mixed(parts: Sequence[tuple[AddrFn, float]]) -> AddrFn:
    """Several places one person works from (home, office, phone), chosen per request by weight."""
    fns = [p[0] for p in parts]
    weights = [p[1] for p in parts]

    def pick(r: random.Random, ts: float) -> Addr:
        return r.choices(fns, weights=weights)[0](r, ts)

    return pick


def residential_exits(rng: random.Random, n: int, countries: Sequence[str] | None = None) -> list[Addr]:
    """Exit addresses of a residential proxy provider: real home lines across many ISPs."""
    nets = [x for x in world.RESIDENTIAL if countries is None or x.country in countries] or list(world.RESIDENTIAL)
    out = []
    for _ in range(n):
        net = rng.choice(nets)
        out.append((world.v4_in(rng, net), net.asn))
    return out


def cloud_ips(rng: random.Random, region: str, n: int) -> tuple[list[str], int]:
    """n addresses of one tenant in one cloud region: a /24 or two."""
    net = world.CLOUD[region]
    blocks = [world.subnet24(rng, rng.choice(net.v4)) for _ in range(1 + (n > 2))]
    return [world.host_in24(rng, rng.choice(blocks)) for _ in range(n)], net.asn
