"""Command line: python -m bench.blindgen --out DIR --scale 0.3 --seed 1 (run from the repository root)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: python bench/blindgen/__main__.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    __package__ = "bench.blindgen"

from bench.blindgen.generate import run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.blindgen",
        description="Write a blind benchmark log (traffic.jsonl.gz, spec v1) and its labels.csv.",
        epilog="example: python -m bench.blindgen --out /tmp/blind --scale 0.3 --seed 101",
    )
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--scale", type=float, default=0.3, help="1.0 is about 3,000 accounts (default 0.3)")
    parser.add_argument("--seed", type=int, default=1, help="random seed; same seed, same bytes")
    parser.add_argument("--data", type=Path, default=None, help="public prompt sets (default ../shared/data/external)")
    parser.add_argument(
        "--volume", type=float, default=1.0, help="scale every account's request volume down (quick tests only)"
    )
    parser.add_argument("--quiet", action="store_true", help="print nothing")
    args = parser.parse_args(argv)
    summary = run(args.out, args.scale, args.seed, args.data, args.volume)
    if not args.quiet:
        print(f"{summary.requests} requests, {summary.accounts} accounts in {summary.seconds:.1f}s -> {args.out}")
        print(f"{'label':<10} {'archetype':<36} {'accounts':>8} {'requests':>9}")
        for (label, archetype), (n_acc, n_req) in sorted(summary.by_archetype.items()):
            print(f"{label:<10} {archetype:<36} {n_acc:>8} {n_req:>9}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
