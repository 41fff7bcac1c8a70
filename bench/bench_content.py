"""Content detectors on real prompts: leave-one-pipeline-out recall, held-out ShareGPT false positives.

Honest by construction: for each of the 11 public pipelines of ``real-distillation-prompts`` (grouped by
source repository, as ``SOURCES.md`` lists them), the detectors of that pipeline's families are retrained
without any of its prompts and scored on them as sent (every turn, max over turns); false positives are
counted on the held-out ShareGPT conversations (the project's split rule), which nothing trains or tunes
on. Bare questions with no wrapper are excluded from recall (no text detector can see them). The shipped
model (trained on everything but held-out conversations) gives the false-positive, length-bucket,
any-detector, reliability and speed figures; the previous shipped model (``--old``, a git revision) is
measured the same way beside it. Writes the ``bench-content`` block of ``bench/RESULTS.md``.

Usage: nice python bench/bench_content.py [--external DIR] [--old REV] [--previous REV] [--no-lopo] [--jobs N]
       [--folds-cache PKL] [--embedding-sample N [--embedding-cache NPZ]]
"""

from __future__ import annotations

import argparse
import multiprocessing
import pickle
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import cast

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from distillshield.features.content import real
from distillshield.features.content.hashing import featurize
from distillshield.features.content.learned import score_turn_requests, shipped_model_path, shipped_models
from distillshield.features.content.model import ModelStack, load_models, prompt_text
from distillshield.features.content.training import DETECTORS, Corpus, concat, load_corpus, train_rows
from distillshield.features.content.turns import Turn, pair_turns, turn_text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from content_choice import cached_embedder, compare, table  # noqa: E402
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
    "Model choice: the retrained hashed lexical model stays the default (numpy only, no torch; thousands of "
    "prompts a second). Beside it, measured above with the same folds: MiniLM heads (the optional `[embedding]` "
    "extra) trained on real data only. They carry reasoning-elicitation system prompts across pipelines far "
    "better (Orca/Sensei and LIMO system messages, whose words the lexical model never saw), and judges and "
    "instruction synthesis worse; averaging the two logits keeps most of each. The encoder costs three to four "
    "orders of magnitude more per prompt on CPU, so it is not the default. The shipped embedding heads "
    "(`data/models/embedding_heads.npz`) are not retrained on the new data: encoding the ~20,000 training turns "
    "at this machine's rate was out of reach."
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


_FOLD_DATA: dict[str, object] = {}  # set before the fold workers fork: they read it, copy-on-write


def lopo(ext: Path, jobs: int = 1) -> list[dict[str, object]]:
    """Per (pipeline, family): recall at 0.5 and at the threshold giving 1% FPR on held-out ShareGPT."""
    corpus = concat(load_corpus().subset("train"), real.attack_corpus(ext), real.sharegpt_corpus(ext))
    print(f"featurising {len(corpus.texts)} turns", file=sys.stderr)
    requests = [r for r in real.attack_requests(ext) if not r["bare"]]
    held = [i for i, s in enumerate(corpus.splits) if s == "heldout"]
    _FOLD_DATA.update(corpus=corpus, features=featurize(corpus.texts), requests=requests,
                      held_turns=[(Turn("user", corpus.texts[i].split(": ", 1)[1]),) for i in held])  # fmt: skip
    pipelines = sorted({str(r["pipeline"]) for r in requests})
    if jobs <= 1:
        return [f for p in pipelines for f in _fold(p)]
    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
        return [f for folds in pool.map(_fold, pipelines) for f in folds]


