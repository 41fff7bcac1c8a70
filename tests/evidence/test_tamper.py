"""verify catches every changed, removed, reordered or added byte, entry or link, and names it."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from distillshield.cli.main import app
from distillshield.evidence import MANIFEST, SIGNATURE, generate_key, load_private_key, load_public_key, verify_package
from distillshield.evidence.package import link_hash, manifest_bytes
from tests.evidence.conftest import Packed, entries, write_entries

runner = CliRunner()


def _kinds(packed: Packed) -> dict[str, str]:
    """Entry name -> kind, one per kind the chain holds."""
    manifest = orjson.loads(dict(entries(packed.package))[MANIFEST])
    return {link["name"]: link["kind"] for link in manifest["chain"]}


def _found(path: Path, packed: Packed | None = None) -> set[tuple[str, str]]:
    trusted = load_public_key(Path(str(packed.key) + ".pub")) if packed else None
    return {(p.entry, p.kind) for p in verify_package(path, trusted).problems}


def test_intact_package_verifies(packed: Packed) -> None:
    result = verify_package(packed.package, load_public_key(packed.key))
    assert result.ok and result.signer_checked and result.entries == 7


@pytest.mark.parametrize("position", [0, -1])
def test_changed_byte_in_each_kind_of_entry(packed: Packed, tmp_path: Path, position: int) -> None:
    for name in _kinds(packed):
        items = entries(packed.package)
        items = [(n, _flip(d, position) if n == name else d) for n, d in items]
        assert _found(write_entries(tmp_path / "t.zip", items)) == {(name, "changed")}, name


def test_removed_entry_of_each_kind(packed: Packed, tmp_path: Path) -> None:
    for name in _kinds(packed):
        items = [(n, d) for n, d in entries(packed.package) if n != name]
        assert _found(write_entries(tmp_path / "t.zip", items)) == {(name, "removed")}, name


def test_added_entry(packed: Packed, tmp_path: Path) -> None:
    items = entries(packed.package)
    items.insert(3, ("campaigns/extra.jsonl", b'{"planted": true}\n'))
    assert (("campaigns/extra.jsonl", "added")) in _found(write_entries(tmp_path / "t.zip", items))


def test_reordered_entries(packed: Packed, tmp_path: Path) -> None:
    items = entries(packed.package)
    items[2], items[5] = items[5], items[2]
    found = _found(write_entries(tmp_path / "t.zip", items))
    assert {kind for _, kind in found} == {"reordered"}
    assert {entry for entry, _ in found} == {items[2][0], items[5][0]}


def test_manifest_changed_without_resigning(packed: Packed, tmp_path: Path) -> None:
    items = entries(packed.package)
    manifest = orjson.loads(dict(items)[MANIFEST])
    manifest["redacted"] = True
    items = [(n, manifest_bytes(manifest) if n == MANIFEST else d) for n, d in items]
    assert _found(write_entries(tmp_path / "t.zip", items)) == {(f"{MANIFEST} / {SIGNATURE}", "signature")}


@pytest.mark.parametrize("missing", [MANIFEST, SIGNATURE])
def test_manifest_or_signature_removed(packed: Packed, tmp_path: Path, missing: str) -> None:
    items = [(n, d) for n, d in entries(packed.package) if n != missing]
    assert (missing, "removed") in _found(write_entries(tmp_path / "t.zip", items))


def test_signature_bytes_changed(packed: Packed, tmp_path: Path) -> None:
    def altered(signature: bytes) -> bytes:
        return (b"f" if signature[:1] != b"f" else b"0") + signature[1:]  # always a different hex digit

    items = [(n, altered(d) if n == SIGNATURE else d) for n, d in entries(packed.package)]
    assert d_changed(_found(write_entries(tmp_path / "t.zip", items)))


def d_changed(found: set[tuple[str, str]]) -> bool:
    return bool(found) and all(kind in {"signature", "changed"} for _, kind in found)


def test_forged_records_resigned_by_another_key_fail_only_against_the_trusted_key(
    packed: Packed, tmp_path: Path
) -> None:
    """An attacker who rewrites an entry, fixes the chain and re-signs with their own key."""
    forged = _resigned(packed, tmp_path, _rewrite_chain)
    assert verify_package(forged).ok  # self-consistent, which is why --key matters
    assert _found(forged, packed) == {(MANIFEST, "signer")}
    result = runner.invoke(app, ["evidence", "verify", str(forged), "--key", str(packed.key) + ".pub"])
    assert result.exit_code == 1 and "signer" in result.stdout


def test_broken_chain_link_resigned(packed: Packed, tmp_path: Path) -> None:
    def break_link(manifest: dict[str, object], items: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
        chain = manifest["chain"]
        assert isinstance(chain, list)
        chain[1], chain[2] = chain[2], chain[1]  # swap two links but keep their hashes
        return [items[0], items[2], items[1], *items[3:]]

    found = _found(_resigned(packed, tmp_path, break_link))
    assert {kind for _, kind in found} == {"chain"}


def test_raw_file_edits(packed: Packed, tmp_path: Path) -> None:
    data = packed.package.read_bytes()
    cases = {
        "appended": data + b"\0",
        "prepended": b"\0" + data,
        "truncated": data[:-1],
        "cut in half": data[: len(data) // 2],
        "emptied": b"",
    }
    for label, changed in cases.items():
        target = tmp_path / "t.zip"
        target.write_bytes(changed)
        assert not verify_package(target).ok, label
    (tmp_path / "t.zip").write_bytes(data + b"\0")
    assert _found(tmp_path / "t.zip") == {("archive", "added")}


def test_cli_names_each_problem(packed: Packed, tmp_path: Path) -> None:
    name = next(n for n, kind in _kinds(packed).items() if kind == "records")
    items = [(n, _flip(d, 10) if n == name else d) for n, d in entries(packed.package)]
    result = runner.invoke(app, ["evidence", "verify", str(write_entries(tmp_path / "t.zip", items)), "--json"])
    assert result.exit_code == 1
    assert orjson.loads(result.stdout)["problems"] == [
        {"entry": name, "kind": "changed", "detail": "SHA-256 differs from the chain's"}
    ]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(position=st.floats(min_value=0, max_value=1, exclude_max=True), mask=st.integers(min_value=1, max_value=255))
def test_any_flipped_byte_is_caught(packed: Packed, position: float, mask: int) -> None:
    data = bytearray(packed.package.read_bytes())
    offset = int(position * len(data))
    data[offset] ^= mask
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "t.zip"
        target.write_bytes(bytes(data))
        result = verify_package(target)
    assert not result.ok, f"flipping byte {offset} went unnoticed"
    assert all(p.entry and p.detail for p in result.problems)


def _flip(data: bytes, position: int) -> bytes:
    changed = bytearray(data)
    changed[position] ^= 0x20
    return bytes(changed)


def _rewrite_chain(manifest: dict[str, object], items: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """Replace the features entry and recompute every link after it, as a careful forger would."""
    chain = manifest["chain"]
    assert isinstance(chain, list)
    forged = dict(items)
    features = next(link for link in chain if link["kind"] == "features")
    forged[features["name"]] = b'{"account_id": "nobody"}\n'
    prev = "0" * 64
    for seq, link in enumerate(chain):
        data = forged[link["name"]]
        link.update(bytes=len(data), sha256=hashlib.sha256(data).hexdigest(), prev=prev)
        link["hash"] = prev = link_hash(seq, link["name"], link["kind"], len(data), link["sha256"], prev)
    manifest["head"] = prev
    return [(n, forged[n]) for n, _ in items]


def _resigned(packed: Packed, tmp_path: Path, edit: object) -> Path:
    """The package after ``edit(manifest, entries)``, re-signed with a key that is not the trusted one."""
    assert callable(edit)
    other = generate_key(tmp_path / "forger.key")
    assert other.private_path is not None
    key = load_private_key(other.private_path)
    items = [(n, d) for n, d in entries(packed.package) if n not in (MANIFEST, SIGNATURE)]
    manifest = orjson.loads(dict(entries(packed.package))[MANIFEST])
    items = edit(manifest, items)
    public = key.public_key().public_bytes_raw()
    manifest["signer"] = {"algorithm": "Ed25519", "public_key": public.hex(), "fingerprint": other.fingerprint}
    body = manifest_bytes(manifest)
    signature = key.sign(body).hex().encode()
    return write_entries(tmp_path / "forged.zip", [*items, (MANIFEST, body), (SIGNATURE, signature)])
