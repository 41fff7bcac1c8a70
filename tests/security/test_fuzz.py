"""Fuzzing the boundaries that read hostile input: ingest readers, intel import and match, evidence verify.

Each property is bounded (tens of examples, small inputs) so the suite takes seconds: the invariants are
that nothing raises except the project's own InputError where that is the contract, that every record
read is accepted or quarantined, and that what is kept stays within a fixed multiple of what was read.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import hashlib
import io
import json
import tempfile
import uuid
from pathlib import Path
from typing import Any

import duckdb
import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from distillshield.errors import InputError
from distillshield.evidence import MANIFEST, SIGNATURE, build_archive, verify_package
from distillshield.evidence.keys import fingerprint
from distillshield.evidence.package import FORMAT, GENESIS, link_hash, manifest_bytes
from distillshield.ingest import ingest_paths
from distillshield.intel import IntelStore
from distillshield.intel.match import PatternProblem, _equalities
from distillshield.settings import Settings

BOUNDED = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**64), 2**64) | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=10,
)
keys = st.sampled_from(["request_id", "ts", "account_id", "model", "messages", "prompt_tokens", "content", "role"])


@st.composite
def hostile_lines(draw: st.DrawFn) -> bytes:
    """Raw bytes, JSON values, or a near-valid record with repeated keys spliced in by hand."""
    kind = draw(st.sampled_from(["bytes", "json", "dupe"]))
    if kind == "bytes":
        return draw(st.binary(max_size=300))
    if kind == "json":
        return json.dumps(draw(json_values)).encode()  # stdlib: integers beyond 64 bits are hostile input too
    base = {"request_id": draw(st.text(max_size=5)), "ts": "2026-05-04T10:00:00Z", "account_id": "a", "model": "m",
            "messages": [{"role": "user", "content": draw(st.text(max_size=20))}]}  # fmt: skip
    text = orjson.dumps(base).decode()
    key = draw(keys)
    return (text[:-1] + f', "{key}": {json.dumps(draw(json_values))}' + "}").encode()


def _ingest(path: Path, **changes: Any) -> None:
    quarantine = path.parent / "q.jsonl"
    quarantine.unlink(missing_ok=True)
    stats = ingest_paths([path], duckdb.connect(), quarantine, settings=Settings(**changes))
    lines = quarantine.read_bytes().splitlines() if quarantine.exists() else []
    assert stats.read == stats.accepted + stats.quarantined == stats.accepted + len(lines)
    kept = quarantine.stat().st_size if quarantine.exists() else 0
    assert kept <= 4 * path.stat().st_size + 600 * len(lines) + 8192, "the quarantine outgrew its input"


READERS = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@READERS
@given(st.lists(hostile_lines(), max_size=8), st.booleans(), st.sampled_from([64, 1 << 20]))
def test_jsonl_reader(lines: list[bytes], compress: bool, max_record_bytes: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data = b"\n".join(lines)
        path = Path(tmp) / "log.jsonl"
        path.write_bytes(gzip.compress(data, mtime=0) if compress else data)
        _ingest(path, max_record_bytes=max_record_bytes, max_decompressed_bytes=2048 if compress else 0)


@READERS
@given(st.lists(st.lists(st.text(max_size=40), min_size=0, max_size=6), max_size=6), st.sampled_from([32, 1 << 20]))
def test_litellm_csv_reader(rows: list[list[str]], max_record_bytes: int) -> None:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["request_id", "startTime", "team_id", "model", "messages", "prompt_tokens"])
    writer.writerows(rows)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "spend.csv"
        path.write_text(text.getvalue())
        _ingest(path, max_record_bytes=max_record_bytes)


stix_types = st.sampled_from(["campaign", "indicator", "relationship", "../x", "a--b", "x", "identity", ""])


@st.composite
def stix_objects(draw: st.DrawFn) -> Any:
    stix_type = draw(stix_types)
    obj: dict[str, Any] = {"type": stix_type, "spec_version": "2.1",
                           "id": draw(st.sampled_from([f"{stix_type}--{uuid.UUID(int=draw(st.integers(0, 9)))}",
                                                       "x--y", f"{stix_type}--../../z"]))}  # fmt: skip
    for key in draw(st.lists(st.sampled_from(["name", "pattern", "created", "modified", "revoked", "x_a"]))):
        obj[key] = draw(json_values)
    return obj if draw(st.booleans()) else draw(json_values)


@BOUNDED
@given(st.lists(stix_objects(), max_size=5), st.integers(0, 300))
def test_intel_import(objects: list[Any], depth: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        bundle = Path(tmp) / "b.json"
        nested = "[" * depth + "]" * depth
        bundle.write_text(
            json.dumps({"type": "bundle", "objects": objects})[:-2] + (", " if objects else "") + nested + "]}"
        )
        store = IntelStore(Path(tmp) / "store")
        with contextlib.suppress(InputError):
            store.import_file(bundle)
        escaped = [p for p in Path(tmp).rglob("*") if "store" not in p.parts and p != bundle]
        assert escaped == []
        store.latest("indicator")  # what was kept reads back


pattern_atoms = st.sampled_from(["[", "]", "(", ")", " OR ", " AND ", "user-account:user_id", " = ", "'x'",
                                 "ipv4-addr:value", "'10.0.0.1'", " FOLLOWEDBY ", "!", "'"])  # fmt: skip


@BOUNDED
@given(st.lists(pattern_atoms, max_size=60), st.integers(0, 2000))
def test_pattern_matching(atoms: list[str], nesting: int) -> None:
    pattern = "(" * nesting + "".join(atoms) + ")" * nesting
    with contextlib.suppress(PatternProblem):
        _equalities(pattern, None)


KEY = Ed25519PrivateKey.generate()


def _package() -> bytes:
    items = [("records.jsonl", b'{"a": 1}\n'), ("features.json", b"{}")]
    chain, prev = [], GENESIS
    for seq, (name, data) in enumerate(items):
        digest = hashlib.sha256(data).hexdigest()
        link = link_hash(seq, name, "records", len(data), digest, prev)
        chain.append({"seq": seq, "name": name, "kind": "records", "bytes": len(data), "sha256": digest,
                      "prev": prev, "hash": link})  # fmt: skip
        prev = link
    public = KEY.public_key()
    signer = {"algorithm": "Ed25519", "public_key": public.public_bytes_raw().hex(), "fingerprint": fingerprint(public)}
    body = manifest_bytes({"format": FORMAT, "signer": signer, "chain": chain, "head": prev, "campaigns": ["C1"]})
    return build_archive([*items, (MANIFEST, body), (SIGNATURE, KEY.sign(body).hex().encode())])


PACKAGE = _package()


@BOUNDED
@given(st.lists(st.tuples(st.integers(0, len(PACKAGE) - 1), st.binary(min_size=1, max_size=4)), max_size=4),
       st.integers(0, len(PACKAGE)))  # fmt: skip
def test_evidence_verify_on_damaged_packages(edits: list[tuple[int, bytes]], cut: int) -> None:
    data = bytearray(PACKAGE)
    for offset, patch in edits:
        data[offset : offset + len(patch)] = patch
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "p.zip"
        path.write_bytes(bytes(data[:cut]))
        result = verify_package(path)
        assert result.ok == (bytes(data[:cut]) == PACKAGE)
        json.dumps(result.to_dict())


@BOUNDED
@given(json_values)
def test_evidence_verify_on_hostile_manifests(manifest: Any) -> None:
    # stdlib json: integers beyond 64 bits (which orjson refuses to write) are hostile manifests too
    body = json.dumps(manifest).encode() if not isinstance(manifest, float) else b"1.5"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "p.zip"
        path.write_bytes(build_archive([("records.jsonl", b"{}"), (MANIFEST, body), (SIGNATURE, b"00")]))
        result = verify_package(path)
        assert not result.ok and all(p.detail for p in result.problems)
