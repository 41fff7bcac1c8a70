"""Hostile evidence packages: zip bombs, malformed manifests and forgers re-signing with their own key."""

from __future__ import annotations

import hashlib
import json
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from distillshield.cli.main import app
from distillshield.evidence import MANIFEST, SIGNATURE, build_archive, verify_package
from distillshield.evidence.keys import fingerprint
from distillshield.evidence.package import FORMAT, GENESIS, link_hash, manifest_bytes

MiB = 1024 * 1024
KEY = Ed25519PrivateKey.generate()
runner = CliRunner()
Edit = Callable[[dict[str, Any]], None]


def _manifest(items: list[tuple[str, bytes]], edit: Edit | None = None) -> tuple[bytes, bytes]:
    chain, prev = [], GENESIS
    for seq, (name, data) in enumerate(items):
        digest = hashlib.sha256(data).hexdigest()
        link = link_hash(seq, name, "records", len(data), digest, prev)
        chain.append({"seq": seq, "name": name, "kind": "records", "bytes": len(data), "sha256": digest,
                      "prev": prev, "hash": link})  # fmt: skip
        prev = link
    public = KEY.public_key()
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "signer": {
            "algorithm": "Ed25519",
            "public_key": public.public_bytes_raw().hex(),
            "fingerprint": fingerprint(public),
        },
        "chain": chain,
        "head": prev,
        "campaigns": ["C0001"],
    }
    if edit is not None:
        edit(manifest)
    body = manifest_bytes(manifest)
    return body, KEY.sign(body).hex().encode()


def _package(path: Path, items: list[tuple[str, bytes]], edit: Edit | None = None) -> Path:
    body, signature = _manifest(items, edit)
    path.write_bytes(build_archive([*items, (MANIFEST, body), (SIGNATURE, signature)]))
    return path


def _bomb_package(path: Path, listed: bool) -> Path:
    """A package with a 64 MiB entry of zeros (deflated to ~64 KB), listed in the chain or not."""
    size = 64 * MiB
    zeros = bytes(MiB)
    digest = hashlib.sha256()
    for _ in range(size // MiB):
        digest.update(zeros)
    good = [("records.jsonl", b'{"a": 1}\n')]
    edit: Edit | None = None
    if listed:

        def edit(manifest: dict[str, Any]) -> None:
            prev = manifest["head"]
            link = link_hash(1, "bomb.bin", "records", size, digest.hexdigest(), prev)
            manifest["chain"].append({"seq": 1, "name": "bomb.bin", "kind": "records", "bytes": size,
                                      "sha256": digest.hexdigest(), "prev": prev, "hash": link})  # fmt: skip
            manifest["head"] = link

    body, signature = _manifest(good, edit)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("records.jsonl", good[0][1])
        with zf.open("bomb.bin", "w", force_zip64=True) as handle:
            for _ in range(size // MiB):
                handle.write(zeros)
        zf.writestr(MANIFEST, body)
        zf.writestr(SIGNATURE, signature)
    return path


@pytest.mark.parametrize("listed", [True, False])
def test_zip_bomb_is_never_decompressed(tmp_path: Path, listed: bool) -> None:
    package = _bomb_package(tmp_path / "bomb.zip", listed)
    assert package.stat().st_size < 2 * MiB
    tracemalloc.start()
    result = verify_package(package)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    kinds = {(p.entry, p.kind) for p in result.problems}
    assert ("bomb.bin", "limit" if listed else "added") in kinds
    assert peak < 16 * MiB, f"peak traced memory {peak / MiB:.0f} MiB"


def _dup(manifest: dict[str, Any]) -> None:
    manifest["chain"].append(dict(manifest["chain"][0]))


def _campaigns(manifest: dict[str, Any]) -> None:
    manifest["campaigns"] = 5


def _negative(manifest: dict[str, Any]) -> None:
    manifest["chain"][0]["bytes"] = -1


def _bool_seq(manifest: dict[str, Any]) -> None:
    manifest["chain"][0]["seq"] = False


@pytest.mark.parametrize("edit", [_dup, _campaigns, _negative, _bool_seq])
def test_malformed_manifest_is_a_named_problem_in_json(tmp_path: Path, edit: Edit) -> None:
    package = _package(tmp_path / "m.zip", [("records.jsonl", b"{}\n"), ("more.jsonl", b"[]\n")], edit)
    result = runner.invoke(app, ["evidence", "verify", str(package), "--json"])
    assert result.exit_code == 1, result.output
    problems = json.loads(result.stdout)["problems"]
    assert problems and all(p["entry"] == MANIFEST and p["detail"] for p in problems)


def test_without_key_an_intact_package_is_unsigned_and_fails(tmp_path: Path) -> None:
    package = _package(tmp_path / "ok.zip", [("records.jsonl", b"{}\n")])
    plain = runner.invoke(app, ["evidence", "verify", str(package)])
    assert plain.exit_code == 4 and "unsigned: signer not checked" in plain.output
    as_json = runner.invoke(app, ["evidence", "verify", str(package), "--json"])
    assert as_json.exit_code == 4 and json.loads(as_json.stdout)["status"] == "unsigned: signer not checked"
    assert runner.invoke(app, ["evidence", "verify", str(package), "--allow-unsigned"]).exit_code == 0
    public = tmp_path / "signer.pub"
    public.write_bytes(
        KEY.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    keyed = runner.invoke(app, ["evidence", "verify", str(package), "--key", str(public)])
    assert keyed.exit_code == 0, keyed.output