def _fold(pipeline: str) -> list[dict[str, object]]:
    corpus, features = cast(Corpus, _FOLD_DATA["corpus"]), cast(sp.csr_matrix, _FOLD_DATA["features"])
    requests = cast(list[dict[str, object]], _FOLD_DATA["requests"])
    mine = [r for r in requests if r["pipeline"] == pipeline]
    families = sorted({str(r["family"]) for r in mine})
    # Honest: the pipeline's rendered prompts and the shipped corpus's copies of its templates
    # (group ``real:<repo>``) are both left out; calibration is nested in the remaining rows.
    left_out = f"real:{pipeline}"
    rows = np.array(
        [i for i, (s, src, g) in enumerate(zip(corpus.splits, corpus.sources, corpus.groups, strict=True))
         if s == "train" and left_out not in (src, g)], dtype=np.intp)  # fmt: skip
    start = time.perf_counter()
    stack = ModelStack(train_rows(corpus, features, rows, families))
    print(f"{pipeline}: trained {families} in {time.perf_counter() - start:.0f}s", file=sys.stderr)
    test = scores_of(stack, [pair_turns(str(r["system"]), str(r["user"])) for r in mine])
    negatives = scores_of(stack, cast(list[tuple[Turn, ...]], _FOLD_DATA["held_turns"]))
    out: list[dict[str, object]] = []
    for j, family in enumerate(families):
        p = test[[i for i, r in enumerate(mine) if r["family"] == family], j]
        at_1pct = float(np.quantile(negatives[:, j], 0.99))
        out.append({"pipeline": pipeline, "family": family, "n": len(p), "recall": float(np.mean(p >= 0.5)),
                    "recall_1pct": float(np.mean(p > at_1pct)), "fpr": float(np.mean(negatives[:, j] >= 0.5)),
                    "scores": p, "negatives": negatives[:, j]})  # fmt: skip
    return out


#: Pooled leave-one-pipeline-out recall of the model shipped at 5cbc2e6 (the first issue-14 model), as this
#: bench measured it then (its folds kept the shipped corpus's copies of a held-out pipeline's templates).
PREVIOUS_LOPO = {
    "elicitation": (0.35, 0.52),
    "grading": (0.24, 0.66),
    "agentic": (0.02, 0.93),
    "generation": (0.45, 0.85),
}


def embedding_scores(texts: Sequence[str]) -> Scores:
    """One MiniLM pass over some texts, uncached (to time the encoder)."""
    from distillshield.features.content import embedding

    return np.asarray(embedding.embed([turn_text("user", t) for t in texts]), dtype=np.float64)


def revision_model(rev: str, tmp: Path) -> Path:
    path = tmp / f"{rev}.npz"
    rel = shipped_model_path().relative_to(ROOT)
    path.write_bytes(subprocess.run(["git", "show", f"{rev}:{rel}"], cwd=ROOT, capture_output=True, check=True).stdout)
    return path


def timed(score: Callable[[], Scores], rounds: int = 3) -> tuple[Scores, float]:
    """The scores, and the best of ``rounds`` wall times (the machine is shared: the best is the least disturbed)."""
    best, out = float("inf"), np.zeros(0)
    for _ in range(rounds):
        start = time.perf_counter()
        out = score()
        best = min(best, time.perf_counter() - start)
    return out, best


def fpr_table(
    names: Sequence[str], new: Scores, old: tuple[tuple[str, ...], Scores], prev: Scores, lengths: npt.NDArray[np.int64]
) -> list[str]:
    old_names, old_scores_ = old
    buckets_header = " | ".join(f"new FPR {b[2]}" for b in BUCKETS)
    header = f"| detector | FPR held-out ShareGPT old | previous | new | {buckets_header}"
    lines = [header + " |", "|---|---|---|---|" + "---|" * len(BUCKETS)]
    masks = [(lengths >= lo) & (lengths < hi) for lo, hi, _ in BUCKETS]
    for j, name in enumerate(names):
        o = f"{np.mean(old_scores_[:, old_names.index(name)] >= 0.5):.2%}" if name in old_names else "n/a"
        buckets = [f"{np.mean(new[m, j] >= 0.5):.2%} (n={int(m.sum())})" for m in masks]
        lines.append(f"| {name} | {o} | {np.mean(prev[:, j] >= 0.5):.2%} | {np.mean(new[:, j] >= 0.5):.2%} | "
                     + " | ".join(buckets) + " |")  # fmt: skip
    return lines


