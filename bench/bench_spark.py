"""The same scan on DuckDB and on Spark local mode: wall time, peak memory, the same outputs, and Spark's work.

Both engines scan one log: ``--log`` (a simulated JSON Lines file, such as ``distillshield simulate --scale 7``'s
million requests), or else a Parquet file made from a simulated log (``--rows`` requests; the simulator's records
repeat under new request ids when it makes fewer). Each scan runs as a child process; its peak RSS is the peak
of the sum over the child and all its descendants (Spark's JVM is one), sampled with psutil every 50 ms. Both
scans' accounts.csv and campaigns.json are compared byte for byte. Spark's event log gives the work of each stage
(tasks, task time, shuffle bytes), from which the scale-out estimate at 10x and 100x the requests is drawn.
Results go to bench/RESULTS.md between the ``spark-benchmark`` markers, and to stdout as JSON.

Usage: python bench/bench_spark.py [--log traffic.jsonl.gz | --rows 20000] [--master 'local[2]'] [--seed 5]
       [--driver-memory 2g]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import psutil
import pyarrow as pa
import pyarrow.parquet as pq

from distillshield.simulate import simulate
from results import machine, write_block

HERE = Path(__file__).resolve().parent
#: Requests the simulator writes per unit of scale, roughly, above its fixed campaign traffic.
_PER_SCALE = 600_000


def _records(log: Path) -> Iterator[dict[str, object]]:
    with gzip.open(log, "rb") as f:
        for line in f:
            yield orjson.loads(line)


def _flat(record: dict[str, object], copy: int) -> dict[str, object]:
    """Nested fields as JSON text (the Parquet reader decodes them), request ids unique per copy."""
    out = {k: orjson.dumps(v).decode() if isinstance(v, dict | list) else v for k, v in record.items()}
    if isinstance(out.get("ts"), float):  # one type per column: Unix seconds as the same instant in RFC 3339
        out["ts"] = datetime.fromtimestamp(float(str(out["ts"])), UTC).isoformat()
    if copy:
        out["request_id"] = f"{record['request_id']}-{copy}"
    return out


def ensure_parquet(rows: int, seed: int) -> Path:
    path = HERE / "out" / f"spark-rows{rows}-seed{seed}.parquet"
    if path.exists():
        return path
    data = HERE / "out" / f"spark-sim-seed{seed}-scale{max(0.05, rows / _PER_SCALE):g}"
    if not (data / "traffic.jsonl.gz").exists():
        simulate(data, scale=max(0.05, rows / _PER_SCALE), seed=seed)
    base = list(_records(data / "traffic.jsonl.gz"))
    flat = [_flat(base[i % len(base)], i // len(base)) for i in range(rows)]
    pq.write_table(pa.Table.from_pylist(flat), path, compression="zstd")
    return path


def run_scan_child(argv: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of a child process and all its descendants."""
    start = time.perf_counter()
    env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1"}
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    parent, peak = psutil.Process(proc.pid), 0
    while proc.poll() is None:
        try:
            family = [parent, *parent.children(recursive=True)]
            peak = max(peak, sum(_rss(p) for p in family))
        except psutil.NoSuchProcess:
            pass
        time.sleep(0.05)
    wall = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{argv[3:]} failed: {proc.stderr.read().decode() if proc.stderr else ''}")
    return wall, peak / 2**20


def _rss(process: psutil.Process) -> int:
    try:
        return int(process.memory_info().rss)
    except psutil.NoSuchProcess:
        return 0


@dataclass(frozen=True)
class Run:
    wall_s: float
    peak_rss_mib: float
    stages_s: dict[str, float]
    counts: dict[str, int]
    outputs: dict[str, str]
    work: dict[str, dict[str, float]]


#: The outputs that must be the same on both engines.
_COMPARED = ("accounts.csv", "campaigns.json")


