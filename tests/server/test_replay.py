"""Replay a simulated log (hydra and pool campaigns among benign users) through the live gateway.

The gateway is seeded from a batch scan of the same log, the way a provider
would start it: last night's scan names the campaigns, the gateway acts on them
from their next request. A second run without any seed shows what online
scoring alone catches. Then ``scan`` runs on the gateway's own traffic log.
"""

from __future__ import annotations

import asyncio
import csv
import gzip
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import openai
import orjson
import pytest
import yaml

from distillshield.pipeline import run_scan
from distillshield.respond.identity import hash_key

from .helpers import serve_process, stub_server

CAMPAIGNS = ("hydra_proxy", "throwaway_pool")
BENIGN = ("casual_chat", "student", "enterprise_nat", "research_lab", "app_backend")
PER_ACCOUNT = 15  # requests replayed per account, to keep the test short


@dataclass(frozen=True)
class Replay:
    outcomes: dict[str, Counter[int]]  # archetype -> HTTP status counts
    by_account: dict[str, Counter[int]]
    log_dir: Path


def _labels(path: Path) -> dict[str, str]:
    with path.open(newline="", encoding="utf-8") as handle:
        return {row["account_id"]: row["archetype"] for row in csv.DictReader(handle)}


def _records(log: Path, archetypes: dict[str, str]) -> list[dict[str, Any]]:
    taken: Counter[str] = Counter()
    out = []
    with gzip.open(log, "rb") as handle:
        for line in handle:
            record = orjson.loads(line)
            account = record["account_id"]
            if archetypes.get(account) in CAMPAIGNS + BENIGN and taken[account] < PER_ACCOUNT:
                taken[account] += 1
                out.append(record)
    return sorted(out, key=lambda r: _seconds(r["ts"]))


def _seconds(value: str | float) -> float:
    """The spec allows RFC 3339 text or Unix seconds, and the simulator writes both."""
    if isinstance(value, str):
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    return float(value)


def _keys_file(records: list[dict[str, Any]], path: Path) -> Path:
    """A keys file with each account's metadata as the provider's account database would give it.

    Accounts a year old and more are ``verified``, younger ones ``new``: a verified tier protects an
    account from escalation on links alone (respond.standing), which a fresh farm account never has.
    """
    entries = {}
    for r in records:
        if r["account_id"] in entries:
            continue
        created_s = _seconds(r["account_created_at"]) if r.get("account_created_at") is not None else None
        old = created_s is not None and _seconds(r["ts"]) - created_s >= 365 * 86400
        tier = "verified" if old else "new"
        entry = {"sha256": hash_key(f"sk-{r['account_id']}"), "account_id": r["account_id"], "tier": tier}
        entry["key_id"] = r.get("api_key_id") or "k"
        for name in ("payment_fingerprint", "email_domain"):
            if r.get(name):
                entry[name] = r[name]
        if r.get("account_created_at") is not None:
            created = datetime.fromtimestamp(_seconds(r["account_created_at"]), UTC)
            entry["created_at"] = created.isoformat().replace("+00:00", "Z")
        entries[r["account_id"]] = entry
    path.write_text(yaml.safe_dump({"keys": list(entries.values())}), encoding="utf-8")
    return path


async def _send(url: str, records: list[dict[str, Any]]) -> list[int]:
    # One client for every account (each request carries its account's key): building a client per
    # account costs more than the requests themselves.
    client = openai.AsyncOpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0)

    async def one(r: dict[str, Any]) -> int:
        headers = {
            "authorization": f"Bearer sk-{r['account_id']}",
            "x-forwarded-for": r.get("ip") or "10.0.0.1",
            "user-agent": r.get("user_agent") or "replay",
            "x-distillshield-time": str(_seconds(r["ts"])),  # read only by a gateway started with --replay-clock
        }
        try:
            if r.get("messages") is not None:
                await client.chat.completions.create(model=r["model"], messages=r["messages"], extra_headers=headers)
            else:
                await client.completions.create(model=r["model"], prompt=r["prompt"], extra_headers=headers)
            return 200
        except openai.APIStatusError as exc:
            return exc.status_code

    # Sent in time order, a few at a time, so that each account's requests keep their order.
    statuses = []
    for start in range(0, len(records), 8):
        statuses += await asyncio.gather(*[one(r) for r in records[start : start + 8]])
    await client.close()
    return statuses


