"""Ed25519 signing keys for evidence packages, as PEM files.

A private key lives in a file readable by its owner only (mode 0600, as ssh
insists for its own keys): a key others can read cannot vouch for anything, so
loading one with looser permissions is refused. The public key sits beside it in
``NAME.pub`` and is what a recipient passes to ``evidence verify --key``. A key is
named by its fingerprint, ``ed25519:`` and the SHA-256 of its 32 raw bytes.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from distillshield.errors import ConfigError, InputError, Location

PRIVATE_MODE = 0o600


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """Where a key pair lives and how it is named."""

    private_path: Path | None
    public_path: Path | None
    fingerprint: str


def default_key_path() -> Path:
    """``$XDG_CONFIG_HOME/distillshield/evidence.key`` (``~/.config`` when the variable is unset)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "distillshield" / "evidence.key"


def public_path_for(private_path: Path) -> Path:
    return private_path.with_name(private_path.name + ".pub")


def raw_public_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def fingerprint(key: Ed25519PublicKey) -> str:
    """``ed25519:`` and the hex SHA-256 of the raw public key."""
    return "ed25519:" + hashlib.sha256(raw_public_bytes(key)).hexdigest()


def generate_key(private_path: Path, *, overwrite: bool = False) -> KeyInfo:
    """Write a new key pair: ``private_path`` (mode 0600) and ``private_path.pub``."""
    public_path = public_path_for(private_path)
    if not overwrite and (private_path.exists() or public_path.exists()):
        raise ConfigError(f"{private_path}: a key already exists there; pass --force to replace it")
    private_path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    _write_private(private_path, pem)
    public_format = serialization.PublicFormat.SubjectPublicKeyInfo
    public_path.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM, public_format))
    return KeyInfo(private_path, public_path, fingerprint(key.public_key()))


def _write_private(path: Path, pem: bytes) -> None:
    # Created with 0600 from the start, so the key is never readable by others, not even for an instant.
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_MODE)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """The signing key in ``path``; refused when the file is readable by group or others."""
    data = _read(path)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ConfigError(f"{path}: private key is readable by others (mode {mode:04o}); run chmod 600 {path}")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise InputError(f"not an unencrypted PEM private key ({exc})", Location(path)) from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise InputError(f"expected an Ed25519 key, found {type(key).__name__}", Location(path))
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    """The public key in ``path``, which may hold a public key or a private one (its public half is taken)."""
    data = _read(path)
    if b"PRIVATE KEY" in data:
        return load_private_key(path).public_key()
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise InputError(f"not a PEM public key ({exc})", Location(path)) from exc
    if not isinstance(key, Ed25519PublicKey):
        raise InputError(f"expected an Ed25519 key, found {type(key).__name__}", Location(path))
    return key


def public_key_from_raw(raw: bytes) -> Ed25519PublicKey:
    """A public key from its 32 raw bytes, as a package manifest records it."""
    return Ed25519PublicKey.from_public_bytes(raw)


def key_info(path: Path) -> KeyInfo:
    """Describe the key in ``path`` (private or public) without changing anything."""
    key = load_public_key(path)
    is_private = b"PRIVATE KEY" in _read(path)
    public = public_path_for(path) if is_private else path
    return KeyInfo(path if is_private else None, public if public.exists() else None, fingerprint(key))


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: no key file there; create one with: distillshield keys generate {path}") from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", Location(path)) from exc
