"""The consortium keyring: HMAC pseudonyms for identifiers that must never leave in the clear.

Every key holder can test a guess against a pseudonym, so the result is pseudonymous, not
anonymous; outsiders without the key cannot. Keys carry an id that travels with every
exported value, so partners match intelligence made under an older key after a rotation.

The keyring file is YAML::

    active: consortium-2026q2          # the key new exports use
    keys:
      consortium-2026q2: 6f1c...        # hex, at least 32 bytes
      consortium-2026q1: 9a0b...        # kept for matching older intelligence
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from distillshield.errors import InputError, Location

#: The scheme named in every export; bump the suffix if normalisation or the HMAC input changes.
HASH_SCHEME = "hmac-sha256/v1"
#: The identifier kinds that are pseudonymised; the kind is part of the HMAC input (domain separation).
IDENTIFIER_KINDS = ("account_id", "api_key_id", "email", "payment_fingerprint", "template")
MIN_KEY_BYTES = 32
_KEY_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


@dataclass(frozen=True, slots=True)
class Keyring:
    """Consortium keys by id, and the one new exports use."""

    active: str
    keys: tuple[tuple[str, bytes], ...]

    def __post_init__(self) -> None:
        if self.active not in dict(self.keys):
            raise ValueError(f"active key {self.active!r} is not in the keyring")

    def secret(self, key_id: str) -> bytes | None:
        return dict(self.keys).get(key_id)

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(k for k, _ in self.keys)

    def pseudonym(self, kind: str, value: str, key_id: str | None = None) -> str:
        """HMAC-SHA256 of the normalised ``value`` under ``key_id`` (default: the active key), in hex."""
        if kind not in IDENTIFIER_KINDS:
            raise ValueError(f"kind must be one of {', '.join(IDENTIFIER_KINDS)}, not {kind!r}")
        secret = self.secret(key_id or self.active)
        if secret is None:
            raise KeyError(key_id)
        message = f"{kind}\x00{normalise(kind, value)}".encode()
        return hmac.new(secret, message, hashlib.sha256).hexdigest()

    def rotated(self, key_id: str, secret: bytes | None = None) -> Keyring:
        """A keyring with a new active key; the old keys stay for matching older intelligence."""
        if not _KEY_ID.match(key_id):
            raise ValueError(f"key id {key_id!r} must be 1-64 letters, digits, '.', '_' or '-'")
        if key_id in self.key_ids:
            raise ValueError(f"key id {key_id!r} is already in the keyring")
        return Keyring(key_id, ((key_id, secret or secrets.token_bytes(MIN_KEY_BYTES)), *self.keys))


def normalise(kind: str, value: str) -> str:
    """Make the spellings of one identifier equal before hashing: e-mails lower-cased, ``+tags`` dropped."""
    value = value.strip()
    if kind == "email" and "@" in value:
        local, _, domain = value.lower().rpartition("@")
        return f"{local.split('+', 1)[0]}@{domain}"
    return value


def new_keyring(key_id: str) -> Keyring:
    """A keyring holding one fresh random key."""
    if not _KEY_ID.match(key_id):
        raise ValueError(f"key id {key_id!r} must be 1-64 letters, digits, '.', '_' or '-'")
    return Keyring(key_id, ((key_id, secrets.token_bytes(MIN_KEY_BYTES)),))


def load_keyring(path: Path) -> Keyring:
    """Read a keyring file; raise :class:`InputError` naming the bad field."""
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read keyring: {exc.strerror or exc}", Location(path)) from exc
    except yaml.YAMLError as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", -1) + 1
        raise InputError(f"not valid YAML: {exc}", Location(path, line)) from exc
    if not isinstance(data, dict) or not isinstance(data.get("keys"), dict) or not data["keys"]:
        raise InputError("expected a mapping with a non-empty 'keys' mapping", Location(path, 1, "keys"))
    keys = tuple((str(k), _decode(path, str(k), v)) for k, v in data["keys"].items())
    active = str(data.get("active", keys[0][0]))
    if active not in dict(keys):
        raise InputError(f"active key {active!r} is not listed under keys", Location(path, 1, "active"))
    return Keyring(active, keys)


def dump_keyring(keyring: Keyring, path: Path) -> None:
    """Write a keyring file readable only by its owner."""
    text = yaml.safe_dump({"active": keyring.active, "keys": {k: v.hex() for k, v in keyring.keys}}, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)


def _decode(path: Path, key_id: str, value: object) -> bytes:
    where = Location(path, 0, f"keys.{key_id}")
    try:
        secret = bytes.fromhex(str(value))
    except ValueError as exc:
        raise InputError("key is not hex", where) from exc
    _check_key(key_id, secret, where)
    return secret


def _check_key(key_id: str, secret: bytes, where: Location) -> None:
    if not _KEY_ID.match(key_id):
        raise InputError(f"key id {key_id!r} must be 1-64 letters, digits, '.', '_' or '-'", where)
    if len(secret) < MIN_KEY_BYTES:
        raise InputError(f"key is {len(secret)} bytes; at least {MIN_KEY_BYTES} are needed", where)
