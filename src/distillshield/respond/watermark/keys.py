"""Watermark keys on disk, key rotation, and the tokenizer a key belongs to.

A key file is JSON. Its ``keys`` list holds one entry per key ever used, each with the date it
became active; embedding uses the newest active key, detection tries them all and corrects the
smallest p-value for the number of keys tried (Bonferroni), so rotating keys never inflates the
false-positive rate::

    {
      "format": "distillshield-watermark/1",
      "vocab_size": 2000,
      "tokenizer": "tokenizer.json",
      "tokenizer_sha256": "9f2c...",
      "keys": [
        {"id": "2026-11", "scheme": "greenlist", "active_from": "2026-11-01",
         "params": {"hashing_key": 7215330915, "greenlist_ratio": 0.25, "bias": 2.0,
                    "seeding_scheme": "lefthash", "context_width": 1}}
      ]
    }

Other top-level sections (canaries, identity) belong to the audit and are ignored here.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from distillshield.errors import InputError, Location
from distillshield.respond.watermark.base import Detection, ScoringTape, bonferroni
from distillshield.respond.watermark.greenlist import GreenList
from distillshield.respond.watermark.gumbel import GumbelSampling
from distillshield.respond.watermark.synthid import SynthID

FORMAT = "distillshield-watermark/1"
Scheme = GreenList | GumbelSampling | SynthID
#: Scheme name in a key file -> class; the one place the names live.
SCHEMES: dict[str, type[GreenList] | type[GumbelSampling] | type[SynthID]] = {
    "greenlist": GreenList,
    "gumbel": GumbelSampling,
    "synthid": SynthID,
}
#: How many tournament layers (keys) a new SynthID key gets, as in transformers' example config.
SYNTHID_DEPTH = 30


@dataclass(frozen=True, slots=True)
class WatermarkKey:
    """One key: its id, scheme, first active day and the scheme's keyword parameters."""

    key_id: str
    scheme: str
    params: Mapping[str, Any]
    active_from: date | None = None

    def build(self, vocab_size: int) -> Scheme:
        """The scheme object this key parametrises, for a tokenizer of ``vocab_size`` tokens."""
        return SCHEMES[self.scheme](vocab_size=vocab_size, key_id=self.key_id, **self.params)

    def to_dict(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"id": self.key_id, "scheme": self.scheme, "params": dict(self.params)}
        if self.active_from:
            entry["active_from"] = self.active_from.isoformat()
        return entry


@dataclass(frozen=True, slots=True)
class KeyringDetection:
    """Detection under every key of a ring, and the key-count-corrected p-value."""

    per_key: tuple[Detection, ...]
    p_value: float

    @property
    def best(self) -> Detection:
        return min(self.per_key, key=lambda d: d.p_value)


@dataclass(frozen=True, slots=True)
class Keyring:
    """The keys a provider has used, oldest first, and the vocabulary they were used with."""

    keys: tuple[WatermarkKey, ...]
    vocab_size: int
    tokenizer: Path | None = None
    tokenizer_sha256: str | None = None
    schemes: tuple[Scheme, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "schemes", tuple(k.build(self.vocab_size) for k in self.keys))

    def active(self, on: date) -> Scheme:
        """The scheme to embed with on day ``on``: the newest key already active then."""
        live = [s for k, s in zip(self.keys, self.schemes, strict=True) if k.active_from is None or k.active_from <= on]
        if not live:
            raise LookupError(f"no watermark key is active on {on.isoformat()}")
        return live[-1]

    def detect(self, token_ids: Sequence[int], *, dedup: bool = True) -> KeyringDetection:
        """Score one text under every key; each key keeps its own deduplication tape."""
        per_key = tuple(s.detect(token_ids, tape=ScoringTape(), dedup=dedup) for s in self.schemes)
        return KeyringDetection(per_key, bonferroni([d.p_value for d in per_key]))

    def to_dict(self) -> dict[str, Any]:
        raw: dict[str, Any] = {"format": FORMAT, "vocab_size": self.vocab_size}
        if self.tokenizer:
            raw["tokenizer"] = str(self.tokenizer)
            raw["tokenizer_sha256"] = self.tokenizer_sha256
        raw["keys"] = [k.to_dict() for k in self.keys]
        return raw


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def new_key(scheme: str, *, key_id: str, active_from: date | None = None, **params: Any) -> WatermarkKey:
    """A fresh random key (63 bits from ``secrets``) for ``scheme``, other parameters as given."""
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {sorted(SCHEMES)}, not {scheme!r}")
    secret: int | list[int] = secrets.randbits(63) | 1
    name = {"greenlist": "hashing_key", "gumbel": "key", "synthid": "keys"}[scheme]
    if scheme == "synthid":
        secret = [secrets.randbits(48) for _ in range(SYNTHID_DEPTH)]
    params = {name: secret, **params}
    return WatermarkKey(key_id=key_id, scheme=scheme, params=params, active_from=active_from)


