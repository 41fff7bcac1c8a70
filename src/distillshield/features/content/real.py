"""Real distillation-pipeline prompts and real user turns, for training and measuring at build time only.

Reads ``real-distillation-prompts`` under the shared external-data folder (``SOURCES.md`` there): prompts
that 11 public pipelines render (their templates with real seeds) and de-duplicated ShareGPT user turns.
The package never reads these at run time and never ships their texts: ``scripts/train_content_model.py``
trains the shipped arrays on them and ``bench/bench_content.py`` measures on them.

Splits: a ShareGPT conversation (``sharegpt_id`` without its ``_<turn>`` suffix) is held out when the
first 8 hex digits of its SHA-256 are 0 mod 5 (the project's rule); held-out turns get split ``heldout``
and are never trained or tuned on. A pipeline's prompts get split ``test`` when the pipeline is held out
(leave-one-pipeline-out), else ``train``. ``bare`` prompts (a raw question with no wrapper) carry no ask
and are left out: no text detector can see them.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Collection
from pathlib import Path

import numpy as np
import numpy.typing as npt

from distillshield.features.content.training import DETECTORS, Corpus, copy_roles, corpus_of
from distillshield.features.content.turns import turn_text

REAL_DIR = "real-distillation-prompts"
#: System prompts a pipeline leaves at a generic default: not its ask.
_GENERIC_SYSTEMS = {"you are a helpful assistant.", ""}
#: Training turns at least this long are weighted up as hard negatives.
LONG_CHARS = 1000


def held_out_conversation(sharegpt_id: str) -> bool:
    conv = sharegpt_id.rsplit("_", 1)[0]
    return int(hashlib.sha256(conv.encode()).hexdigest()[:8], 16) % 5 == 0


def _jsonl(path: Path) -> list[dict[str, object]]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def pipelines(ext: Path) -> dict[str, str]:
    """Template id to pipeline (its source repository)."""
    templates = json.loads((ext / REAL_DIR / "templates.json").read_text(encoding="utf-8"))
    return {str(t["template_id"]): str(t["repo"]) for t in templates}


def _ask_roles(ext: Path) -> dict[str, str]:
    """Which turn of each template holds its ask: a non-generic system text if it has one, else the user text.

    When the system turn holds the ask, the user turn is the seed under at most an answer-format prefix
    ("Return your final response within \\boxed{}", which benchmark harnesses send every day); it is
    trained as a negative, so the seed's subject (competition maths) is not learned as the ask.
    """
    templates = json.loads((ext / REAL_DIR / "templates.json").read_text(encoding="utf-8"))
    roles: dict[str, str] = {}
    for t in templates:
        has_system = str(t.get("system") or "").strip().lower() not in _GENERIC_SYSTEMS
        roles[str(t["template_id"])] = "system" if has_system else "user"
    return roles


def attack_corpus(ext: Path, held_out: Collection[str] = (), *, role_copies: bool = True) -> Corpus:
    """The rendered pipeline prompts as turn rows: each ask turn positive for its family's detector.

    A prompt whose pipeline is in ``held_out`` is split ``test`` and contributes its ask turn as it was
    sent, in its role; otherwise ``train``, with the ask turn also in the other role when ``role_copies``
    (see ``training.load_corpus``) and the seed turn beside a system ask as a negative (unless the seed is
    a held-out ShareGPT turn). Source and group are ``real:<pipeline>``, so calibration holds back whole
    pipelines (``model.train_model``): templates of one pipeline share too much to stand for unseen ones.
    """
    owner, roles = pipelines(ext), _ask_roles(ext)
    rows: list[tuple[str, dict[str, int], str, str, str]] = []
    for r in _jsonl(ext / REAL_DIR / "attack_prompts.jsonl.gz"):
        if r.get("bare"):
            continue
        template, family = str(r["template_id"]), str(r["family"])
        if family not in DETECTORS:
            continue
        pipeline = owner[template]
        split = "test" if pipeline in held_out else "train"
        role, source = roles[template], f"real:{pipeline}"
        text, seed_turn = str(r.get(role) or ""), str(r.get("user") or "")
        if not text.strip():
            continue
        out_roles = (role,) if split == "test" or not role_copies else copy_roles(role, family == "elicitation")
        rows += [(turn_text(o, text), {family: 1}, split, source, source) for o in out_roles]
        seed = str(r.get("seed") or "")
        held_seed = seed.startswith("sharegpt:") and held_out_conversation(seed.removeprefix("sharegpt:"))
        if role == "system" and split == "train" and seed_turn.strip() and not held_seed:
            rows.append((turn_text("user", seed_turn), {}, split, source, f"{source}:seed"))
    return corpus_of(rows)


def fold_training_rows(corpus: Corpus, pipeline: str) -> npt.NDArray[np.intp]:
    """The rows a leave-one-pipeline-out fold trains on: the train split, with none of ``pipeline``'s prompts."""
    held_source = f"real:{pipeline}"
    rows = [i for i, (s, src) in enumerate(zip(corpus.splits, corpus.sources, strict=True))
            if s == "train" and src != held_source]  # fmt: skip
    return np.array(rows, dtype=np.intp)


def attack_requests(ext: Path) -> list[dict[str, object]]:
    """The rendered prompts as whole requests (system, user, family, pipeline, bare) for request-level scoring."""
    owner = pipelines(ext)
    return [
        {
            "system": str(r.get("system") or ""),
            "user": str(r.get("user") or ""),
            "family": str(r["family"]),
            "pipeline": owner[str(r["template_id"])],
            "bare": bool(r.get("bare")),
        }
        for r in _jsonl(ext / REAL_DIR / "attack_prompts.jsonl.gz")
    ]


def sharegpt_corpus(ext: Path, *, system_share: int = 4) -> Corpus:
    """ShareGPT user turns as negatives: split ``heldout`` or ``train`` by conversation.

    Training turns of :data:`LONG_CHARS` or more appear six times. Every ``system_share``-th training turn
    (by hash) is also a system-role negative: people paste long
    role-play set-ups and instructions there too, and an ask learned in both roles must not make every
    long system text look like one.
    """
    rows: list[tuple[str, dict[str, int], str, str, str]] = []
    for r in _jsonl(ext / REAL_DIR / "sharegpt_benign_prompts.jsonl.gz"):
        sid, text = str(r["sharegpt_id"]), str(r["text"])
        if not text.strip():
            continue
        conv = sid.rsplit("_", 1)[0]
        split = "heldout" if held_out_conversation(sid) else "train"
        # Long turns count six times in training: they are the hard negatives a length-led model flags.
        copies = 6 if split == "train" and len(text) >= LONG_CHARS else 1
        rows += [(turn_text("user", text), {}, split, "sharegpt", f"sharegpt:{conv}")] * copies
        if split == "train" and int(hashlib.sha256(sid.encode()).hexdigest()[:8], 16) % system_share == 0:
            rows.append((turn_text("system", text), {}, split, "sharegpt", f"sharegpt:{conv}"))
    return corpus_of(rows)
