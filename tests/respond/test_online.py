"""Online features equal the scan's features for the same requests, and score before learn holds."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any, ClassVar

import duckdb
import numpy as np
import pytest

from distillshield.detect.scorers.base import AccountScorer
from distillshield.features.frame import AccountFrame
from distillshield.records import Signal
from distillshield.registry import build_registry
from distillshield.respond.identity import Identity
from distillshield.respond.online import BATCH_ONLY, Observation, OnlineScorer, Outcome, Snapshot, features
from distillshield.respond.state import Finish, MemoryStore

#: Columns that depend on the order of learning only through sums: they must match the scan exactly.
EXACT = (
    "n_requests", "n_active_days", "span_hours", "n_ips", "n_networks", "n_user_agents", "n_keys", "n_end_users",
    "n_models", "mean_prompt_tokens", "mean_completion_tokens", "mean_reasoning_tokens", "tool_call_share",
    "multi_turn_share", "rate_limited_share", "distinct_prompt_share", "gap_cv", "age_at_first_request_hours",
    "hour_entropy", "peak_hour_requests", "requests_per_active_day",
)  # fmt: skip


@pytest.fixture(scope="module")
def scanned(small_scan: Any) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    con = duckdb.connect(str(small_scan.result.out_dir / "scan.duckdb"), read_only=True)
    try:
        accounts = [r[0] for r in con.execute("SELECT account_id FROM account_features ORDER BY account_id").fetchall()]
        chosen = accounts[::7]  # a spread of archetypes, small enough to replay quickly
        cursor = con.execute(
            "SELECT *, epoch(ts) AS t, epoch(account_created_at) AS created FROM requests "
            "WHERE list_contains($a, account_id) ORDER BY account_id, ts",
            {"a": chosen},
        )
        names = [d[0] for d in cursor.description]
        requests = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        cursor = con.execute("SELECT * FROM account_features WHERE list_contains($a, account_id)", {"a": chosen})
        names = [d[0] for d in cursor.description]
        rows = {row[0]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}
    finally:
        con.close()
    return requests, rows


def _learn_all(requests: list[dict[str, Any]], scorer: OnlineScorer) -> MemoryStore:
    store = MemoryStore()

    async def go() -> None:
        for r in requests:
            identity = Identity(r["account_id"], r["api_key_id"] or "k", created_at=r["created"])
            view = await store.begin(identity, r["t"])
            obs = Observation(
                ts=r["t"], system=r["system_prompt"] or "", user=r["user_prompt"] or "",
                n_user_turns=r["n_user_turns"], model=r["model"], ip=r["ip"], user_agent=r["user_agent"],
                api_key_id=r["api_key_id"] or "k", user_id=r["user_id"],
                content=scorer.content(r["system_prompt"] or "", r["user_prompt"] or "", r["messages"], r["extra"]),
            )  # fmt: skip
            outcome = Outcome(
                r["status"], r["prompt_tokens"] or 0, r["completion_tokens"] or 0, r["reasoning_tokens"] or 0,
                r["tool_calls"] or 0,
            )  # fmt: skip
            update = scorer.update(view.snapshot, obs, outcome)
            await store.finish(r["account_id"], r["t"], Finish(update=update, hour_count=view.snapshot.hour_count + 1))

    asyncio.run(go())
    return store


def test_online_features_match_the_scan(scanned: tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]) -> None:
    requests, rows = scanned
    registry = build_registry()
    scorer = OnlineScorer(detectors=registry.instances("content"), scorers=registry.instances("scorers"))
    store = _learn_all(requests, scorer)
    for account, expected in rows.items():
        created = next(r["created"] for r in requests if r["account_id"] == account)
        view = asyncio.run(store.begin(Identity(account, "k", created_at=created), 0.0))
        online = features(view.snapshot, None, scorer.detectors)
        assert set(expected) - {"account_id"} <= set(online), "the scan has a feature the gateway lacks"
        for column in EXACT:
            assert online[column] == pytest.approx(expected[column], rel=1e-6, abs=1e-9, nan_ok=True), (account, column)
        for d in scorer.detectors:
            for suffix in ("hits", "share", "mean"):
                name = f"{d.name}_{suffix}"
                assert online[name] == pytest.approx(expected[name], rel=1e-6, abs=1e-9), (account, name)
        assert all(online[c] == 0.0 for c in BATCH_ONLY)


def test_scoring_uses_the_requests_own_content() -> None:
    registry = build_registry()
    scorer = OnlineScorer(detectors=registry.instances("content"), scorers=registry.instances("scorers"))
    store = MemoryStore()
    harvest = (
        "Your role as an assistant involves thoroughly exploring questions through a systematic long thinking "
        "process before providing the final precise and accurate solutions."
    )

    async def go() -> list[float]:
        risks = []
        for i in range(12):
            view = await store.begin(Identity("a", "k"), 1_780_000_000.0 + i)
            obs = Observation(
                1_780_000_000.0 + i, harvest, f"Problem {i}: prove it.", 1, "m", "1.2.3.4", "ua", "k", None,
                scorer.content(harvest, f"Problem {i}: prove it."),
            )  # fmt: skip
            score = scorer.score("a", view.snapshot, obs)
            risks.append(score.risk)
            if score.risk < 0.5:  # score before learn: only unflagged requests are learned
                await store.finish("a", obs.ts, Finish(update=scorer.update(view.snapshot, obs, Outcome())))
        return risks

    risks = asyncio.run(go())
    assert risks[0] < 0.5 <= max(risks)
    learned = asyncio.run(store.begin(Identity("a", "k"), 0.0)).snapshot.counters["n"]
    assert learned == sum(r < 0.5 for r in risks) < len(risks)  # flagged requests did not teach the account
    assert np.all(np.diff(risks[: int(learned) + 1]) >= 0)


class _ReadsAScanOnlyColumn(AccountScorer):
    """A third-party scorer over a column only the batch scan computes."""

    reads: ClassVar[tuple[str, ...]] = ("n_requests", "some_scan_only_share")

    def signals(self, frame: AccountFrame) -> Iterator[tuple[int, Signal]]:
        fire = frame["some_scan_only_share"] > 0.5
        return self._emit(frame, fire, np.ones(len(frame)), "scan_only", "n_requests", "fires on the column")


def test_a_scorer_reading_a_column_the_gateway_lacks_is_scored_on_zero_not_broken() -> None:
    scorer = OnlineScorer(detectors=[], scorers=[_ReadsAScanOnlyColumn()])
    assert scorer.unknown == ["some_scan_only_share"]
    obs = Observation(0.0, "", "hello", 1, "m", None, None, "k", None, {})
    assert scorer.score("a", Snapshot(), obs).risk == 0.0
