"""Build an evidence package for one or more campaigns of a scan directory.

Everything is read from the scan directory: campaigns.json and accounts.csv for
the verdicts and their traces, run.json for the inputs to hash, and the scan's
DuckDB file for the campaign's raw records, account features and sample
prompts. With ``redact`` every prompt, response and reasoning text is replaced
by its SHA-256 and length, so a package can go to a partner who must not see
customer content, while whoever holds the original log can still match each
record to it.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from distillshield import __version__
from distillshield.csvcells import safe_row
from distillshield.errors import ConfigError, InputError, Location, UnreadableFileError
from distillshield.evidence.keys import fingerprint, load_private_key, raw_public_bytes
from distillshield.evidence.package import FORMAT, MANIFEST, SIGNATURE, Chain, build_archive, manifest_bytes
from distillshield.report.contract import ACCOUNTS_COLUMNS, CampaignRow, read_accounts_csv, read_campaigns_json

#: Text columns of the ``requests`` table that carry customer content and are redacted.
CONTENT_COLUMNS = ("messages", "prompt", "response", "reasoning", "system_prompt", "user_prompt")
#: Scan outputs whose hashes go into the package beside the inputs'.
SCAN_FILES = ("accounts.csv", "campaigns.json", "run.json", "timeline.csv")
SAMPLE_PROMPTS = 20
_ROWS_PER_FETCH = 5_000
_JSON = orjson.OPT_NAIVE_UTC | orjson.OPT_UTC_Z | orjson.OPT_SORT_KEYS
_HASH_BLOCK = 1 << 20


@dataclass(frozen=True, slots=True)
class PackResult:
    """What was written."""

    path: Path
    campaigns: tuple[str, ...]
    entries: int
    records: int
    fingerprint: str
    head: str


def pack_scan(
    scan_dir: Path,
    out: Path,
    key_path: Path,
    *,
    campaigns: Sequence[str] = (),
    redact: bool = False,
    db_path: Path | None = None,
    samples: int = SAMPLE_PROMPTS,
) -> PackResult:
    """Write ``out``, the signed evidence package of ``campaigns`` (all of them when empty)."""
    key = load_private_key(key_path)  # first, so a bad key fails before any work
    chosen = _choose(read_campaigns_json(scan_dir / "campaigns.json"), campaigns, scan_dir)
    chain, records = Chain(), 0
    chain.append("scan/inputs.json", "inputs", _dump(_hashes(scan_dir)))
    chain.append("scan/run.json", "run", _read(scan_dir / "run.json"))
    with _connect(db_path or scan_dir / "scan.duckdb") as con:
        for campaign in chosen:
            records += _append_campaign(chain, con, scan_dir, campaign, redact=redact, samples=samples)
    manifest = _manifest(chain, chosen, scan_dir, redact, key.public_key())
    body = manifest_bytes(manifest)
    signature = key.sign(body).hex().encode("ascii") + b"\n"
    archive = build_archive([*chain.entries, (MANIFEST, body), (SIGNATURE, signature)])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(archive)
    ids = tuple(c.campaign_id for c in chosen)
    return PackResult(out, ids, len(chain.links), records, fingerprint(key.public_key()), chain.head)


def _choose(rows: list[CampaignRow], wanted: Sequence[str], scan_dir: Path) -> list[CampaignRow]:
    by_id = {row.campaign_id: row for row in rows}
    unknown = [c for c in wanted if c not in by_id]
    if unknown:
        known = ", ".join(sorted(by_id)) or "none"
        raise ConfigError(f"{scan_dir / 'campaigns.json'}: no campaign {', '.join(unknown)} (campaigns: {known})")
    if not rows:
        raise InputError("the scan linked no campaign, so there is nothing to pack", Location(scan_dir))
    return [by_id[c] for c in dict.fromkeys(wanted)] if wanted else rows


def _append_campaign(
    chain: Chain, con: duckdb.DuckDBPyConnection, scan_dir: Path, campaign: CampaignRow, *, redact: bool, samples: int
) -> int:
    base, ids = f"campaigns/{campaign.campaign_id}", list(campaign.accounts)
    chain.append(f"{base}/campaign.json", "campaign", _dump(_campaign_object(scan_dir, campaign.campaign_id)))
    chain.append(f"{base}/accounts.csv", "verdicts", _accounts_csv(scan_dir, set(ids)))
    features = _rows(con, "SELECT * FROM account_features WHERE list_contains($ids, account_id) ORDER BY 1", ids)
    chain.append(f"{base}/features.jsonl", "features", _jsonl(features))
    records, count = _records(con, ids, redact)
    chain.append(f"{base}/records.jsonl.gz", "records", records)
    chain.append(f"{base}/prompts.jsonl", "prompts", _jsonl(_samples(con, ids, redact, samples)))
    return count


def _connect(path: Path) -> duckdb.DuckDBPyConnection:
    if not path.exists():
        raise UnreadableFileError("no scan database here; pass --db with the one the scan used", Location(path))
    try:
        return duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise UnreadableFileError(f"cannot open the scan database: {exc}", Location(path)) from exc


def _rows(con: duckdb.DuckDBPyConnection, query: str, ids: list[str]) -> Iterator[dict[str, Any]]:
    try:
        cursor = con.execute(query, {"ids": ids})
    except duckdb.CatalogException as exc:
        where = Location(Path("scan.duckdb"))
        raise InputError(f"the scan database lacks a table the package needs: {exc}", where) from exc
    columns = [d[0] for d in cursor.description]
    while batch := cursor.fetchmany(_ROWS_PER_FETCH):
        for row in batch:
            yield dict(zip(columns, row, strict=True))


def _records(con: duckdb.DuckDBPyConnection, ids: list[str], redact: bool) -> tuple[bytes, int]:
    query = "SELECT * FROM requests WHERE list_contains($ids, account_id) ORDER BY ts, request_id"
    buffer, count = io.BytesIO(), 0
    # mtime=0 and no file name keep the gzip bytes a function of the records alone
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0) as handle:
        for row in _rows(con, query, ids):
            handle.write(orjson.dumps(redacted(row) if redact else row, option=_JSON) + b"\n")
            count += 1
    return buffer.getvalue(), count


def _samples(con: duckdb.DuckDBPyConnection, ids: list[str], redact: bool, limit: int) -> Iterator[dict[str, Any]]:
    query = (
        "SELECT user_prompt, system_prompt, count(*) AS requests, count(DISTINCT account_id) AS accounts, "
        "min(ts) AS first_seen, max(ts) AS last_seen FROM requests WHERE list_contains($ids, account_id) "
        f"GROUP BY ALL ORDER BY requests DESC, accounts DESC, user_prompt, system_prompt LIMIT {int(limit)}"
    )
    for row in _rows(con, query, ids):
        yield redacted(row) if redact else row


def redacted(row: dict[str, Any]) -> dict[str, Any]:
    """``row`` with each content text replaced by its SHA-256 and length.

    >>> redacted({"prompt": "hi", "model": "m"})["prompt"]["chars"]
    2
    """
    return {k: _redact(v) if k in CONTENT_COLUMNS and isinstance(v, str) else v for k, v in row.items()}


def _redact(text: str) -> dict[str, object]:
    return {"redacted": "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest(), "chars": len(text)}


def _campaign_object(scan_dir: Path, campaign_id: str) -> dict[str, Any]:
    """The campaign's object exactly as campaigns.json holds it (already validated by the reader)."""
    data = orjson.loads(_read(scan_dir / "campaigns.json"))
    return next(item for item in data if item["campaign_id"] == campaign_id)