def measure(log: Path, engine: str, master: str, driver_memory: str | None) -> Run:
    with tempfile.TemporaryDirectory(dir=HERE / "out") as out:
        events = Path(out) / "events"
        cmd = [sys.executable, "-m", "distillshield", "scan", str(log), "--out", f"{out}/scan", "--quiet", "--no-html"]
        if engine == "spark":
            events.mkdir()
            cmd += ["--engine", "spark", "--master", master]
            conf = {"spark.eventLog.enabled": "true", "spark.eventLog.dir": str(events)}
            conf |= {"spark.eventLog.compress": "false", "spark.eventLog.logStageExecutorMetrics": "true"}
            if driver_memory:
                conf["spark.driver.memory"] = driver_memory
            for key, value in conf.items():
                cmd += ["--spark-conf", f"{key}={value}"]
        wall, rss = run_scan_child(cmd)
        run = json.loads((Path(out) / "scan" / "run.json").read_text())
        outputs = {name: (Path(out) / "scan" / name).read_text(encoding="utf-8") for name in _COMPARED}
        work = stage_work(events, run) if engine == "spark" else {}
    return Run(round(wall, 1), round(rss), run["timings_s"], run["counts"], outputs, work)


def stage_work(events: Path, run: dict[str, object]) -> dict[str, dict[str, float]]:
    """Per scan stage: Spark tasks, task and CPU seconds, GC seconds, shuffle bytes written and peak heap.

    A task belongs to the stage (ingest, features, detect, write) whose time window holds its end; the windows
    are counted back from run.json's finish time with its stage timings. A Spark stage's peak JVM heap (in local
    mode the driver's, which runs the executors) counts for the scan stage of its tasks. CPU seconds are the
    JVM's; the Python workers' (content scoring, the fallback validator) are not in the event log.
    """
    timings = dict(run["timings_s"])  # type: ignore[call-overload]
    timings.pop("report", None)
    end = datetime.fromisoformat(str(run["finished_at"]).replace("Z", "+00:00")).timestamp() * 1000
    windows = []
    for stage in reversed(list(timings)):
        windows.append((stage, end - timings[stage] * 1000, end))
        end -= timings[stage] * 1000
    keys = ("tasks", "task_s", "cpu_s", "gc_s", "shuffle_mb", "heap_mb")
    work = {stage: dict.fromkeys(keys, 0.0) for stage in timings}
    spark_stage: dict[int, str] = {}
    heaps: dict[int, float] = {}
    for log in events.rglob("events*"):
        for line in log.open(encoding="utf-8"):
            event = json.loads(line)
            if event.get("Event") == "SparkListenerStageExecutorMetrics":
                heap = (event.get("Executor Metrics") or {}).get("JVMHeapMemory", 0) / 2**20
                heaps[event["Stage ID"]] = max(heaps.get(event["Stage ID"], 0.0), heap)
            if event.get("Event") != "SparkListenerTaskEnd":
                continue
            finish = event["Task Info"]["Finish Time"]
            stage = next((s for s, lo, hi in windows if lo <= finish <= hi), windows[-1][0])
            spark_stage[event["Stage ID"]] = stage
            _add_task(work[stage], event.get("Task Metrics") or {})
    for stage_id, heap in heaps.items():
        if stage_id in spark_stage:
            w = work[spark_stage[stage_id]]
            w["heap_mb"] = max(w["heap_mb"], heap)
    return {s: {k: round(v, 1) for k, v in w.items()} for s, w in work.items()}


def _add_task(work: dict[str, float], metrics: dict[str, Any]) -> None:
    work["tasks"] += 1
    work["task_s"] += metrics.get("Executor Run Time", 0) / 1000
    work["cpu_s"] += metrics.get("Executor CPU Time", 0) / 1e9
    work["gc_s"] += metrics.get("JVM GC Time", 0) / 1000
    work["shuffle_mb"] += (metrics.get("Shuffle Write Metrics") or {}).get("Shuffle Bytes Written", 0) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--log", type=Path, help="a log to scan (else a Parquet file of --rows requests is made)")
    parser.add_argument("--rows", type=int, default=20_000, help="requests in the Parquet file")
    parser.add_argument("--master", default="local[2]", help="Spark master for the Spark run")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--driver-memory", help="Spark driver heap (local mode runs the executors in it); default 2g")
    args = parser.parse_args()
    (HERE / "out").mkdir(exist_ok=True)
    log = args.log or ensure_parquet(args.rows, args.seed)
    load = [os.getloadavg()[0]]  # other work on the machine slows both engines, Spark's many small jobs most
    runs = {
        "DuckDB": measure(log, "duckdb", args.master, args.driver_memory),
        f"Spark {args.master}": measure(log, "spark", args.master, args.driver_memory),
    }
    load.append(os.getloadavg()[1])
    summary = {k: {f: v for f, v in asdict(r).items() if f != "outputs"} for k, r in runs.items()}
    print(json.dumps({"log": str(log), "machine": machine(), "load": load, **summary}))
    write_block("spark-benchmark", _block(log, args, runs, load))


