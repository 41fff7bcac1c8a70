"""Both state stores keep one contract; Redis (127.0.0.1:6379) under a prefix of its own per test."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

from distillshield.errors import StateUnavailableError
from distillshield.respond.identity import Identity
from distillshield.respond.online import Update
from distillshield.respond.redis_state import RedisStore
from distillshield.respond.seed import Seed
from distillshield.respond.state import Finish, MemoryStore, Override, StateStore

NOW = 1_780_000_000.0  # a fixed moment; windows are computed from it
ALICE = Identity("alice", "key_a", payment_fingerprint="pf_new")


def run(make: Callable[[], StateStore], body: Callable[[StateStore], Coroutine[Any, Any, None]]) -> None:
    async def go() -> None:
        store = make()
        try:
            await body(store)
        finally:
            if isinstance(store, RedisStore):
                await store.clear()
            await store.close()

    asyncio.run(go())


STORES = {
    "memory": MemoryStore,
    "redis": lambda: RedisStore(url="redis://127.0.0.1:6379/0", prefix=f"test-state-{uuid.uuid4().hex}"),
}


@pytest.fixture(params=sorted(STORES))
def make(request: pytest.FixtureRequest) -> Callable[[], StateStore]:
    return STORES[request.param]  # type: ignore[return-value]


def test_requests_are_counted_per_minute(make: Callable[[], StateStore]) -> None:
    async def body(store: StateStore) -> None:
        counts = [(await store.begin(ALICE, NOW)).requests_this_minute for _ in range(3)]
        assert counts == [1, 2, 3]
        later = await store.begin(ALICE, NOW + 60)
        assert later.requests_this_minute == 1

    run(make, body)


def test_tokens_are_charged_per_day(make: Callable[[], StateStore]) -> None:
    async def body(store: StateStore) -> None:
        await store.finish("alice", NOW, Finish(tokens=120))
        await store.finish("alice", NOW, Finish(tokens=30))
        assert (await store.begin(ALICE, NOW)).tokens_today == 150
        assert (await store.begin(ALICE, NOW + 86400)).tokens_today == 0

    run(make, body)


def test_learning_updates_counters_and_distinct_counts(make: Callable[[], StateStore]) -> None:
    async def body(store: StateStore) -> None:
        for i, ip in enumerate(["1.1.1.1", "1.1.1.2", "1.1.1.1"]):
            update = Update({"n": 1.0, "sum_ct": 10.0}, {"ip": ip, "network": "1.1.1.0/24"}, NOW + i)
            await store.finish("alice", NOW + i, Finish(update=update, hour_count=i + 1))
        snap = (await store.begin(ALICE, NOW + 5)).snapshot
        assert snap.counters["n"] == 3 and snap.counters["sum_ct"] == 30
        assert snap.counters["first_t"] == NOW and snap.counters["last_t"] == NOW + 2
        assert snap.distinct == {"ip": 2, "network": 1} | {k: v for k, v in snap.distinct.items() if v == 0}
        assert snap.counters["peak_hour"] == 3

    run(make, body)


def test_risk_only_rises_and_campaigns_spread_by_card(make: Callable[[], StateStore]) -> None:
    async def body(store: StateStore) -> None:
        await store.seed(Seed({"bob": (0.9, "C1")}, {"C1": 0.9}, {"pf_c1": "C1"}))
        await store.finish("alice", NOW, Finish(raise_risk=0.6))
        await store.finish("alice", NOW, Finish(raise_risk=0.3))
        assert (await store.begin(ALICE, NOW)).risk == 0.6
        bob = await store.begin(Identity("bob", "k"), NOW)
        assert (bob.risk, bob.campaign_id, bob.campaign_risk) == (0.9, "C1", 0.9)
        newcomer = await store.begin(Identity("carl", "k", payment_fingerprint="pf_c1"), NOW)
        assert (newcomer.campaign_id, newcomer.campaign_risk, newcomer.risk) == ("C1", 0.9, 0.0)

    run(make, body)


def test_overrides_and_listing(make: Callable[[], StateStore]) -> None:
    async def body(store: StateStore) -> None:
        await store.begin(ALICE, NOW)
        await store.finish("alice", NOW, Finish(raise_risk=0.7))
        await store.set_override("bob", Override(reason="fraud desk", action="block"))
        assert (await store.begin(Identity("bob", "k"), NOW)).override == Override("fraud desk", "block", None)
        rows = await store.accounts()
        assert [r.account_id for r in rows] == ["alice", "bob"] and rows[0].risk == 0.7
        await store.set_override("bob", None)
        assert (await store.begin(Identity("bob", "k"), NOW)).override is None

    run(make, body)


def test_redis_down_raises_state_unavailable_quickly() -> None:
    async def body() -> None:
        store = RedisStore(url="unix:///nonexistent/redis.sock", prefix="x", timeout_s=0.1)
        with pytest.raises(StateUnavailableError, match="unavailable"):
            await store.begin(ALICE, NOW)
        await store.close()

    asyncio.run(body())