def cached_folds(path: Path | None, compute: Callable[[], list[dict[str, object]]]) -> list[dict[str, object]]:
    """The folds' results from ``path`` when it exists, else computed (and kept there when given)."""
    if path is not None and path.exists():
        with path.open("rb") as f:
            folds: list[dict[str, object]] = pickle.load(f)
        return folds
    folds = compute()
    if path is not None:
        with path.open("wb") as f:
            pickle.dump(folds, f)
    return folds


def lopo_tables(folds: Sequence[dict[str, object]]) -> list[str]:
    lines = ["", "Leave-one-pipeline-out (retrained without the pipeline and without the shipped corpus's copies of "
             "its templates, calibration nested in the remaining rows; scored on its prompts as sent):", "",
             "| held-out pipeline | family | n | recall @0.5 | recall @1% FPR | fold FPR @0.5 |",
             "|---|---|---|---|---|---|"]  # fmt: skip
    for f in folds:
        lines.append(f"| {f['pipeline']} | {f['family']} | {f['n']} | {f['recall']:.2f} | "
                     f"{f['recall_1pct']:.2f} | {f['fpr']:.2%} |")  # fmt: skip
    lines += [
        "",
        "| family | pooled LOPO recall @0.5 previous | new | @1% FPR previous | new |",
        "|---|---|---|---|---|",
    ]
    for family in DETECTORS:
        fs = [f for f in folds if f["family"] == family]
        if fs:
            n = sum(int(str(f["n"])) for f in fs)
            r5 = sum(float(str(f["recall"])) * int(str(f["n"])) for f in fs) / n
            r1 = sum(float(str(f["recall_1pct"])) * int(str(f["n"])) for f in fs) / n
            p5, p1 = PREVIOUS_LOPO.get(family, (float("nan"), float("nan")))
            lines.append(f"| {family} | {p5:.2f} | {r5:.2f} | {p1:.2f} | {r1:.2f} |")
    return lines


