"""Latency the gateway adds, and its throughput, against calling the stub upstream directly.

One run starts the stub model server, then the gateway in front of it with
in-process state, then again with Redis state, each in its own process with one
worker. For each target it sends an open-loop load at fixed rates (default 100
and 300 requests/s: requests leave on schedule whether or not earlier ones are done)
and records each request's latency, then a closed-loop burst at fixed
concurrency for the throughput ceiling. Targets alternate, so drift on the
machine hits all alike. Added latency = gateway percentile - direct percentile.
Results go to bench/RESULTS.md between the ``gateway-benchmark`` markers.

Usage: python bench/bench_gateway.py [--rates 100,300] [--seconds 10] [--runs 2] [--redis redis://127.0.0.1:6379/0]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import numpy as np

from distillshield.registry import build_registry
from distillshield.respond.identity import hash_key
from distillshield.respond.online import Observation, OnlineScorer, Snapshot

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"
BEGIN, END = "<!-- gateway-benchmark:begin -->", "<!-- gateway-benchmark:end -->"
KEY = "sk-bench"
SYSTEM = "You are a helpful assistant for a travel booking site."
QUESTION = "Which documents do I need to rent a car in Portugal as a visitor? My booking reference is {n}."


def body(n: int) -> bytes:
    """Each request's text differs, so no cache anywhere can answer the content models for them."""
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": QUESTION.format(n=n)}]
    return json.dumps({"model": "stub-model", "messages": messages, "max_tokens": 256}).encode()


POLICY = "default_tier: enterprise\ntiers:\n  enterprise: {}\n"


@dataclass(frozen=True)
class Target:
    url: str
    pid: int


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def process(command: list[str]) -> Iterator[Target]:
    """A server process whose first stdout line is ``listening on URL``."""
    with tempfile.TemporaryFile() as errors:
        child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, text=True)
        try:
            assert child.stdout is not None  # piped above
            line = child.stdout.readline()
            if not line.startswith("listening on"):
                errors.seek(0)
                raise RuntimeError(f"{command[:4]} did not start: {errors.read()[-2000:]!r}")
            yield Target(line.split()[-1], child.pid)
        finally:
            child.terminate()
            child.wait(10)
            child.stdout.close() if child.stdout else None


async def open_loop(url: str, rate: float, seconds: float) -> list[float]:
    """Latencies (s) of requests sent on a fixed schedule of ``rate`` per second."""
    latencies: list[float] = []
    headers = {"authorization": f"Bearer {KEY}", "content-type": "application/json"}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:

        async def one(n: int) -> None:
            start = time.perf_counter()
            async with session.post(f"{url}/v1/chat/completions", data=body(n), headers=headers) as response:
                await response.read()
                if response.status != 200:
                    raise RuntimeError(f"{url} answered {response.status}")
            latencies.append(time.perf_counter() - start)

        tasks = []
        begin = time.perf_counter()
        for i in range(int(rate * seconds)):
            delay = begin + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(i)))
        await asyncio.gather(*tasks)
    return latencies


async def closed_loop(url: str, concurrency: int, seconds: float) -> tuple[float, int]:
    """Requests per second with ``concurrency`` requests always in flight, and how many were sent."""
    headers = {"authorization": f"Bearer {KEY}", "content-type": "application/json"}
    done = 0
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        stop = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal done
            while time.perf_counter() < stop:
                data = body(done)
                async with session.post(f"{url}/v1/chat/completions", data=data, headers=headers) as response:
                    await response.read()
                done += 1

        begin = time.perf_counter()
        await asyncio.gather(*[worker() for _ in range(concurrency)])
        return done / (time.perf_counter() - begin), done


def components() -> dict[str, float]:
    """Microseconds per request of the scoring steps, measured in this process on the same texts."""
    registry = build_registry()
    scorer = OnlineScorer(detectors=registry.instances("content"), scorers=registry.instances("scorers"))
    scorer.content_many([SYSTEM], ["warm-up"])
    out = {}
    for size in (1, 16):
        n = 0
        start = time.perf_counter()
        while time.perf_counter() - start < 1.0:
            scorer.content_many([SYSTEM] * size, [QUESTION.format(n=n + i) for i in range(size)])
            n += size
        out[f"content_us_batch{size}"] = (time.perf_counter() - start) / n * 1e6
    obs = Observation(
        time.time(), SYSTEM, QUESTION, 1, "m", "10.0.0.1", "ua", "k", None, scorer.content(SYSTEM, QUESTION)
    )
    start, n = time.perf_counter(), 0
    while time.perf_counter() - start < 1.0:
        scorer.score_many(["a"], [Snapshot()], [obs])
        n += 1
    out["scorers_us_per_request"] = (time.perf_counter() - start) / n * 1e6
    return out


def percentiles(latencies: list[float]) -> dict[str, float]:
    a = np.array(latencies) * 1000
    return {"p50_ms": float(np.percentile(a, 50)), "p99_ms": float(np.percentile(a, 99))}