def _accounts_csv(scan_dir: Path, members: set[str]) -> bytes:
    handle = io.StringIO()
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(ACCOUNTS_COLUMNS)
    for row in read_accounts_csv(scan_dir / "accounts.csv"):
        if row.account_id in members:
            cells = (row.account_id, f"{row.risk:.4f}", row.verdict, row.campaign_id or "", row.reasons)
            writer.writerow(safe_row(cells))
    return handle.getvalue().encode("utf-8")


def _hashes(scan_dir: Path) -> dict[str, Any]:
    run = orjson.loads(_read(scan_dir / "run.json"))
    inputs = run.get("inputs", []) if isinstance(run, dict) else []
    return {
        "inputs": [_input_hash(item) for item in inputs],
        "scan_files": [_file_hash(scan_dir / name, name) for name in SCAN_FILES if (scan_dir / name).exists()],
    }


def _input_hash(item: object) -> dict[str, Any]:
    entry = item if isinstance(item, dict) else {"path": str(item)}
    path = Path(str(entry.get("path", "")))
    found = _file_hash(path, str(path)) if path.is_file() else {"path": str(path), "sha256": None}
    return found | {"recorded_bytes": entry.get("bytes"), "found": path.is_file()}


def _file_hash(path: Path, label: str) -> dict[str, Any]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as handle:
        while block := handle.read(_HASH_BLOCK):
            digest.update(block)
            size += len(block)
    return {"path": label, "bytes": size, "sha256": digest.hexdigest()}


def _manifest(
    chain: Chain, campaigns: list[CampaignRow], scan_dir: Path, redact: bool, public: Ed25519PublicKey
) -> dict[str, Any]:
    signer = {"algorithm": "Ed25519", "public_key": raw_public_bytes(public).hex(), "fingerprint": fingerprint(public)}
    return {
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "distillshield": __version__,
        "scan_dir": str(scan_dir),
        "campaigns": [c.campaign_id for c in campaigns],
        "redacted": redact,
        "signer": signer,
        "chain": [link.to_dict() for link in chain.links],
        "head": chain.head,
    }


def _dump(value: object) -> bytes:
    return orjson.dumps(value, option=_JSON | orjson.OPT_INDENT_2) + b"\n"


def _jsonl(rows: Iterable[dict[str, Any]]) -> bytes:
    return b"".join(orjson.dumps(row, option=_JSON) + b"\n" for row in rows)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UnreadableFileError(f"cannot read: {exc.strerror or exc}", Location(path)) from exc