def _replay(small_scan: Any, log_dir: Path, seed: bool) -> Replay:
    archetypes = _labels(small_scan.labels)
    records = _records(small_scan.log, archetypes)
    keys = _keys_file(records, log_dir.parent / f"{log_dir.name}-keys.yaml")
    args = ["--keys", str(keys), "--log-dir", str(log_dir), "--trust-forwarded-for"]
    # Seeded: the scan already judged the log, the gateway acts on it now. Online only: the gateway
    # follows the log's own clock, so that cadence, gaps and sign-up ages are the campaigns' real ones.
    args += ["--seed", str(small_scan.result.out_dir)] if seed else ["--replay-clock"]
    # The gateway runs in its own process, as in production, so that it does not share a core with the clients.
    with stub_server() as (stub_url, _), serve_process("--upstream", stub_url, *args) as (url, _):
        statuses = asyncio.run(_send(url, records))
    outcomes: dict[str, Counter[int]] = defaultdict(Counter)
    by_account: dict[str, Counter[int]] = defaultdict(Counter)
    for r, status in zip(records, statuses, strict=True):
        outcomes[archetypes[r["account_id"]]][status] += 1
        by_account[r["account_id"]][status] += 1
    return Replay(dict(outcomes), dict(by_account), log_dir)


def _served(outcomes: dict[str, Counter[int]], archetypes: tuple[str, ...]) -> float:
    total = sum(sum(outcomes[a].values()) for a in archetypes)
    return sum(outcomes[a][200] for a in archetypes) / total


@pytest.fixture(scope="module")
def seeded(small_scan: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replay]:
    yield _replay(small_scan, tmp_path_factory.mktemp("replay-seeded"), seed=True)


def test_seeded_gateway_stops_the_campaigns_and_serves_benign_users(seeded: Replay) -> None:
    benign = _served(seeded.outcomes, BENIGN)
    campaign = _served(seeded.outcomes, CAMPAIGNS)
    print(f"seeded: benign served {benign:.4f}, campaign served {campaign:.4f}, {seeded.outcomes}")
    assert benign >= 0.997
    assert campaign <= 0.05
    for archetype in CAMPAIGNS:
        refused = seeded.outcomes[archetype][403] + seeded.outcomes[archetype][429]
        assert refused / sum(seeded.outcomes[archetype].values()) >= 0.95


def _actions(log_dir: Path, archetypes: dict[str, str]) -> dict[str, list[tuple[str, str]]]:
    """Per archetype, (account, action) of every logged request in time order."""
    records = sorted(
        (r for path in log_dir.glob("*.jsonl") for r in map(orjson.loads, path.read_bytes().splitlines())),
        key=lambda r: r["ts"],
    )
    out: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for r in records:
        out[archetypes[r["account_id"]]].append((r["account_id"], r["extra"]["gateway"]["action"]))
    return out


#: What online-only enforcement reaches for each campaign under the default policy: the hydra
#: campaign's content evidence takes it past the block rule (0.95); the pool's evidence is its
#: round-robin cadence, template and fresh sign-ups, which the scan too judges at about 0.88
#: (step-up verification, a 403 like a block).
ONLINE_ACTIONS = {"hydra_proxy": {"block"}, "throwaway_pool": {"step_up", "block"}}


def test_online_scoring_alone_links_and_refuses_the_campaigns(small_scan: Any, tmp_path: Path) -> None:
    """No seed: online scoring and linking alone stop both campaigns while they run.

    The hydra prompts flag its accounts one by one (reasoning withheld); the
    shared card and system-prompt template link them into one group, judged as a
    whole as the scan judges a campaign, until its risk reaches the block rule.
    The pool's accounts each look mild, but their shared instruction block links
    them, and their merged stream arrives on the fixed cadence of one load
    balancer. From the first refusal on, every member is refused, and a new
    account on a member's card from its first request.
    """
    replay = _replay(small_scan, tmp_path, seed=False)
    benign = _served(replay.outcomes, BENIGN)
    actions = _actions(tmp_path, _labels(small_scan.labels))
    print(f"online only: benign served {benign:.4f}, {replay.outcomes}")
    assert benign >= 0.997
    for archetype, stops in ONLINE_ACTIONS.items():
        taken = [action for _, action in actions[archetype]]
        first = next((i for i, action in enumerate(taken) if action in stops), None)
        assert first is not None, (archetype, taken)
        refused = sum(action in stops for action in taken[first:]) / len(taken[first:])
        accounts = {account for account, action in actions[archetype][first:] if action in stops}
        print(f"{archetype}: first {taken[first]} at request {first} of {len(taken)}, {refused:.3f} of later "
              f"requests refused, {len(accounts)} accounts")  # fmt: skip
        assert refused >= 0.95, (archetype, taken[first:])
        assert first <= 0.8 * len(taken), (archetype, taken)  # while the campaign runs, not after it


def test_scan_runs_on_the_gateway_logs(seeded: Replay, tmp_path: Path) -> None:
    result = run_scan([seeded.log_dir], tmp_path / "scan", html=False)
    sent = sum(sum(c.values()) for c in seeded.outcomes.values())
    assert result.ingest.read == sent and result.ingest.quarantined == 0
    verdicts = {v.account_id: v for v in result.detection.verdicts}
    assert set(verdicts) == set(seeded.by_account)
    with (tmp_path / "scan" / "accounts.csv").open(newline="", encoding="utf-8") as handle:
        assert {row["account_id"] for row in csv.DictReader(handle)} == set(seeded.by_account)