def measure(targets: dict[str, Target], args: argparse.Namespace) -> dict[str, dict[str, float]]:
    """Per target: p50/p99 at each rate (keys ``p50_ms@RATE``), the closed-loop ceiling, and CPU per request.

    CPU per request (the target's own process, from ``/proc``) is taken over the
    closed-loop burst; unlike latency it hardly moves when other jobs share the machine.
    """
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in targets}
    for _ in range(args.runs):
        for name, target in targets.items():  # alternating, so that drift hits every target alike
            row: dict[str, float] = {}
            for rate in args.rates:
                asyncio.run(open_loop(target.url, rate, 1.0))  # warm-up
                for key, value in percentiles(asyncio.run(open_loop(target.url, rate, args.seconds))).items():
                    row[f"{key}@{rate:g}"] = value
            before = cpu_seconds(target.pid)
            row["max_rps"], sent = asyncio.run(closed_loop(target.url, args.concurrency, args.seconds / 2))
            row["cpu_us"] = (cpu_seconds(target.pid) - before) / max(sent, 1) * 1e6
            runs[name].append(row)
    return {name: {k: statistics.median(r[k] for r in rows) for k in rows[0]} for name, rows in runs.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--rates",
        type=lambda text: [float(x) for x in text.split(",")],
        default=[100.0, 300.0],
        help="open-loop rates in requests/s, comma-separated",
    )
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        root = Path(tmp)
        keys = root / "keys.yaml"
        keys.write_text(f"keys:\n  - sha256: {hash_key(KEY)}\n    account_id: bench\n", encoding="utf-8")
        (root / "policy.yaml").write_text(POLICY, encoding="utf-8")
        stub = stack.enter_context(process([sys.executable, "-m", "distillshield.server.stub", "--port", "0"]))
        serve = [sys.executable, "-m", "distillshield", "serve", "--port", "0", "--quiet", "--upstream", stub.url]
        serve += ["--keys", str(keys), "--policy", str(root / "policy.yaml")]
        gateway = stack.enter_context(process([*serve, "--log-dir", str(root / "logs")]))
        redis_args = ["--redis", args.redis, "--redis-prefix", f"bench-{uuid.uuid4().hex}"]
        with_redis = stack.enter_context(process([*serve, "--log-dir", str(root / "logs-redis"), *redis_args]))
        results = measure({"direct": stub, "gateway": gateway, "gateway_redis": with_redis}, args)
    parts = components()
    write_results(results, parts, args)
    print(json.dumps({**results, "components": parts}, indent=2))


def write_results(results: dict[str, dict[str, float]], parts: dict[str, float], args: argparse.Namespace) -> None:
    labels = {
        "direct": "stub upstream, direct",
        "gateway": "gateway, in-process state",
        "gateway_redis": "gateway, Redis state",
    }
    rows = []
    for rate in args.rates:
        direct = results["direct"]
        for name, label in labels.items():
            r = results[name]
            p50, p99 = r[f"p50_ms@{rate:g}"], r[f"p99_ms@{rate:g}"]
            added = (
                ""
                if name == "direct"
                else f"+{p50 - direct[f'p50_ms@{rate:g}']:.2f} / +{p99 - direct[f'p99_ms@{rate:g}']:.2f}"
            )
            cpu = f"{r['cpu_us']:,.0f}"
            rows.append(f"| {rate:g} | {label} | {p50:.2f} | {p99:.2f} | {added} | {r['max_rps']:,.0f} | {cpu} |")
    rates = ",".join(f"{r:g}" for r in args.rates)
    load = f"{os.getloadavg()[1]:.1f}"  # the last five minutes: about the run's length
    block = "\n".join(
        [
            BEGIN,
            "## Gateway overhead vs calling the upstream directly",
            "",
            f"`python bench/bench_gateway.py --rates {rates} --seconds {args.seconds:g} --runs {args.runs}`: "
            "open-loop load (requests leave on schedule) of chat completions with distinct texts against the stub "
            "model server, directly and through `distillshield serve` (one uvicorn worker, full scoring, traffic "
            "log on), with in-process and with Redis state; max requests/s at "
            f"{args.concurrency} in flight, and the target process's own CPU per request during that burst "
            "(from /proc: unlike latency, it hardly moves when other jobs share the machine). Stub, gateway and "
            f"load generator share the machine's {os.cpu_count()} cores; load average {load} during the run. "
            "Medians over alternating runs.",
            "",
            "| rate/s | target | p50 ms | p99 ms | added p50 / p99 ms | max requests/s | CPU us/request |",
            "|---|---|---|---|---|---|---|",
            *rows,
            "",
            "Where a request's CPU goes (same process, distinct texts): the four content models "
            f"{parts['content_us_batch1']:,.0f} us for one text, {parts['content_us_batch16']:,.0f} us per text in "
            f"batches of 16 (the gateway batches requests that arrive together); the account scorers "
            f"{parts['scorers_us_per_request']:,.0f} us per request.",
            END,
        ]
    )
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    if BEGIN in text and END in text:
        text = text[: text.index(BEGIN)] + block + text[text.index(END) + len(END) :]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    RESULTS.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
