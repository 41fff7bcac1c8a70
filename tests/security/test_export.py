"""Client-chosen strings (the model a request names) can neither stop an intel export nor leak through it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from distillshield.intel import ExportOptions, Keyring, export_scan
from tests.conftest import SmallScan

KEYRING = Keyring("k1", (("k1", bytes(range(32))),))
HOSTILE = "contact admin@victim-corp.example 4111 1111 1111 1111"
FINE_TUNE = "ft:atlas-3:acme-corp:secret-project:7x1"


def test_hostile_and_customer_model_names_are_pseudonymised(small_scan: SmallScan, tmp_path: Path) -> None:
    scan = small_scan.result.out_dir
    for name in ("campaigns.json", "accounts.csv", "run.json"):
        if (scan / name).exists():
            shutil.copy(scan / name, tmp_path / name)
    campaigns = json.loads((tmp_path / "campaigns.json").read_text())
    shared = str((campaigns[0]["evidence"].get("models") or ["atlas-3"])[0])
    campaigns[0]["evidence"]["models"] = [shared, HOSTILE, FINE_TUNE]
    (tmp_path / "campaigns.json").write_text(json.dumps(campaigns))
    options = ExportOptions(producer="Provider A", share_models=(shared,))
    bundle = export_scan(tmp_path, KEYRING, options, db_path=scan / "scan.duckdb", state_path=tmp_path / "s.json")
    text = json.dumps(bundle)
    assert HOSTILE not in text and "victim-corp" not in text and "acme-corp" not in text
    models = [
        m
        for o in bundle["objects"]
        if o["type"] == "campaign"
        for ext in o.get("extensions", {}).values()
        for m in ext.get("targeted_models") or []
    ]
    assert shared in models
    assert sum(m.startswith("hmac-sha256:") for m in models) >= 2
