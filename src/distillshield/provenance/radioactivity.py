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

import numpy as np
from scipy import stats

from distillshield.errors import InputError, Location
from distillshield.provenance.client import ChatModel
from distillshield.provenance.findings import Finding
from distillshield.respond.watermark.base import ScoringTape, WatermarkScheme, bonferroni, exclude_prompt, windows

#: Text -> token ids with the tokenizer the watermark keys belong to.
Tokenize = Callable[[str], Sequence[int]]
#: Token ids of a text -> the suspect's top-1 prediction after each prefix ids[: i + 1].
TopOne = Callable[[Sequence[int]], Sequence[int]]

#: Decoy keys are drawn from a fixed seed, so an audit is reproducible; they need not be secret.
DECOY_SEED = 20_261_203
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
    #: A decoy key, never used by the provider: its p-values measure the null on this very corpus.
    decoy: bool = False

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


def _groups(schemes: Sequence[WatermarkScheme], decoys: int = 0) -> list[_Group]:
    by_signature: dict[tuple[object, ...], _Group] = {}
    rng = np.random.default_rng(DECOY_SEED)
    for scheme in schemes:
        by_signature.setdefault(scheme.window_signature(), _Group([])).pools.append(_Pool(scheme))
    for scheme in schemes[:1]:
        for i in range(decoys):
            decoy = _decoy(scheme, rng, i)
            by_signature.setdefault(decoy.window_signature(), _Group([])).pools.append(_Pool(decoy, decoy=True))
    return list(by_signature.values())


def _decoy(scheme: WatermarkScheme, rng: np.random.Generator, index: int) -> WatermarkScheme:
    """The same scheme and parameters under a fresh random key."""
    from distillshield.respond.watermark.keys import SCHEMES

    params = dict(scheme.params())
    name = {"greenlist": "hashing_key", "gumbel": "key", "synthid": "keys"}[scheme.name]
    if name == "keys":
        params[name] = [int(k) for k in rng.integers(1, 2**48, len(params[name]))]
    else:
        params[name] = int(rng.integers(1, 2**62))
    built: WatermarkScheme = SCHEMES[scheme.name](vocab_size=scheme.vocab_size, key_id=f"decoy-{index}", **params)
    return built


def _measured_null(decoys: Sequence[_Pool], best_p: float) -> dict[str, float]:
    p = np.array([d.scheme.p_value(d.score, d.n) for d in decoys])
    return {
        "decoy_keys": float(len(p)),
        "decoys_below_1e-3": float((p < 1e-3).sum()),
        "median_decoy_p": float(np.median(p)),
        "smallest_decoy_p": float(p.min()),
        "ks_p_not_too_small": float(stats.kstest(p, "uniform", alternative="greater").pvalue),
        "empirical_p": float((1 + (p <= best_p).sum()) / (1 + len(p))),
    }


def _finding(test: str, groups: Sequence[_Group], tokens_read: int, setting: str, **extra: object) -> Finding:
    everything = [pool for group in groups for pool in group.pools]
    pools = [pool for pool in everything if not pool.decoy]
    decoys = [pool for pool in everything if pool.decoy]
    per_key = [p.summary() for p in pools]
    p_values = [float(p.scheme.p_value(p.score, p.n)) for p in pools]
    best = min(pools, key=lambda p: p.scheme.p_value(p.score, p.n))
    assumptions: tuple[str, ...] = ASSUMPTIONS
    if decoys:
        null = _measured_null(decoys, min(p_values))
        extra = {**extra, "measured_null": null}
        assumptions = (
            *ASSUMPTIONS,
            f"Measured null: the same replies scored with {len(decoys)} decoy keys of the first key's scheme "
            f"gave {null['decoys_below_1e-3']:.0f} p-values below 1e-3 (median {null['median_decoy_p']:.2g}); "
            f"the key's rank among them gives the assumption-free p-value {null['empirical_p']:.3g}.",
        )
    return Finding(
        test=test,
        status="ran",
        statistic_name="z (best key)",
        statistic=best.scheme.z_score(best.score, best.n),
        p_value=bonferroni(p_values),
        assumptions=assumptions,
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
    decoys: int = 0,
) -> Finding:
    """Query ``suspect`` once per prompt and pool the scores of all replies, per key.

    ``decoys`` fresh random keys of the first key's scheme score the same replies: their p-values
    are the null measured on this suspect's own outputs, reported beside the key's.
    """
    groups = _groups(schemes, decoys)
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


def open_weights(
    top_one: TopOne, schemes: Sequence[WatermarkScheme], texts: Sequence[Sequence[int]], *, decoys: int = 0
) -> Finding:
    """Score the suspect's top-1 predictions while it reads the provider's watermarked ``texts``."""
    groups = _groups(schemes, decoys)
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
