"""Radioactivity (Sander et al., NeurIPS 2024): was the suspect trained on the protected model's watermarked text?

Two settings:

* **black box**: the audit sends its own prompts to the suspect's chat endpoint and scores the
  replies with every watermark key. Each (window, token) tuple is scored once across the whole
  corpus of replies, and tuples that occur in the prompts are excluded, so neither repetition nor
  copying of the prompt can make a clean model look radioactive.
* **open weights**: the suspect reads the provider's own watermarked texts (teacher forcing); its
  top-1 next-token prediction at each position is scored with the text's own window.

Under the null hypothesis (the suspect's outputs do not depend on the key) each scored tuple is
green with probability gamma (or has -log(1-r) ~ Exp(1)), so the pooled p-value is exact. With
several keys (rotation) the smallest p-value is multiplied by the number of keys.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from distillshield.errors import InputError, Location
from distillshield.provenance.client import ChatModel
from distillshield.provenance.findings import Finding
from distillshield.respond.watermark.base import ScoringTape, WatermarkScheme, bonferroni, exclude_prompt, windows

#: Text -> token ids with the tokenizer the watermark keys belong to.
Tokenize = Callable[[str], Sequence[int]]
#: Token ids of a text -> the suspect's top-1 prediction after each prefix ids[: i + 1].
TopOne = Callable[[Sequence[int]], Sequence[int]]

ASSUMPTIONS = (
    "The watermark keys are secret and were never used to generate the suspect's prompts or answers "
    "except through the protected model's outputs.",
    "Under the null hypothesis each distinct scored (window, token) tuple is green with probability "
    "gamma independently (greenlist) or has -log(1 - r) ~ Exp(1) (gumbel), over the draw of the key.",
    "Each (window, token) tuple is scored once across the whole corpus and tuples in the prompts are "
    "excluded; the query budget was fixed before the first query (no optional stopping).",
)
FALSIFIED_BY = (
    "Scoring the same suspect outputs with many freshly generated keys: if the p-values are not "
    "uniform (or this key is not an outlier among them), the test is not evidence."
)


@dataclass(slots=True)
class _Pool:
    """Running totals for one key across a corpus."""

    scheme: WatermarkScheme
    n: int = 0
    score: float = 0.0

    def add(self, fresh: Sequence[tuple[int, ...]]) -> None:
        self.n += len(fresh)
        self.score += self.scheme.score_windows(fresh)

    def summary(self) -> dict[str, object]:
        return {
            "key_id": self.scheme.key_id,
            "scheme": self.scheme.name,
            "tokens_scored": self.n,
            "score": self.score,
            "z": self.scheme.z_score(self.score, self.n),
            "p_value": self.scheme.p_value(self.score, self.n),
        }


@dataclass(slots=True)
class _Group:
    """Keys that cut text into the same windows share one tape, so each text is windowed once."""

    pools: list[_Pool]
    tape: ScoringTape = field(default_factory=ScoringTape)

    @property
    def scheme(self) -> WatermarkScheme:
        return self.pools[0].scheme

    def add(self, found: Sequence[tuple[int, ...]]) -> None:
        fresh = [w for w in found if self.tape.claim(w)]
        for pool in self.pools:
            pool.add(fresh)


def _groups(schemes: Sequence[WatermarkScheme]) -> list[_Group]:
    by_signature: dict[tuple[object, ...], _Group] = {}
    for scheme in schemes:
        by_signature.setdefault(scheme.window_signature(), _Group([])).pools.append(_Pool(scheme))
    return list(by_signature.values())


def _finding(test: str, groups: Sequence[_Group], tokens_read: int, setting: str, **extra: object) -> Finding:
    pools = [pool for group in groups for pool in group.pools]
    per_key = [p.summary() for p in pools]
    p_values = [float(p.scheme.p_value(p.score, p.n)) for p in pools]
    best = min(pools, key=lambda p: p.scheme.p_value(p.score, p.n))
    return Finding(
        test=test,
        status="ran",
        statistic_name="z (best key)",
        statistic=best.scheme.z_score(best.score, best.n),
        p_value=bonferroni(p_values),
        assumptions=ASSUMPTIONS,
        falsified_by=FALSIFIED_BY,
        details={
            "setting": setting,
            "tokens_read": tokens_read,
            "tokens_scored": best.n,
            "keys": per_key,
            **extra,
        },
    )


def black_box(
    suspect: ChatModel,
    schemes: Sequence[WatermarkScheme],
    tokenize: Tokenize,
    prompts: Sequence[str],
    *,
    max_tokens: int = 200,
    temperature: float = 1.0,
) -> Finding:
    """Query ``suspect`` once per prompt and pool the scores of all replies, per key."""
    groups = _groups(schemes)
    for prompt in prompts:
        prompt_ids = tokenize(prompt)
        for group in groups:
            exclude_prompt(group.scheme, group.tape, prompt_ids)
    read = 0
    for prompt in prompts:
        reply = tokenize(suspect.complete(prompt, max_tokens=max_tokens, temperature=temperature))
        read += len(reply)
        for group in groups:
            group.add(list(windows(group.scheme, reply)))
    return _finding("radioactivity.black_box", groups, read, "black-box", queries=len(prompts))


def open_weights(top_one: TopOne, schemes: Sequence[WatermarkScheme], texts: Sequence[Sequence[int]]) -> Finding:
    """Score the suspect's top-1 predictions while it reads the provider's watermarked ``texts``."""
    groups = _groups(schemes)
    read = 0
    for ids in texts:
        predicted = top_one(ids)
        read += len(ids)
        for group in groups:
            scheme, need = group.scheme, group.scheme.context_needed
            # predicted[i - 1] is the suspect's guess after ids[:i]; it is scored with the text's own window.
            group.add([scheme.window(ids[i - need : i], predicted[i - 1]) for i in range(max(need, 1), len(ids) + 1)])
    return _finding("radioactivity.open_weights", groups, read, "open-weights", texts=len(texts))


def transformers_top_one(model_dir: str) -> TopOne:
    """Load a local transformers causal LM (no download) and return its top-1 reader."""
    from distillshield.respond.watermark.base import require_torch

    torch = require_torch()
    from transformers import AutoModelForCausalLM

    try:
        model = AutoModelForCausalLM.from_pretrained(model_dir, local_files_only=True)
    except (OSError, ValueError) as exc:  # transformers' errors for a missing or foreign directory
        raise InputError(f"not a transformers model directory: {exc}", Location(Path(model_dir))) from exc
    model.train(False)

    def top_one(ids: Sequence[int]) -> Sequence[int]:
        with torch.no_grad():
            logits = model(torch.tensor([list(ids)], dtype=torch.long)).logits[0]
        return [int(t) for t in logits.argmax(dim=-1).tolist()]

    return top_one
