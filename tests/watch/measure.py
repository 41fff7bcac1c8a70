"""Measure ``watch``: ingest throughput, update time, and latency from a line appended to verdicts updated.

Not a test (pytest does not collect it). Usage, on a simulated log:

    distillshield simulate --out sim --scale 0.2 --seed 7 --quiet
    .venv/bin/python -m tests.watch.measure sim/traffic.jsonl.gz WORKDIR [--redis redis://127.0.0.1:6379/0]

Prints one JSON object: ``ingest_lines_per_s`` (in-process, file source, commit
with checkpoints, no verdicts), ``update_s`` (one verdict update over the whole
log, content scores not yet cached, then cached), and ``latency_s`` (a
``watch --every 0 --poll 0.2`` process following the directory or stream,
from one line appended or XADDed to that account appearing in accounts.csv,
three times each).
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path
from typing import Any

import duckdb
import orjson
import redis

from distillshield.ingest.store import RequestStore
from distillshield.registry import build_registry
from distillshield.settings import Settings
from distillshield.watch import Detection, FileSource
from distillshield.watch.batch import commit
from distillshield.watch.checkpoint import create_tables
from distillshield.watch.verdicts import update_verdicts
from tests.watch.helpers import log_lines, start_watch, status, stop, wait_for


def measure_ingest(lines: list[bytes], work: Path) -> tuple[float, duckdb.DuckDBPyConnection]:
    """Lines per second through FileSource and commit, into a fresh state database."""
    logs = work / "ingest-logs"
    logs.mkdir(parents=True)
    (logs / "traffic-0000.jsonl").write_bytes(b"".join(lines))
    con = duckdb.connect(str(work / "ingest.duckdb"))
    create_tables(con)
    store = RequestStore(con)
    source = FileSource(logs, max_record_bytes=Settings().max_record_bytes)
    source.load(con)
    start = time.perf_counter()
    for batch in source.poll():
        commit(con, store, batch)
    return len(lines) / (time.perf_counter() - start), con


def measure_update(con: duckdb.DuckDBPyConnection, work: Path) -> list[float]:
    """Seconds for a verdict update: first with no cached content scores, then with them cached."""
    registry = build_registry()
    detection = Detection(Settings(), registry, ())
    times = []
    for _ in range(2):
        start = time.perf_counter()
        update_verdicts(con, work / "update-out", detection)
        times.append(round(time.perf_counter() - start, 2))
    return times


def probe(template: bytes, k: int) -> tuple[str, bytes]:
    record = orjson.loads(template)
    account = f"acct_probe{k:04d}"
    record.update(request_id=f"req_probe_{k}_{time.time_ns()}", account_id=account)
    return account, orjson.dumps(record) + b"\n"


def in_accounts(out: Path, account: str) -> bool:
    try:
        return account.encode() in (out / "accounts.csv").read_bytes()
    except FileNotFoundError:
        return False


def measure_latency(lines: list[bytes], work: Path, redis_url: str | None) -> dict[str, Any]:
    """A watch process caught up on the log; then one line at a time, time until its account is judged."""
    state, out = work / "latency" / "state", work / "latency" / "out"
    stream = f"distillshield-measure-{time.time_ns()}"
    client = redis.Redis.from_url(redis_url) if redis_url else None
    if client is not None:
        with client.pipeline(transaction=False) as pipe:
            for line in lines:
                pipe.xadd(stream, {"record": line.rstrip(b"\n")})
            pipe.execute()
        source = f"{redis_url}?stream={stream}"
    else:
        logs = work / "latency" / "logs"
        logs.mkdir(parents=True)
        (logs / "traffic-0000.jsonl").write_bytes(b"".join(lines))
        source = str(logs)
    started = time.monotonic()
    watch = start_watch(source, state, out, "--every", "0", "--poll", "0.2", "--quiet")
    stderr = state.parent / "stderr"
    try:
        wait_for(lambda: status(out).get("counts", {}).get("read") == len(lines), watch, stderr, 900)
        catch_up = time.monotonic() - started
        latencies = []
        for k in range(3):
            time.sleep(1.0)
            account, line = probe(lines[k], k)
            appended = time.monotonic()
            if client is not None:
                client.xadd(stream, {"record": line.rstrip(b"\n")})
            else:
                with (work / "latency" / "logs" / "traffic-0000.jsonl").open("ab") as handle:
                    handle.write(line)
            wait_for(lambda a=account: in_accounts(out, a), watch, stderr, 300)  # type: ignore[misc]
            latencies.append(round(time.monotonic() - appended, 2))
        stop(watch)
    finally:
        watch.kill()
        if client is not None:
            client.delete(stream)
    return {
        "catch_up_s": round(catch_up, 2),
        "catch_up_lines_per_s": round(len(lines) / catch_up),
        "latency_s": latencies,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("log", type=Path)
    parser.add_argument("work", type=Path)
    parser.add_argument("--redis", default=None)
    args = parser.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    lines = log_lines(args.log)
    rate, con = measure_ingest(lines, args.work)
    updates = measure_update(con, args.work)
    con.close()
    result: dict[str, Any] = {"lines": len(lines), "ingest_lines_per_s": round(rate), "update_s": updates}
    result["files"] = measure_latency(lines, args.work / "files", None)
    if args.redis:
        result["redis"] = measure_latency(lines, args.work / "redis", args.redis)
    print(orjson.dumps(result).decode())


if __name__ == "__main__":
    main()
