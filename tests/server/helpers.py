"""Real servers on loopback for the gateway tests: the stub model server and the gateway, each in a thread."""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn
import uvloop
from aiohttp import web

from distillshield.respond.identity import Identity, KeyRing, hash_key
from distillshield.server.app import GatewayConfig, create_app
from distillshield.server.gateway import Gateway
from distillshield.server.stub import Stub


@contextmanager
def stub_server(delay_s: float = 5.0) -> Iterator[tuple[str, Stub]]:
    """The stub model server on an ephemeral loopback port, in its own thread and event loop."""
    stub = Stub(delay_s=delay_s)
    loop = asyncio.new_event_loop()
    sock = socket.create_server(("127.0.0.1", 0))
    runner = web.AppRunner(stub.app(), access_log=None, shutdown_timeout=0.1)

    async def start() -> None:
        await runner.setup()
        await web.SockSite(runner, sock).start()

    loop.run_until_complete(start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}", stub
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


@dataclass
class RunningGateway:
    url: str
    app: Any
    server: uvicorn.Server
    loop: asyncio.AbstractEventLoop

    @property
    def gateway(self) -> Gateway:
        gateway: Gateway = self.app.state.gateway
        return gateway

    def drain(self) -> None:
        """Wait until background learning has reached the state store."""
        asyncio.run_coroutine_threadsafe(self.gateway.drain(), self.loop).result(10)


@contextmanager
def gateway_server(config: GatewayConfig) -> Iterator[RunningGateway]:
    """The gateway app under uvicorn on an ephemeral loopback port, in a thread."""
    app = create_app(config)
    sock = socket.create_server(("127.0.0.1", 0))
    # proxy_headers off, as `distillshield serve` runs it: X-Forwarded-For is the gateway's to read.
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on", proxy_headers=False)
    server = uvicorn.Server(config)
    loop = uvloop.new_event_loop()  # as `distillshield serve` runs it (the default loop adds ~40 ms a request)
    thread = threading.Thread(target=lambda: loop.run_until_complete(server.serve(sockets=[sock])), daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the gateway did not start")
        time.sleep(0.01)
    try:
        yield RunningGateway(f"http://127.0.0.1:{sock.getsockname()[1]}", app, server, loop)
    finally:
        server.should_exit = True
        thread.join(15)
        loop.close()
        sock.close()


def keyring(accounts: dict[str, dict[str, Any]]) -> KeyRing:
    """Keys ``sk-<account>`` for each account, with the given identity fields."""
    ring = {}
    for account, fields in accounts.items():
        ring[hash_key(f"sk-{account}")] = Identity(account_id=account, key_id=f"key_{account}", **fields)
    return KeyRing(ring)


def write_keys_file(path: Path, accounts: dict[str, str]) -> Path:
    """A keys file giving ``sk-<account>`` the tier named for each account."""
    lines = ["keys:"]
    for account, tier in accounts.items():
        digest = hashlib.sha256(f"sk-{account}".encode()).hexdigest()
        lines += [f"  - sha256: {digest}", f"    account_id: {account}", f"    tier: {tier}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@contextmanager
def serve_process(*args: str, env: dict[str, str] | None = None) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """``distillshield serve ... --port 0`` as a real process; yields its URL."""
    command = [sys.executable, "-m", "distillshield", "serve", "--port", "0", "--quiet", *args]
    # stderr goes to a file: a pipe nobody reads fills up and would block the gateway's logging.
    with tempfile.TemporaryFile(mode="w+") as errors:
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=errors, text=True, env={**os.environ, **(env or {})}
        )
        try:
            assert process.stdout is not None  # piped above
            line = process.stdout.readline()
            if not line.startswith("listening on "):
                errors.seek(0)
                raise RuntimeError(f"serve did not start: {line!r} {errors.read()[-2000:]}")
            yield line.split()[-1], process
        finally:
            _stop(process)


def _stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)
    if process.stdout is not None:
        process.stdout.close()


@contextmanager
def private_redis(directory: Path) -> Iterator[tuple[str, Any]]:
    """A redis-server of our own on a unix socket (no TCP port), to stop and restart freely."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed")
    sock = directory / "redis.sock"
    command = [binary, "--port", "0", "--unixsocket", str(sock), "--save", "", "--appendonly", "no"]
    state: dict[str, subprocess.Popen[bytes]] = {}

    def start() -> None:
        state["p"] = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not sock.exists():
            if time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.02)

    def stop() -> None:
        state["p"].terminate()
        state["p"].wait(10)
        sock.unlink(missing_ok=True)

    start()
    try:
        yield f"unix://{sock}", (start, stop)
    finally:
        if state["p"].poll() is None:
            stop()


def fresh_minute(margin_s: float = 8.0) -> None:
    """Wait for the next UTC minute if this one ends within ``margin_s``: budgets are per-minute windows."""
    left = 60 - time.time() % 60
    if left < margin_s:
        time.sleep(left + 0.05)
