"""Near-duplicate template clustering: documents/s, purity and completeness on synthetic pieces.

The corpus follows ../shared/reference/data-stack.md §4 (regenerated here): ``--docs`` texts from
``docs / 100`` templates of 10-25 random words; 15% have one word substituted and 15% one word
dropped; every text ends in the same boilerplate suffix, which is what verification must stop
from chaining unrelated templates together. Purity: share of texts in their cluster's majority
template; completeness: share of a template's texts in its largest cluster.

    .venv/bin/python bench/bench_templates.py --docs 200000            # prints one JSON line
    .venv/bin/python bench/bench_templates.py --docs 200000 --write    # and the block in RESULTS.md
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections import Counter

from distillshield.features.templates import MinHashParams, cluster_labels
from results import machine, write_block


def corpus(n_docs: int, seed: int) -> tuple[list[str], list[int]]:
    rnd = random.Random(seed)
    vocabulary = [f"w{k}" for k in range(5000)]
    templates = [[rnd.choice(vocabulary) for _ in range(rnd.randint(10, 25))] for _ in range(max(n_docs // 100, 1))]
    names = [f"name{k}" for k in range(8)]
    texts, truth = [], []
    for _ in range(n_docs):
        t = rnd.randrange(len(templates))
        words = list(templates[t])
        roll = rnd.random()
        if roll < 0.15:
            words[rnd.randrange(len(words))] = rnd.choice(vocabulary)
        elif roll < 0.30:
            del words[rnd.randrange(len(words))]
        suffix = f"for {rnd.choice(names)} id 0 answer in 0 steps."
        texts.append(" ".join(words) + " " + suffix)
        truth.append(t)
    return texts, truth


def purity_completeness(labels: list[int], truth: list[int]) -> tuple[float, float]:
    by_cluster: dict[int, Counter[int]] = {}
    by_template: dict[int, Counter[int]] = {}
    for label, t in zip(labels, truth, strict=True):
        by_cluster.setdefault(label, Counter())[t] += 1
        by_template.setdefault(t, Counter())[label] += 1
    n = len(labels)
    purity = sum(c.most_common(1)[0][1] for c in by_cluster.values()) / n
    completeness = sum(c.most_common(1)[0][1] for c in by_template.values()) / n
    return purity, completeness


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--write", action="store_true", help="write the block into bench/RESULTS.md")
    args = parser.parse_args()
    texts, truth = corpus(args.docs, args.seed)
    params = MinHashParams()
    start = time.perf_counter()
    labels = cluster_labels(texts, params).tolist()
    seconds = time.perf_counter() - start
    purity, completeness = purity_completeness(labels, truth)
    result = {
        "docs": args.docs,
        "seconds": round(seconds, 2),
        "docs_per_s": round(args.docs / seconds),
        "clusters": len(set(labels)),
        "templates": len(set(truth)),
        "purity": round(purity, 4),
        "completeness": round(completeness, 4),
        "params": f"shingle={params.shingle} bands={params.bands}x{params.rows} jaccard>={params.threshold}",
    }
    print(json.dumps(result))
    if args.write:
        body = (
            "## Near-duplicate templates (MinHash/LSH)\n\n"
            f"{machine()}; `python bench/bench_templates.py --docs {args.docs}`; {result['params']}.\n\n"
            "| docs | seconds | docs/s | clusters (templates) | purity | completeness |\n|---|---|---|---|---|---|\n"
            f"| {args.docs:,} | {result['seconds']} | {result['docs_per_s']:,} | {result['clusters']:,} "
            f"({result['templates']:,}) | {result['purity']} | {result['completeness']} |\n"
        )
        write_block("templates", body)


if __name__ == "__main__":
    main()
