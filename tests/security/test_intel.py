"""Hostile partner intelligence: identifiers that try to escape the store, patterns and bundles built to crash."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from distillshield.errors import InputError
from distillshield.intel import IntelStore, Keyring, open_intel
from distillshield.intel.match import match_database
from tests.builders import request_row, requests_db

KEYRING = Keyring("k1", (("k1", bytes(range(32))),))
STAMP = "2026-05-01T00:00:00.000Z"


def _sdo(stix_type: str, **fields: Any) -> dict[str, Any]:
    base = {"type": stix_type, "spec_version": "2.1", "id": f"{stix_type}--{uuid.uuid4()}"}
    return {**base, "created": STAMP, "modified": STAMP, **fields}


def _write(path: Path, *objects: dict[str, Any]) -> Path:
    path.write_text(json.dumps({"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": list(objects)}))
    return path


@pytest.mark.parametrize(
    "hostile",
    [
        {"type": "../../x", "id": "x--y", "spec_version": "2.1"},
        {"type": "x-evil", "id": "x-evil--../../../y", "spec_version": "2.1"},
        {"type": "campaign", "id": f"indicator--{uuid.uuid4()}", "spec_version": "2.1", "name": "c"},
        {"type": "a--b", "id": f"a--b--{uuid.uuid4()}", "spec_version": "2.1"},
    ],
)
def test_identifiers_that_leave_the_store_are_refused(tmp_path: Path, hostile: dict[str, Any]) -> None:
    root = tmp_path / "deep" / "er"
    bundle = _write(tmp_path / "b.json", hostile)
    before = set(tmp_path.rglob("*"))
    with pytest.raises(InputError, match=r"objects\[0\].*(type|id)"):
        IntelStore(root / "store").import_file(bundle)
    created = {p for p in set(tmp_path.rglob("*")) - before if p.is_file()}
    assert created == set(), created


def test_bundle_folder_with_escaping_id_is_an_input_error(tmp_path: Path) -> None:
    folder = tmp_path / "bundles"
    folder.mkdir()
    _write(folder / "b.json", {"type": "../../x", "id": "x--y", "spec_version": "2.1"})
    for _ in range(2):  # a second run used to crash with FileExistsError
        with pytest.raises(InputError), open_intel(folder):
            pass
    assert not (tmp_path.parent / "x").exists()


def test_bundle_nested_100k_deep_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text('{"type": "bundle", "objects": [' + "[" * 100_000 + "]" * 100_000 + "]}")
    with pytest.raises(InputError, match="nested deeper"):
        IntelStore(tmp_path / "store").import_file(path)


def test_object_nested_deep_is_an_input_error(tmp_path: Path) -> None:
    nested: Any = "x"
    for _ in range(200):
        nested = {"a": nested}
    bundle = _write(tmp_path / "b.json", _sdo("campaign", name="c", x_deep=nested))
    with pytest.raises(InputError, match="nested deeper"):
        IntelStore(tmp_path / "store").import_file(bundle)


HOSTILE_PATTERNS = {
    "or-20000": " OR ".join(f"[user-account:user_id = 'u{i}']" for i in range(20_000)),
    "nested-3000": "(" * 3000 + "[user-account:user_id = 'u']" + ")" * 3000,
    "malformed": "[user-account:user_id = ",
}


def test_hostile_patterns_are_skipped_and_good_ones_still_match(tmp_path: Path) -> None:
    campaign = _sdo("campaign", name="Partner campaign")
    pseudonym = KEYRING.pseudonym("account_id", "acct-1", "k1")
    good = _sdo("indicator", pattern=f"[user-account:user_id = '{pseudonym}']", pattern_type="stix", valid_from=STAMP)
    objects: list[dict[str, Any]] = [campaign, good]
    bad = [
        _sdo("indicator", pattern="[user-account:user_id = 'x']", pattern_type="stix", valid_from=STAMP)
        for _ in HOSTILE_PATTERNS
    ]
    objects += bad
    objects += [
        _sdo("relationship", relationship_type="indicates", source_ref=ind["id"], target_ref=campaign["id"])
        for ind in objects[1:]
    ]
    store = IntelStore(tmp_path / "store")
    store.import_objects(objects)
    for indicator, pattern in zip(bad, HOSTILE_PATTERNS.values(), strict=True):
        # as a store written before import checked patterns would hold them: the matcher must still cope
        (held,) = (tmp_path / "store" / "stix" / "indicator" / indicator["id"]).glob("*.json")
        held.write_text(json.dumps({**json.loads(held.read_text()), "pattern": pattern}))
    bad_ids = {ind["id"] for ind in bad}
    con = requests_db([request_row("r1", "acct-1", 0, "192.0.2.1", "hello")])
    result = match_database(con, store, KEYRING)
    assert {link.account_id for link in result.links} == {"acct-1"}
    assert {s["indicator"] for s in result.skipped_indicators} == set(bad_ids)
    assert all(s["problem"] for s in result.as_dict()["skipped_indicators"])


@pytest.mark.parametrize("name", sorted(HOSTILE_PATTERNS))
def test_hostile_pattern_is_refused_at_import_by_name(tmp_path: Path, name: str) -> None:
    indicator = _sdo("indicator", pattern=HOSTILE_PATTERNS[name], pattern_type="stix", valid_from=STAMP)
    with pytest.raises(InputError, match=r"objects\[0\]"):
        IntelStore(tmp_path / "store").import_file(_write(tmp_path / "b.json", indicator))
