"""Following a Redis stream (real Redis at 127.0.0.1:6379): the gateway's sink, the checkpoint, consumer groups."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import openai
import orjson
import pytest
import redis

from distillshield.errors import ConfigError
from distillshield.ingest.store import RequestStore
from distillshield.server.app import GatewayConfig
from distillshield.server.trafficlog import TrafficLog
from distillshield.watch import RedisStreamSource, parse_stream_url
from distillshield.watch.batch import commit
from distillshield.watch.checkpoint import create_tables, get_meta
from tests.server.helpers import gateway_server, keyring, stub_server
from tests.watch.test_files import record

REDIS = "redis://127.0.0.1:6379/0"


@pytest.fixture
def stream(request: pytest.FixtureRequest) -> Iterator[str]:
    """A stream name of this test's own, deleted afterwards."""
    name = f"distillshield-test-stream-{time.time_ns()}"
    yield name
    redis.Redis.from_url(REDIS).delete(name)


def _state(path: Path) -> tuple[duckdb.DuckDBPyConnection, RequestStore]:
    con = duckdb.connect(str(path))
    create_tables(con)
    return con, RequestStore(con)


def _ids(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in con.execute("SELECT request_id FROM requests ORDER BY request_id").fetchall()]


def test_gateway_sink_to_watch_source_round_trip(stream: str, tmp_path: Path) -> None:
    log = TrafficLog(tmp_path / "logs", stream=f"{REDIS}?stream={stream}")
    for n in range(5):
        log.write(orjson.loads(record(n)))
    con, store = _state(tmp_path / "state.duckdb")
    source = RedisStreamSource(parse_stream_url(f"{REDIS}?stream={stream}"))
    source.load(con)
    for batch in source.poll():
        commit(con, store, batch)
    assert _ids(con) == [f"r{n}" for n in range(5)]
    log.write(orjson.loads(record(5)))
    redis.Redis.from_url(REDIS).xadd(stream, {"other": b"x"})
    for batch in source.poll():
        commit(con, store, batch)
    assert len(_ids(con)) == 6
    quarantined = con.execute("SELECT line, field, reason FROM watch_quarantine").fetchall()
    assert quarantined == [(7, "record", "stream entry has no 'record' field")]
    assert get_meta(con, "duplicates") == 0
    log.close()
    assert sum(len(p.read_bytes().splitlines()) for p in (tmp_path / "logs").iterdir()) == 6  # the files too


def test_serve_to_redis_to_watch(stream: str, tmp_path: Path) -> None:
    """The gateway with --log-stream: each answered request reaches the stream, and watch ingests it."""
    url = f"{REDIS}?stream={stream}"
    with stub_server(delay_s=0.0) as (stub_url, _):
        config = GatewayConfig(
            upstream_url=stub_url, keys=keyring({"alice": {}}), log_dir=tmp_path / "logs", log_stream=url
        )
        with gateway_server(config) as gateway:
            client = openai.OpenAI(base_url=f"{gateway.url}/v1", api_key="sk-alice", max_retries=0, timeout=10)
            for n in range(3):
                client.chat.completions.create(model="stub", messages=[{"role": "user", "content": f"Hi {n}"}])
    con, store = _state(tmp_path / "state.duckdb")
    source = RedisStreamSource(parse_stream_url(url))
    source.load(con)
    for batch in source.poll():
        commit(con, store, batch)
    assert con.execute("SELECT count(*), any_value(account_id) FROM requests").fetchall() == [(3, "alice")]


def test_a_group_rereads_entries_delivered_but_never_committed(stream: str, tmp_path: Path) -> None:
    client = redis.Redis.from_url(REDIS)
    for n in range(4):
        client.xadd(stream, {"record": record(n)})
    url = f"{REDIS}?stream={stream}&group=g&consumer=c1"
    con, store = _state(tmp_path / "state.duckdb")
    crashed = RedisStreamSource(parse_stream_url(url))
    crashed.load(con)
    next(crashed.poll())  # delivered to the consumer, then the process dies before committing
    assert client.xpending(stream, "g")["pending"] == 4
    source = RedisStreamSource(parse_stream_url(url))
    source.load(con)
    for batch in source.poll():
        commit(con, store, batch)
    assert _ids(con) == [f"r{n}" for n in range(4)]
    assert client.xpending(stream, "g")["pending"] == 0


def test_stream_urls_name_what_is_wrong() -> None:
    address = parse_stream_url("redis://127.0.0.1:6379/0?stream=logs&group=g")
    assert (address.url, address.stream, address.group, address.field) == (
        "redis://127.0.0.1:6379/0",
        "logs",
        "g",
        "record",
    )
    with pytest.raises(ConfigError, match="stream=NAME"):
        parse_stream_url("redis://127.0.0.1:6379/0")
    with pytest.raises(ConfigError, match="unknown stream parameter"):
        parse_stream_url("redis://127.0.0.1:6379/0?stream=x&typo=1")
