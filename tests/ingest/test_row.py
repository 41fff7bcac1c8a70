"""to_row builds rows positionally for speed; this pins every position to its column name."""

from __future__ import annotations

from datetime import datetime

from distillshield.ingest.base import to_row
from distillshield.records import REQUEST_COLUMNS


def test_row_positions_match_the_schema() -> None:
    record = {
        "request_id": "rid", "ts": "2026-05-04T10:00:00Z", "account_id": "acc", "api_key_id": "key",
        "user_id": "uid", "ip": "192.0.2.7", "user_agent": "ua", "asn": 64500, "payment_fingerprint": "card",
        "email_domain": "example.org", "account_created_at": "2026-05-01T00:00:00+00:00", "model": "m",
        "messages": [{"role": "system", "content": "sys"}, {"role": "user", "content": "usr"}],
        "prompt": "p", "response": "resp", "reasoning": "why", "prompt_tokens": 1, "completion_tokens": 2,
        "reasoning_tokens": 3, "tool_calls": 4, "status": 201, "extra": {"k": "v"}, "other": 5,
    }  # fmt: skip
    row = dict(zip(REQUEST_COLUMNS, to_row(record), strict=True))
    expected_same = [k for k in record if k in REQUEST_COLUMNS and k not in ("ts", "account_created_at")]
    for key in ("messages", "extra"):
        expected_same.remove(key)
    assert {k: row[k] for k in expected_same} == {k: record[k] for k in expected_same}
    assert row["ts"] == datetime(2026, 5, 4, 10) and row["account_created_at"] == datetime(2026, 5, 1)
    assert row["messages"] == '[{"role":"system","content":"sys"},{"role":"user","content":"usr"}]'
    assert row["extra"] == '{"k":"v","other":5}'
    assert (row["system_prompt"], row["user_prompt"], row["n_messages"], row["n_user_turns"]) == ("sys", "usr", 2, 1)
    # The store hashes the validated row (ingest.store); to_row leaves the hash and the provenance to it.
    assert row["content_hash"] is None and row["source_file"] is None and row["source_line"] is None
