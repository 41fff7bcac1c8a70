"""What a package holds: the campaign's records, features, verdict traces, prompts and input hashes."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
from pathlib import Path

import duckdb
import orjson
import pytest
from typer.testing import CliRunner

from distillshield.cli.main import app
from distillshield.errors import ConfigError
from distillshield.evidence import MANIFEST, SIGNATURE, pack_scan, verify_package
from tests.evidence.conftest import Packed, entries

runner = CliRunner()
KINDS = ("inputs", "run", "campaign", "verdicts", "features", "records", "prompts")


def _members(packed: Packed) -> list[str]:
    campaign = orjson.loads((packed.scan.result.out_dir / "campaigns.json").read_bytes())
    return next(c["accounts"] for c in campaign if c["campaign_id"] == packed.campaign)


def test_package_has_every_kind_of_entry_in_chain_order(packed: Packed) -> None:
    items = dict(entries(packed.package))
    manifest = orjson.loads(items[MANIFEST])
    assert [name for name, _ in entries(packed.package)][-2:] == [MANIFEST, SIGNATURE]
    assert [link["kind"] for link in manifest["chain"]] == list(KINDS)
    assert manifest["campaigns"] == [packed.campaign] and manifest["redacted"] is False
    assert manifest["head"] == manifest["chain"][-1]["hash"]
    for link in manifest["chain"]:
        assert hashlib.sha256(items[link["name"]]).hexdigest() == link["sha256"]


def test_records_and_features_are_the_campaigns_rows(packed: Packed) -> None:
    items = dict(entries(packed.package))
    base = f"campaigns/{packed.campaign}"
    members = _members(packed)
    records = [orjson.loads(line) for line in gzip.decompress(items[f"{base}/records.jsonl.gz"]).splitlines()]
    with duckdb.connect(str(packed.scan.result.out_dir / "scan.duckdb"), read_only=True) as con:
        expected = con.execute("SELECT count(*) FROM requests WHERE list_contains($m, account_id)", {"m": members})
        assert len(records) == expected.fetchall()[0][0] > 0
    assert {r["account_id"] for r in records} == set(members)
    assert [r["ts"] for r in records] == sorted(r["ts"] for r in records)
    features = [orjson.loads(line) for line in items[f"{base}/features.jsonl"].splitlines()]
    assert sorted(f["account_id"] for f in features) == sorted(members)
    assert all("n_requests" in f for f in features)
    verdicts = list(csv.DictReader(io.StringIO(items[f"{base}/accounts.csv"].decode())))
    assert {v["account_id"] for v in verdicts} == set(members)
    assert all(v["campaign_id"] == packed.campaign and v["reasons"] for v in verdicts)
    trace = orjson.loads(items[f"{base}/campaign.json"])
    assert trace["evidence"]["signals"] and trace["accounts"] == members


def test_input_hashes_match_the_log(packed: Packed) -> None:
    hashes = orjson.loads(dict(entries(packed.package))["scan/inputs.json"])
    (log,) = hashes["inputs"]
    assert log["found"] and log["sha256"] == hashlib.sha256(packed.scan.log.read_bytes()).hexdigest()
    names = {f["path"] for f in hashes["scan_files"]}
    assert {"accounts.csv", "campaigns.json", "run.json"} <= names


def test_sample_prompts_count_requests_and_accounts(packed: Packed) -> None:
    raw = dict(entries(packed.package))[f"campaigns/{packed.campaign}/prompts.jsonl"]
    prompts = [orjson.loads(line) for line in raw.splitlines()]
    assert 0 < len(prompts) <= 20
    assert all(isinstance(p["user_prompt"], str) and p["requests"] >= 1 and p["accounts"] >= 1 for p in prompts)
    assert [p["requests"] for p in prompts] == sorted((p["requests"] for p in prompts), reverse=True)


def test_redacted_package_holds_no_customer_text(packed: Packed, tmp_path: Path) -> None:
    out = tmp_path / "redacted.zip"
    pack_scan(packed.scan.result.out_dir, out, packed.key, campaigns=[packed.campaign], redact=True)
    items = dict(entries(out))
    base = f"campaigns/{packed.campaign}"
    prompts = [orjson.loads(line) for line in items[f"{base}/prompts.jsonl"].splitlines()]
    records = gzip.decompress(items[f"{base}/records.jsonl.gz"])
    plain = [orjson.loads(line) for line in dict(entries(packed.package))[f"{base}/prompts.jsonl"].splitlines()]
    text = plain[0]["user_prompt"]
    assert text.encode() not in records and text.encode() not in items[f"{base}/prompts.jsonl"]
    assert prompts[0]["user_prompt"] == {
        "redacted": "sha256:" + hashlib.sha256(text.encode()).hexdigest(),
        "chars": len(text),
    }
    first = orjson.loads(records.splitlines()[0])
    assert set(first["response"]) == {"redacted", "chars"} and isinstance(first["account_id"], str)
    assert orjson.loads(items[MANIFEST])["redacted"] is True
    assert verify_package(out).ok


def test_unknown_campaign_is_refused_with_the_known_ones(packed: Packed, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=f"no campaign C9999 .*{packed.campaign}"):
        pack_scan(packed.scan.result.out_dir, tmp_path / "x.zip", packed.key, campaigns=["C9999"])
    assert not (tmp_path / "x.zip").exists()


def test_cli_pack_then_verify(packed: Packed, tmp_path: Path) -> None:
    out = tmp_path / "cli.zip"
    scan = str(packed.scan.result.out_dir)
    args = ["evidence", "pack", scan, "--out", str(out), "-c", packed.campaign, "--key", str(packed.key)]
    made = runner.invoke(app, args)
    assert made.exit_code == 0, made.output
    assert "1 campaign(s), 7 entries" in made.stdout
    checked = runner.invoke(app, ["evidence", "verify", str(out), "--key", str(packed.key) + ".pub", "--json"])
    assert checked.exit_code == 0, checked.output
    report = orjson.loads(checked.stdout)
    assert report["ok"] and report["signer_checked"] and report["campaigns"] == [packed.campaign]
    missing_key = runner.invoke(app, ["evidence", "pack", scan, "--out", str(out), "--key", str(tmp_path / "none")])
    assert missing_key.exit_code == 2 and "keys generate" in missing_key.stderr
