"""Watermark detection throughput and power curves on the CPU test bed.

Throughput: distillshield's green-list detector (exact p-value, corpus-wide deduplication)
against transformers' own ``WatermarkDetector`` (``ignore_repeated_ngrams=True``) on the same
token ids in the same process; the figure that matters is the ratio. Power: the p-value of
watermarked teacher text against its length and against random token substitution, and the
black-box radioactivity p-value of a student against the fraction of watermarked text in its
training data. Calibration: the false-positive rate of the pooled black-box test over many
random keys on a control student. Results go to bench/RESULTS.md between the
``watermark-benchmark`` markers, and to stdout as JSON.

Usage: python bench/bench_watermark.py [--texts 200] [--null-keys 5000] [--seed 7]
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from scipy import stats
from transformers import GPT2Config, WatermarkDetector

from distillshield.provenance import ChatClient, black_box
from distillshield.provenance.corpus import generate_corpus
from distillshield.provenance.testbed import BigramLM, GreenBias, build_tokenizer, decode, encode, serve
from distillshield.respond.watermark import GreenList, GumbelSampling
from results import write_block

HERE = Path(__file__).resolve().parent
LENGTHS = (25, 50, 100, 200, 400)
RHOS = (0.0, 0.01, 0.05, 0.2, 1.0)


def _throughput(scheme: GreenList, texts: list[list[int]], vocab: int) -> dict[str, float]:
    tokens = sum(len(t) for t in texts)
    start = time.perf_counter()
    for ids in texts:
        scheme.detect(ids)
    ours = time.perf_counter() - start
    config = GPT2Config(vocab_size=vocab, bos_token_id=vocab + 1, eos_token_id=0)
    detector = WatermarkDetector(config, "cpu", scheme.watermarking_config(), ignore_repeated_ngrams=True)
    start = time.perf_counter()
    for ids in texts:
        detector(torch.tensor([ids]), return_dict=True)
    theirs = time.perf_counter() - start
    gumbel = GumbelSampling(vocab_size=vocab, key=5)
    start = time.perf_counter()
    for ids in texts:
        gumbel.detect(ids)
    return {
        "greenlist tokens/s": tokens / ours,
        "transformers WatermarkDetector tokens/s": tokens / theirs,
        "ratio (distillshield / transformers)": theirs / ours,
        "gumbel tokens/s": tokens / (time.perf_counter() - start),
    }


def _substitute(ids: list[int], fraction: float, vocab: int, rng: np.random.Generator) -> list[int]:
    out = list(ids)
    for i in rng.choice(len(out), int(round(fraction * len(out))), replace=False):
        out[int(i)] = int(rng.integers(2, vocab))
    return out


def _power(
    scheme: GreenList, texts: list[list[int]], vocab: int, rng: np.random.Generator
) -> dict[str, dict[str, float]]:
    rows: dict[str, dict[str, float]] = {}
    for length in LENGTHS:
        p = [scheme.detect(t[:length]).p_value for t in texts]
        rows[f"{length} tokens"] = {"median p": float(np.median(p)), "TPR at p<1e-6": float(np.mean(np.less(p, 1e-6)))}
    for fraction in (0.1, 0.3, 0.5):
        p = [scheme.detect(_substitute(t[:200], fraction, vocab, rng)).p_value for t in texts]
        rows[f"200 tokens, {fraction:.0%} substituted"] = {
            "median p": float(np.median(p)),
            "TPR at p<1e-6": float(np.mean(np.less(p, 1e-6))),
        }
    return rows


@dataclass
class Replay:
    """Answers each prompt once and replays it, so every null key scores the same replies."""

    client: ChatClient
    seen: dict[str, str] = field(default_factory=dict)

    def complete(self, prompt: str, *, max_tokens: int, temperature: float) -> str:
        if prompt not in self.seen:
            self.seen[prompt] = self.client.complete(prompt, max_tokens=max_tokens, temperature=temperature)
        return self.seen[prompt]


def _null_p_values(suspect: Replay, tokenizer: Any, prompts: list[str], n_keys: int) -> list[float]:
    # Keys are scored in chunks so that memory stays flat however many keys are tried.
    keys = np.random.default_rng(99).integers(1, 2**62, n_keys)
    p_values: list[float] = []
    for start in range(0, n_keys, 500):
        chunk = [
            GreenList(vocab_size=tokenizer.get_vocab_size(), hashing_key=int(k)) for k in keys[start : start + 500]
        ]
        finding = black_box(suspect, chunk, lambda s: encode(tokenizer, s), prompts, max_tokens=200)
        p_values += [float(k["p_value"]) for k in finding.details["keys"]]
    return p_values


def _radioactivity(
    tokenizer: Any,
    scheme: GreenList,
    marked: list[list[int]],
    clean: list[list[int]],
    prompts: list[str],
    null_keys: int,
) -> tuple[dict[str, dict[str, float]], dict[str, float]]:
    vocab = tokenizer.get_vocab_size()
    rows: dict[str, dict[str, float]] = {}
    control_outputs: list[float] = []
    for rho in RHOS:
        cut = int(round(rho * len(marked)))
        student = BigramLM.train(marked[:cut] + clean[cut:], vocab)
        with serve(student, tokenizer, seed=1) as url:
            finding = black_box(ChatClient(url), [scheme], lambda s: encode(tokenizer, s), prompts, max_tokens=200)
            if rho == 0.0:
                control_outputs = _null_p_values(Replay(ChatClient(url)), tokenizer, prompts, null_keys)
        rows[f"rho = {rho:g}"] = {
            "p-value": float(finding.p_value or 0.0),
            "z": float(finding.statistic or 0.0),
            "tokens scored": float(finding.details["tokens_scored"]),
            "tokens read": float(finding.details["tokens_read"]),
        }
    null_p = control_outputs
    calibration = {
        "keys": float(len(null_p)),
        "false positives at alpha=1e-3": float(sum(p < 1e-3 for p in null_p)),
        "FPR at alpha=1e-3": float(np.mean(np.less(null_p, 1e-3))),
        "KS p-value (uniform)": float(stats.kstest(null_p, "uniform").pvalue),
    }
    return rows, calibration


def run(n_texts: int, null_keys: int, seed: int) -> dict[str, Any]:
    tokenizer = build_tokenizer()
    vocab = tokenizer.get_vocab_size()
    corpus = encode(tokenizer, generate_corpus(100_000, seed=seed))
    teacher = BigramLM.train([corpus], vocab)
    scheme = GreenList(vocab_size=vocab, hashing_key=seed * 7919 + 1, key_id="bench")
    rng = np.random.default_rng(seed)
    starts = [[corpus[int(i)]] for i in rng.integers(0, len(corpus), 400)]
    marked = teacher.generate(starts, 400, seed=seed, processor=GreenBias(scheme))
    clean = teacher.generate(starts, 200, seed=seed + 1)
    prompts = [decode(tokenizer, corpus[int(i) : int(i) + 3]) for i in rng.integers(0, len(corpus) - 3, 100)]
    radio, calibration = _radioactivity(tokenizer, scheme, [m[:200] for m in marked], clean, prompts, null_keys)
    return {
        "vocab_size": vocab,
        "throughput": _throughput(scheme, [m[:200] for m in marked[:n_texts]], vocab),
        "power": _power(scheme, marked[:n_texts], vocab, rng),
        "radioactivity": radio,
        "calibration": calibration,
    }


def _table(rows: dict[str, dict[str, float]]) -> str:
    columns = list(next(iter(rows.values())))
    head = "| condition | " + " | ".join(columns) + " |\n|---|" + "---|" * len(columns) + "\n"
    return head + "\n".join(f"| {k} | " + " | ".join(_fmt(v[c]) for c in columns) + " |" for k, v in rows.items())


def _fmt(value: float) -> str:
    if value == 0:
        return "< 1e-300"  # below the smallest double: the binomial tail underflows
    return f"{value:,.0f}" if value >= 100 and value == int(value) else f"{value:.3g}"


def write_results(result: dict[str, Any], args: argparse.Namespace) -> None:
    throughput = "\n".join(f"| {k} | {v:,.2f} |" for k, v in result["throughput"].items())
    calibration = "\n".join(f"| {k} | {_fmt(v) if v else 0} |" for k, v in result["calibration"].items())
    section = (
        f"## Watermark detection and radioactivity\n\n"
        f"`python bench/bench_watermark.py --texts {args.texts} --null-keys {args.null_keys} --seed {args.seed}`: "
        f"word-level test bed (vocabulary {result['vocab_size']}), bigram teacher, green list gamma = 0.25, "
        "delta = 2, lefthash, context width 1; exact binomial p-values with deduplication.\n\n"
        f"Detection throughput on 200-token texts (same ids, same process):\n\n| figure | value |\n|---|---|\n"
        f"{throughput}\n\nPower on watermarked teacher text ({args.texts} texts):\n\n{_table(result['power'])}\n\n"
        "Black-box radioactivity: a bigram student trained on 400 x 200 tokens of teacher text, a fraction rho "
        "of it watermarked; 100 audit prompts x 200 tokens:\n\n"
        f"{_table(result['radioactivity'])}\n\n"
        f"Calibration of the pooled black-box test on the rho = 0 student over random keys:\n\n"
        f"| figure | value |\n|---|---|\n{calibration}\n"
    )
    write_block("watermark-benchmark", section)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--texts", type=int, default=200)
    parser.add_argument("--null-keys", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    result = run(args.texts, args.null_keys, args.seed)
    write_results(result, args)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
