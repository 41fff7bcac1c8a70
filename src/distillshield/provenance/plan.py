"""The audit's inputs: the key file (watermark keys, tokenizer, canaries, identity) and its prompts.

The key file is the watermark key file of :mod:`distillshield.respond.watermark.keys` with an
optional ``audit`` section::

    "audit": {
      "prompts": "audit-prompts.txt",
      "canaries": {"secret": "5f1c...", "campaigns": ["C-0007"], "per_campaign": 8},
      "identity": {"names": ["Acme", "AcmeLM"], "base_rate": 0.05}
    }

``prompts`` (a text file, one prompt per line, or JSON Lines with a ``text`` field) defaults to
the chat prompts shipped with distillshield. Paths are relative to the key file.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from distillshield.errors import InputError, Location
from distillshield.provenance.canary import CanaryBook
from distillshield.respond.watermark.keys import Keyring, load_keyring, read_keyfile


@dataclass(frozen=True, slots=True)
class CanaryPlan:
    book: CanaryBook
    campaigns: tuple[str, ...]
    per_campaign: int


@dataclass(frozen=True, slots=True)
class AuditPlan:
    """Everything the audit needs besides the suspect."""

    keyring: Keyring
    tokenize: Callable[[str], Sequence[int]]
    prompts: tuple[str, ...]
    canaries: CanaryPlan | None
    identity_names: tuple[str, ...]
    identity_base_rate: float


def load_plan(path: Path) -> AuditPlan:
    """Read a key file and everything it points to; errors name the file and field."""
    raw = read_keyfile(path)
    keyring = load_keyring(path, raw)
    audit = raw.get("audit") or {}
    if not isinstance(audit, dict):
        raise InputError("must be an object", Location(path, 0, "audit"))
    identity = audit.get("identity") or {}
    return AuditPlan(
        keyring=keyring,
        tokenize=_tokenizer(path, keyring),
        prompts=_prompts(path, audit.get("prompts")),
        canaries=_canaries(path, audit.get("canaries")),
        identity_names=tuple(str(n) for n in identity.get("names", ())),
        identity_base_rate=float(identity.get("base_rate", 0.05)),
    )


def _tokenizer(path: Path, keyring: Keyring) -> Callable[[str], Sequence[int]]:
    if keyring.tokenizer is None:
        raise InputError("names no tokenizer; keys only mean something with one", Location(path, 0, "tokenizer"))
    from distillshield.respond.watermark.base import require_torch

    require_torch()
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(keyring.tokenizer))
    if tokenizer.get_vocab_size() != keyring.vocab_size:
        raise InputError(
            f"tokenizer has {tokenizer.get_vocab_size()} tokens, the key file says {keyring.vocab_size}",
            Location(path, 0, "vocab_size"),
        )

    def tokenize(text: str) -> Sequence[int]:
        return list(tokenizer.encode(text, add_special_tokens=False).ids)

    return tokenize


def read_prompts(path: Path) -> tuple[str, ...]:
    """Prompts from a text file (one per line) or JSON Lines (``text`` or ``prompt`` field)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(f"cannot read prompts: {exc.strerror}", Location(path)) from exc
    if path.suffix != ".jsonl":
        return tuple(line for line in lines if line.strip())
    prompts = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            prompts.append(str(record.get("text") or record["prompt"]))
        except (json.JSONDecodeError, KeyError, AttributeError) as exc:
            raise InputError("needs a JSON object with a text or prompt field", Location(path, number, "text")) from exc
    return tuple(prompts)


def _prompts(path: Path, name: Any) -> tuple[str, ...]:
    if name:
        prompts_path = path.parent / str(name)
        prompts = read_prompts(prompts_path)
        if not prompts:
            raise InputError("holds no prompts", Location(prompts_path))
        return prompts
    shipped = resources.files("distillshield.data.prompts") / "chat.jsonl"
    return tuple(json.loads(line)["text"] for line in shipped.read_text(encoding="utf-8").splitlines() if line)


def _canaries(path: Path, section: Any) -> CanaryPlan | None:
    if not section:
        return None
    where = Location(path, 0, "audit.canaries")
    if not isinstance(section, Mapping) or not isinstance(section.get("secret"), str):
        raise InputError("needs a hex secret", where)
    try:
        secret = bytes.fromhex(section["secret"])
    except ValueError as exc:
        raise InputError("secret must be hexadecimal", where) from exc
    options = {k: section[k] for k in ("pool_size", "fact_template", "question_template") if k in section}
    for pool in ("subjects", "answers"):
        if pool in section:
            options[pool] = tuple(str(x) for x in section[pool])
    try:
        book = CanaryBook(secret, **options)
    except TypeError as exc:
        raise InputError(str(exc), where) from exc
    return CanaryPlan(book, tuple(str(c) for c in section.get("campaigns", ())), int(section.get("per_campaign", 8)))
