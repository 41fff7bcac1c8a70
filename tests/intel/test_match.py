"""Two providers, one operator: B finds the operator's accounts from A's intelligence alone."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import duckdb
import pytest
from stix2validator import validate_instance

from distillshield.intel import IntelStore, MatchResult, match_intel, match_scan, scan_text
from tests.intel.conftest import KEYRING, Provider, raw_identifiers
from tests.intel.test_export import STRICT


@pytest.fixture(scope="module")
def matched(provider_b: Provider, bundle_a: Path, tmp_path_factory: pytest.TempPathFactory) -> MatchResult:
    store = IntelStore(tmp_path_factory.mktemp("store-b"))
    store.import_file(bundle_a)
    return match_scan(provider_b.scan_dir, store, KEYRING, producer="Provider B")


def test_provider_b_finds_every_shared_account(matched: MatchResult, provider_b: Provider) -> None:
    linked = {link.account_id for link in matched.links}
    assert provider_b.shared_accounts
    assert provider_b.shared_accounts <= linked
    shared = [x for x in matched.links if x.account_id in provider_b.shared_accounts]
    assert all(x.strong and "payment_fingerprint" in x.kinds for x in shared)
    assert len({x.campaign_ref for x in shared}) == 1


def test_no_benign_account_of_provider_b_is_linked(matched: MatchResult, provider_b: Provider) -> None:
    with provider_b.labels.open() as handle:
        benign = {row["account_id"] for row in csv.DictReader(handle) if row["label"] == "benign"}
    assert not {link.account_id for link in matched.links} & benign


def test_no_raw_identifier_crosses_either_way(
    bundle_a: Path, matched: MatchResult, provider_a: Provider, provider_b: Provider
) -> None:
    assert scan_text(bundle_a.read_text(), raw_identifiers=raw_identifiers(provider_a.log)) == []
    shared_back = json.dumps(matched.as_dict()["sightings"])
    assert scan_text(shared_back, raw_identifiers=raw_identifiers(provider_b.log)) == []


def test_sightings_are_valid_stix(matched: MatchResult) -> None:
    sightings = matched.as_dict()["sightings"]
    assert sightings is not None
    result = validate_instance(sightings, STRICT)
    assert result.is_valid and not result.warnings
    assert all(s["where_sighted_refs"] == [matched.identity["id"]] for s in sightings["objects"][1:])


def test_a_key_we_lack_is_reported_not_guessed(provider_b: Provider, bundle_a: Path, tmp_path: Path) -> None:
    other = KEYRING.rotated("someone-else", bytes(range(2, 34)))
    lacking = type(KEYRING)("someone-else", (other.keys[0],))
    store = IntelStore(tmp_path / "store")
    store.import_file(bundle_a)
    result = match_scan(provider_b.scan_dir, store, lacking)
    assert result.unknown_key_ids == ["consortium-test"]
    assert all(not link.strong for link in result.links)


def test_scan_hook_matches_a_folder_of_bundles(provider_b: Provider, bundle_a: Path, tmp_path: Path) -> None:
    folder = tmp_path / "bundles"
    folder.mkdir()
    shutil.copy(bundle_a, folder / "provider-a.json")
    con = duckdb.connect(str(provider_b.scan_dir / "scan.duckdb"), read_only=True)
    try:
        result = match_intel(con, folder, KEYRING, producer="Provider B")
    finally:
        con.close()
    groups = result.campaign_accounts()
    assert any(provider_b.shared_accounts <= set(accounts) for accounts in groups.values())


def test_scan_with_intel_links_and_flags_the_partner_campaign(
    provider_b: Provider, bundle_a: Path, tmp_path: Path
) -> None:
    """``scan --intel``: the matches become evidence in the verdicts and one linked group."""
    from typer.testing import CliRunner

    from distillshield.cli.main import app
    from distillshield.intel.keys import dump_keyring

    keys = tmp_path / "keys.yml"
    dump_keyring(KEYRING, keys)
    store = tmp_path / "store"
    IntelStore(store).import_file(bundle_a)
    out = tmp_path / "scan"
    args = ["scan", str(provider_b.log), "--out", str(out), "--intel", str(store), "--intel-keys", str(keys)]
    result = CliRunner().invoke(app, [*args, "--no-html", "--quiet"])
    assert result.exit_code == 0, (result.output, result.exception)
    with (out / "accounts.csv").open(encoding="utf-8") as handle:
        rows = {r["account_id"]: r for r in csv.DictReader(handle)}
    shared = [rows[a] for a in provider_b.shared_accounts]
    assert all(r["verdict"] == "distiller" for r in shared)
    assert len({r["campaign_id"] for r in shared}) == 1 and shared[0]["campaign_id"]
    campaign = next(
        c for c in json.loads((out / "campaigns.json").read_text()) if c["campaign_id"] == shared[0]["campaign_id"]
    )
    assert "intel" in campaign["evidence"]["links"]
    assert any("partner_campaign" in r["reasons"] for r in shared) or campaign["risk"] >= 0.8
    assert json.loads((out / "intel-matches.json").read_text())["sightings"] is not None
    missing_keys = CliRunner().invoke(
        app, ["scan", str(provider_b.log), "--out", str(tmp_path / "x"), "--intel", str(store)]
    )
    assert missing_keys.exit_code != 0 and "--intel-keys" in missing_keys.output
