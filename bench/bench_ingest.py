"""Ingest of the same requests from gzip JSON Lines and from Parquet, and the CLI's start-up.

The Parquet file holds the log's records as a typical export does: one column per
field, strings and integers, ``messages`` and ``extra`` as JSON text. DuckDB writes it
from the JSON Lines log with every column's type given (nothing inferred), so both
files hold the same records. Each ingest runs in a child process into a fresh DuckDB
file with the scan's settings; the two formats alternate, so machine drift hits both
alike. Start-up is ``distillshield --help``, best of five. Results go to
bench/RESULTS.md between the ``ingest-benchmark`` markers, and to stdout as JSON.

Usage: python bench/bench_ingest.py [--log PATH] [--scale 7] [--seed 5] [--runs 1]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import duckdb

from bench_scan import HERE, ensure_log, run_child_usage
from distillshield.ingest.base import OPTIONAL_INTS, SPEC_FIELDS
from results import machine, write_block

INGEST = """
import sys, tempfile
from pathlib import Path
from distillshield.db import open_database
from distillshield.ingest import ingest_paths
from distillshield.settings import Settings
with tempfile.TemporaryDirectory(dir=sys.argv[2]) as out:
    settings = Settings()
    stats = ingest_paths([sys.argv[1]], open_database(Path(out) / "scan.duckdb", settings), Path(out) / "q.jsonl",
                         settings=settings)
print(stats.accepted)
"""


def ensure_parquet(log: Path) -> Path:
    """The log's records as Parquet (zstd), written once next to it."""
    path = log.parent / "traffic.parquet"
    if path.exists():
        return path
    columns = {
        f: "JSON" if f in ("messages", "extra", "ts") else "BIGINT" if f in OPTIONAL_INTS else "VARCHAR"
        for f in SPEC_FIELDS
    }
    con = duckdb.connect()
    con.execute("SET threads = 2")
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    spec = "{" + ", ".join(f"'{k}': '{v}'" for k, v in sorted(columns.items())) + "}"
    # One type per column: a timestamp given in Unix seconds becomes the same instant in RFC 3339.
    ts = (
        "CASE WHEN json_type(ts) = 'VARCHAR' THEN ts->>'$' "
        "ELSE strftime(to_timestamp(CAST(ts AS DOUBLE)), '%Y-%m-%dT%H:%M:%S.%f+00:00') END AS ts"
    )
    nested = ", ".join(f"CAST({f} AS VARCHAR) AS {f}" for f in ("messages", "extra"))
    con.execute(
        f"COPY (SELECT * REPLACE ({nested}, {ts}) FROM read_json(?, format='newline_delimited', columns={spec})) "
        f"TO '{path.with_suffix('.partial')}' (FORMAT parquet, COMPRESSION zstd)",
        [str(log)],
    )
    path.with_suffix(".partial").rename(path)
    return path


def help_seconds() -> float:
    """``distillshield --help`` wall seconds, best of five (start-up is what it measures)."""
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        run_child_usage([sys.executable, "-m", "distillshield", "--help"])
        best = min(best, time.perf_counter() - start)
    return best


def measure(files: dict[str, Path], runs: int) -> dict[str, dict[str, float]]:
    taken: dict[str, list[tuple[float, float, float]]] = {name: [] for name in files}
    for _ in range(runs):
        for name, path in files.items():
            taken[name].append(run_child_usage([sys.executable, "-c", INGEST, str(path), str(HERE / "out")]))
    return {
        name: {
            "wall_s": statistics.median(t[0] for t in runs_of),
            "peak_rss_mib": max(t[1] for t in runs_of),
            "cpu_s": statistics.median(t[2] for t in runs_of),
        }
        for name, runs_of in taken.items()
    }


def report(result: dict[str, dict[str, float]], requests: int, startup: float, command: str) -> str:
    rows = "\n".join(
        f"| {name} | {r['wall_s']:.1f} | {r['cpu_s']:.1f} | {r['cpu_s'] / requests * 1e6:.1f} | "
        f"{r['peak_rss_mib']:,.0f} |"
        for name, r in result.items()
    )
    jsonl, parquet = result["gzip JSON Lines"], result["Parquet"]
    return (
        "## Ingest: gzip JSON Lines against Parquet, and start-up\n\n"
        f"`{command}` ({machine()}): {requests:,} requests, the same records in both files (see the script); "
        "each ingest a child process into a fresh DuckDB file.\n\n"
        "| input | wall s | CPU s | CPU s per million | peak RSS MiB |\n|---|---|---|---|---|\n"
        f"{rows}\n\n"
        f"Parquet / JSON Lines: {parquet['wall_s'] / jsonl['wall_s']:.2f} wall, "
        f"{parquet['cpu_s'] / jsonl['cpu_s']:.2f} CPU (at most 1.00: Parquet no slower). "
        f"`distillshield --help`: {startup:.2f} s (best of 5; target 0.5 s).\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--log", type=Path, default=None, help="a gzip JSON Lines log (default: the simulated one)")
    parser.add_argument("--scale", type=float, default=7.0)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    (HERE / "out").mkdir(exist_ok=True)
    log = args.log or ensure_log(args.scale, args.seed)[0]
    files = {"gzip JSON Lines": log, "Parquet": ensure_parquet(log)}
    result = measure(files, args.runs)
    requests = int(duckdb.sql(f"SELECT count(*) FROM read_parquet('{files['Parquet']}')").fetchall()[0][0])
    startup = help_seconds()
    shown = f" --log {args.log}" if args.log else f" --scale {args.scale:g} --seed {args.seed}"
    write_block(
        "ingest-benchmark", report(result, requests, startup, f"python bench/bench_ingest.py{shown} --runs {args.runs}")
    )
    print(json.dumps({"requests": requests, "help_s": startup, **result}))


if __name__ == "__main__":
    main()
