"""Analysts and their tokens: a YAML users file that holds only SHA-256 hashes of the tokens.

Tokens are 256-bit random strings made by :func:`add_user` and shown once; the
file keeps their SHA-256. A fast hash is enough here (a slow password hash
guards guessable secrets, and these are not guessable), and it lets every
request be checked in constant time with :func:`hmac.compare_digest`.

Users file::

    users:
      alice: 5f0c...e1   # sha256 of alice's token
      bob: 9a3d...07
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

import yaml

from distillshield.errors import ConfigError, InputError, Location
from distillshield.yamlfile import Mapping, line_of, load_yaml

_NAME = re.compile(r"[A-Za-z0-9_.@-]{1,64}")
_HEX = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class Users:
    """Analyst name -> SHA-256 hex of their token."""

    hashes: dict[str, str]

    def authenticate(self, token: str | None) -> str | None:
        """The analyst whose token this is, or None."""
        if not token:
            return None
        digest = token_hash(token)
        found = None
        for name, expected in self.hashes.items():  # no early exit: every check takes the same time
            if hmac.compare_digest(digest, expected):
                found = name
        return found


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def load_users(path: Path) -> Users:
    """Read and validate a users file."""
    data = load_yaml(path)
    raw = data.get("users")
    if not isinstance(raw, Mapping) or not raw:
        raise InputError("expected 'users:' mapping each name to a token hash", Location(path, data.line, "users"))
    hashes: dict[str, str] = {}
    for name, digest in raw.items():
        where = Location(path, line_of(raw, name), f"users.{name}")
        if not _NAME.fullmatch(name):
            raise InputError("a user name is 1-64 letters, digits, '_', '.', '@' or '-'", where)
        if not isinstance(digest, str) or not _HEX.fullmatch(digest):
            raise InputError("expected the 64-hex-digit SHA-256 of the user's token", where)
        hashes[name] = digest
    return Users(hashes)


def add_user(path: Path, name: str) -> str:
    """Add ``name`` (or replace their token) in ``path``, creating it with mode 0600; return the new token."""
    if not _NAME.fullmatch(name):
        raise ConfigError(f"user name {name!r}: use 1-64 letters, digits, '_', '.', '@' or '-'")
    hashes = dict(load_users(path).hashes) if path.exists() else {}
    token = secrets.token_urlsafe(32)
    hashes[name] = token_hash(token)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump({"users": hashes}, sort_keys=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("# distillshield console users: name -> sha256 of the token\n" + text)
    return token
