"""An OpenTelemetry GenAI export, a Bedrock invocation log and a custom schema scan to the same verdicts as the
same traffic written in the spec; records that break the mapping are quarantined naming the rule."""

from __future__ import annotations

import csv
import gzip
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from distillshield.ingest.mapping import load_mapping
from distillshield.pipeline import run_scan
from tests.conftest import SmallScan
from tests.ingest.mapping.formats import CUSTOM_MAPPING, to_bedrock, to_custom, to_otel

Convert = Callable[[list[dict[str, Any]]], tuple[list[bytes], list[dict[str, Any]]]]


@pytest.fixture(scope="module")
def traffic(small_scan: SmallScan) -> list[dict[str, Any]]:
    """Every request of two campaigns and of a dozen benign accounts of the shared simulated log."""
    with (small_scan.data_dir / "labels.csv").open() as f:
        labels = list(csv.DictReader(f))
    campaigns = sorted({r["campaign_id"] for r in labels if r["campaign_id"]})[:2]
    chosen = {r["account_id"] for r in labels if r["campaign_id"] in campaigns}
    chosen |= set([r["account_id"] for r in labels if r["label"] == "benign"][:12])
    with gzip.open(small_scan.log) as f:
        records = [orjson.loads(line) for line in f]
    return [r for r in records if r["account_id"] in chosen]


def _verdicts(out: Path) -> dict[str, tuple[str, str, str]]:
    with (out / "accounts.csv").open() as f:
        return {r["account_id"]: (r["verdict"], r["risk"], r["campaign_id"]) for r in csv.DictReader(f)}


def _write(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    return path


def _quarantine(out: Path) -> list[dict[str, Any]]:
    text = (out / "quarantine.jsonl").read_text()
    return [json.loads(line) for line in text.splitlines()]


BAD_OTEL = {"resourceSpans": [{"resource": {}, "scopeSpans": [{"spans": [{
    "spanId": "00f067aa0ba902b7", "startTimeUnixNano": "1777852800000000000",
    "attributes": [{"key": "gen_ai.operation.name", "value": {"stringValue": "chat"}},
                   {"key": "user.id", "value": {"stringValue": "acct-x"}},
                   {"key": "gen_ai.input.messages", "value": {"stringValue": "[]"}}]}]}]}]}  # fmt: skip
BAD_BEDROCK = {"schemaType": "ModelInvocationLog", "timestamp": "yesterday", "accountId": "1", "requestId": "r",
               "modelId": "m", "input": {"inputBodyJson": {"messages": []}}}  # fmt: skip


@pytest.mark.parametrize(
    ("name", "convert", "mapping", "bad", "rule"),
    [
        ("otel", to_otel, "otel-genai", BAD_OTEL, "fields.model"),
        ("bedrock", to_bedrock, "bedrock", BAD_BEDROCK, "fields.ts"),
        ("custom", to_custom, "custom", {"meta": {"id": "x", "when": "31.02.2026 25:00:00.0"}}, "fields.ts"),
    ],
)
def test_a_mapped_log_scans_to_the_verdicts_of_the_same_traffic_in_the_spec(
    tmp_path: Path, traffic: list[dict[str, Any]], name: str, convert: Convert, mapping: str, bad: Any, rule: str
) -> None:
    lines, projected = convert(traffic)
    spec_log = _write(tmp_path / "spec.jsonl", [orjson.dumps(r) for r in projected])
    mapped_log = _write(tmp_path / f"{name}.jsonl", [*lines, orjson.dumps(bad)])
    if mapping == "custom":
        (tmp_path / "custom.yaml").write_text(CUSTOM_MAPPING)
        chosen = load_mapping(tmp_path / "custom.yaml")
    else:
        chosen = None  # the built-ins are sniffed from the first record
    spec = run_scan([spec_log], tmp_path / "spec-out", html=False)
    mapped = run_scan([mapped_log], tmp_path / "mapped-out", html=False, mapping=chosen)
    assert mapped.ingest.accepted == spec.ingest.accepted == len(traffic)
    expected = _verdicts(tmp_path / "spec-out")
    assert {v for v, _, _ in expected.values()} >= {"benign", "distiller"}  # the comparison has teeth
    assert _verdicts(tmp_path / "mapped-out") == expected
    (entry,) = _quarantine(tmp_path / "mapped-out")
    assert rule in entry["reason"] and "mapping rule" in entry["reason"]
