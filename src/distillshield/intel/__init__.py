"""Share campaigns as intelligence partners' tools accept, and match partners' intelligence.

Conventions:

- Identifiers (accounts, API keys, payment instruments, e-mails) leave only as HMAC-SHA256
  pseudonyms under a consortium key whose id travels with them (:mod:`.keys`); the
  pseudonyms are made before any STIX object is built, because STIX derives an observable's
  id from its value. IP addresses leave as IPv4 /24 networks or not at all; templates as
  keyed hashes and keyed MinHash signatures, as text only on request.
- Exports are STIX 2.1 with TLP 2.0 markings, MITRE ATLAS attack-patterns from a pinned,
  vendored subset (``data/atlas.yaml``) and one property extension whose JSON Schema ships
  in ``schemas/``; every export passes :mod:`.privacy` before it is written.
- Ids are stable: a re-export is a new version of the same objects (:mod:`.state`).
- Imports keep every version (:mod:`.store`); matching reads the scan's DuckDB tables and
  returns sightings to share back and account links for the linker (:mod:`.match`).
- TAXII 2.1: a server (:mod:`.taxii_server`) and a client over taxii2-client
  (:mod:`.taxii_client`); MISP events via pymisp (:mod:`.misp`).
"""

from __future__ import annotations

from distillshield.intel.export import ExportOptions, check_privacy, export_scan, write_bundle
from distillshield.intel.keys import HASH_SCHEME, Keyring, dump_keyring, load_keyring, new_keyring
from distillshield.intel.markings import TLP2_IDS, tlp_level
from distillshield.intel.match import (
    AccountLink,
    MatchResult,
    match_database,
    match_intel,
    match_scan,
    write_matches,
)
from distillshield.intel.misp import misp_events
from distillshield.intel.privacy import Finding, check_privacy_file, scan_text
from distillshield.intel.store import ImportStats, IntelStore, open_intel
from distillshield.intel.taxii_client import PushResult, open_collection, pull, push

__all__ = [
    "AccountLink",
    "ExportOptions",
    "Finding",
    "HASH_SCHEME",
    "ImportStats",
    "IntelStore",
    "Keyring",
    "MatchResult",
    "PushResult",
    "TLP2_IDS",
    "check_privacy",
    "check_privacy_file",
    "dump_keyring",
    "export_scan",
    "load_keyring",
    "match_database",
    "match_intel",
    "match_scan",
    "misp_events",
    "new_keyring",
    "open_collection",
    "open_intel",
    "pull",
    "push",
    "scan_text",
    "tlp_level",
    "write_bundle",
    "write_matches",
]
