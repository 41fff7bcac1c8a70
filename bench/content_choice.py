"""Model choice for the content detectors, by measurement: lexical, MiniLM embedding heads, and both.

Used by ``bench/bench_content.py --embedding-sample N``. The same leave-one-pipeline-out protocol as the
lexical folds: for each pipeline, logistic heads over all-MiniLM-L6-v2 embeddings (the optional
``[embedding]`` extra) are trained on the other pipelines' prompts (each turn, role-tagged, as the lexical
model reads it) and N training ShareGPT turns, and scored on the pipeline's prompts (max over turns) and on
N held-out ShareGPT turns. Encoding every training turn of the lexical corpus was out of reach on a
two-core machine (MiniLM encodes a few prompts a second there), so the heads see only real data; the
lexical model's fold scores on the same prompts and the same N held-out turns sit beside them, and the
combination averages the two logits. Figures: recall at the threshold that flags 1% of the held-out
turns (threshold-free separability) and cost in prompts per second.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from distillshield.features.content import real
from distillshield.features.content.turns import pair_turns, turn_text

Scores = npt.NDArray[np.float64]
KEYS = ("lexical", "embedding", "both")
Embed = Callable[[Sequence[str]], npt.NDArray[np.float32]]


def by_hash(texts: Sequence[str]) -> list[str]:
    return sorted(set(texts), key=lambda t: hashlib.sha256(t.encode()).hexdigest())


def cached_embedder(cache: Path | None) -> tuple[Embed, list[float]]:
    """The extra's encoder, remembering vectors in ``cache`` (an .npz of texts and vectors) when given,
    and the measured encoding rate (texts per second) of the texts it had to encode."""
    from distillshield.features.content import embedding

    known: dict[str, npt.NDArray[np.float32]] = {}
    if cache is not None and cache.exists():
        with np.load(cache, allow_pickle=False) as data:
            known = dict(zip(data["texts"].tolist(), data["vecs"], strict=True))
    rates: list[float] = []

    def embed(texts: Sequence[str]) -> npt.NDArray[np.float32]:
        todo = [t for t in dict.fromkeys(texts) if t not in known]
        if todo:
            start = time.perf_counter()
            known.update(zip(todo, embedding.embed(todo), strict=True))
            rates.append(len(todo) / (time.perf_counter() - start))
            if cache is not None:
                np.savez(cache, texts=np.array(list(known)), vecs=np.stack(list(known.values())))
        return np.stack([known[t] for t in texts]) if texts else np.zeros((0, embedding.DIMENSIONS), np.float32)

    return embed, rates


def logit(p: Scores) -> Scores:
    q = np.clip(p, 1e-9, 1 - 1e-9)
    out: Scores = np.log(q / (1 - q))
    return out


def recall_at_1pct(positives: Scores, negatives: Scores) -> float:
    return float(np.mean(positives > np.quantile(negatives, 0.99)))


def compare(
    ext: Path, folds: Sequence[dict[str, object]], held_texts: Sequence[str], sample: int, embed: Embed
) -> list[dict[str, object]]:
    """Per (pipeline, family): recall at 1% FPR of lexical, embedding and combined scores, on the prompts
    of ``folds`` (the lexical bench's folds, whose ``negatives`` hold scores in ``held_texts`` order)."""
    from distillshield.features.content import embedding

    requests = [r for r in real.attack_requests(ext) if not r["bare"]]
    attacks = real.attack_corpus(ext)
    share = real.sharegpt_corpus(ext)
    train_neg = by_hash([t for t, s in zip(share.texts, share.splits, strict=True) if s == "train"])[:sample]
    index = {t: i for i, t in enumerate(held_texts)}
    tagged = {turn_text("user", t): t for t in held_texts}
    held = [tagged[t] for t in by_hash(list(tagged))[:sample]]
    held_at = np.array([index[t] for t in held], dtype=np.intp)
    negatives_x = embed([turn_text("user", t) for t in held])
    out = []
    for pipeline in sorted({str(f["pipeline"]) for f in folds}):
        rows = [i for i, s in enumerate(attacks.sources) if s != f"real:{pipeline}"]
        texts = [attacks.texts[i] for i in rows] + train_neg
        x = embed(texts)
        mine = [r for r in requests if r["pipeline"] == pipeline]
        turns = [[turn_text(t.role, t.text) for t in pair_turns(str(r["system"]), str(r["user"]))] for r in mine]
        test_x = embed([t for ts in turns for t in ts])
        owner = np.repeat(np.arange(len(mine)), [len(ts) for ts in turns])
        for f in (f for f in folds if f["pipeline"] == pipeline):
            family = str(f["family"])
            y = np.concatenate([attacks.labels[family][rows], np.zeros(len(train_neg), dtype=np.int64)])
            if not y.any():  # the family's only pipeline is held out: heads on real data alone have no positives
                out.append({"pipeline": pipeline, "family": family, "n": int(str(f["n"])), "lexical": f["recall_1pct"]})
                continue
            head = embedding.train_head(family, x, y)
            per_turn = head.probabilities(test_x)
            emb = np.zeros(len(mine))
            np.maximum.at(emb, owner, per_turn)
            pick = [i for i, r in enumerate(mine) if r["family"] == family]
            emb_pos, emb_neg = emb[pick], head.probabilities(negatives_x)
            lex_pos = np.asarray(f["scores"], dtype=np.float64)
            lex_neg = np.asarray(f["negatives"], dtype=np.float64)[held_at]
            both_pos, both_neg = (logit(lex_pos) + logit(emb_pos)) / 2, (logit(lex_neg) + logit(emb_neg)) / 2
            out.append(
                {
                    "pipeline": pipeline,
                    "family": family,
                    "n": len(pick),
                    "lexical": recall_at_1pct(lex_pos, lex_neg),
                    "embedding": recall_at_1pct(emb_pos, emb_neg),
                    "both": recall_at_1pct(both_pos, both_neg),
                }
            )
    return out


def table(rows: Sequence[dict[str, object]], sample: int, lexical_rate: float, embedding_rate: float) -> list[str]:
    lines = [
        f"Model choice (item 5): recall at the threshold that flags 1% of {sample} held-out ShareGPT turns, "
        "leave-one-pipeline-out; embedding heads trained on the other pipelines' prompts and "
        f"{sample} training ShareGPT turns only (see `bench/content_choice.py`).",
        "",
        "| held-out pipeline | family | n | lexical | MiniLM heads | lexical + MiniLM |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['pipeline']} | {r['family']} | {r['n']} | "
        + " | ".join(f"{float(str(r[k])):.2f}" if k in r else "n/a (no other pipeline)" for k in KEYS)
        + " |"
        for r in rows
    ]
    lines += [
        "",
        "| family (folds with a MiniLM head) | lexical | MiniLM heads | lexical + MiniLM |",
        "|---|---|---|---|",
    ]
    for family in sorted({str(r["family"]) for r in rows}):
        fs = [r for r in rows if r["family"] == family and "embedding" in r]
        if not fs:
            continue
        n = sum(int(str(r["n"])) for r in fs)
        pooled = [sum(float(str(r[k])) * int(str(r["n"])) for r in fs) / n for k in KEYS]
        lines.append(f"| {family} | " + " | ".join(f"{v:.2f}" for v in pooled) + " |")
    lines += [
        "",
        f"Cost, one process on this machine: lexical {lexical_rate:,.0f} prompts/s; MiniLM encoding "
        f"{embedding_rate:,.1f} prompts/s (CPU torch), so a combination costs what the embedding costs.",
    ]
    return lines
