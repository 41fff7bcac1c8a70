"""Import: every TLP spelling, partners' custom properties, groupings, new versions, revocations."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import stix2

from distillshield.errors import InputError
from distillshield.intel import IntelStore, tlp_level
from distillshield.intel.markings import tlp2_marking

OPENCTI_AMBER_STRICT = {
    "type": "marking-definition",
    "spec_version": "2.1",
    "id": "marking-definition--826578e1-40ad-459f-bc73-ede076f81f37",
    "created": "2024-01-01T00:00:00.000Z",
    "definition_type": "statement",
    "definition": {"statement": "custom"},
    "name": "TLP:AMBER+STRICT",
    "x_opencti_definition_type": "TLP",
    "x_opencti_definition": "TLP:AMBER+STRICT",
}
# an OpenCTI marking whose id we do not know: the level is read from x_opencti_definition
OPENCTI_GREEN = {
    **OPENCTI_AMBER_STRICT,
    "id": "marking-definition--5e2ff0a1-3b0c-4f5e-9a7c-1d2e3f4a5b6c",
    "name": "GREEN (partner)",
    "x_opencti_definition": "TLP:GREEN",
}
TLP1_AMBER = json.loads(stix2.TLP_AMBER.serialize())
CAMPAIGN_ID = "campaign--6a4f0c1e-2b3d-4e5f-8a9b-0c1d2e3f4a5b"
INDICATOR_ID = "indicator--0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"


def _campaign(modified: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "campaign",
        "spec_version": "2.1",
        "id": CAMPAIGN_ID,
        "created": "2026-05-01T00:00:00.000Z",
        "modified": modified,
        "name": "Partner campaign",
        "object_marking_refs": [TLP1_AMBER["id"]],
        "x_misp_category": "Network activity",
        **extra,
    }


def _indicator(modified: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": INDICATOR_ID,
        "created": "2026-05-01T00:00:00.000Z",
        "modified": modified,
        "name": "proxy network",
        "pattern": "[ipv4-addr:value = '198.51.100.0/24']",
        "pattern_type": "stix",
        "valid_from": "2026-05-01T00:00:00.000Z",
        "object_marking_refs": [OPENCTI_AMBER_STRICT["id"]],
        "x_opencti_score": 80,
        **extra,
    }


def _bundle(*objects: dict[str, Any]) -> dict[str, Any]:
    return {"type": "bundle", "id": "bundle--9b8a7c6d-5e4f-4321-8fed-cba987654321", "objects": list(objects)}


@pytest.fixture()
def partner_file(tmp_path: Path) -> Path:
    grouping = {
        "type": "grouping",
        "spec_version": "2.1",
        "id": "grouping--1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
        "created": "2026-05-02T00:00:00.000Z",
        "modified": "2026-05-02T00:00:00.000Z",
        "context": "suspicious-activity",
        "object_refs": [CAMPAIGN_ID, INDICATOR_ID],
        "object_marking_refs": [tlp2_marking("red")["id"]],
    }
    relation = {
        "type": "relationship",
        "spec_version": "2.1",
        "id": "relationship--2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e",
        "created": "2026-05-02T00:00:00.000Z",
        "modified": "2026-05-02T00:00:00.000Z",
        "relationship_type": "indicates",
        "source_ref": INDICATOR_ID,
        "target_ref": CAMPAIGN_ID,
        "object_marking_refs": [OPENCTI_GREEN["id"]],
    }
    objects = [OPENCTI_AMBER_STRICT, OPENCTI_GREEN, TLP1_AMBER, tlp2_marking("red"), grouping, relation]
    objects += [_campaign("2026-05-01T00:00:00.000Z"), _indicator("2026-05-01T00:00:00.000Z")]
    path = tmp_path / "partner.json"
    path.write_text(json.dumps(_bundle(*objects)))
    return path


def test_every_marking_variant_maps_to_a_level(partner_file: Path, tmp_path: Path) -> None:
    stats = IntelStore(tmp_path / "store").import_file(partner_file)
    assert stats.added == 8
    assert stats.tlp == {"amber": 1, "amber+strict": 1, "green": 1, "red": 1, "unmarked": 4}
    assert tlp_level(OPENCTI_GREEN["id"], {OPENCTI_GREEN["id"]: OPENCTI_GREEN}) == "green"
    assert tlp_level(str(stix2.TLP_WHITE.id)) == "clear"


def test_custom_properties_and_groupings_are_kept(partner_file: Path, tmp_path: Path) -> None:
    store = IntelStore(tmp_path / "store")
    store.import_file(partner_file)
    assert store.latest("indicator")[0]["x_opencti_score"] == 80
    assert store.latest("campaign")[0]["x_misp_category"] == "Network activity"
    assert store.latest("grouping")[0]["object_refs"] == [CAMPAIGN_ID, INDICATOR_ID]


def test_new_versions_replace_and_revocations_remove(partner_file: Path, tmp_path: Path) -> None:
    store = IntelStore(tmp_path / "store")
    store.import_file(partner_file)
    update = tmp_path / "update.json"
    newer = _campaign("2026-05-09T00:00:00.000Z", name="Partner campaign, renamed")
    revoked = _indicator("2026-05-09T00:00:00.000Z", revoked=True)
    update.write_text(json.dumps(_bundle(newer, revoked, _campaign("2026-05-01T00:00:00.000Z"))))
    stats = store.import_file(update)
    assert (stats.new_versions, stats.revoked, stats.duplicates) == (2, 1, 1)
    assert [c["name"] for c in store.latest("campaign")] == ["Partner campaign, renamed"]
    assert store.latest("indicator") == []
    assert len(store.latest("indicator", include_revoked=True)) == 1


def test_reimport_is_idempotent(partner_file: Path, tmp_path: Path) -> None:
    store = IntelStore(tmp_path / "store")
    store.import_file(partner_file)
    again = store.import_file(partner_file)
    assert (again.added, again.duplicates) == (0, 8)


def test_bad_object_names_its_position(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(_bundle(_campaign("2026-05-01T00:00:00.000Z", first_seen="yesterday"))))
    with pytest.raises(InputError, match=r"bad.json field 'objects\[0\]'"):
        IntelStore(tmp_path / "store").import_file(path)
