"""Shared gateway state: budget counters, running account features, risks, campaigns and overrides.

Two stores keep the same contract. :class:`MemoryStore` lives in the gateway
process (the default, one replica). :class:`~distillshield.respond.redis_state.RedisStore`
keeps everything in Redis so that several replicas meter one budget and see one
risk per account. A store that cannot reach its backend raises
:class:`~distillshield.errors.StateUnavailableError`; the gateway then fails
open or closed as configured.

Budgets are fixed windows: requests per UTC minute and tokens per UTC day. The
request counter is taken before the request is decided, atomically, so
replicas cannot overrun a budget between them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from distillshield.respond.actions import Action
from distillshield.respond.identity import Identity
from distillshield.respond.online import Snapshot, Update
from distillshield.respond.seed import Seed


@dataclass(frozen=True, slots=True)
class Override:
    """An administrator's decision about an account: a forced action, a tier, or both."""

    reason: str
    action: Action | None = None
    tier: str | None = None


@dataclass(frozen=True, slots=True)
class AccountView:
    """Everything the gateway needs to decide one request, read in one round trip."""

    requests_this_minute: int
    tokens_today: int
    snapshot: Snapshot
    risk: float = 0.0  # the account's stored risk: seeded, or raised by an earlier flagged request
    campaign_id: str | None = None
    campaign_risk: float = 0.0
    override: Override | None = None


@dataclass(frozen=True, slots=True)
class Finish:
    """What to record once a request is over."""

    tokens: int = 0
    update: Update | None = None  # None when the request is not learned
    raise_risk: float | None = None  # the request was flagged at this risk
    campaign_id: str | None = None
    fingerprint: str | None = None
    hour_count: int = 0  # learned requests in this UTC hour, this one included


@dataclass(frozen=True, slots=True)
class AccountSummary:
    account_id: str
    requests: int
    risk: float
    campaign_id: str | None
    override: Override | None


def minute_of(now: float) -> int:
    return int(now // 60)


def day_of(now: float) -> int:
    return int(now // 86400)


class StateStore(ABC):
    """The contract both stores keep (all methods may raise StateUnavailableError)."""

    @abstractmethod
    async def begin(self, identity: Identity, now: float) -> AccountView:
        """Count this request against the minute's budget and read the account's state."""

    @abstractmethod
    async def finish(self, account_id: str, now: float, finish: Finish) -> None:
        """Charge tokens, learn the request if it is to be learned, raise the risk if flagged."""

    @abstractmethod
    async def set_override(self, account_id: str, override: Override | None) -> None: ...

    @abstractmethod
    async def accounts(self, limit: int = 1000) -> list[AccountSummary]: ...

    @abstractmethod
    async def seed(self, seed: Seed) -> None: ...

    @abstractmethod
    async def ping(self) -> None: ...

    async def close(self) -> None:
        return None


@dataclass
class _Account:
    counters: dict[str, float] = field(default_factory=dict)
    sets: dict[str, set[str]] = field(default_factory=dict)
    risk: float = 0.0
    campaign_id: str | None = None
    override: Override | None = None
    minute: tuple[int, int] = (0, 0)  # (minute, requests in it)
    day: tuple[int, int] = (0, 0)  # (day, tokens in it)
    hour: tuple[int, int] = (0, 0)  # (hour, learned requests in it)
    peak_hour: int = 0


class MemoryStore(StateStore):
    """Everything in this process: the default for a single replica, and exact (no HyperLogLog)."""

    def __init__(self) -> None:
        self._accounts: dict[str, _Account] = {}
        self._campaigns: dict[str, float] = {}
        self._fingerprints: dict[str, str] = {}

    def _get(self, account_id: str) -> _Account:
        account = self._accounts.get(account_id)
        if account is None:
            account = self._accounts[account_id] = _Account()
        return account

    async def begin(self, identity: Identity, now: float) -> AccountView:
        a = self._get(identity.account_id)
        minute = minute_of(now)
        a.minute = (minute, a.minute[1] + 1 if a.minute[0] == minute else 1)
        tokens = a.day[1] if a.day[0] == day_of(now) else 0
        campaign = a.campaign_id or self._fingerprints.get(identity.payment_fingerprint or "")
        snap = Snapshot(
            dict(a.counters), {k: len(v) for k, v in a.sets.items()}, identity.created_at, self._hour_count(a, now)
        )
        return AccountView(
            a.minute[1], tokens, snap, a.risk, campaign, self._campaigns.get(campaign or "", 0.0), a.override
        )

    def _hour_count(self, a: _Account, now: float) -> int:
        return a.hour[1] if a.hour[0] == int(now // 3600) else 0

    async def finish(self, account_id: str, now: float, finish: Finish) -> None:
        a = self._get(account_id)
        day = day_of(now)
        a.day = (day, (a.day[1] if a.day[0] == day else 0) + finish.tokens)
        if finish.update is not None:
            self._learn(a, finish.update)
        if finish.campaign_id:
            a.campaign_id = finish.campaign_id
            if finish.fingerprint:
                self._fingerprints.setdefault(finish.fingerprint, finish.campaign_id)
        if finish.raise_risk is not None:
            a.risk = max(a.risk, finish.raise_risk)
            if a.campaign_id:
                self._campaigns[a.campaign_id] = max(self._campaigns.get(a.campaign_id, 0.0), finish.raise_risk)

    def _learn(self, a: _Account, update: Update) -> None:
        for key, value in update.increments.items():
            a.counters[key] = a.counters.get(key, 0.0) + value
        a.counters.setdefault("first_t", update.ts)
        a.counters["last_t"] = max(a.counters.get("last_t", update.ts), update.ts)
        for name, member in update.members.items():
            a.sets.setdefault(name, set()).add(member)
        hour = int(update.ts // 3600)
        a.hour = (hour, a.hour[1] + 1 if a.hour[0] == hour else 1)
        a.peak_hour = max(a.peak_hour, a.hour[1])
        a.counters["peak_hour"] = float(a.peak_hour)

    async def set_override(self, account_id: str, override: Override | None) -> None:
        self._get(account_id).override = override

    async def accounts(self, limit: int = 1000) -> list[AccountSummary]:
        rows = [
            AccountSummary(k, int(a.counters.get("n", 0)), a.risk, a.campaign_id, a.override)
            for k, a in sorted(self._accounts.items())
        ]
        return sorted(rows, key=lambda r: -r.risk)[:limit]

    async def seed(self, seed: Seed) -> None:
        for name, campaign_risk in seed.campaigns.items():
            self._campaigns[name] = max(self._campaigns.get(name, 0.0), campaign_risk)
        self._fingerprints.update(seed.fingerprints)
        for account_id, (risk, campaign) in seed.accounts.items():
            a = self._get(account_id)
            a.risk, a.campaign_id = max(a.risk, risk), campaign or a.campaign_id

    async def ping(self) -> None:
        return None
