"""Real English text for the transformer test bed, and a byte-level BPE tokenizer trained on it.

The text is read at build time from the shared external data folder (never shipped, never
downloaded): assistant turns of the Anthropic HH-RLHF harmless-base test split and GSM8K worked
answers teach the teacher to answer; ShareGPT user turns (outside the project's held-out fifth)
are the student base's different pretraining text; the first human turns of HH-RLHF and the
Open Assistant prompts are the prompts, split by hash into the distiller's queries and the
audit's own prompts so that the audit never asks what the student was trained on. Without the
shared folder the project's synthetic grammar corpus stands in, and :attr:`Texts.source` says so.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from distillshield.respond.watermark.base import require_torch

ENV = "DISTILLSHIELD_SHARED"  # the shared data folder, when it is not ../shared
EXTERNAL = Path("data/external")
HUMAN, ASSISTANT = "Human: ", "Assistant:"
END = "<|end|>"


@dataclass(frozen=True, slots=True)
class Texts:
    """The bed's text: teacher dialogues, the student base's text, and the two prompt sets."""

    teacher: tuple[str, ...]
    base: tuple[str, ...]
    distill_prompts: tuple[str, ...]
    audit_prompts: tuple[str, ...]
    source: str


def chat(prompt: str, reply: str = "") -> str:
    """The bed's chat format: the prompt, then the reply (empty when the model is to write it)."""
    return f"{HUMAN}{prompt.strip()}\n\n{ASSISTANT}{' ' + reply.strip() if reply else ''}"


def external_root() -> Path | None:
    """The shared external data folder, if this machine has one."""
    roots = [Path(os.environ[ENV])] if os.environ.get(ENV) else []
    here = Path(__file__).resolve()
    roots += [Path.cwd().parent / "shared", Path.cwd() / "shared", here.parents[4].parent / "shared"]
    return next((r / EXTERNAL for r in roots if (r / EXTERNAL / "hh-rlhf-harmless-base-test").is_dir()), None)


def _audit_side(text: str) -> bool:
    # A fifth of the prompts, by hash, belong to the audit; the distiller never sends them.
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16) % 5 == 0


def _dialogues(root: Path) -> Iterator[list[tuple[str, str]]]:
    with gzip.open(root / "hh-rlhf-harmless-base-test" / "test.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            parts = re.split(r"\n\n(Human|Assistant): ", json.loads(line)["chosen"])
            yield [(parts[i], parts[i + 1].strip()) for i in range(1, len(parts) - 1, 2)]


def _short(text: str, limit: int = 300) -> bool:
    return 3 <= len(text) <= limit and "\n" not in text


def real_texts(root: Path) -> Texts:
    """The bed's text from the shared external data folder ``root``."""
    teacher, prompts = [], []
    for turns in _dialogues(root):
        pairs = zip(turns, turns[1:], strict=False)
        teacher += [chat(h, a) for (r1, h), (r2, a) in pairs if r1 == "Human" and r2 == "Assistant"]
        if turns and turns[0][0] == "Human" and _short(turns[0][1]):
            prompts.append(turns[0][1])
    with (root / "gsm8k" / "test.jsonl").open(encoding="utf-8") as f:
        gsm = [json.loads(line) for line in f]
    teacher += [chat(r["question"], re.sub(r"<<[^>]*>>", "", r["answer"])) for r in gsm]
    for name in ("en_100_text.jsonl", "prompt_lottery_en_250_text.jsonl"):
        lines = (root / "open-assistant-prompts" / name).read_text(encoding="utf-8").splitlines()
        prompts += [p for p in (json.loads(x) for x in lines if x.strip()) if isinstance(p, str) and _short(p)]
    unique = sorted(set(prompts))
    return Texts(
        teacher=tuple(teacher),
        base=_sharegpt(root),
        distill_prompts=tuple(p for p in unique if not _audit_side(p)),
        audit_prompts=tuple(p for p in unique if _audit_side(p)),
        source="hh-rlhf harmless-base test + gsm8k test (teacher), sharegpt user turns (base)",
    )


def _sharegpt(root: Path) -> tuple[str, ...]:
    from distillshield.simulate.realtext import held_out

    path = root / "real-distillation-prompts" / "sharegpt_benign_prompts.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    return tuple(r["text"] for r in rows if not held_out(r["sharegpt_id"]) and 20 <= len(r["text"]) <= 2000)


def synthetic_texts() -> Texts:
    """The stand-in when no shared data is present: the project's seeded grammar corpus."""
    from distillshield.provenance.corpus import generate_corpus

    sentences = [s.strip() + " ." for s in generate_corpus(60_000, seed=11).split(" .") if s.strip()]
    prompts = sorted(set(" ".join(s.split()[:4]) for s in sentences[:6000]))
    return Texts(
        teacher=tuple(chat(a, b) for a, b in zip(sentences[0::2], sentences[1::2], strict=False)),
        base=tuple(generate_corpus(40_000, seed=12).split(" . ")),
        distill_prompts=tuple(p for p in prompts if not _audit_side(p)),
        audit_prompts=tuple(p for p in prompts if _audit_side(p)),
        source="synthetic grammar corpus (no shared data folder found)",
    )


def load_texts() -> Texts:
    root = external_root()
    return real_texts(root) if root is not None else synthetic_texts()


def train_tokenizer(texts: Sequence[str], vocab_size: int, path: Path) -> Any:
    """A byte-level BPE ``tokenizers.Tokenizer`` with ``vocab_size`` tokens, saved to ``path``."""
    require_torch()
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[END],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts, trainer=trainer)
    tokenizer.save(str(path))
    return tokenizer
