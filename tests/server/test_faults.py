"""Faults: a slow, failing or vanishing upstream, and a Redis that stops and comes back.

Every request must end within its timeout with an OpenAI-shaped error, and every
request must leave exactly one traffic-log line.
"""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import openai
import orjson
import pytest

from distillshield.respond.policy import Policy, RiskRule, Tier
from distillshield.server.app import GatewayConfig
from distillshield.server.upstream import Timeouts

from .helpers import RunningGateway, fresh_minute, gateway_server, keyring, private_redis, stub_server

HELLO = [{"role": "user", "content": "Say hello."}]
POLICY = Policy(tiers={"new": Tier("new", 5, None)}, risk=(RiskRule(0.95, "block"),))
TIMEOUTS = Timeouts(connect=1.0, total=0.5, read=0.5)


def lines(log_dir: Path) -> list[dict[str, object]]:
    return [orjson.loads(raw) for path in sorted(log_dir.glob("*.jsonl")) for raw in path.read_bytes().splitlines()]


@pytest.fixture(scope="module")
def gw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningGateway]:
    logs = tmp_path_factory.mktemp("fault-logs")
    with stub_server(delay_s=3.0) as (stub_url, _):
        keys = keyring({"alice": {"tier": "new"}})
        config = GatewayConfig(upstream_url=stub_url, keys=keys, policy=POLICY, log_dir=logs, timeouts=TIMEOUTS)
        with gateway_server(config) as running:
            yield running


def one_line(gw: RunningGateway, model: str) -> dict[str, object]:
    """The single traffic-log line of the request that used ``model`` (each test uses its own name)."""
    gw.drain()
    traffic = gw.gateway.traffic
    assert traffic is not None
    found = [r for r in lines(traffic.directory) if r["model"] == model]
    assert len(found) == 1, found
    assert found[0]["extra"]["gateway"]["error"]  # type: ignore[index]
    return found[0]


def chat(url: str, model: str, **kwargs: object) -> object:
    c = openai.OpenAI(base_url=f"{url}/v1", api_key="sk-alice", max_retries=0, timeout=10)
    return c.chat.completions.create(model=model, messages=HELLO, **kwargs)  # type: ignore[call-overload]


@pytest.mark.parametrize("stream", [False, True])
def test_slow_upstream_times_out_as_504(gw: RunningGateway, stream: bool) -> None:
    model, started = f"stub-slow-{uuid.uuid4().hex}", time.monotonic()
    with pytest.raises(openai.InternalServerError) as caught:
        chat(gw.url, model, stream=stream)
    assert time.monotonic() - started < 2.5  # the stub would take 3 s; the gateway gives up at 0.5 s
    assert caught.value.status_code == 504 and caught.value.code == "upstream_timeout"
    assert one_line(gw, model)["status"] == 504


@pytest.mark.parametrize("stream", [False, True])
def test_upstream_500_becomes_502(gw: RunningGateway, stream: bool) -> None:
    model = f"stub-error500-{uuid.uuid4().hex}"
    with pytest.raises(openai.InternalServerError) as caught:
        chat(gw.url, model, stream=stream)
    assert caught.value.status_code == 502 and caught.value.code == "upstream_error"
    assert one_line(gw, model)["status"] == 502


def test_reset_mid_stream_ends_the_stream_with_an_error(gw: RunningGateway) -> None:
    model = f"stub-reset-{uuid.uuid4().hex}"
    stream = chat(gw.url, model, stream=True)
    started = time.monotonic()
    with pytest.raises(openai.APIError) as caught:
        list(stream)  # type: ignore[call-overload]
    assert time.monotonic() - started < 2.0
    assert "upstream stream failed" in caught.value.message
    record = one_line(gw, model)
    assert record["status"] == 502 and record["reasoning"]  # what was relayed before the drop is logged


def test_unreachable_upstream_is_502(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nothing listens on: bound, then released
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    config = GatewayConfig(upstream_url=dead, keys=keyring({"alice": {}}), log_dir=tmp_path, timeouts=TIMEOUTS)
    with gateway_server(config) as running, pytest.raises(openai.InternalServerError) as caught:
        chat(running.url, "m")
    assert caught.value.status_code == 502 and caught.value.code == "upstream_unavailable"
    assert [r["status"] for r in lines(tmp_path)] == [502]


@pytest.mark.parametrize("fail_open", [True, False])
def test_redis_stopped_and_restarted(tmp_path: Path, fail_open: bool) -> None:
    with stub_server() as (stub_url, _), private_redis(tmp_path) as (redis_url, (start, stop)):
        config = GatewayConfig(
            upstream_url=stub_url,
            keys=keyring({"alice": {"tier": "new"}}),
            policy=Policy(tiers={"new": Tier("new", 3, None)}, risk=()),
            log_dir=tmp_path / "logs",
            redis_url=redis_url,
            redis_prefix=f"faults{fail_open}",
            fail_open=fail_open,
        )
        with gateway_server(config) as running:
            fresh_minute(10)  # the whole sequence below must fall in one budget window
            chat(running.url, "m")  # Redis up: served and counted
            stop()
            started = time.monotonic()
            if fail_open:
                for _ in range(5):  # more than the budget of 3: unmetered while Redis is down
                    chat(running.url, "m")
            else:
                with pytest.raises(openai.InternalServerError) as caught:
                    chat(running.url, "m")
                assert caught.value.status_code == 503 and caught.value.code == "state_unavailable"
            assert time.monotonic() - started < 5  # each Redis call gives up after 0.25 s
            start()
            served = 0
            with pytest.raises(openai.RateLimitError):  # Redis back, budgets hold again (fresh counter)
                for _ in range(5):
                    chat(running.url, "m")
                    served += 1
            assert served == 3
            running.drain()
        records = lines(tmp_path / "logs")
        expected_down = 5 if fail_open else 1
        assert len(records) == 1 + expected_down + 4
        reasons = [r["extra"]["gateway"]["reason"] for r in records]  # type: ignore[index]
        failing = "state unavailable: failing open" if fail_open else "state unavailable: failing closed"
        assert reasons.count(failing) == expected_down
