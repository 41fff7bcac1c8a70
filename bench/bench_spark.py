"""The same scan on DuckDB and on Spark local mode: wall time and peak memory, the JVM included.

Both engines scan one Parquet file, made from a simulated log (``--rows`` requests; the simulator's records
repeat under new request ids when it makes fewer). Each scan runs as a child process; its peak RSS is the peak
of the sum over the child and all its descendants (Spark's JVM is one), sampled with psutil every 50 ms. Results
go to bench/RESULTS.md between the ``spark-benchmark`` markers, and to stdout as JSON.

Usage: python bench/bench_spark.py [--rows 20000] [--master 'local[2]'] [--seed 5] [--driver-memory 2g]
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


def measure(parquet: Path, engine: str, master: str, driver_memory: str) -> Run:
    with tempfile.TemporaryDirectory(dir=HERE / "out") as out:
        cmd = [sys.executable, "-m", "distillshield", "scan", str(parquet), "--out", out, "--quiet", "--no-html"]
        if engine == "spark":
            cmd += ["--engine", "spark", "--master", master, "--spark-conf", f"spark.driver.memory={driver_memory}"]
        wall, rss = run_scan_child(cmd)
        run = json.loads((Path(out) / "run.json").read_text())
    return Run(round(wall, 1), round(rss), run["timings_s"], run["counts"])


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--rows", type=int, default=20_000, help="requests in the Parquet file")
    parser.add_argument("--master", default="local[2]", help="Spark master for the Spark run")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument(
        "--driver-memory", default="2g", help="Spark driver heap (local mode runs the executors in it; 1M rows need 6g)"
    )
    args = parser.parse_args()
    (HERE / "out").mkdir(exist_ok=True)
    parquet = ensure_parquet(args.rows, args.seed)
    load = os.getloadavg()[0]  # other work on the machine slows both engines, Spark's many small jobs most
    runs = {
        "DuckDB": measure(parquet, "duckdb", args.master, args.driver_memory),
        f"Spark {args.master}": measure(parquet, "spark", args.master, args.driver_memory),
    }
    print(
        json.dumps({"rows": args.rows, "machine": machine(), "load": load, **{k: asdict(v) for k, v in runs.items()}})
    )
    write_block("spark-benchmark", _block(args.rows, args.master, args.driver_memory, runs, load))


def _block(rows: int, master: str, driver_memory: str, runs: dict[str, Run], load: float) -> str:
    duck, spark = runs.values()
    lines = [
        f"## Spark local mode against DuckDB ({rows:,} requests, one Parquet file)",
        "",
        f"Machine: {machine()}. Command: `python bench/bench_spark.py --rows {rows} --master '{master}'"
        f" --driver-memory {driver_memory}`."
        f" Load average at the start: {load:.1f}. Peak RSS sums the scan process and its children (the JVM).",
        "",
        "| engine | wall | peak RSS | ingest | features | detect |",
        "|---|---|---|---|---|---|",
    ]
    for name, run in runs.items():
        stages = " | ".join(f"{run.stages_s.get(s, 'n/a')} s" for s in ("ingest", "features", "detect"))
        lines.append(f"| {name} | {run.wall_s} s | {run.peak_rss_mib:.0f} MiB | {stages} |")
    lines += [
        "",
        f"Spark / DuckDB: {spark.wall_s / duck.wall_s:.1f}x the time, {spark.peak_rss_mib / duck.peak_rss_mib:.1f}x"
        f" the peak memory. Same counts of accounts, verdicts and campaigns: {_yes(spark.counts == duck.counts)}"
        " (tests/engines/test_spark_scan.py compares every verdict).",
    ]
    return "\n".join(lines)


def _yes(flag: bool) -> str:
    return "yes" if flag else "NO"


if __name__ == "__main__":
    main()
