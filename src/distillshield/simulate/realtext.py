"""Real user text for the ``sharegpt_chat`` archetype: ShareGPT user turns from ``../shared``, when present.

The turns are not shipped (their licence is "as distributed for research use"), so they are
read at simulate time from the shared data folder and the simulator falls back to the
built-in chat sample when it is absent; ``simulation.json`` records which one was used.
Only conversations outside the held-out fifth are used (the project's split rule:
conversation id = ``sharegpt_id.rsplit("_", 1)[0]``, held out when the first 8 hex digits of
its SHA-256 are 0 modulo 5), so nothing tuned on a simulated log has seen a held-out turn.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from functools import cache
from pathlib import Path

SHAREGPT = Path("data/external/real-distillation-prompts/sharegpt_benign_prompts.jsonl.gz")
ENV = "DISTILLSHIELD_SHARED"  # a shared data folder to use instead of the ones searched


def held_out(sharegpt_id: str) -> bool:
    """The project's split rule: a fifth of conversations, by hash of the conversation id, are held out."""
    conv_id = sharegpt_id.rsplit("_", 1)[0]
    return int(hashlib.sha256(conv_id.encode()).hexdigest()[:8], 16) % 5 == 0


def _candidates() -> list[Path]:
    here = Path(__file__).resolve()
    roots = [Path(os.environ[ENV])] if os.environ.get(ENV) else []
    roots += [Path.cwd() / ".." / "shared", Path.cwd() / "shared", here.parents[3].parent / "shared"]
    return [root / SHAREGPT for root in roots]


@cache
def sharegpt_turns() -> tuple[tuple[str, ...], str]:
    """The usable (non-held-out, short enough to be a chat turn) turns and where they came from; empty if absent."""
    for path in _candidates():
        if path.is_file():
            with gzip.open(path, "rt", encoding="utf-8") as f:
                rows = [json.loads(line) for line in f if line.strip()]
            turns = tuple(r["text"] for r in rows if not held_out(r["sharegpt_id"]) and 3 <= len(r["text"]) <= 4000)
            return turns, "sharegpt:" + SHAREGPT.name
    return (), "builtin"
