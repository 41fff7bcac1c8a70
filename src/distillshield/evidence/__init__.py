"""The evidence stage: tamper-evident packages that let a campaign's case be checked by anyone.

Conventions:

* A package is built from a scan directory only (its contract files and its
  DuckDB file), after the report stage; it never re-runs detection.
* Entries are appended to a hash chain and never replaced; the chain's head is
  in a manifest signed with an Ed25519 key kept in a 0600 file
  (:mod:`~distillshield.evidence.keys`).
* :func:`verify_package` reports every problem it finds, naming the entry and
  the kind of tampering, rather than stopping at the first.
"""

from __future__ import annotations

from distillshield.evidence.keys import (
    KeyInfo,
    default_key_path,
    fingerprint,
    generate_key,
    key_info,
    load_private_key,
    load_public_key,
)
from distillshield.evidence.pack import PackResult, pack_scan, redacted
from distillshield.evidence.package import FORMAT, MANIFEST, SIGNATURE, Chain, Link, build_archive
from distillshield.evidence.verify import Problem, Verification, verify_package

__all__ = [
    "Chain",
    "FORMAT",
    "KeyInfo",
    "Link",
    "MANIFEST",
    "PackResult",
    "Problem",
    "SIGNATURE",
    "Verification",
    "build_archive",
    "default_key_path",
    "fingerprint",
    "generate_key",
    "key_info",
    "load_private_key",
    "load_public_key",
    "pack_scan",
    "redacted",
    "verify_package",
]
