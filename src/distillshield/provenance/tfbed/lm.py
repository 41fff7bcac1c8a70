"""Small decoder-only transformers for the test bed: configuration, training, caching and generation.

Models are transformers' ``GPT2LMHeadModel`` built from a config (no pretrained weights). Each
trained model is cached under ``cache / f"{name}-{digest}"``, the digest being the SHA-256 of
everything that determines it (its config, its training text's digest and its parent's digest),
so a changed setting retrains and an unchanged one loads in a second.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from distillshield.respond.watermark.base import require_torch

#: What a training run reports after each step: (step, steps, loss).
Progress = Callable[[int, int, float], None]


@dataclass(frozen=True, slots=True)
class LMConfig:
    """Architecture and training schedule of one model; every field enters the cache key."""

    d_model: int = 128
    layers: int = 2
    heads: int = 4
    context: int = 256
    steps: int = 400
    batch: int = 16
    lr: float = 2e-3
    seed: int = 0

    def digest(self, *parts: str) -> str:
        raw = json.dumps([asdict(self), *parts], sort_keys=True).encode()
        return hashlib.sha256(raw).hexdigest()[:16]


def text_digest(sequences: Sequence[Sequence[int]]) -> str:
    h = hashlib.sha256()
    for seq in sequences:
        h.update(np.asarray(seq, dtype=np.int32).tobytes() + b"|")
    return h.hexdigest()[:16]


def new_model(config: LMConfig, vocab_size: int, end_id: int) -> Any:
    """A freshly initialised GPT-2-style model (seeded by ``config.seed``)."""
    torch = require_torch()
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(config.seed)
    gpt = GPT2Config(
        vocab_size=vocab_size,
        n_positions=config.context,
        n_embd=config.d_model,
        n_layer=config.layers,
        n_head=config.heads,
        bos_token_id=end_id,
        eos_token_id=end_id,
        pad_token_id=end_id,
    )
    return GPT2LMHeadModel(gpt)


def _blocks(sequences: Sequence[Sequence[int]], end_id: int, length: int) -> Any:
    # Texts are joined with the end token and cut into equal blocks (packing: no padding to learn).
    torch = require_torch()
    flat = [t for seq in sequences for t in (*seq, end_id)]
    n = max(1, len(flat) // length)
    flat = (flat * (1 + n * length // max(len(flat), 1)))[: n * length]
    return torch.tensor(flat, dtype=torch.long).view(n, length)


def train(
    model: Any,
    sequences: Sequence[Sequence[int]],
    config: LMConfig,
    end_id: int,
    *,
    progress: Progress | None = None,
) -> Any:
    """Train ``model`` on ``sequences`` for ``config.steps`` AdamW steps (cosine decay), in place."""
    torch = require_torch()
    blocks = _blocks(sequences, end_id, config.context)
    gen = torch.Generator().manual_seed(config.seed)
    opt = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(config.steps, 1))
    model.train(True)
    for step in range(config.steps):
        batch = blocks[torch.randint(0, blocks.shape[0], (config.batch,), generator=gen)]
        loss = model(input_ids=batch, labels=batch).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        if progress is not None:
            progress(step + 1, config.steps, float(loss))
    model.train(False)
    return model


def cached(cache: Path, name: str, digest: str, build: Callable[[], Any]) -> Any:
    """Load the model cached as ``name-digest`` under ``cache``, or build, save and return it."""
    from transformers import GPT2LMHeadModel

    folder = cache / f"{name}-{digest}"
    if (folder / "config.json").is_file():
        model = GPT2LMHeadModel.from_pretrained(folder, local_files_only=True)
        model.train(False)
        return model
    model = build()
    model.save_pretrained(folder)
    return model


def generate(
    model: Any,
    prompts: Sequence[Sequence[int]],
    n_tokens: int,
    *,
    seed: int,
    temperature: float = 1.0,
    watermark: Any = None,
    batch: int = 64,
) -> list[list[int]]:
    """Sample up to ``n_tokens`` after each prompt with ``model.generate``, watermarked by ``watermark``.

    A scheme with ``watermarking_config()`` (green list, SynthID) goes through
    ``generate(watermarking_config=...)``; the Gumbel scheme through ``logits_processor=[...]``.
    Prompts are left-padded in batches. Each reply stops at the model's end token (its
    ``eos_token_id``), which is not part of the returned reply: what the model wrote after its
    answer ended is never returned, trained on or scored.
    """
    torch = require_torch()
    from transformers import LogitsProcessorList

    kwargs: dict[str, Any] = {}
    if watermark is not None and hasattr(watermark, "watermarking_config"):
        kwargs["watermarking_config"] = watermark.watermarking_config()
    elif watermark is not None:
        kwargs["logits_processor"] = LogitsProcessorList([watermark.logits_processor()])
    greedy = temperature < 1e-2
    sampling = {"do_sample": False} if greedy else {"do_sample": True, "temperature": temperature, "top_k": 0}
    pad, end = int(model.config.pad_token_id), int(model.config.eos_token_id)
    out: list[list[int]] = []
    torch.manual_seed(seed)
    for start in range(0, len(prompts), batch):
        chunk = [list(p) for p in prompts[start : start + batch]]
        width = max(len(p) for p in chunk)
        ids = torch.tensor([[pad] * (width - len(p)) + p for p in chunk], dtype=torch.long)
        mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in chunk], dtype=torch.long)
        with torch.no_grad():
            rows = model.generate(
                input_ids=ids,
                attention_mask=mask,
                max_new_tokens=n_tokens,
                eos_token_id=end,
                pad_token_id=pad,
                **sampling,
                **kwargs,
            )
        out += [until_end(r[width:].tolist(), end) for r in rows]
    return out


def until_end(ids: Sequence[int], end: int) -> list[int]:
    """``ids`` up to (not including) the first ``end`` token: a finished row is padded after it."""
    ids = list(ids)
    return ids[: ids.index(end)] if end in ids else ids


def top_one(model: Any) -> Callable[[Sequence[int]], Sequence[int]]:
    """The open-weights reader: the model's top-1 next token after each prefix of a text."""
    torch = require_torch()

    def read(ids: Sequence[int]) -> Sequence[int]:
        if len(ids) > int(model.config.n_positions):
            raise ValueError(f"a text of {len(ids)} tokens is longer than the model's {model.config.n_positions}")
        with torch.no_grad():
            logits = model(torch.tensor([list(ids)], dtype=torch.long)).logits[0]
        return [int(t) for t in logits.argmax(dim=-1).tolist()]

    return read
