"""Evidence packages: packing and verifying against the least work each must do, on the same scan.

Pack floor: DuckDB copying the same campaigns' request rows to gzip JSON Lines and
hashing the file once. Verify floor: one SHA-256 pass over the package's bytes.
Both are timed in this process beside the real command, alternately, and the
figures that matter are the ratios. Results go to bench/RESULTS.md between the
``evidence-benchmark`` markers, and to stdout as JSON.

Usage: python bench/bench_evidence.py [--scale 0.2] [--seed 5] [--runs 3]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

from distillshield.evidence import generate_key, pack_scan, verify_package
from distillshield.pipeline import run_scan
from distillshield.report import read_campaigns_json
from distillshield.simulate import simulate
from results import write_block

HERE = Path(__file__).resolve().parent


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def pack_floor(scan_dir: Path, members: list[str], target: Path) -> None:
    with duckdb.connect(str(scan_dir / "scan.duckdb"), read_only=True) as con:
        con.execute(
            f"COPY (SELECT * FROM requests WHERE list_contains($ids, account_id) ORDER BY ts, request_id) "
            f"TO '{target}' (FORMAT json, COMPRESSION gzip)",
            {"ids": members},
        )
    hashlib.sha256(target.read_bytes()).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="distillshield-bench-") as tmp:
        root = Path(tmp)
        simulate(root / "data", scale=args.scale, seed=args.seed)
        run_scan([root / "data" / "traffic.jsonl.gz"], root / "scan")
        key = generate_key(root / "evidence.key").private_path
        assert key is not None
        members = [a for c in read_campaigns_json(root / "scan" / "campaigns.json") for a in c.accounts]
        package = root / "case.zip"
        pack_s, floor_s, verify_s, hash_s = [], [], [], []
        for _ in range(args.runs):
            pack_s.append(timed(lambda: pack_scan(root / "scan", package, key)))
            floor_s.append(timed(lambda: pack_floor(root / "scan", members, root / "floor.jsonl.gz")))
            verify_s.append(timed(lambda: verify_package(package)))
            hash_s.append(timed(lambda: hashlib.sha256(package.read_bytes()).hexdigest()))
        result = pack_scan(root / "scan", package, key)
        assert verify_package(package).ok
        figures = {
            "campaigns": len(result.campaigns),
            "records": result.records,
            "package_mib": round(package.stat().st_size / 2**20, 2),
            "pack_s": round(statistics.median(pack_s), 3),
            "pack_floor_s": round(statistics.median(floor_s), 3),
            "ratio_pack_to_floor": round(statistics.median(pack_s) / statistics.median(floor_s), 2),
            "verify_s": round(statistics.median(verify_s), 3),
            "verify_floor_s": round(statistics.median(hash_s), 4),
            "ratio_verify_to_floor": round(statistics.median(verify_s) / statistics.median(hash_s), 2),
        }
    print(json.dumps(figures, indent=2))
    write_results(figures, args)


def write_results(figures: dict[str, float | int], args: argparse.Namespace) -> None:
    rows = "\n".join(f"| {name} | {value:,} |" for name, value in figures.items())
    block = (
        f"## Evidence packages vs their floors\n\n"
        f"`python bench/bench_evidence.py --scale {args.scale:g} --seed {args.seed} --runs {args.runs}`: every "
        "campaign of the scan packed (signed, hash-chained) and verified (every byte, the chain and the signature); "
        "pack floor = DuckDB copying the same rows to gzip JSON Lines and hashing them once, verify floor = one "
        f"SHA-256 pass over the package. Medians of {args.runs} alternating runs.\n\n"
        f"| figure | value |\n|---|---|\n{rows}\n"
    )
    write_block("evidence-benchmark", block)


if __name__ == "__main__":
    main()
