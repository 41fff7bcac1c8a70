"""The blind benchmark generator writes logs that keep to spec v1 and labels that cover every account once."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import hashlib
import ipaddress
import json
from pathlib import Path
from typing import Any

import pytest
from bench.blindgen import corpus
from bench.blindgen.generate import run

# A tiny log: scale 0.01 keeps every archetype (floors) and volume 0.1 cuts each account's traffic.
SCALE, SEED, VOLUME = 0.01, 5, 0.1
OPTIONAL_STR = ("api_key_id", "user_id", "user_agent", "payment_fingerprint", "email_domain", "response", "reasoning")
OPTIONAL_INT = ("asn", "prompt_tokens", "completion_tokens", "reasoning_tokens", "tool_calls", "status")
SPEC_FIELDS = {"request_id", "ts", "account_id", "model", "messages", "prompt", "ip", "account_created_at", "extra"}
SPEC_FIELDS |= set(OPTIONAL_STR) | set(OPTIONAL_INT)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("blind")
    run(out, SCALE, SEED, volume=VOLUME)
    return out


def _records(folder: Path) -> list[dict[str, Any]]:
    with gzip.open(folder / "traffic.jsonl.gz", "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def _labels(folder: Path) -> list[dict[str, str]]:
    with open(folder / "labels.csv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _is_time(value: Any) -> bool:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return True
    if not isinstance(value, str):
        return False
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed.tzinfo is not None  # RFC 3339 needs an offset


def _check_messages(messages: Any) -> None:
    assert isinstance(messages, list) and messages
    for m in messages:
        assert set(m) == {"role", "content"} and isinstance(m["role"], str)
        content = m["content"]
        if isinstance(content, list):
            for part in content:
                assert part["type"] in ("text", "input_text") and isinstance(part["text"], str)
        else:
            assert isinstance(content, str)


def _check_record(r: dict[str, Any]) -> None:
    assert set(r) <= SPEC_FIELDS, set(r) - SPEC_FIELDS
    for name in ("request_id", "account_id", "model"):
        assert isinstance(r[name], str) and r[name]
    assert _is_time(r["ts"])
    assert ("messages" in r) != ("prompt" in r)
    if "messages" in r:
        _check_messages(r["messages"])
    else:
        assert isinstance(r["prompt"], str) and r["prompt"]
    for name in OPTIONAL_STR:
        assert name not in r or isinstance(r[name], str)
    for name in OPTIONAL_INT:
        assert name not in r or (type(r[name]) is int and r[name] >= 0)
    if "ip" in r:
        ipaddress.ip_address(r["ip"])
    if "account_created_at" in r:
        assert _is_time(r["account_created_at"])
    assert "extra" not in r or isinstance(r["extra"], dict)
    if r.get("status", 200) == 200:
        assert r["prompt_tokens"] > 0 and r["completion_tokens"] >= r.get("reasoning_tokens", 0)


def test_every_record_keeps_to_spec_v1(tiny: Path) -> None:
    records = _records(tiny)
    assert len(records) > 1000
    for r in records:
        _check_record(r)
    assert len({r["request_id"] for r in records}) == len(records)
    # The log mixes both timestamp forms, v4 and v6 addresses, both content shapes and both request shapes.
    assert {type(r["ts"]) is str for r in records} == {True, False}
    assert any(":" in r["ip"] for r in records) and any("." in r["ip"] for r in records)
    assert any("prompt" in r for r in records) and any(r.get("status") == 429 for r in records)
    parts = {
        p["type"]
        for r in records
        for m in r.get("messages", [])
        if isinstance(m["content"], list)
        for p in m["content"]
    }
    assert parts == {"text", "input_text"}


def test_labels_cover_every_account_exactly_once(tiny: Path) -> None:
    labels = _labels(tiny)
    assert list(labels[0]) == ["account_id", "label", "campaign_id", "archetype"]
    ids = [row["account_id"] for row in labels]
    assert len(ids) == len(set(ids))
    assert set(ids) == {r["account_id"] for r in _records(tiny)}
    for row in labels:
        assert row["label"] in ("benign", "distiller") and row["archetype"]
        assert (row["label"] == "distiller") == bool(row["campaign_id"])
    archetypes = {row["archetype"] for row in labels}
    assert {
        "low_and_slow_cover",
        "throwaway_pool_round_robin",
        "framing_copycat",
        "framed_customer",
        "research_group_benchmarks",
        "learner_step_by_step",
        "app_backend",
        "enterprise_nat",
        "chat_user",
    } <= archetypes


def test_same_seed_same_bytes(tiny: Path, tmp_path: Path) -> None:
    run(tmp_path, SCALE, SEED, volume=VOLUME)
    for name in ("traffic.jsonl.gz", "labels.csv"):
        assert (
            hashlib.sha256((tmp_path / name).read_bytes()).digest()
            == hashlib.sha256((tiny / name).read_bytes()).digest()
        )


def test_chat_text_is_held_out_sharegpt_only(tiny: Path) -> None:
    rows = corpus.read_jsonl(corpus.data_root() / "real-distillation-prompts" / "sharegpt_benign_prompts.jsonl.gz")
    split: dict[bool, set[str]] = {True: set(), False: set()}
    for r in rows:
        split[corpus.is_held_out(str(r["sharegpt_id"]))].add(corpus.clip(str(r["text"])))
    training = split[False] - split[True]  # a few long pastes occur in both halves; cut short they are equal
    sent = {
        m["content"] if isinstance(m["content"], str) else m["content"][0]["text"]
        for r in _records(tiny)
        for m in r.get("messages", [])
        if m["role"] == "user"
    }
    # Short replies ("ok", "thanks") occur everywhere; what must never appear is a real training conversation.
    assert not {t for t in sent & training if len(t) > 20}
