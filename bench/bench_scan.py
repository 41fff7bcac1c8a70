"""Scan throughput and memory against the DuckDB floor on the same file.

The floor is plain DuckDB reading the same gzip JSON Lines file and grouping it
by account: the least work any scan of that file must do. Both run as child
processes of this one, alternately, so machine drift hits both alike; the
figures that matter are the ratios. Results go to bench/RESULTS.md between the
``scan-benchmark`` markers, and to stdout as JSON.

Usage: python bench/bench_scan.py [--scale 10] [--seed 5] [--runs 1]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from distillshield.simulate import simulate
from results import machine, write_block

HERE = Path(__file__).resolve().parent

FLOOR = """
import sys, duckdb
con = duckdb.connect()
con.execute("SET threads = 2")
rows = con.execute(
    "SELECT account_id, count(*) AS n, count(DISTINCT ip) AS ips, avg(prompt_tokens) AS p, "
    "avg(completion_tokens) AS c, min(ts) AS first, max(ts) AS last "
    "FROM read_json(?, format='newline_delimited') GROUP BY account_id", [sys.argv[1]]
).fetchall()
print(len(rows))
"""


def run_child_usage(argv: list[str]) -> tuple[float, float, float]:
    """Wall seconds, peak RSS (MiB) and CPU seconds (user + system) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"{argv[:4]} failed: {proc.stderr.read().decode() if proc.stderr else ''}")
    return wall, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def ensure_log(scale: float, seed: int) -> tuple[Path, int]:
    data = HERE / "out" / f"sim-scale{scale:g}-seed{seed}"
    log = data / "traffic.jsonl.gz"
    if not log.exists():
        simulate(data, scale=scale, seed=seed)
    meta = json.loads((data / "simulation.json").read_text())
    return log, int(meta["counts"]["requests"]) if "requests" in meta.get("counts", {}) else int(meta["requests"])


def measure_once(log: Path, *, html: bool = True) -> dict[str, float]:
    """One floor run, then one scan of ``log``: wall seconds, peak RSS, CPU seconds and the scan's stage times."""
    floor_wall, floor_rss, floor_cpu = run_child_usage([sys.executable, "-c", FLOOR, str(log)])
    with tempfile.TemporaryDirectory(dir=HERE / "out") as out:
        cmd = [sys.executable, "-m", "distillshield", "scan", str(log), "--out", out, "--quiet"]
        wall, rss, cpu = run_child_usage(cmd if html else [*cmd, "--no-html"])
        stages = json.loads((Path(out) / "run.json").read_text())["timings_s"]
    return {
        "floor_s": floor_wall,
        "floor_rss_mib": floor_rss,
        "floor_cpu_s": floor_cpu,
        "scan_s": wall,
        "scan_rss_mib": rss,
        "scan_cpu_s": cpu,
        **stages,
    }


def measure(log: Path, runs: int) -> dict[str, float]:
    taken = [measure_once(log) for _ in range(runs)]
    result = {
        "floor_wall_s": statistics.median(t["floor_s"] for t in taken),
        "floor_peak_rss_mib": max(t["floor_rss_mib"] for t in taken),
        "scan_wall_s": statistics.median(t["scan_s"] for t in taken),
        "scan_peak_rss_mib": max(t["scan_rss_mib"] for t in taken),
        "ratio_scan_to_floor": statistics.median(t["scan_s"] / t["floor_s"] for t in taken),
    }
    stages = [k for k in taken[0] if k not in _MEASURED]
    result.update({f"stage_{k}_s": statistics.median(t[k] for t in taken) for k in stages})
    return result


#: The keys of :func:`measure_once` that are not stage times.
_MEASURED = ("floor_s", "floor_rss_mib", "floor_cpu_s", "scan_s", "scan_rss_mib", "scan_cpu_s")


def write_results(result: dict[str, float], requests: int, scale: float, seed: int, runs: int) -> None:
    rows = "\n".join(f"| {k} | {v:,.2f} |" for k, v in result.items())
    write_block(
        "scan-benchmark",
        "## Scan vs the DuckDB floor\n\n"
        f"`python bench/bench_scan.py --scale {scale:g} --seed {seed} --runs {runs}` ({machine()}): "
        f"{requests:,} simulated requests, gzip JSON Lines; median of {runs} alternating run(s); "
        "peak RSS from the kernel's accounting of each child.\n\n"
        f"| figure | value |\n|---|---|\n{rows}\n"
        f"| scan requests/s | {requests / result['scan_wall_s']:,.0f} |\n"
        f"| floor requests/s | {requests / result['floor_wall_s']:,.0f} |\n",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    (HERE / "out").mkdir(exist_ok=True)
    log, requests = ensure_log(args.scale, args.seed)
    result = measure(log, args.runs)
    write_results(result, requests, args.scale, args.seed, args.runs)
    print(json.dumps({"requests": requests, **result}))


if __name__ == "__main__":
    main()
