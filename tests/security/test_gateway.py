"""Hostile API clients at the gateway: huge bodies, forged forwarding headers, probing errors and admin routes."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from distillshield.server.app import GatewayConfig
from distillshield.server.proxies import TrustedProxies
from distillshield.server.upstream import Timeouts
from tests.server.helpers import RunningGateway, gateway_server, keyring, stub_server

LIMIT = 64 * 1024
ADMIN = "admin-secret"
METRICS = "metrics-secret"
AUTH = {"authorization": "Bearer sk-alice"}


@pytest.fixture(scope="module")
def gw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningGateway, str]]:
    logs = tmp_path_factory.mktemp("security-logs")
    with stub_server(delay_s=0.0) as (stub_url, _):
        config = GatewayConfig(
            upstream_url=stub_url,
            keys=keyring({"alice": {}, "mallory": {}}),
            log_dir=logs,
            admin_token=ADMIN,
            metrics_token=METRICS,
            trust_forwarded_for=True,
            max_body_bytes=LIMIT,
            timeouts=Timeouts(connect=1.0, total=5.0, read=5.0),
        )
        with gateway_server(config) as running:
            yield running, stub_url


def _lines(gw: RunningGateway) -> list[dict[str, object]]:
    gw.drain()
    traffic = gw.gateway.traffic
    assert traffic is not None
    return [orjson.loads(raw) for p in sorted(traffic.directory.glob("*.jsonl")) for raw in p.read_bytes().splitlines()]


def _chat(model: str, pad: int = 0) -> bytes:
    return orjson.dumps({"model": model, "messages": [{"role": "user", "content": "hi" + "x" * pad}]})


def test_declared_oversized_body_is_answered_413_before_it_is_sent(gw: tuple[RunningGateway, str]) -> None:
    running, _ = gw
    port = int(running.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        head = (
            "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer sk-alice\r\n"
            f"content-type: application/json\r\ncontent-length: {300 * 1024 * 1024}\r\n\r\n"
        )
        sock.sendall(head.encode())  # and not one byte of the 300 MB body
        answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:100]
    assert b"request_too_large" in answer


def test_chunked_oversized_body_is_refused_while_streaming(gw: tuple[RunningGateway, str]) -> None:
    running, _ = gw

    def body() -> Iterator[bytes]:
        yield b'{"model": "chunked-big", "messages": [{"role": "user", "content": "'
        for _ in range(64):
            yield b"x" * 4096

    answer = httpx.post(f"{running.url}/v1/chat/completions", content=body(), headers=AUTH, timeout=10)
    assert answer.status_code == 413
    assert not [r for r in _lines(running) if r["model"] == "chunked-big"]


def test_body_under_the_limit_is_served(gw: tuple[RunningGateway, str]) -> None:
    running, _ = gw
    answer = httpx.post(f"{running.url}/v1/chat/completions", content=_chat("small", LIMIT // 2), headers=AUTH)
    assert answer.status_code == 200


@pytest.mark.parametrize(
    ("forwarded", "expected"),
    [
        ("6.6.6.6, 203.0.113.9", "203.0.113.9"),  # the balancer appended .9; 6.6.6.6 is the client's claim
        ("not-an-ip<script>", "127.0.0.1"),
        ("203.0.113.7, 127.0.0.1", "203.0.113.7"),  # a trusted hop is skipped
    ],
)
def test_client_ip_is_the_rightmost_untrusted_hop(
    gw: tuple[RunningGateway, str], forwarded: str, expected: str
) -> None:
    running, _ = gw
    model = f"xff-{expected}-{len(forwarded)}"
    headers = {**AUTH, "x-forwarded-for": forwarded}
    assert httpx.post(f"{running.url}/v1/chat/completions", content=_chat(model), headers=headers).status_code == 200
    (line,) = [r for r in _lines(running) if r["model"] == model]
    assert line["ip"] == expected


def test_forwarded_for_from_an_untrusted_peer_is_ignored() -> None:
    proxies = TrustedProxies(["10.0.0.0/8"])
    assert proxies.client("198.51.100.4", "1.2.3.4") == "198.51.100.4"
    assert proxies.client("10.1.2.3", "1.2.3.4, 10.9.9.9") == "1.2.3.4"
    assert proxies.client("10.1.2.3", "bogus, 10.9.9.9") == "10.9.9.9"


def test_502_does_not_reveal_the_upstream_address(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = GatewayConfig(upstream_url=f"http://127.0.0.1:{port}", keys=keyring({"alice": {}}))
    with gateway_server(config) as running:
        answer = httpx.post(f"{running.url}/v1/chat/completions", content=_chat("m"), headers=AUTH, timeout=10)
        models = httpx.get(f"{running.url}/v1/models", headers=AUTH, timeout=10)
    for reply in (answer, models):
        assert reply.status_code == 502
        assert str(port) not in reply.text and "127.0.0.1" not in reply.text


def test_metrics_can_require_a_token(gw: tuple[RunningGateway, str]) -> None:
    running, _ = gw
    assert httpx.get(f"{running.url}/metrics").status_code == 401
    assert httpx.get(f"{running.url}/metrics", headers={"authorization": "Bearer nope"}).status_code == 401
    assert httpx.get(f"{running.url}/metrics", headers={"authorization": f"Bearer {METRICS}"}).status_code == 200


def test_blocked_account_cannot_list_models(gw: tuple[RunningGateway, str]) -> None:
    running, _ = gw
    admin = {"authorization": f"Bearer {ADMIN}"}
    put = httpx.put(
        f"{running.url}/admin/accounts/mallory/override", json={"reason": "abuse", "action": "block"}, headers=admin
    )
    assert put.status_code == 200
    assert httpx.get(f"{running.url}/v1/models", headers={"authorization": "Bearer sk-mallory"}).status_code == 403
    assert httpx.get(f"{running.url}/v1/models", headers=AUTH).status_code == 200


def test_admin_api_answers_400_or_401_never_500(gw: tuple[RunningGateway, str]) -> None:
    running, _ = gw
    weird = httpx.get(f"{running.url}/admin/accounts", headers={"authorization": "Bearer t\u00f6k\u00e9n".encode()})
    assert weird.status_code == 401
    admin = {"authorization": f"Bearer {ADMIN}"}
    for bad in ("abc", "-1", "0", "\u0661"):
        assert httpx.get(f"{running.url}/admin/accounts", params={"limit": bad}, headers=admin).status_code == 400
    assert httpx.get(f"{running.url}/admin/accounts", params={"limit": "5"}, headers=admin).status_code == 200


def test_newline_in_override_reason_cannot_forge_a_log_line(
    gw: tuple[RunningGateway, str], caplog: pytest.LogCaptureFixture
) -> None:
    running, _ = gw
    admin = {"authorization": f"Bearer {ADMIN}"}
    forged = "ok\n2026-01-01 00:00:00 distillshield.gateway override cleared account=victim"
    with caplog.at_level(logging.INFO, logger="distillshield.gateway"):
        put = httpx.put(
            f"{running.url}/admin/accounts/alice%0Aforged/override",
            json={"reason": forged, "action": "allow"},
            headers=admin,
        )
        time.sleep(0.1)
    assert put.status_code == 200
    messages = [r.getMessage() for r in caplog.records if "override" in r.getMessage()]
    assert messages and all("\n" not in m for m in messages)
