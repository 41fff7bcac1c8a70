"""The LiteLLM spend-log adapter on realistic exports (JSON Lines and CSV)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.ingest.helpers import run

DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize("name", ["litellm_spendlogs.jsonl", "litellm_spendlogs.csv"])
def test_spend_logs_map_onto_the_spec(tmp_path: Path, name: str) -> None:
    stats, con, entries = run([DATA / name], tmp_path)
    assert (stats.read, stats.accepted, stats.quarantined) == (8, 8, 0), entries
    rows = con.execute(
        "SELECT request_id, ts, account_id, api_key_id, user_id, ip, model, system_prompt, user_prompt, response, "
        "reasoning, prompt_tokens, completion_tokens, extra FROM requests ORDER BY ts"
    ).fetchall()
    first, fifth = rows[0], rows[5]
    # Row 0 has no team: the account falls back to the hashed key.
    assert first[2] == first[3] and len(first[3]) == 64
    # Row 1 has a team id, which is the billing account.
    assert rows[1][2] == "8e4b7c1a-2f3d-4c5e-9a6b-1d2e3f4a5b6c"
    assert str(first[1]) == "2026-05-04 10:00:01.123000"
    assert first[4] == "end-user-0" and rows[1][4] == "customer-1"  # user, else end_user
    assert first[5] == "203.0.113.10" and first[6] == "gpt-4o"
    assert first[7] == "You are a helpful assistant for Acme Support."
    assert first[8] == "Summarise this support ticket in two sentences."
    assert first[9] == "Sure - answer 0." and fifth[10] == "First, consider the request."
    assert (first[11], first[12]) == (31, 12)
    extra = json.loads(first[13])
    assert extra["metadata"]["user_api_key_alias"] == "prod-backend"
    assert extra["call_type"] == "acompletion" and extra["session_id"] == "sess-0"


def test_non_numeric_token_count_is_quarantined_with_its_field(tmp_path: Path) -> None:
    text = (DATA / "litellm_spendlogs.csv").read_text()
    header, first, *rest = text.splitlines(keepends=True)
    columns = header.strip().split(",")
    cells = first.split(",")
    cells[columns.index("prompt_tokens")] = "lots"
    bad = tmp_path / "bad.csv"
    bad.write_text(header + ",".join(cells) + "".join(rest))
    stats, _, entries = run([bad], tmp_path)
    assert stats.quarantined == 1 and entries[0]["field"] == "prompt_tokens" and entries[0]["line"] == 2
