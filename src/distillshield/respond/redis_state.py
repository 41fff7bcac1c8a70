"""Gateway state in Redis, shared by every replica.

Keys, all under one prefix ``P``:

==========================  ===========================================================
``P:rq:<acct>:<minute>``    requests this UTC minute (INCR, expires after 2 minutes)
``P:tk:<acct>:<day>``       tokens this UTC day (INCRBY, expires after 2 days)
``P:hr:<acct>:<hour>``      learned requests this UTC hour (for ``peak_hour_requests``)
``P:a:<acct>``              hash of running feature counters and the campaign id
``P:d:<acct>:<family>``     HyperLogLog per distinct-count family (IPs, networks, prompts ...)
``P:risk`` / ``P:crisk``    sorted sets of account / campaign risk, only ever raised (ZADD GT)
``P:peak``                  sorted set of each account's busiest hour (ZADD GT)
``P:fp``                    hash of payment fingerprint -> campaign id
``P:ov``                    hash of account -> override (JSON)
``P:accounts``              set of every account seen
==========================  ===========================================================

A request costs one pipelined round trip before it is decided (two for a
campaign member) and one after it is answered, shared under load: reads and
writes queued while a pipeline is in flight go together in the next one. Distinct counts come from
HyperLogLog, so they are estimates (standard error 0.81 %), as the batch scan's
are on large data. Every Redis failure becomes StateUnavailableError; commands
time out after ``timeout_s`` so a dead Redis never hangs a request.
"""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Callable
from typing import Any

import redis.asyncio as redis
from redis.exceptions import RedisError

from distillshield.errors import StateUnavailableError
from distillshield.respond.identity import Identity
from distillshield.respond.online import DISTINCT, Snapshot
from distillshield.respond.seed import Seed
from distillshield.respond.state import (
    AccountSummary,
    AccountView,
    Finish,
    Override,
    StateStore,
    day_of,
    minute_of,
)

#: Add a request's counter increments to the account hash in one command, not one HINCRBYFLOAT each:
#: the client's per-command packing, not Redis, was the cost (a learned request has about 20 fields).
#: KEYS[1] the account hash; ARGV[1] the request time; then field, increment pairs.
_LEARN = """
for i = 2, #ARGV, 2 do redis.call('HINCRBYFLOAT', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('HSETNX', KEYS[1], 'first_t', ARGV[1])
redis.call('HSET', KEYS[1], 'last_t', ARGV[1])
"""


