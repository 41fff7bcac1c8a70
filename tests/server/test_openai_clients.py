"""The official openai client, sync, async and streaming, through the gateway to a real stub upstream."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import httpx
import openai
import orjson
import pytest

from distillshield.ingest.base import to_row
from distillshield.respond.policy import Policy, RiskRule, Tier
from distillshield.respond.state import Finish, Override
from distillshield.server.app import GatewayConfig

from .helpers import RunningGateway, fresh_minute, gateway_server, keyring, stub_server

POLICY = Policy(
    tiers={"new": Tier("new", 3, None), "verified": Tier("verified", 1000, None)},
    risk=(RiskRule(0.95, "block"), RiskRule(0.6, "throttle", 1, None)),
)
ACCOUNTS = {
    "alice": {"tier": "verified"},
    "bob": {"tier": "new"},
    "carol": {"tier": "verified"},
    "dave": {"tier": "verified"},
    "erin": {"tier": "verified"},
}
HELLO = [{"role": "user", "content": "Say hello."}]


@pytest.fixture(scope="module")
def gw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningGateway]:
    logs = tmp_path_factory.mktemp("gateway-logs")
    with stub_server() as (stub_url, _):
        config = GatewayConfig(upstream_url=stub_url, keys=keyring(ACCOUNTS), policy=POLICY, log_dir=logs)
        with gateway_server(config) as running:
            yield running


def client(gw: RunningGateway, account: str, **kwargs: object) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{gw.url}/v1", api_key=f"sk-{account}", **kwargs)  # type: ignore[arg-type]


def override(gw: RunningGateway, account: str, value: Override | None) -> None:
    asyncio.run_coroutine_threadsafe(gw.gateway.store.set_override(account, value), gw.loop).result(5)


def log_lines(gw: RunningGateway) -> list[dict[str, object]]:
    traffic = gw.gateway.traffic
    assert traffic is not None
    return [
        orjson.loads(line)
        for path in sorted(traffic.directory.glob("*.jsonl"))
        for line in path.read_bytes().splitlines()
    ]


def test_sync_chat_passes_reasoning_and_usage(gw: RunningGateway) -> None:
    reply = client(gw, "alice").chat.completions.create(model="stub-model", messages=HELLO)
    assert reply.choices[0].message.content == "Hello world"
    assert reply.choices[0].message.model_extra["reasoning_content"]  # type: ignore[index]
    assert reply.usage is not None and reply.usage.total_tokens == 21
    assert reply._request_id and reply._request_id.startswith("req_")


def test_async_client(gw: RunningGateway) -> None:
    async def run() -> list[str]:
        async with openai.AsyncOpenAI(base_url=f"{gw.url}/v1", api_key="sk-alice") as aclient:
            replies = await asyncio.gather(
                *[aclient.chat.completions.create(model="stub-model", messages=HELLO) for _ in range(8)]
            )
            return [r.choices[0].message.content or "" for r in replies]

    assert asyncio.run(run()) == ["Hello world"] * 8


def test_streaming_with_usage(gw: RunningGateway) -> None:
    stream = client(gw, "alice").chat.completions.create(
        model="stub-model", messages=HELLO, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Hello world"
    assert chunks[-1].choices == [] and chunks[-1].usage is not None and chunks[-1].usage.total_tokens == 21
    assert any((c.choices and c.choices[0].delta.model_extra or {}).get("reasoning_content") for c in chunks)


def test_streaming_without_usage_hides_the_usage_chunk_but_logs_tokens(gw: RunningGateway) -> None:
    chunks = list(client(gw, "carol").chat.completions.create(model="stub-model", messages=HELLO, stream=True))
    assert all(c.usage is None for c in chunks)
    gw.drain()
    mine = [r for r in log_lines(gw) if r["account_id"] == "carol"]
    assert mine[-1]["completion_tokens"] == 9 and mine[-1]["response"] == "Hello world"


def test_completions_and_models(gw: RunningGateway) -> None:
    c = client(gw, "alice")
    assert c.completions.create(model="stub-model", prompt="Say hello.").choices[0].text == "Hello world"
    assert [m.id for m in c.models.list()] == ["stub-model"]


def test_bad_key_is_401_in_openai_shape(gw: RunningGateway) -> None:
    with pytest.raises(openai.AuthenticationError) as caught:
        client(gw, "mallory").chat.completions.create(model="stub-model", messages=HELLO)
    assert caught.value.status_code == 401
    assert caught.value.body == {
        "message": "Incorrect or missing API key.",
        "type": "invalid_request_error",
        "param": None,
        "code": "invalid_api_key",
    }


@pytest.mark.parametrize(
    ("body", "param"),
    [
        (b"{not json", None),
        (b"[1]", None),
        (b'{"messages": []}', "model"),
        (b'{"model": "m", "messages": 3}', "messages"),
    ],
)
def test_bad_bodies_are_400_in_openai_shape(gw: RunningGateway, body: bytes, param: str | None) -> None:
    answer = httpx.post(
        f"{gw.url}/v1/chat/completions", content=body, headers={"authorization": "Bearer sk-alice"}, timeout=5
    )
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert set(error) == {"message", "type", "param", "code"} and error["param"] == param


def test_unknown_route_is_404_in_openai_shape(gw: RunningGateway) -> None:
    answer = httpx.get(f"{gw.url}/v1/nothing", timeout=5)
    assert answer.status_code == 404 and set(answer.json()["error"]) == {"message", "type", "param", "code"}


def test_budget_throttle_is_429_with_retry_after(gw: RunningGateway) -> None:
    c = client(gw, "bob", max_retries=0)
    fresh_minute()
    served = 0
    with pytest.raises(openai.RateLimitError) as caught:
        for _ in range(10):
            c.chat.completions.create(model="stub-model", messages=HELLO)
            served += 1
    assert served == 3  # the new tier allows 3 requests a minute
    assert caught.value.body == {
        "message": caught.value.body["message"],  # type: ignore[index]
        "type": "rate_limit_error",
        "param": None,
        "code": "rate_limit_exceeded",
    }
    assert 1 <= int(caught.value.response.headers["retry-after"]) <= 60


def test_the_client_honours_retry_after(gw: RunningGateway) -> None:
    """A risk throttle with Retry-After: 1: the SDK waits about a second between its tries."""
    flagged = Finish(raise_risk=0.7)  # as if an earlier request had scored 0.7
    asyncio.run_coroutine_threadsafe(gw.gateway.store.finish("dave", time.time(), flagged), gw.loop).result(5)
    started = time.monotonic()
    with pytest.raises(openai.RateLimitError):
        client(gw, "dave", max_retries=1).chat.completions.create(model="stub-model", messages=HELLO)
    assert time.monotonic() - started >= 0.9


def test_withhold_reasoning_strips_fields_plain_and_streamed(gw: RunningGateway) -> None:
    override(gw, "erin", Override(reason="suspected harvest", action="withhold_reasoning"))
    c = client(gw, "erin")
    reply = c.chat.completions.create(model="stub-model", messages=HELLO)
    assert reply.choices[0].message.content == "Hello world"
    assert "reasoning_content" not in (reply.choices[0].message.model_extra or {})
    chunks = list(c.chat.completions.create(model="stub-model", messages=HELLO, stream=True))
    assert not any((c.choices and c.choices[0].delta.model_extra or {}).get("reasoning_content") for c in chunks)
    assert "".join(ch.choices[0].delta.content or "" for ch in chunks if ch.choices) == "Hello world"
    gw.drain()
    mine = [r for r in log_lines(gw) if r["account_id"] == "erin"]
    assert all("reasoning" not in r and r["extra"]["gateway"]["reasoning_withheld"] for r in mine)  # type: ignore[index]
    assert all(r["extra"]["gateway"]["reason"] == "override: suspected harvest" for r in mine)  # type: ignore[index]
    override(gw, "erin", None)


@pytest.mark.parametrize(("action", "code"), [("step_up", "verification_required"), ("block", "account_blocked")])
def test_step_up_and_block_are_403_with_a_code(gw: RunningGateway, action: str, code: str) -> None:
    override(gw, "carol", Override(reason="manual review", action=action))  # type: ignore[arg-type]
    with pytest.raises(openai.PermissionDeniedError) as caught:
        client(gw, "carol").chat.completions.create(model="stub-model", messages=HELLO)
    assert caught.value.status_code == 403 and caught.value.code == code
    override(gw, "carol", None)


def test_every_request_is_logged_and_metered(gw: RunningGateway) -> None:
    before = len(log_lines(gw))
    client(gw, "alice").chat.completions.create(model="stub-model", messages=HELLO)
    gw.drain()
    assert len(log_lines(gw)) == before + 1
    metrics = httpx.get(f"{gw.url}/metrics", timeout=5).text
    assert 'distillshield_requests_total{action="allow",route="chat",status="200"}' in metrics
    assert "distillshield_decision_seconds_bucket" in metrics


def test_logs_are_traffic_log_records(gw: RunningGateway) -> None:
    for record in log_lines(gw):
        to_row(record)  # raises on any record that breaks the spec
