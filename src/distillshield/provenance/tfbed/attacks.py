"""What a distiller can do to the teacher's answers before training on them, to wash a watermark out.

Each attack maps the teacher's replies (token ids) to the texts the student is trained on:

* ``substitute``: replace a fraction of tokens by uniformly random ones (the crudest edit).
* ``paraphrase``: a second, unwatermarked model rewrites a fraction of the tokens, each drawn from
  its own next-token distribution given the reply so far (a local, fluent paraphrase; a tiny model
  cannot rewrite whole sentences, so this stands in for sentence-level paraphrasing).
* mixing with unwatermarked human text and second-generation distillation need no function here:
  :meth:`Bed.distill` takes ``extra`` texts, and a student's own replies can be distilled again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from distillshield.respond.watermark.base import require_torch


def substitute(replies: Sequence[Sequence[int]], fraction: float, vocab_size: int, *, seed: int) -> list[list[int]]:
    """Each reply with ``fraction`` of its tokens replaced by uniformly random token ids."""
    rng = np.random.default_rng(seed)
    out = []
    for reply in replies:
        edited = list(reply)
        for i in rng.choice(len(edited), int(round(fraction * len(edited))), replace=False):
            edited[int(i)] = int(rng.integers(0, vocab_size))
        out.append(edited)
    return out


def paraphrase(
    model: Any,
    prompts: Sequence[Sequence[int]],
    replies: Sequence[Sequence[int]],
    fraction: float,
    *,
    seed: int,
) -> list[list[int]]:
    """Each reply with ``fraction`` of its tokens resampled by ``model`` given the prompt and reply before it."""
    torch = require_torch()
    gen = torch.Generator().manual_seed(seed)
    rng = np.random.default_rng(seed)
    out = []
    for prompt, reply in zip(prompts, replies, strict=True):
        ids = torch.tensor([[*prompt, *reply]], dtype=torch.long)
        with torch.no_grad():
            probs = torch.softmax(model(ids).logits[0, len(prompt) - 1 : -1].float(), dim=-1)
        edited = list(reply)
        for i in rng.choice(len(edited), int(round(fraction * len(edited))), replace=False):
            edited[int(i)] = int(torch.multinomial(probs[int(i)], 1, generator=gen))
        out.append(edited)
    return out
