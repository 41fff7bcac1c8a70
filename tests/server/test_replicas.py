"""Two gateway processes sharing one Redis: the budget is one budget, whichever replica answers."""

from __future__ import annotations

import uuid
from contextlib import ExitStack
from pathlib import Path

import openai
import orjson

from .helpers import fresh_minute, serve_process, stub_server, write_keys_file

POLICY = """
default_tier: new
tiers:
  new: {requests_per_minute: 10}
risk: []
"""


def test_budget_holds_across_two_replicas(tmp_path: Path) -> None:
    keys = write_keys_file(tmp_path / "keys.yaml", {"alice": "new"})
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    prefix = f"replicas-{uuid.uuid4().hex}"
    common = ["--keys", str(keys), "--policy", str(policy), "--redis", "redis://127.0.0.1:6379/0"]
    common += ["--redis-prefix", prefix, "--log-dir", str(tmp_path / "logs")]
    with stub_server() as (stub_url, stub), ExitStack() as stack:
        urls = [stack.enter_context(serve_process("--upstream", stub_url, *common))[0] for _ in range(2)]
        clients = [openai.OpenAI(base_url=f"{url}/v1", api_key="sk-alice", max_retries=0) for url in urls]
        outcomes = []
        fresh_minute()
        for i in range(30):
            try:
                clients[i % 2].chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
                outcomes.append(200)
            except openai.RateLimitError:
                outcomes.append(429)
        assert outcomes.count(200) == 10  # 15 went to each replica; together they served the budget, no more
        assert stub.requests == 10
    files = sorted((tmp_path / "logs").glob("*.jsonl"))
    assert len(files) == 2  # one file per process, never interleaved
    statuses = [orjson.loads(line)["status"] for f in files for line in f.read_bytes().splitlines()]
    assert sorted(statuses) == [200] * 10 + [429] * 20
