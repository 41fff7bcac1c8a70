"""Two simulated providers hit by one operator, their scans, and provider A's exported bundle."""

from __future__ import annotations

import gzip
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from distillshield.intel import ExportOptions, Keyring, export_scan, write_bundle
from distillshield.pipeline import run_scan
from distillshield.simulate import simulate

KEYRING = Keyring("consortium-test", (("consortium-test", bytes(range(32))),))
EXPORT_TIME = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Provider:
    log: Path
    scan_dir: Path
    labels: Path
    shared_accounts: frozenset[str] = frozenset()  # accounts run by the operator that also hit provider A


@pytest.fixture(scope="session")
def keyring() -> Keyring:
    return KEYRING


@pytest.fixture(scope="session")
def provider_a(small_scan: Any) -> Provider:
    return Provider(small_scan.log, small_scan.result.out_dir, small_scan.labels)


@pytest.fixture(scope="session")
def bundle_a(provider_a: Provider, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("bundle-a")
    options = ExportOptions(producer="Provider A", attribution={"C0001": "Operator Alpha"})
    bundle = export_scan(provider_a.scan_dir, KEYRING, options, state_path=root / "state.json", now=EXPORT_TIME)
    write_bundle(bundle, root / "bundle.json")
    return root / "bundle.json"


@pytest.fixture(scope="session")
def provider_b(provider_a: Provider, tmp_path_factory: pytest.TempPathFactory) -> Provider:
    """Provider B's own traffic plus the operator of A's largest campaign on fresh accounts at B.

    The operator reuses its payment instruments, its proxy networks (other hosts in the same
    /24s) and its prompt templates; account ids, API keys and hosts are B's own.
    """
    root = tmp_path_factory.mktemp("provider-b")
    own = simulate(root / "data", scale=0.02, seed=12)
    campaigns = json.loads((provider_a.scan_dir / "campaigns.json").read_text(encoding="utf-8"))
    chosen = set(max(campaigns, key=lambda c: len(c["accounts"]))["accounts"])
    renamed: dict[str, str] = {}
    injected = []
    for i, record in enumerate(_records(provider_a.log)):
        if record["account_id"] not in chosen or i % 2:
            continue
        new = renamed.setdefault(record["account_id"], f"acct_opb_{len(renamed):04d}")
        record.update(account_id=new, request_id=f"b-{record['request_id']}", api_key_id=f"key_{new}")
        if record.get("ip") and ":" not in record["ip"]:
            head, _, host = record["ip"].rpartition(".")
            record["ip"] = f"{head}.{(int(host) + 7) % 250 + 1}"
        injected.append(record)
    log = root / "traffic-b.jsonl.gz"
    with gzip.open(log, "wt", encoding="utf-8") as handle:
        for record in [*_records(own.log), *injected]:
            handle.write(json.dumps(record) + "\n")
    run_scan([log], root / "scan", html=False)
    return Provider(log, root / "scan", own.labels, frozenset(renamed.values()))


def _records(log: Path) -> Iterator[dict[str, Any]]:
    with gzip.open(log, "rt", encoding="utf-8") as handle:
        for line in handle:
            yield json.loads(line)


def raw_identifiers(log: Path) -> set[str]:
    """Every identifier and host address in a log: none of them may appear in an export."""
    found: set[str] = set()
    for record in _records(log):
        for key in ("account_id", "api_key_id", "payment_fingerprint", "ip", "user_id"):
            if record.get(key):
                found.add(str(record[key]))
    return found


@dataclass(frozen=True)
class Running:
    base_url: str


def serve_in_thread(app: Any) -> Iterator[Running]:
    """Run an ASGI app with uvicorn on a loopback port the OS picks; stop it afterwards."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield Running(f"http://127.0.0.1:{sock.getsockname()[1]}")
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
