"""Who is calling: API keys, stored only as SHA-256 digests, mapped to accounts and their metadata.

A keys file is YAML::

    keys:
      - sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
        account_id: acct_42
        key_id: key_42a               # the id written to logs (never the secret)
        tier: verified                # new, verified or enterprise
        created_at: "2026-05-01T09:00:00Z"
        payment_fingerprint: pf_3c1e
        email_domain: example.com

API keys are long random strings, so an unsalted SHA-256 is enough to make the
stored digests useless to a thief; ``distillshield admin hash-key`` prints one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from distillshield.respond.policy import TIER_NAMES
from distillshield.yamlfile import Fields, line_of, load_yaml

_KEY_FIELDS = {"sha256", "account_id", "key_id", "tier", "created_at", "payment_fingerprint", "email_domain"}


@dataclass(frozen=True, slots=True)
class Identity:
    """An account as the gateway knows it from the key that was presented."""

    account_id: str
    key_id: str
    tier: str | None = None
    created_at: float | None = None  # Unix seconds
    payment_fingerprint: str | None = None
    email_domain: str | None = None


def hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class KeyRing:
    """Digest -> identity."""

    by_digest: dict[str, Identity]

    def lookup(self, secret: str) -> Identity | None:
        return self.by_digest.get(hash_key(secret))

    def __len__(self) -> int:
        return len(self.by_digest)


def load_keys(path: Path) -> KeyRing:
    """Read a keys file; a bad entry is an InputError naming file, line and field."""
    root = Fields(load_yaml(path), path, "keys file", {"keys"}, line=1)
    entries = root.raw("keys")
    if not isinstance(entries, list):
        raise root.error("keys", "keys must be a list of {sha256, account_id, ...} entries")
    ring: dict[str, Identity] = {}
    for i, node in enumerate(entries):
        fields = Fields(node, path, f"keys[{i}]", _KEY_FIELDS, line=line_of(root.mapping, "keys"))
        digest = _digest(fields)
        if digest in ring:
            raise fields.error("sha256", "the same key digest appears twice")
        ring[digest] = _identity(fields, digest)
    return KeyRing(ring)


def _digest(fields: Fields) -> str:
    digest = (fields.string("sha256") or "").lower()
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise fields.error("sha256", "sha256 must be 64 hex digits (the SHA-256 of the key, never the key)")
    return digest


def _identity(fields: Fields, digest: str) -> Identity:
    account = fields.string("account_id")
    if not account:
        raise fields.error("account_id", "account_id is required")
    return Identity(
        account_id=account,
        key_id=fields.string("key_id") or f"key_{digest[:12]}",
        tier=fields.string("tier", choices=TIER_NAMES),
        created_at=_timestamp(fields, "created_at"),
        payment_fingerprint=fields.string("payment_fingerprint"),
        email_domain=fields.string("email_domain"),
    )


def _timestamp(fields: Fields, key: str) -> float | None:
    value = fields.raw(key)
    if value is None:
        return None
    if isinstance(value, datetime):  # YAML resolves unquoted timestamps itself
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError as exc:
            raise fields.error(key, f"{key} must be an RFC 3339 timestamp, not {value!r}") from exc
    if moment.tzinfo is None:
        raise fields.error(key, f"{key} needs a UTC offset (e.g. 'Z')")
    return moment.timestamp()
