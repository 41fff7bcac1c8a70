"""How scan time and memory grow with the log: 1M and 10M requests on DuckDB, against the floor at each size.

Simulating ten million requests takes far longer than scanning them, so the large
logs are the simulated base log repeated: copy ``i`` renames every request id,
account, key and payment fingerprint and moves every IP into a network of its
own, so the copies are distinct customers that share only prompt texts (as
unrelated campaigns that buy the same template kit would). The floor is the same
plain DuckDB read-and-group as ``bench_scan.py``, on the same file. Results go to
bench/RESULTS.md between the ``scale-benchmark`` markers and the plot to
bench/scaling.png.

Each size's measurement is also kept in bench/out/scale-points.json; ``--remeasure 1`` measures only those
copies again and takes the other sizes from that file (a 10M-request run takes a while).

Usage: python bench/bench_scale.py [--scale 7] [--seed 5] [--copies 1,10] [--remeasure 1] [--small-runs 3]
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
from pathlib import Path
from typing import Any

from bench_scan import HERE, ensure_log, measure_once
from results import machine, write_block

#: Byte prefixes that make a copy's identifiers its own (the simulator's id formats).
_RENAMED = (b'"req_', b'"acct_', b'"key_', b'"pf_', b'"ip":"')
POINTS = HERE / "out" / "scale-points.json"


def tiled_log(base: Path, copies: int) -> tuple[Path, int]:
    """``copies`` renamed repetitions of ``base``, gzip level 1 (written once, then reused).

    One copy is tiled too, so that every size is the same kind of file: the
    simulator writes gzip level 5, and a level-1 file has a quarter more bytes to read.
    """
    path = base.parent / f"tiled-{copies}.jsonl.gz"
    if not path.exists():
        partial = path.with_suffix(".partial")
        with gzip.open(partial, "wb", compresslevel=1) as out:
            for copy in range(copies):
                with gzip.open(base, "rb") as src:
                    for line in src:
                        out.write(_renamed(line, copy))
        partial.rename(path)
    return path, _count_lines(base) * copies


def _renamed(line: bytes, copy: int) -> bytes:
    for prefix in _RENAMED:
        # An IP becomes "<copy>.a.b.c.d", a string that shares no network with another copy's.
        tag = b"%d." % copy if prefix.endswith(b'"') else b"c%d_" % copy
        line = line.replace(prefix, prefix + tag)
    return line


def _count_lines(path: Path) -> int:
    with gzip.open(path, "rb") as f:
        return sum(1 for line in f if line.strip())


def measure(log: Path, runs: int) -> dict[str, Any]:
    """Medians over ``runs`` alternating floor and scan runs (peak RSS: the largest), and each run's scan time."""
    taken = [measure_once(log, html=False) for _ in range(runs)]
    result: dict[str, Any] = {k: statistics.median(t[k] for t in taken) for k in taken[0]}
    result["scan_rss_mib"] = max(t["scan_rss_mib"] for t in taken)
    result["floor_rss_mib"] = max(t["floor_rss_mib"] for t in taken)
    result["runs"] = runs
    result["scan_s_each"] = [round(t["scan_s"], 1) for t in taken]
    return result


def plot(points: list[tuple[int, dict[str, float]]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [n for n, _ in points]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(rows, [r["scan_s"] for _, r in points], "o-", label="distillshield scan (DuckDB)")
    ax.plot(rows, [r["floor_s"] for _, r in points], "s--", label="DuckDB floor (read + group)")
    ax.plot(rows, [points[0][1]["scan_s"] * n / rows[0] for n in rows], ":", color="grey", label="linear from 1M")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("requests in the log")
    ax.set_ylabel("wall seconds")
    ax.set_title(f"Scan time against log size ({machine()})", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def report(points: list[tuple[int, dict[str, Any]]], command: str) -> str:
    lines = [
        "| requests | runs | scan s | scan CPU s | floor s | scan / floor | scan peak RSS MiB | floor peak RSS MiB | "
        "ingest s | features s | detect s | requests/s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for n, r in points:
        lines.append(
            f"| {n:,} | {r.get('runs', 1):.0f} | {r['scan_s']:.1f} | {r.get('scan_cpu_s', 0):.0f} | "
            f"{r['floor_s']:.1f} | {r['scan_s'] / r['floor_s']:.1f}× | {r['scan_rss_mib']:,.0f} | "
            f"{r['floor_rss_mib']:,.0f} | {r.get('ingest', 0):.1f} | {r.get('features', 0):.1f} | "
            f"{r.get('detect', 0):.1f} | {n / r['scan_s']:,.0f} |"
        )
    (n1, r1), (nk, rk) = points[0], points[-1]
    growth = (rk["scan_s"] / r1["scan_s"]) / (nk / n1)
    cpu = (rk["scan_cpu_s"] / r1["scan_cpu_s"]) / (nk / n1) if r1.get("scan_cpu_s") and rk.get("scan_cpu_s") else None
    each = "; ".join(f"{n:,}: {', '.join(map(str, r['scan_s_each']))} s" for n, r in points if "scan_s_each" in r)
    return (
        "## Scaling from 1M to 10M requests\n\n"
        f"`{command}` ({machine()}): the simulated log and renamed copies of it (see the script); floor and scan "
        "alternating, medians where a size ran more than once; peak RSS and CPU time (user + system, all threads) "
        "from the kernel's accounting of each child.\n\n"
        + "\n".join(lines)
        + f"\n\nTime per request at the largest size relative to the smallest: {growth:.2f} wall"
        + (f", {cpu:.2f} CPU" if cpu is not None else "")
        + " (1.00 is linear; below 1 means fixed costs amortised). Each scan run: "
        + each
        + ". Plot: `bench/scaling.png`.\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=7.0)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--copies", default="1,10", help="comma-separated numbers of copies of the base log")
    parser.add_argument("--remeasure", default=None, help="measure only these copies; reuse the rest")
    parser.add_argument(
        "--small-runs", type=int, default=3, help="runs at the smallest size (one scan there varies by ~10%%)"
    )
    args = parser.parse_args()
    copies = [int(c) for c in args.copies.split(",")]
    again = copies if args.remeasure is None else [int(c) for c in args.remeasure.split(",")]
    (HERE / "out").mkdir(exist_ok=True)
    base, _ = ensure_log(args.scale, args.seed)
    saved = json.loads(POINTS.read_text()) if POINTS.exists() else {}
    points = []
    for k in copies:
        log, requests = tiled_log(base, k)
        if k in again or str(k) not in saved:
            runs = args.small_runs if k == min(copies) else 1
            saved[str(k)] = {"requests": requests, **measure(log, runs)}
            POINTS.write_text(json.dumps(saved, indent=1))
        print(json.dumps(saved[str(k)]), flush=True)
        point = dict(saved[str(k)])
        points.append((int(point.pop("requests")), point))
    command = f"python bench/bench_scale.py --scale {args.scale:g} --seed {args.seed} --copies {args.copies}"
    write_block("scale-benchmark", report(points, command + f" --small-runs {args.small_runs}"))
    plot(points, HERE / "scaling.png")


if __name__ == "__main__":
    main()
