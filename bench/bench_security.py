"""Resource use under hostile input: a gzip bomb through scan, a zip bomb through evidence verify, and
20 concurrent oversized posts at the gateway; plus scan speed against another checkout (no slowdown).

Each measured command runs as its own child process and its peak RSS is read from ``wait4``'s
rusage (scan, verify) or from the gateway's ``/proc/PID/status`` (``VmHWM`` after the load against
``VmRSS`` when idle). The bombs are built here: one gzip line of 4 GiB of ``x`` (about 4 MB
compressed) and a zip whose one entry is 4 GiB of zeros (about 4 MB). Results go to
bench/RESULTS.md between the ``security-benchmark`` markers.

Usage: nice -n 10 python bench/bench_security.py [--work DIR] [--baseline /work/main/src] [--speed-runs 1]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from distillshield.respond.identity import hash_key  # noqa: E402
from results import machine, write_block  # noqa: E402

MiB, GiB = 1024 * 1024, 1024 * 1024 * 1024
KEY = "sk-bench"
SRC = Path(__file__).resolve().parents[1] / "src"


def gzip_bomb(path: Path, size: int = 4 * GiB) -> Path:
    """One JSON line of ``size`` bytes of 'x', gzip level 9, written in pieces."""
    if path.exists():
        return path
    squeeze = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = b"x" * (16 * MiB)
    with path.open("wb") as out:
        out.write(squeeze.compress(b'{"request_id": "bomb", "pad": "'))
        for _ in range(size // len(block)):
            out.write(squeeze.compress(block))
        out.write(squeeze.compress(b'"}\n') + squeeze.flush())
    return path


def zip_bomb(path: Path, size: int = 4 * GiB) -> Path:
    """An evidence package whose chain lists one entry of ``size`` zero bytes (deflated), correctly hashed."""
    if path.exists():
        return path
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from distillshield.evidence.keys import fingerprint
    from distillshield.evidence.package import FORMAT, GENESIS, MANIFEST, SIGNATURE, link_hash, manifest_bytes

    block = bytes(16 * MiB)
    digest = hashlib.sha256()
    for _ in range(size // len(block)):
        digest.update(block)
    link = link_hash(0, "records.jsonl", "records", size, digest.hexdigest(), GENESIS)
    chain = [{"seq": 0, "name": "records.jsonl", "kind": "records", "bytes": size, "sha256": digest.hexdigest(),
              "prev": GENESIS, "hash": link}]  # fmt: skip
    key = Ed25519PrivateKey.generate()
    signer = {"algorithm": "Ed25519", "public_key": key.public_key().public_bytes_raw().hex(),
              "fingerprint": fingerprint(key.public_key())}  # fmt: skip
    body = manifest_bytes({"format": FORMAT, "signer": signer, "chain": chain, "head": link, "campaigns": ["C1"]})
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        with zf.open("records.jsonl", "w", force_zip64=True) as handle:
            for _ in range(size // len(block)):
                handle.write(block)
        zf.writestr(MANIFEST, body)
        zf.writestr(SIGNATURE, key.sign(body).hex())
    return path


def peak_rss(command: list[str], src: Path = SRC) -> tuple[float, float, int]:
    """(peak RSS MiB, wall seconds, exit status) of ``command`` run as a child with ``src`` on its path."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    start = time.perf_counter()
    child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    return usage.ru_maxrss / 1024, time.perf_counter() - start, os.waitstatus_to_exitcode(status)


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "distillshield", *args]


# --- gateway --------------------------------------------------------------------------------------


@contextmanager
def process(command: list[str]) -> Iterator[tuple[str, int]]:
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                             env={**os.environ, "PYTHONPATH": str(SRC)})  # fmt: skip
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        if "http://" not in line:
            raise RuntimeError(f"{command[:4]} did not start: {line!r}")
        yield line.split()[-1], child.pid
    finally:
        child.terminate()
        child.wait(10)


def status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


