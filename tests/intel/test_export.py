"""Exports: valid STIX 2.1 that stix2 and stix2-validator accept strictly, stable ids, no leaks."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import stix2
from stix2validator import ValidationOptions, validate_instance

from distillshield.intel import ExportOptions, export_scan, scan_text
from distillshield.intel.atlas import load_atlas
from distillshield.intel.extension import EXTENSION_ID, schema_dir
from distillshield.intel.markings import TLP2_IDS, tlp2_marking
from tests.intel.conftest import EXPORT_TIME, KEYRING, Provider, raw_identifiers

#: 103 (UUIDv4 for SDOs) and 302 (hashes on external references) fire only on the ATLAS
#: attack-patterns, which keep MITRE's own uuid5 ids and atlas.mitre.org URLs on purpose.
STRICT = ValidationOptions(
    version="2.1", schema_dir=str(schema_dir()), disabled=["103", "302"], strict=True, enforce_refs=True
)
VARIANTS = {
    "report-amber": ExportOptions(producer="Provider A", attribution={"C0001": "Operator Alpha"}),
    "grouping-red-no-ip-text": ExportOptions(
        producer="Provider A", tlp="red", ip_policy="none", container="grouping", share_template_text=True
    ),
    "amber-strict": ExportOptions(producer="Provider A", tlp="amber+strict"),
}


@pytest.fixture(scope="module", params=sorted(VARIANTS))
def variant(request: pytest.FixtureRequest, provider_a: Provider, tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = tmp_path_factory.mktemp("variant")
    return export_scan(provider_a.scan_dir, KEYRING, VARIANTS[request.param], state_path=root / "s.json")


def _objects(bundle: dict[str, Any], stix_type: str) -> list[dict[str, Any]]:
    return [o for o in bundle["objects"] if o["type"] == stix_type]


def test_every_export_variant_is_strictly_valid_with_no_warnings(variant: dict[str, Any]) -> None:
    result = validate_instance(variant, STRICT)
    assert result.is_valid
    assert [str(e) for e in result.errors] == []
    assert [str(w) for w in result.warnings] == []


def test_stix2_loads_the_export_without_custom_content(variant: dict[str, Any]) -> None:
    parsed = stix2.parse(variant, allow_custom=False)
    assert len(parsed.objects) == len(variant["objects"])


def test_privacy_scan_finds_nothing_in_any_export(variant: dict[str, Any], provider_a: Provider) -> None:
    assert scan_text(json.dumps(variant), raw_identifiers=raw_identifiers(provider_a.log)) == []


def test_a_corrupted_extension_payload_fails_validation(bundle_a: Path) -> None:
    bundle = json.loads(bundle_a.read_text())
    campaign = _objects(bundle, "campaign")[0]
    campaign["extensions"][EXTENSION_ID]["hash_scheme"] = "sha1"
    campaign["extensions"][EXTENSION_ID]["raw_accounts"] = ["acct_1"]
    assert validate_instance(_objects(json.loads(bundle_a.read_text()), "campaign")[0], STRICT).is_valid
    result = validate_instance(campaign, STRICT)
    assert not result.is_valid
    assert len(result.errors) == 2


def test_bundle_shape(bundle_a: Path) -> None:
    bundle = json.loads(bundle_a.read_text())
    campaigns = _objects(bundle, "campaign")
    reports = _objects(bundle, "report")
    assert len(campaigns) == len(reports) >= 1
    assert all(sum(c["id"] in r["object_refs"] for r in reports) == 1 for c in campaigns)
    producer = next(i for i in _objects(bundle, "identity") if i["name"] == "Provider A")
    assert all(c["created_by_ref"] == producer["id"] for c in campaigns + reports)
    assert {o["id"] for o in _objects(bundle, "marking-definition")} == {TLP2_IDS["amber"], TLP2_IDS["clear"]}
    assert [o["name"] for o in _objects(bundle, "intrusion-set")] == ["Operator Alpha"]
    assert _objects(bundle, "extension-definition")[0]["id"] == EXTENSION_ID
    assert _objects(bundle, "sighting") and _objects(bundle, "observed-data")


def test_indicators_use_one_observable_type_and_equality_only(bundle_a: Path) -> None:
    patterns = [i["pattern"] for i in _objects(json.loads(bundle_a.read_text()), "indicator")]
    assert patterns
    for pattern in patterns:
        assert pattern.count("[") == 1 and " AND " not in pattern and " OR " not in pattern
        assert pattern.startswith(("[user-account:user_id = '", "[ipv4-addr:value = '"))
        assert pattern.startswith("[user-account") or pattern.endswith(".0/24']")


def test_tlp2_markings_are_the_canonical_objects() -> None:
    assert tlp2_marking("amber+strict") == {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
        "created": "2022-10-01T00:00:00.000Z",
        "name": "TLP:AMBER+STRICT",
        "extensions": {
            "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d": {
                "extension_type": "property-extension",
                "tlp_2_0": "amber+strict",
            }
        },
    }


def test_atlas_techniques_keep_mitres_ids(bundle_a: Path) -> None:
    patterns = _objects(json.loads(bundle_a.read_text()), "attack-pattern")
    by_atlas = {p["external_references"][0]["external_id"]: p for p in patterns}
    assert by_atlas["AML.T0024.002"]["id"] == "attack-pattern--3f567912-629a-5e0b-ab0c-0102977c2d6c"
    assert by_atlas["AML.T0024.002"]["name"] == "Extract AI Model"
    assert {"AML.T0005", "AML.T0021", "AML.T0040"} <= by_atlas.keys()
    assert load_atlas().version == "5.6.0"


def test_sco_ids_derive_from_pseudonyms_not_raw_values(bundle_a: Path, provider_a: Provider) -> None:
    accounts = _objects(json.loads(bundle_a.read_text()), "user-account")
    campaign = json.loads((provider_a.scan_dir / "campaigns.json").read_text())[0]
    raw = campaign["accounts"][0]
    assert stix2.UserAccount(user_id=raw).id not in {a["id"] for a in accounts}
    hashed = KEYRING.pseudonym("account_id", raw)
    assert stix2.UserAccount(user_id=hashed).id in {a["id"] for a in accounts}


def test_reexport_keeps_ids_and_makes_new_versions(provider_a: Provider, tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    first = export_scan(provider_a.scan_dir, KEYRING, VARIANTS["report-amber"], state_path=state, now=EXPORT_TIME)
    same = export_scan(provider_a.scan_dir, KEYRING, VARIANTS["report-amber"], state_path=state, now=EXPORT_TIME)
    assert same == first
    later = EXPORT_TIME + timedelta(days=1)
    changed = ExportOptions(producer="Provider A", tlp="green", attribution={"C0001": "Operator Alpha"})
    second = export_scan(provider_a.scan_dir, KEYRING, changed, state_path=state, now=later)
    old = {o["id"]: o for o in _objects(first, "campaign")}
    new = {o["id"]: o for o in _objects(second, "campaign")}
    assert old.keys() == new.keys()
    for stix_id, obj in new.items():
        assert obj["created"] == old[stix_id]["created"]
        assert obj["modified"] > old[stix_id]["modified"]


def test_rotated_key_changes_every_pseudonym() -> None:
    rotated = KEYRING.rotated("consortium-next", bytes(range(1, 33)))
    assert rotated.active == "consortium-next"
    assert rotated.pseudonym("account_id", "acct_1") != KEYRING.pseudonym("account_id", "acct_1")
    assert rotated.pseudonym("account_id", "acct_1", "consortium-test") == KEYRING.pseudonym("account_id", "acct_1")