def read_keyfile(path: Path) -> dict[str, Any]:
    """The raw JSON object of a key file, with errors naming the file."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read key file: {exc.strerror}", Location(path)) from exc
    except json.JSONDecodeError as exc:
        raise InputError(f"not JSON: {exc.msg}", Location(path, exc.lineno)) from exc
    if not isinstance(raw, dict):
        raise InputError("a key file holds one JSON object", Location(path, 1))
    return raw


def load_keyring(path: Path, raw: Mapping[str, Any] | None = None) -> Keyring:
    """Load and check a key file: format, vocabulary size, tokenizer hash and every key."""
    raw = read_keyfile(path) if raw is None else raw
    if raw.get("format") != FORMAT:
        raise InputError(f"expected format {FORMAT!r}", Location(path, 0, "format"))
    vocab_size = raw.get("vocab_size")
    if not isinstance(vocab_size, int) or vocab_size < 2:
        raise InputError("must be an integer of at least 2", Location(path, 0, "vocab_size"))
    tokenizer = _tokenizer_path(path, raw)
    keys = tuple(_key(path, i, entry) for i, entry in enumerate(raw.get("keys") or []))
    if not keys:
        raise InputError("needs at least one key", Location(path, 0, "keys"))
    try:
        return Keyring(keys, vocab_size, tokenizer, raw.get("tokenizer_sha256"))
    except (TypeError, ValueError) as exc:
        raise InputError(str(exc), Location(path, 0, "keys")) from exc


def _tokenizer_path(path: Path, raw: Mapping[str, Any]) -> Path | None:
    if not raw.get("tokenizer"):
        return None
    tokenizer = (path.parent / str(raw["tokenizer"])).resolve()
    if not tokenizer.is_file():
        raise InputError(f"tokenizer file {tokenizer} does not exist", Location(path, 0, "tokenizer"))
    expected = raw.get("tokenizer_sha256")
    if expected and file_sha256(tokenizer) != expected:
        raise InputError(f"{tokenizer} is not the tokenizer this key was made for", Location(path, 0, "tokenizer"))
    return tokenizer


def _key(path: Path, index: int, entry: Any) -> WatermarkKey:
    where = Location(path, 0, f"keys[{index}]")
    if not isinstance(entry, dict) or entry.get("scheme") not in SCHEMES:
        raise InputError(f"each key needs a scheme among {sorted(SCHEMES)}", where)
    if not isinstance(entry.get("params"), dict) or not isinstance(entry.get("id"), str):
        raise InputError("each key needs a string id and a params object", where)
    try:
        active = date.fromisoformat(entry["active_from"]) if entry.get("active_from") else None
    except (TypeError, ValueError) as exc:
        raise InputError("active_from must be an ISO date (YYYY-MM-DD)", where) from exc
    return WatermarkKey(entry["id"], entry["scheme"], dict(entry["params"]), active)


def write_keyfile(path: Path, raw: Mapping[str, Any]) -> None:
    """Write a key file readable by its owner only: it holds secrets."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(raw, indent=2) + "\n", encoding="utf-8")
    path.chmod(0o600)