class RedisStore(StateStore):
    def __init__(self, *, url: str, prefix: str = "distillshield", timeout_s: float = 0.25) -> None:
        self.url = url
        self.prefix = prefix
        self.timeout_s = timeout_s
        self._redis = redis.Redis.from_url(
            url, decode_responses=True, socket_timeout=timeout_s, socket_connect_timeout=timeout_s
        )
        self._queued: list[tuple[Callable[[Any], None], asyncio.Future[list[Any]]]] = []
        self._drain_task: asyncio.Future[None] | None = None

    def _k(self, *parts: object) -> str:
        return ":".join((self.prefix, *(str(p) for p in parts)))

    async def _run(self, fill: Any) -> list[Any]:
        """Run one pipeline; any Redis or socket failure becomes StateUnavailableError."""
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                fill(pipe)
                return list(await pipe.execute())
        except (RedisError, OSError, TimeoutError) as exc:
            raise StateUnavailableError(f"redis at {self.url} is unavailable: {exc}") from exc

    async def begin(self, identity: Identity, now: float) -> AccountView:
        a, fp = identity.account_id, identity.payment_fingerprint
        rq = self._k("rq", a, minute_of(now))

        def fill(p: Any) -> None:
            p.incr(rq)
            p.expire(rq, 120)
            p.get(self._k("tk", a, day_of(now)))
            p.hgetall(self._k("a", a))
            for name in DISTINCT:
                p.pfcount(self._k("d", a, name))
            p.hget(self._k("ov"), a)
            p.get(self._k("hr", a, int(now // 3600)))
            p.zscore(self._k("risk"), a)
            p.zscore(self._k("peak"), a)
            p.hget(self._k("fp"), fp or "")
            p.sadd(self._k("accounts"), a)

        r = await self._queue(fill)
        counters = {k: float(v) for k, v in r[3].items() if k != "campaign"}
        counters["peak_hour"] = float(r[-3] or 0)
        k = 4 + len(DISTINCT)
        distinct = dict(zip(DISTINCT, (int(x) for x in r[4:k]), strict=True))
        campaign = r[3].get("campaign") or r[-2]
        campaign_risk = await self._campaign_risk(campaign) if campaign else 0.0
        snap = Snapshot(counters, distinct, identity.created_at, int(r[k + 1] or 0))
        return AccountView(
            int(r[0]), int(r[2] or 0), snap, float(r[-4] or 0.0), campaign, campaign_risk, _override(r[k])
        )

    async def _campaign_risk(self, campaign: str) -> float:
        r = await self._queue(lambda p: p.zscore(self._k("crisk"), campaign))
        return float(r[0] or 0.0)

    async def finish(self, account_id: str, now: float, finish: Finish) -> None:
        a = account_id

        def fill(p: Any) -> None:
            tk = self._k("tk", a, day_of(now))
            if finish.tokens:
                p.incrby(tk, finish.tokens)
                p.expire(tk, 2 * 86400)
            if finish.update is not None:
                self._learn(p, a, finish)
            if finish.campaign_id:
                p.hset(self._k("a", a), "campaign", finish.campaign_id)
                if finish.fingerprint:
                    p.hsetnx(self._k("fp"), finish.fingerprint, finish.campaign_id)
            if finish.raise_risk is not None:
                p.zadd(self._k("risk"), {a: finish.raise_risk}, gt=True)
                if finish.campaign_id:
                    p.zadd(self._k("crisk"), {finish.campaign_id: finish.raise_risk}, gt=True)

        await self._queue(fill)

    async def _queue(self, fill: Callable[[Any], None]) -> list[Any]:
        """Run ``fill`` in the next pipeline of queued work, with everything else queued meanwhile; its results.

        Under load one pipeline carries many requests' reads and writes: one round
        trip and one socket write for all of them, where each used to cost its own
        (py-spy at 100 req/s: socket writes to Redis were the largest single cost
        of the Redis path). At low load a request goes alone, at once.
        """
        waiter: asyncio.Future[list[Any]] = asyncio.get_running_loop().create_future()
        self._queued.append((fill, waiter))
        if self._drain_task is None or self._drain_task.done():
            self._drain_task = asyncio.ensure_future(self._drain())
        return await waiter

    async def _drain(self) -> None:
        while self._queued:
            batch, self._queued = self._queued, []
            spans: list[tuple[int, int]] = []
            try:
                results = await self._run(functools.partial(_fill_all, [fill for fill, _ in batch], spans))
            except StateUnavailableError as exc:
                for _, waiter in batch:
                    if not waiter.done():
                        waiter.set_exception(exc)
                continue
            for (_, waiter), (start, end) in zip(batch, spans, strict=True):
                if not waiter.done():
                    waiter.set_result(results[start:end])

    def _learn(self, p: Any, a: str, finish: Finish) -> None:
        update = finish.update
        assert update is not None  # only called with an update
        flat = [x for field, value in update.increments.items() for x in (field, value)]
        p.eval(_LEARN, 1, self._k("a", a), update.ts, *flat)
        for name, member in update.members.items():
            p.pfadd(self._k("d", a, name), member)
        hr = self._k("hr", a, int(update.ts // 3600))
        p.incr(hr)
        p.expire(hr, 7200)
        p.zadd(self._k("peak"), {a: finish.hour_count}, gt=True)

    async def set_override(self, account_id: str, override: Override | None) -> None:
        if override is None:
            await self._run(lambda p: p.hdel(self._k("ov"), account_id))
            return
        data = json.dumps({"reason": override.reason, "action": override.action, "tier": override.tier})
        await self._run(lambda p: (p.hset(self._k("ov"), account_id, data), p.sadd(self._k("accounts"), account_id)))

    async def accounts(self, limit: int = 1000) -> list[AccountSummary]:
        def fill(p: Any) -> None:
            p.smembers(self._k("accounts"))
            p.zrange(self._k("risk"), 0, -1, withscores=True)
            p.hgetall(self._k("ov"))

        r = await self._run(fill)
        ids = sorted(r[0])[: max(limit * 4, limit)]
        risks = dict(r[1])
        details = await self._run(lambda p: [p.hmget(self._k("a", a), "n", "campaign") for a in ids])
        rows = [
            AccountSummary(a, int(float(n or 0)), float(risks.get(a, 0.0)), c, _override(r[2].get(a)))
            for a, (n, c) in zip(ids, details, strict=True)
        ]
        return sorted(rows, key=lambda row: -row.risk)[:limit]

    async def seed(self, seed: Seed) -> None:
        def fill(p: Any) -> None:
            if seed.campaigns:
                p.zadd(self._k("crisk"), seed.campaigns, gt=True)
            if seed.fingerprints:
                p.hset(self._k("fp"), mapping=seed.fingerprints)
            for account, (risk, campaign) in seed.accounts.items():
                p.zadd(self._k("risk"), {account: risk}, gt=True)
                p.sadd(self._k("accounts"), account)
                if campaign:
                    p.hset(self._k("a", account), "campaign", campaign)

        await self._run(fill)

    async def ping(self) -> None:
        await self._run(lambda p: p.ping())

    async def clear(self) -> None:
        """Delete every key under the prefix (tests and ``serve --reset-state``)."""
        try:
            keys = [k async for k in self._redis.scan_iter(match=f"{self.prefix}:*", count=1000)]
            if keys:
                await self._redis.delete(*keys)
        except (RedisError, OSError, TimeoutError) as exc:
            raise StateUnavailableError(f"redis at {self.url} is unavailable: {exc}") from exc

    async def close(self) -> None:
        if self._drain_task is not None and not self._drain_task.done():
            await asyncio.wait([self._drain_task], timeout=2 * self.timeout_s + 1)
        await self._redis.aclose()


def _fill_all(fills: list[Callable[[Any], None]], spans: list[tuple[int, int]], pipe: Any) -> None:
    """Queue every fill's commands on one pipeline, noting which results belong to which."""
    for fill in fills:
        start = len(pipe.command_stack)
        fill(pipe)
        spans.append((start, len(pipe.command_stack)))


def _override(raw: str | None) -> Override | None:
    if not raw:
        return None
    data = json.loads(raw)
    return Override(reason=str(data.get("reason", "")), action=data.get("action"), tier=data.get("tier"))