def _block(log: Path, args: argparse.Namespace, runs: dict[str, Run], load: list[float]) -> str:
    duck, spark = runs.values()
    requests = duck.counts["read"]
    source = f"`--log {log.name}`" if args.log else f"`--rows {args.rows}`"
    memory = f" --driver-memory {args.driver_memory}" if args.driver_memory else ""
    lines = [
        f"## Spark local mode against DuckDB ({requests:,} requests, {log.name})",
        "",
        f"Machine: {machine()}. Command: `python bench/bench_spark.py` {source} `--master '{args.master}'{memory}`"
        f" ({'driver heap ' + args.driver_memory if args.driver_memory else 'default driver memory'})."
        f" Load average: {load[0]:.1f} at the start, {load[1]:.1f} over the last 5 minutes at the end."
        " Peak RSS sums the scan process and its children (the JVM).",
        "",
        "| engine | wall | peak RSS | ingest | features | detect |",
        "|---|---|---|---|---|---|",
    ]
    for name, run in runs.items():
        stages = " | ".join(f"{run.stages_s.get(s, 'n/a')} s" for s in ("ingest", "features", "detect"))
        lines.append(f"| {name} | {run.wall_s} s | {run.peak_rss_mib:.0f} MiB | {stages} |")
    same = {name: _yes(spark.outputs[name] == duck.outputs[name]) for name in _COMPARED}
    lines += [
        "",
        f"Spark / DuckDB: {spark.wall_s / duck.wall_s:.1f}x the time, {spark.peak_rss_mib / duck.peak_rss_mib:.1f}x"
        f" the peak memory. Byte-identical accounts.csv: {same['accounts.csv']}; campaigns.json:"
        f" {same['campaigns.json']}.",
        "",
        *_scale_out(spark, requests),
    ]
    return "\n".join(lines)


def _scale_out(spark: Run, requests: int) -> list[str]:
    """Spark's measured work per stage, and the same work at 10x and 100x the requests."""
    tenfold, hundredfold = _requests(requests * 10), _requests(requests * 100)
    lines = [
        f"Spark's work per stage at {_requests(requests)} requests, measured (event log; CPU and GC seconds are the"
        " JVM's, peak heap is the local driver's, which runs the executors), and scaled linearly to"
        f" {tenfold} and {hundredfold} requests (every shuffle and task-second grows with the requests; the task"
        " count grows with the shuffle width the engine sets, one partition per 128 MB of requests table):",
        "",
        f"| stage | tasks | task time | JVM CPU | GC | shuffle written | peak heap | at {tenfold}: task time, shuffle"
        f" | at {hundredfold}: task time, shuffle |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for stage, w in spark.work.items():
        lines.append(
            f"| {stage} | {w['tasks']:.0f} | {w['task_s']:.0f} s | {w.get('cpu_s', 0):.0f} s | {w.get('gc_s', 0):.0f} s"
            f" | {w['shuffle_mb']:.0f} MB | {w.get('heap_mb', 0):.0f} MiB"
            f" | {w['task_s'] * 10 / 3600:.1f} h, {w['shuffle_mb'] * 10 / 1e3:.1f} GB"
            f" | {w['task_s'] * 100 / 3600:.1f} h, {w['shuffle_mb'] * 100 / 1e3:.0f} GB |"
        )
    total = sum(w["task_s"] for w in spark.work.values())
    cpu = sum(w.get("cpu_s", 0) for w in spark.work.values())
    lines += [
        "",
        f"At {_requests(requests)} requests the executors did {total:.0f} task-seconds ({cpu:.0f} JVM CPU seconds;"
        f" the rest is waiting for the CPU, disk and Python workers); at {tenfold} and {hundredfold} that is about"
        f" {total * 10 / 3600:.1f} and {total * 100 / 3600:.1f} core-hours, so 100 executor cores would take about"
        f" {total * 10 / 100 / 60:.0f} and {total * 100 / 100 / 60:.0f} minutes of task time (plus the fixed start"
        " and per-query overhead).",
    ]
    return lines


def _requests(n: int) -> str:
    return f"{n / 1e6:.1f}M" if n >= 1e6 else f"{n:,}"


def _yes(flag: bool) -> str:
    return "yes" if flag else "NO"


if __name__ == "__main__":
    main()
