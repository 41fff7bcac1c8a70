"""The evidence package format: a zip of entries, an append-only hash chain over them, a signed manifest.

Layout of ``case.zip``, in this order::

    scan/inputs.json              hashes of the scan's input logs and output files
    scan/run.json                 the scan's run record, as written
    campaigns/C0001/...           per campaign: campaign.json, accounts.csv, features.jsonl,
                                  records.jsonl.gz, prompts.jsonl
    manifest.json                 the chain, the signer's public key, what was packed
    manifest.sig                  Ed25519 signature over manifest.json's bytes, hex

Each entry appends one link to the chain: its name, kind, size and SHA-256, and
the previous link's hash, hashed together. Changing, removing or reordering an
entry breaks either its own hash or the chain order, and the chain's head is in
the signed manifest.

Zip metadata (timestamps, attributes, header fields) sits outside the entries'
hashes, so the archive is written canonically: stored (not compressed), fixed
timestamp and attributes, no comments or extra fields. Verification rebuilds the
canonical archive from the entries it read and compares byte for byte, so a
changed byte anywhere in the file is caught, not only inside an entry.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
FORMAT = "distillshield-evidence/1"
#: The ``prev`` of the first link.
GENESIS = "0" * 64
#: Every entry carries the same zip timestamp, so the archive depends on its contents only.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_UNIX = 3
_FILE_ATTRIBUTES = 0o100644 << 16
_LOCAL_HEADER = 30
_CENTRAL_HEADER = 46
_END_RECORD = 22


@dataclass(frozen=True, slots=True)
class Link:
    """One link of the hash chain: what one entry holds, tied to the link before it."""

    seq: int
    name: str
    kind: str
    size: int
    sha256: str
    prev: str
    hash: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "name": self.name,
            "kind": self.kind,
            "bytes": self.size,
            "sha256": self.sha256,
            "prev": self.prev,
            "hash": self.hash,
        }


def link_hash(seq: int, name: str, kind: str, size: int, sha256: str, prev: str) -> str:
    """The hash that ties an entry's description to the previous link."""
    body = {"seq": seq, "name": name, "kind": kind, "bytes": size, "sha256": sha256, "prev": prev}
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


class Chain:
    """An append-only list of entries and their links; nothing can be replaced or taken out."""

    def __init__(self) -> None:
        self._entries: list[tuple[str, bytes]] = []
        self._links: list[Link] = []

    def append(self, name: str, kind: str, data: bytes) -> Link:
        if name in (MANIFEST, SIGNATURE) or any(name == n for n, _ in self._entries):
            raise ValueError(f"entry name {name!r} is reserved or already in the chain")
        prev = self._links[-1].hash if self._links else GENESIS
        seq, digest = len(self._links), hashlib.sha256(data).hexdigest()
        link = Link(seq, name, kind, len(data), digest, prev, link_hash(seq, name, kind, len(data), digest, prev))
        self._entries.append((name, data))
        self._links.append(link)
        return link

    @property
    def links(self) -> tuple[Link, ...]:
        return tuple(self._links)

    @property
    def entries(self) -> tuple[tuple[str, bytes], ...]:
        return tuple(self._entries)

    @property
    def head(self) -> str:
        return self._links[-1].hash if self._links else GENESIS


def manifest_bytes(manifest: dict[str, Any]) -> bytes:
    """The manifest as signed: sorted keys, two-space indent, a final newline."""
    return orjson.dumps(manifest, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2) + b"\n"


def build_archive(entries: Sequence[tuple[str, bytes]]) -> bytes:
    """The canonical zip holding ``entries`` in order (see the module docstring)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.create_system = _UNIX
            info.external_attr = _FILE_ATTRIBUTES
            info.compress_type = zipfile.ZIP_STORED
            archive.writestr(info, data)
    return buffer.getvalue()


def region_at(entries: Sequence[tuple[str, bytes]], offset: int) -> tuple[str, str]:
    """Which part of the canonical archive of ``entries`` holds byte ``offset``: (entry name, part).

    The sizes follow the layout :func:`build_archive` writes: a local header and the
    data per entry, then a central directory record per entry, then the end record.
    """
    at = 0
    for name, data in entries:
        header = _LOCAL_HEADER + len(name.encode("utf-8"))
        if offset < at + header:
            return name, "zip local header"
        if offset < at + header + len(data):
            return name, "entry data"
        at += header + len(data)
    for name, _ in entries:
        at += _CENTRAL_HEADER + len(name.encode("utf-8"))
        if offset < at:
            return name, "zip central directory record"
    if offset < at + _END_RECORD:
        return "archive", "zip end-of-archive record"
    return "archive", "bytes after the end of the archive"
