"""Build the whole log and its labels: benign population first, then the campaigns, then one sorted write."""

from __future__ import annotations

import csv
import gzip
import time
from dataclasses import dataclass
from pathlib import Path

from . import benign, campaigns, corpus
from .engine import Ctx


@dataclass(frozen=True)
class Summary:
    requests: int
    accounts: int
    seconds: float
    by_archetype: dict[tuple[str, str], tuple[int, int]]  # (label, archetype) -> (accounts, requests)


def build(scale: float, seed: int, root: Path | None = None, volume: float = 1.0) -> Ctx:
    if scale <= 0:
        raise ValueError(f"--scale must be positive, got {scale}")
    if not 0 < volume <= 1:
        raise ValueError(f"--volume must be in (0, 1], got {volume}")
    ctx = Ctx(seed=seed, scale=scale, corpus=corpus.load(root), volume=volume)
    benign.everyone(ctx)
    campaigns.everyone(ctx)
    ctx.accounts = [a for a in ctx.accounts if a.requests > 0]
    ctx.lines.sort(key=lambda line: line[0])
    return ctx


def write(ctx: Ctx, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    # mtime=0 keeps the gzip bytes identical across runs with the same seed.
    with (
        open(out / "traffic.jsonl.gz", "wb") as raw,
        gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=5, mtime=0) as gz,
    ):
        for chunk_start in range(0, len(ctx.lines), 20_000):
            chunk = ctx.lines[chunk_start : chunk_start + 20_000]
            gz.write(("\n".join(line for _, line in chunk) + "\n").encode("utf-8"))
    with open(out / "labels.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["account_id", "label", "campaign_id", "archetype"])
        for a in sorted(ctx.accounts, key=lambda a: a.account_id):
            w.writerow([a.account_id, a.label, a.campaign_id, a.archetype])


def run(out: Path, scale: float, seed: int, root: Path | None = None, volume: float = 1.0) -> Summary:
    started = time.perf_counter()
    ctx = build(scale, seed, root, volume)
    write(ctx, out)
    table: dict[tuple[str, str], tuple[int, int]] = {}
    for a in ctx.accounts:
        n_acc, n_req = table.get((a.label, a.archetype), (0, 0))
        table[(a.label, a.archetype)] = (n_acc + 1, n_req + a.requests)
    return Summary(len(ctx.lines), len(ctx.accounts), time.perf_counter() - started, table)