async def oversized_posts(url: str, n: int, size: int) -> list[int]:
    """``n`` concurrent posts of ``size`` bytes: half declare Content-Length, half stream chunked."""
    headers = {"authorization": f"Bearer {KEY}", "content-type": "application/json"}

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"model": "m", "messages": [{"role": "user", "content": "'
        piece = b"x" * MiB
        for _ in range(size // MiB):
            yield piece

    async def one(i: int, session: aiohttp.ClientSession) -> int:
        try:
            if i % 2:
                async with session.post(f"{url}/v1/chat/completions", data=chunks(), headers=headers) as answer:
                    return answer.status
            declared = {**headers, "content-length": str(size)}
            async with session.post(f"{url}/v1/chat/completions", data=chunks(), headers=declared) as answer:
                return answer.status
        except (aiohttp.ClientError, ConnectionError):
            return -1  # the gateway answered 413 and closed while the client was still sending

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
        return list(await asyncio.gather(*[one(i, session) for i in range(n)]))


def gateway(work: Path) -> dict[str, object]:
    keys = work / "keys.yaml"
    keys.write_text(f"keys:\n  - sha256: {hash_key(KEY)}\n    account_id: bench\n", encoding="utf-8")
    stub_cmd = [sys.executable, "-m", "distillshield.server.stub", "--port", "0"]
    with process(stub_cmd) as (stub_url, _):
        serve = cli("serve", "--port", "0", "--quiet", "--upstream", stub_url, "--keys", str(keys))
        with process(serve) as (url, pid):
            time.sleep(2)
            idle = status_kib(pid, "VmRSS")
            statuses = asyncio.run(oversized_posts(url, 20, 300 * MiB))
            peak = status_kib(pid, "VmHWM")
    return {"idle_mib": idle / 1024, "peak_mib": peak / 1024, "above_idle_mib": (peak - idle) / 1024,
            "statuses": sorted(set(statuses))}  # fmt: skip


# --- scan speed -----------------------------------------------------------------------------------


def speed(work: Path, baseline: Path, runs: int) -> dict[str, list[float]]:
    data = work / "sim"
    if not (data / "traffic.jsonl.gz").exists():
        subprocess.run([*cli("simulate", "--out", str(data), "--scale", "0.3", "--seed", "1"), "-q"], check=True,
                       env={**os.environ, "PYTHONPATH": str(SRC)}, stdout=subprocess.DEVNULL)  # fmt: skip
    times: dict[str, list[float]] = {"this": [], "baseline": []}
    for _ in range(runs):  # alternating, so drift on the shared machine hits both alike
        for label, src in (("baseline", baseline), ("this", SRC)):
            out = work / f"scan-{label}"
            _, seconds, _ = peak_rss(
                cli("scan", str(data / "traffic.jsonl.gz"), "--out", str(out), "-q", "--no-html"), src
            )
            times[label].append(seconds)
    return times


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=None, help="Keep bombs and scans here (default: a temp dir).")
    parser.add_argument(
        "--baseline", type=Path, default=Path("/work/main/src"), help="src/ of the checkout to compare."
    )
    parser.add_argument("--speed-runs", type=int, default=1, help="Scan-speed runs per checkout (0 skips).")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        bomb = gzip_bomb(work / "bomb.jsonl.gz")
        scan_cut = peak_rss(cli("scan", str(bomb), "--out", str(work / "scan-bomb"), "-q", "--no-html"))
        no_ratio = ["--set", "max_compression_ratio=0"]
        scan_full = peak_rss(
            cli("scan", str(bomb), "--out", str(work / "scan-bomb-full"), "-q", "--no-html", *no_ratio)
        )
        zbomb = zip_bomb(work / "bomb.zip")
        verify = peak_rss(cli("evidence", "verify", str(zbomb), "--json"))
        gw = gateway(work)
        times = speed(work, args.baseline, args.speed_runs) if args.speed_runs else {}
        report(bomb, zbomb, scan_cut, scan_full, verify, gw, times)


def report(bomb: Path, zbomb: Path, scan_cut: tuple[float, float, int], scan_full: tuple[float, float, int],
           verify: tuple[float, float, int], gw: dict[str, object], times: dict[str, list[float]]) -> None:  # fmt: skip
    lines = [
        "## Hostile input (bench/bench_security.py)",
        "",
        f"Machine: {machine()}. Peak RSS of each command as a child process (`wait4` rusage); gateway from",
        "`/proc/PID/status` (VmHWM after the load, VmRSS idle). Target: scan and verify <= 500 MB, gateway",
        "<= 100 MB above idle.",
        "",
        "| case | input | peak RSS | wall | exit |",
        "|---|---|---|---|---|",
        f"| `scan` on a gzip bomb, default budgets (cut at 100x) | {bomb.stat().st_size / MiB:.1f} MB -> 4 GiB line "
        f"| {scan_cut[0]:.0f} MiB | {scan_cut[1]:.1f} s | {scan_cut[2]} |",
        f"| `scan` on the same bomb, ratio cap off (whole 4 GiB line streamed, prefix + SHA-256 kept) | same "
        f"| {scan_full[0]:.0f} MiB | {scan_full[1]:.1f} s | {scan_full[2]} |",
        f"| `evidence verify` on a zip bomb (listed entry, 4 GiB of zeros) | {zbomb.stat().st_size / MiB:.1f} MB "
        f"| {verify[0]:.0f} MiB | {verify[1]:.1f} s | {verify[2]} |",
        f"| gateway, 20 concurrent 300 MB posts (10 with Content-Length, 10 chunked) | statuses {gw['statuses']} "
        f"| {gw['above_idle_mib']:.0f} MiB above idle ({gw['idle_mib']:.0f} -> {gw['peak_mib']:.0f}) | | |",
    ]
    if times:
        base, this = min(times["baseline"]), min(times["this"])
        lines += [
            "",
            f"Scan speed, `simulate --scale 0.3 --seed 1` (~200k requests), runs alternating: baseline "
            f"{', '.join(f'{t:.1f}' for t in times['baseline'])} s, this checkout "
            f"{', '.join(f'{t:.1f}' for t in times['this'])} s; best-of ratio this/baseline = {this / base:.3f}.",
        ]
    write_block("security-benchmark", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
