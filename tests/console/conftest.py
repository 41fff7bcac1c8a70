"""A console over the shared small scan, with one analyst, served in-process or on a loopback port."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI

from distillshield.console import ActionStore, ConsoleConfig, add_user, create_app, load_users, open_scan
from tests.conftest import SmallScan


@dataclass(frozen=True)
class Console:
    app: FastAPI
    token: str
    store: ActionStore
    campaign: str
    members: tuple[str, ...]


@pytest.fixture
def console(small_scan: SmallScan, tmp_path: Path) -> Console:
    users = tmp_path / "users.yml"
    token = add_user(users, "alice")
    add_user(users, "bob")
    scan = open_scan(small_scan.result.out_dir / "scan.duckdb")
    store = ActionStore(tmp_path / "analyst.sqlite")
    app = create_app(ConsoleConfig(scan, load_users(users), store))
    top = max(scan.campaigns.values(), key=lambda c: (len(c.accounts), c.campaign_id))
    return Console(app, token, store, top.campaign_id, top.accounts)


@pytest.fixture
def served(console: Console) -> Iterator[str]:
    """The console on a real loopback socket (port chosen by the OS); yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(console.app, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "console did not start"
    host, port = sock.getsockname()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