def reliability(folds: Sequence[dict[str, object]]) -> list[str]:
    """LOPO positives beside their fold's held-out ShareGPT negatives, per score bin, detectors pooled."""
    p = np.concatenate([np.asarray(f["scores"]) for f in folds] + [np.asarray(f["negatives"]) for f in folds])
    n_pos = sum(len(np.asarray(f["scores"])) for f in folds)
    y = np.r_[np.ones(n_pos), np.zeros(len(p) - n_pos)]
    lines = ["", "Reliability (each fold's model on its held-out pipeline's prompts and on the held-out ShareGPT "
             "turns, all folds pooled):", "",
             "| score bin | n | mean score | observed positive rate |", "|---|---|---|---|"]  # fmt: skip
    edges = np.minimum((p * 10).astype(int), 9)
    for b in range(10):
        m = edges == b
        if m.any():
            lines.append(
                f"| {b / 10:.1f}-{(b + 1) / 10:.1f} | {int(m.sum())} | {p[m].mean():.3f} | {y[m].mean():.3f} |"
            )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--external", type=Path, default=ROOT.parent / "shared" / "data" / "external")
    parser.add_argument("--old", default="6eaf802", help="git revision whose content.npz is the old model")
    parser.add_argument("--previous", default="5cbc2e6", help="git revision of the previous turn-wise model")
    parser.add_argument("--no-lopo", action="store_true", help="skip the retraining folds (minutes)")
    parser.add_argument("--jobs", type=int, default=1, help="folds trained at once (processes)")
    parser.add_argument("--folds-cache", type=Path, help="a .pkl keeping the folds' results, to rerun the tables")
    parser.add_argument("--embedding-sample", type=int, default=0, help="compare MiniLM heads on N turns (slow)")
    parser.add_argument("--embedding-cache", type=Path, help="an .npz remembering MiniLM vectors between runs")
    args = parser.parse_args()
    ext = args.external
    share = real.sharegpt_corpus(ext)
    held_texts = [t.split(": ", 1)[1] for t, s in zip(share.texts, share.splits, strict=True) if s == "heldout"]
    lengths = np.array([len(t) for t in held_texts])
    stack = ModelStack(list(shipped_models().values()))
    held_requests = [(Turn("user", t),) for t in held_texts]
    new, seconds = timed(lambda: scores_of(stack, held_requests))
    rate = len(held_texts) / seconds
    requests = real.attack_requests(ext)
    with tempfile.TemporaryDirectory() as tmp:
        old_path = revision_model(args.old, Path(tmp))
        old = old_scores(old_path, [""] * len(held_texts), held_texts)
        old_names, old_attack = old_scores(old_path, [str(r["system"]) for r in requests],
                                           [str(r["user"]) for r in requests])  # fmt: skip
        _, old_seconds = timed(lambda: old_scores(old_path, [""] * len(held_texts), held_texts)[1])
        previous = ModelStack(list(load_models(revision_model(args.previous, Path(tmp))).values()))
        prev = scores_of(previous, held_requests)
    attack_new = scores_of(stack, [pair_turns(str(r["system"]), str(r["user"])) for r in requests])
    lines = [f"Measured by `bench/bench_content.py` on {machine()}; {len(held_texts)} held-out ShareGPT user turns "
             f"(conversations held out by the project's rule), {sum(not r['bare'] for r in requests)} non-bare real "
             f"pipeline prompts (`real-distillation-prompts`). Old = the model shipped before issue 14 ({args.old}: "
             f"system prompt and last user turn as one text); previous = the first turn-wise model ({args.previous}); "
             "new = the shipped model (every turn, max over turns; system turns with their own weights; calibrated "
             "on grouped out-of-fold margins of real traffic).", ""]  # fmt: skip
    lines += fpr_table(stack.names, new, old, prev, lengths)
    any_old = float(np.mean((old[1] >= 0.5).any(axis=1))) if old[1].size else float("nan")
    lines += ["", f"Any detector flags {np.mean((new >= 0.5).any(axis=1)):.2%} of held-out ShareGPT turns (previous "
              f"{np.mean((prev >= 0.5).any(axis=1)):.2%}, old {any_old:.2%}).",
              f"Speed, batched over the held-out turns, one process, best of 3: new {rate:,.0f} prompts/s, "
              f"old {len(held_texts) / old_seconds:,.0f} prompts/s.", ""]  # fmt: skip
    lines += ["Shipped model on all non-bare pipeline prompts (in-sample for the new model; the old never saw them):",
              "", "| family | n | old recall | new recall (in-sample) |", "|---|---|---|---|"]  # fmt: skip
    for family in DETECTORS:
        idx = [i for i, r in enumerate(requests) if r["family"] == family and not r["bare"]]
        if not idx:
            continue
        j = stack.names.index(family)
        o = f"{np.mean(old_attack[idx, old_names.index(family)] >= 0.5):.2f}" if family in old_names else "n/a"
        lines.append(f"| {family} | {len(idx)} | {o} | {np.mean(attack_new[idx, j] >= 0.5):.2f} |")
    if not args.no_lopo:
        folds = cached_folds(args.folds_cache, lambda: lopo(ext, args.jobs))
        lines += lopo_tables(folds) + reliability(folds)
        if args.embedding_sample:
            embed, rates = cached_embedder(args.embedding_cache)
            choice = compare(ext, folds, held_texts, args.embedding_sample, embed)
            _, embed_seconds = timed(lambda: embedding_scores(held_texts[:32]), rounds=1)
            embedding_rate = 32 / embed_seconds
            lines += [""] + table(choice, args.embedding_sample, rate, embedding_rate)
    lines += ["", MODEL_CHOICE]
    body = "## Content detectors on real prompts (issue 14)\n\n" + "\n".join(lines)
    print(body)
    write_block("bench-content", body)


if __name__ == "__main__":
    main()
