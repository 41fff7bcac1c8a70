"""Content detectors on real prompts: leave-one-pipeline-out recall, held-out ShareGPT false positives.

Honest by construction: for each of the 11 public pipelines of ``real-distillation-prompts`` (grouped by
source repository, as ``SOURCES.md`` lists them), the detectors of that pipeline's families are retrained
without any of its prompts and scored on them as sent (every turn, max over turns); false positives are
counted on the held-out ShareGPT conversations (the project's split rule), which nothing trains or tunes
on. Bare questions with no wrapper are excluded from recall (no text detector can see them). The shipped
model (trained on everything but held-out conversations) gives the false-positive, length-bucket,
any-detector, reliability and speed figures; the previous shipped model (``--old``, a git revision) is
measured the same way beside it. Writes the ``bench-content`` block of ``bench/RESULTS.md``.

Usage: nice python bench/bench_content.py [--external DIR] [--old REV] [--no-lopo]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from distillshield.features.content import real
from distillshield.features.content.hashing import featurize
from distillshield.features.content.learned import score_turn_requests, shipped_model_path, shipped_models
from distillshield.features.content.model import ModelStack, load_models, prompt_text
from distillshield.features.content.training import DETECTORS, concat, load_corpus, train_rows
from distillshield.features.content.turns import Turn, pair_turns

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import machine, write_block  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BUCKETS = (
    (0, 100, "<100"),
    (100, 300, "100-300"),
    (300, 1000, "300-1k"),
    (1000, 3000, "1k-3k"),
    (3000, 1 << 62, ">3k"),
)
Scores = npt.NDArray[np.float64]


#: Which models were compared, and why the default is what it is.
MODEL_CHOICE = (
    "Model choice: the hashed lexical model stays the default (numpy only, no torch, thousands of prompts a "
    "second). Measured on the same folds at 1% FPR (`bench/bench_content_choice.py`, block "
    "`bench-content-choice`): static MiniLM token embeddings (model2vec) alone and beside the lexical features "
    "both generalised worse to unseen pipelines than the lexical features alone; full MiniLM sentence "
    "embeddings encode about 4 prompts/s on these 2 cores (block `embedding`), too slow to retrain and measure "
    "here and far too slow for the default scan."
)


def scores_of(stack: ModelStack, requests: Sequence[tuple[Turn, ...]]) -> npt.NDArray[np.float64]:
    return score_turn_requests(stack, requests)


def old_scores(path: Path, system: Sequence[str], user: Sequence[str]) -> tuple[tuple[str, ...], Scores]:
    """The previous model as it scored: one joint text of the system prompt and the last user turn."""
    try:
        stack = ModelStack(list(load_models(path).values()))
    except Exception:  # an old model of another format: nothing to compare
        return (), np.zeros((len(user), 0))
    return stack.names, stack.score_texts([prompt_text(s, u) for s, u in zip(system, user, strict=True)])


def lopo(ext: Path) -> list[dict[str, object]]:
    """Per (pipeline, family): recall at 0.5 and at the threshold giving 1% FPR on held-out ShareGPT."""
    base = load_corpus().subset("train")
    share = real.sharegpt_corpus(ext)
    attacks = real.attack_corpus(ext)
    corpus = concat(base, attacks, share)
    print(f"featurising {len(corpus.texts)} turns", file=sys.stderr)
    features = featurize(corpus.texts)
    requests = [r for r in real.attack_requests(ext) if not r["bare"]]
    held = [i for i, s in enumerate(corpus.splits) if s == "heldout"]
    held_turns = [(Turn("user", corpus.texts[i].split(": ", 1)[1]),) for i in held]
    out = []
    for pipeline in sorted({str(r["pipeline"]) for r in requests}):
        mine = [r for r in requests if r["pipeline"] == pipeline]
        families = sorted({str(r["family"]) for r in mine})
        rows = real.fold_training_rows(corpus, pipeline)
        start = time.perf_counter()
        stack = ModelStack(train_rows(corpus, features, rows, families))
        print(f"{pipeline}: trained {families} in {time.perf_counter() - start:.0f}s", file=sys.stderr)
        test = scores_of(stack, [pair_turns(str(r["system"]), str(r["user"])) for r in mine])
        negatives = scores_of(stack, held_turns)
        for j, family in enumerate(families):
            p = test[[i for i, r in enumerate(mine) if r["family"] == family], j]
            at_1pct = float(np.quantile(negatives[:, j], 0.99))
            out.append({"pipeline": pipeline, "family": family, "n": len(p), "recall": float(np.mean(p >= 0.5)),
                        "recall_1pct": float(np.mean(p > at_1pct)), "fpr": float(np.mean(negatives[:, j] >= 0.5)),
                        "scores": p})  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--external", type=Path, default=ROOT.parent / "shared" / "data" / "external")
    parser.add_argument("--old", default="6eaf802", help="git revision whose content.npz is the old model")
    parser.add_argument("--no-lopo", action="store_true", help="skip the retraining folds (minutes)")
    args = parser.parse_args()
    ext = args.external
    share = real.sharegpt_corpus(ext)
    held_texts = [t.split(": ", 1)[1] for t, s in zip(share.texts, share.splits, strict=True) if s == "heldout"]
    lengths = np.array([len(t) for t in held_texts])
    stack = ModelStack(list(shipped_models().values()))
    held_requests = [(Turn("user", t),) for t in held_texts]
    start = time.perf_counter()
    new = scores_of(stack, held_requests)
    rate = len(held_texts) / (time.perf_counter() - start)
    with tempfile.TemporaryDirectory() as tmp:
        old_path = Path(tmp) / "old.npz"
        rel = shipped_model_path().relative_to(ROOT)
        shown = subprocess.run(["git", "show", f"{args.old}:{rel}"], cwd=ROOT, capture_output=True, check=True)
        old_path.write_bytes(shown.stdout)
        old_names, old = old_scores(old_path, [""] * len(held_texts), held_texts)
        requests = real.attack_requests(ext)
        old_system, old_user = [str(r["system"]) for r in requests], [str(r["user"]) for r in requests]
        old_names, old_attack = old_scores(old_path, old_system, old_user)
        start = time.perf_counter()
        old_scores(old_path, [""] * len(held_texts), held_texts)
        old_rate = len(held_texts) / (time.perf_counter() - start)
    attack_new = scores_of(stack, [pair_turns(str(r["system"]), str(r["user"])) for r in requests])
    lines = [f"Measured by `bench/bench_content.py` on {machine()}; {len(held_texts)} held-out ShareGPT user turns "
             f"(conversations held out by the project's rule), {sum(not r['bare'] for r in requests)} non-bare real "
             "pipeline prompts (`real-distillation-prompts`). Old = the model shipped before issue 14 (system prompt "
             "and last user turn as one text), new = the shipped model (every turn, max over turns).", ""]  # fmt: skip
    lines += ["| detector | FPR held-out ShareGPT old | new | " + " | ".join(f"new FPR {b[2]}" for b in BUCKETS) + " |",
              "|---|---|---|" + "---|" * len(BUCKETS)]  # fmt: skip
    for j, name in enumerate(stack.names):
        o = f"{np.mean(old[:, old_names.index(name)] >= 0.5):.2%}" if name in old_names else "n/a"
        masks = [(lengths >= lo) & (lengths < hi) for lo, hi, _ in BUCKETS]
        buckets = [f"{np.mean(new[m, j] >= 0.5):.2%} (n={int(m.sum())})" for m in masks]
        lines.append(f"| {name} | {o} | {np.mean(new[:, j] >= 0.5):.2%} | " + " | ".join(buckets) + " |")
    any_old = float(np.mean((old >= 0.5).any(axis=1))) if old.size else float("nan")
    any_new = float(np.mean((new >= 0.5).any(axis=1)))
    lines += ["", f"Any detector flags {any_new:.2%} of held-out ShareGPT turns (old model: {any_old:.2%}).",
              f"Speed, batched over the held-out turns, one process: new {rate:,.0f} prompts/s, "
              f"old {old_rate:,.0f} prompts/s.", ""]  # fmt: skip
    # In-sample recall of the shipped model on every pipeline (it trained on them: an upper bound, not a test).
    lines += ["Shipped model on all non-bare pipeline prompts (in-sample for the new model; the old never saw them):",
              "",
              "| family | n | old recall | new recall (in-sample) |", "|---|---|---|---|"]  # fmt: skip
    for family in DETECTORS:
        idx = [i for i, r in enumerate(requests) if r["family"] == family and not r["bare"]]
        j = stack.names.index(family)
        o = f"{np.mean(old_attack[idx, old_names.index(family)] >= 0.5):.2f}" if family in old_names else "n/a"
        lines.append(f"| {family} | {len(idx)} | {o} | {np.mean(attack_new[idx, j] >= 0.5):.2f} |")
    if not args.no_lopo:
        folds = lopo(ext)
        lines += ["", "Leave-one-pipeline-out (retrained without the pipeline, scored on its prompts as sent):", "",
                  "| held-out pipeline | family | n | recall @0.5 | recall @1% FPR | fold FPR @0.5 |",
                  "|---|---|---|---|---|---|"]  # fmt: skip
        for f in folds:
            lines.append(f"| {f['pipeline']} | {f['family']} | {f['n']} | {f['recall']:.2f} | "
                         f"{f['recall_1pct']:.2f} | {f['fpr']:.2%} |")  # fmt: skip
        lines += ["", "| family | pooled LOPO recall @0.5 | @1% FPR |", "|---|---|---|"]
        for family in DETECTORS:
            fs = [f for f in folds if f["family"] == family]
            if fs:
                n = sum(int(f["n"]) for f in fs)  # type: ignore[call-overload]
                r5 = sum(float(f["recall"]) * int(f["n"]) for f in fs) / n  # type: ignore[call-overload]
                r1 = sum(float(f["recall_1pct"]) * int(f["n"]) for f in fs) / n  # type: ignore[call-overload]
                lines.append(f"| {family} | {r5:.2f} | {r1:.2f} |")
        # Reliability: LOPO positives beside held-out ShareGPT negatives, per score bin, all detectors pooled.
        p = np.concatenate([np.asarray(f["scores"]) for f in folds] + [new[:, j] for j in range(len(stack.names))])
        y = np.concatenate([np.ones(sum(int(f["n"]) for f in folds))] + [np.zeros(len(new))] * len(stack.names))  # type: ignore[call-overload]
        lines += ["", "Reliability (LOPO positives and held-out ShareGPT negatives, all detectors pooled):", "",
                  "| score bin | n | mean score | observed positive rate |", "|---|---|---|---|"]  # fmt: skip
        edges = np.minimum((p * 10).astype(int), 9)
        for b in range(10):
            m = edges == b
            if m.any():
                row = f"| {b / 10:.1f}-{(b + 1) / 10:.1f} | {int(m.sum())} | {p[m].mean():.3f} | {y[m].mean():.3f} |"
                lines.append(row)
    lines += ["", MODEL_CHOICE]
    body = "## Content detectors on real prompts (issue 14)\n\n" + "\n".join(lines)
    print(body)
    write_block("bench-content", body)


if __name__ == "__main__":
    main()
