"""Radioactivity, attacks and measured nulls on the transformer test bed (issue 19).

A GPT-2-style teacher pretrained on real assistant answers answers the distiller's prompts
through ``generate(watermarking_config=...)``; students are the student base fine-tuned on those
answers with a fraction rho watermarked. Every student is audited black-box (a fixed budget of
audit prompts x tokens, deduplicated across the corpus, prompt windows excluded) and in reading
mode (open weights) on the teacher's watermarked answers. Attacks wash the answers before
training; the control student (rho = 0) is scored with many random keys to measure the null.
Every stage is cached by content digest under --cache and its figures go to --state as they
finish, so an interrupted run resumes; results go to bench/RESULTS.md between the
``provenance-tf-benchmark`` markers.

Usage: python bench/bench_provenance_tf.py [--cache .cache/tfbed] [--queries 200] [--tokens 128]
       [--null-keys 1000] [--temperature 0.7] [--rhos 0 0.2 1] [--no-attacks] [--sweep-queries 200 515] [--e2e]
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import torch
from scipy import stats

from distillshield.provenance import Finding, black_box, open_weights
from distillshield.provenance.tfbed import Bed, BedConfig, Prefetched, build_bed
from distillshield.provenance.tfbed.attacks import paraphrase, substitute
from distillshield.provenance.tfbed.lm import top_one
from distillshield.respond.watermark import GreenList
from results import machine, write_block

RHOS = (0.0, 0.2, 1.0, 0.05, 0.01)  # the acceptance points first, so a short run still has them
HASHING_KEY = 15_485_863
ALPHA = 1e-3


class State:
    """Figures computed so far, kept in a JSON file so that a rerun skips them."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.data: dict[str, Any] = json.loads(path.read_text()) if path.is_file() else {}

    def get(self, name: str, compute: Callable[[], Any]) -> Any:
        if name not in self.data:
            start = time.perf_counter()
            self.data[name] = compute()
            seconds = time.perf_counter() - start
            self.data.setdefault("wall seconds", {})[name] = round(seconds, 1)
            print(f"{name}: {seconds:.0f}s {json.dumps(self.data[name])[:200]}", flush=True)
            self.path.write_text(json.dumps(self.data, indent=1), encoding="utf-8")
        return self.data[name]


def _summary(finding: Finding) -> dict[str, float]:
    key = finding.details["keys"][0]
    return {
        "p": float(finding.p_value or 0.0),
        "z": float(finding.statistic or 0.0),
        "scored": float(key["tokens_scored"]),
        "rate": float(key["score"]) / max(1.0, float(key["tokens_scored"])),
    }


class Audit:
    """The fixed audit of one bed: prompts, budget, temperature, key and the texts read in reading mode."""

    def __init__(self, bed: Bed, scheme: GreenList, args: argparse.Namespace, marked: list[list[int]]) -> None:
        self.bed, self.scheme, self.args = bed, scheme, args
        self.prompts = list(bed.texts.audit_prompts[: args.queries])
        pairs = bed.pairs(marked)[: args.texts]
        self.texts = [p + r for p, r in pairs]

    def replies(self, model: Any, temperature: float | None = None) -> Prefetched:
        t = self.args.temperature if temperature is None else temperature
        return Prefetched.answer(self.bed.chat(model), self.prompts, max_tokens=self.args.tokens, temperature=t, seed=5)

    def black_box(self, suspect: Prefetched, schemes: Sequence[GreenList] | None = None) -> Finding:
        keys = [self.scheme] if schemes is None else schemes
        return black_box(suspect, keys, self.bed.encode, self.prompts, max_tokens=self.args.tokens)

    def both(self, model: Any) -> dict[str, Any]:
        bb = _summary(self.black_box(self.replies(model)))
        ow = _summary(open_weights(top_one(model), [self.scheme], self.texts))
        return {"black_box": bb, "open_weights": ow}


def _at_temperature(audit: Audit, model: Any, temperature: float) -> dict[str, float]:
    return _summary(audit.black_box(audit.replies(model, temperature)))


def _budget(audit: Audit, model: Any, queries: int, temperature: float) -> dict[str, float]:
    """The black-box test with ``queries`` audit prompts at ``temperature``, and 200 decoy keys beside the key."""
    prompts = list(audit.bed.texts.audit_prompts[:queries])
    replies = Prefetched.answer(
        audit.bed.chat(model), prompts, max_tokens=audit.args.tokens, temperature=temperature, seed=5
    )
    finding = black_box(replies, [audit.scheme], audit.bed.encode, prompts, max_tokens=audit.args.tokens, decoys=200)
    null = finding.details["measured_null"]
    return {
        **_summary(finding),
        "queries": float(len(prompts)),
        "decoys below 1e-3": float(null["decoys_below_1e-3"]),
        "empirical p": float(null["empirical_p"]),
    }


def _mixed(marked: list[list[int]], clean: list[list[int]], rho: float) -> list[list[int]]:
    cut = int(round(rho * len(marked)))
    return marked[:cut] + clean[cut:]


def _null(audit: Audit, control: Any, n_keys: int) -> dict[str, float]:
    """Black-box and reading-mode p-values of the control under ``n_keys`` random keys."""
    suspect = audit.replies(control)
    reader = top_one(control)
    keys = np.random.default_rng(99).integers(1, 2**62, n_keys)
    rng = np.random.default_rng(7)
    out: dict[str, float] = {"keys": float(n_keys)}
    for mode in ("black_box", "open_weights"):
        exact, randomised = [], []
        for start in range(0, n_keys, 250):
            chunk = [GreenList(vocab_size=audit.bed.vocab_size, hashing_key=int(k)) for k in keys[start : start + 250]]
            f = audit.black_box(suspect, chunk) if mode == "black_box" else open_weights(reader, chunk, audit.texts)
            for scheme, k in zip(chunk, f.details["keys"], strict=True):
                p, n, green = float(k["p_value"]), int(k["tokens_scored"]), float(k["score"])
                above = scheme.p_value(green + 1, n)
                exact.append(p)
                randomised.append(above + rng.random() * (p - above))  # uniform within the binomial atom
        out[f"{mode} flagged at alpha=1e-3"] = float(sum(p < ALPHA for p in exact))
        out[f"{mode} KS p (randomised p-values)"] = float(stats.kstest(randomised, "uniform").pvalue)
        out[f"{mode} KS p (exact, one-sided)"] = float(stats.kstest(exact, "uniform", alternative="greater").pvalue)
    return out


def _distilled(audit: Audit, name: str, replies: list[list[int]], extra: Sequence[str] = ()) -> dict[str, Any]:
    bed = audit.bed
    return audit.both(bed.distill(name, bed.pairs(replies), extra=extra))


def _second_generation(audit: Audit, marked: list[list[int]]) -> dict[str, Any]:
    bed = audit.bed
    first = bed.distill("rho1", bed.pairs(marked))
    return _distilled(audit, "gen2", bed.teacher_replies(None, seed=3, model=first))


def _attacks(state: State, audit: Audit, marked: list[list[int]], human: list[str], levels: Sequence[int]) -> None:
    """Each attack at the given indices of its strength ladder (the first rung of all first, in a short run)."""
    bed = audit.bed
    prompts = [bed.prompt_ids(p) for p in bed.distill_prompts()]
    for i in levels:
        f = (0.3, 0.6)[i]
        washed = substitute(marked, f, bed.vocab_size, seed=11)
        state.get(f"attack substitution {f:g}", partial(_distilled, audit, f"sub{f:g}", washed))
        washed = paraphrase(bed.base, prompts, marked, f, seed=12)
        state.get(f"attack paraphrase {f:g}", partial(_distilled, audit, f"para{f:g}", washed))
        ratio = (1, 4)[i]
        extra = human[: ratio * len(marked)]
        state.get(f"attack mixing 1:{ratio}", partial(_distilled, audit, f"mix{ratio}", marked, extra))
        if i == 0:
            state.get("attack second generation", partial(_second_generation, audit, marked))


def run(args: argparse.Namespace) -> dict[str, Any]:
    torch.set_num_threads(args.threads)
    state = State(args.state)
    bed = build_bed(_bed_config(args), args.cache, report=lambda label: print(f"building {label}", flush=True))
    scheme = GreenList(vocab_size=bed.vocab_size, hashing_key=HASHING_KEY, bias=args.bias, key_id="bench")
    marked, clean = bed.teacher_replies(scheme, seed=1), bed.teacher_replies(None, seed=2)
    state.get("teacher", lambda: {"marked median p": float(np.median([scheme.detect(r).p_value for r in marked]))})
    audit = Audit(bed, scheme, args, marked)
    # The acceptance points, the null and one rung of each attack first, so a short run has them.
    rhos = [r for r in RHOS if r in args.rhos]
    for rho in rhos[:3]:
        state.get(f"rho {rho:g}", partial(_distilled, audit, f"rho{rho:g}", _mixed(marked, clean, rho)))
    control = bed.distill("rho0", bed.pairs(clean))
    if args.null_keys:
        state.get("null", lambda: _null(audit, control, args.null_keys))
    human = [line for line in bed.texts.teacher if "Assistant:" in line]
    if args.attacks:
        _attacks(state, audit, marked, human, [0])
    for rho in rhos[3:]:
        state.get(f"rho {rho:g}", partial(_distilled, audit, f"rho{rho:g}", _mixed(marked, clean, rho)))
    student = bed.distill("rho0.2", bed.pairs(_mixed(marked, clean, 0.2)))
    for t in (1.0, 0.5):
        state.get(f"rho 0.2 at T={t:g}", partial(_at_temperature, audit, student, t))
    for queries in args.sweep_queries:
        for name, model in (("rho 0.2", student), ("rho 0", control)):
            for t in (0.5, 0.7, 1.0):
                state.get(f"budget {name} {queries} T={t:g}", partial(_budget, audit, model, queries, t))
    if args.attacks:
        _attacks(state, audit, marked, human, [1])
    if args.e2e:
        state.get("e2e", partial(_e2e, args, bed, scheme, marked))
    if args.panel:
        state.get("fingerprint panel", partial(_panel, bed, marked, clean))
    state.data["config"] = {**_config(args), "student parameters": f"{bed.base.num_parameters():,}"}
    state.data["config"]["distillation answers"] = _answers(marked)
    state.path.write_text(json.dumps(state.data, indent=1), encoding="utf-8")
    return state.data


def _answers(marked: list[list[int]]) -> str:
    lengths = [len(r) for r in marked]
    return f"{len(lengths):,} answers, {sum(lengths):,} tokens, median {int(np.median(lengths))} tokens"


def _e2e(args: argparse.Namespace, bed: Bed, scheme: GreenList, marked: list[list[int]]) -> dict[str, Any]:
    """`distillshield audit` against the served rho = 0.2 student, with the full budget and decoys."""
    from typer.testing import CliRunner

    from distillshield.cli.main import app
    from distillshield.provenance.testbed import serve

    root = args.cache / "e2e"
    key = {"id": "bench", "scheme": "greenlist", "params": scheme.params()}
    keyfile = bed.write_keyfile(root, [key], audit_prompts=args.queries)
    clean = bed.teacher_replies(None, seed=2)
    student = bed.distill("rho0.2", bed.pairs(_mixed(marked, clean, 0.2)))
    student.save_pretrained(root / "weights")
    texts = root / "texts.txt"
    texts.write_text("".join(bed.decode(r).replace("\n", " ") + "\n" for r in marked[: args.texts]), encoding="utf-8")
    with serve(bed.chat(student), bed.tokenizer, seed=3) as url:
        argv = ["audit", "--suspect", url, "--key", str(keyfile), "--out", str(root / "out"), "-q"]
        argv += ["--queries", str(args.queries), "--max-tokens", str(args.tokens)]
        argv += ["--temperature", str(args.temperature), "--decoys", "200"]
        argv += ["--weights", str(root / "weights"), "--texts", str(texts)]
        result = CliRunner().invoke(app, argv)
    if result.exit_code != 0:
        raise RuntimeError(result.output)
    report = json.loads((root / "out" / "audit.json").read_text(encoding="utf-8"))
    return {t["test"]: {"p": t["p_value"], "null": t["details"].get("measured_null")} for t in report["tests"]}


def _budget_row(name: str, r: dict[str, float], tokens: int) -> str:
    student, _, t = name.rpartition(" T=")
    student = student.rsplit(" ", 1)[0]
    return (
        f"| {student} | {r['queries']:.0f} x {tokens} | {t} | {_p(r['p'])} | {r['rate']:.4f} | {r['scored']:,.0f} "
        f"| {r['decoys below 1e-3']:.0f} | {r['empirical p']:.3g} |"
    )


def _row(name: str, r: dict[str, Any]) -> str:
    bb, ow = r["black_box"], r["open_weights"]
    return (
        f"| {name} | {_p(bb['p'])} | {bb['rate']:.4f} | {bb['scored']:,.0f} | {_p(ow['p'])} | {ow['rate']:.4f} "
        f"| {ow['scored']:,.0f} |"
    )


def _p(p: float | None) -> str:
    if p is None:
        return "n/a"
    return "< 1e-300" if p == 0 else f"{p:.3g}"


def _panel(bed: Bed, marked: list[list[int]], clean: list[list[int]]) -> dict[str, Any]:
    """The fingerprint statistic of distilled students against a panel of unrelated reference models."""
    from distillshield.provenance.fingerprint import PROBES, fingerprint_test, similarity

    def answers(model: Any) -> Prefetched:
        return Prefetched.answer(bed.chat(model), PROBES, max_tokens=48, temperature=0.0, seed=0)

    human = [line for line in bed.texts.teacher if "Assistant:" in line]
    references = {"base": bed.base}
    for seed, start in ((21, 0), (22, 600)):
        name = f"reference-human-{seed}"
        config = replace(bed.config.student, seed=seed)
        references[name] = bed.distill(name, [], extra=human[start : start + 600], config=config)
    teacher = answers(bed.teacher)
    panel = {name: answers(m) for name, m in references.items()}
    out: dict[str, Any] = {}
    for name, model in (
        ("rho 1", bed.distill("rho1", bed.pairs(marked))),
        ("rho 0", bed.distill("rho0", bed.pairs(clean))),
    ):
        f = fingerprint_test(answers(model), teacher, references=list(panel.values()))
        out[name] = {"similarity": f.statistic, "p": f.p_value}
    out["references"] = {
        name: similarity(list(ref.replies.values()), list(teacher.replies.values())) for name, ref in panel.items()
    }
    return out


def _break_points(data: dict[str, Any]) -> str:
    """Per attack family, the weakest rung at which a test's p-value rises above 1e-3."""
    lines = []
    for family in ("substitution", "paraphrase", "mixing", "second generation"):
        rungs = sorted(k for k in data if k.startswith(f"attack {family}"))
        for test in ("black_box", "open_weights"):
            broken = [
                k.removeprefix(f"attack {family}").strip() or "1 round" for k in rungs if data[k][test]["p"] > ALPHA
            ]
            if rungs:
                first = (broken[0] or "one round") if broken else "not reached at the rungs run"
                if "rho 1" in data and data["rho 1"][test]["p"] > ALPHA:
                    first = "no attack needed (the unattacked rho = 1 student is already above 1e-3)"
                lines.append(f"| {family} | {test} | {first} |")
    return "| attack | test | first rung with p > 1e-3 |\n|---|---|---|\n" + "\n".join(lines) + "\n"


def _rows(data: dict[str, Any], keys: Sequence[str], prefix: str = "") -> str:
    head = (
        "| student | black-box p | green rate | scored | open-weights p | green rate | scored |\n"
        "|---|---|---|---|---|---|---|\n"
    )
    return head + "\n".join(_row(k.removeprefix(prefix), data[k]) for k in keys) + "\n"


def run_panel(args: argparse.Namespace) -> dict[str, Any]:
    torch.set_num_threads(args.threads)
    state = State(args.state)
    bed = build_bed(BedConfig(), args.cache)
    scheme = GreenList(vocab_size=bed.vocab_size, hashing_key=HASHING_KEY, bias=args.bias, key_id="bench")
    marked, clean = bed.teacher_replies(scheme, seed=1), bed.teacher_replies(None, seed=2)
    state.get("fingerprint panel", partial(_panel, bed, marked, clean))
    return state.data


def _bed_config(args: argparse.Namespace) -> BedConfig:
    config = BedConfig()
    if args.student_steps:
        config = replace(config, student=replace(config.student, steps=args.student_steps))
    return config


def _config(args: argparse.Namespace) -> dict[str, str]:
    from distillshield.provenance.tfbed import load_texts

    return {"bed": repr(_bed_config(args)), "source": load_texts().source, "machine": machine()}


def _acceptance(data: dict[str, Any], args: argparse.Namespace) -> str:
    def verdict(name: str, test: str, threshold: float) -> str:
        if name not in data:
            return "not run"
        p = data[name][test]["p"]
        return f"{'met' if p < threshold else 'NOT met'} (p = {_p(p)})"

    null = data.get("null")
    ks = (
        f"{null['black_box flagged at alpha=1e-3']:.0f} and {null['open_weights flagged at alpha=1e-3']:.0f} of "
        f"{null['keys']:,.0f} keys below 1e-3, KS p {_p(null['black_box KS p (randomised p-values)'])} and "
        f"{_p(null['open_weights KS p (randomised p-values)'])}"
        if null
        else "not run in this setting"
    )
    return (
        f"Acceptance (issue 19), budget {args.queries} x {args.tokens} tokens: rho = 0.2 black box at p < 1e-6 "
        f"{verdict('rho 0.2', 'black_box', 1e-6)}; rho = 1 open weights at p < 1e-3 "
        f"{verdict('rho 1', 'open_weights', 1e-3)}; control over random keys (black box, reading mode): {ks}.\n"
    )


def write_results(data: dict[str, Any], args: argparse.Namespace) -> None:
    rhos = [f"rho {r:g}" for r in sorted(RHOS) if f"rho {r:g}" in data]
    attacks = sorted(k for k in data if k.startswith("attack "))
    temps = [k for k in data if k.startswith("rho 0.2 at T=")]
    config = data.get("config") or _config(args)
    body = [
        f"## Radioactivity on transformers (issue 19){', ' + args.label if args.label else ''}\n",
        f"`python bench/bench_provenance_tf.py --bias {args.bias:g} --student-steps {args.student_steps} "
        f"--queries {args.queries} --tokens {args.tokens} --null-keys {args.null_keys} "
        f"--temperature {args.temperature} --rhos {' '.join(f'{r:g}' for r in args.rhos)}"
        f"{' --sweep-queries ' + ' '.join(map(str, args.sweep_queries)) if args.sweep_queries else ''}"
        f"{'' if args.attacks else ' --no-attacks'}{' --e2e' if args.e2e else ''}` on {config.get('machine', '')}.",
        f"Text: {config.get('source', '')}. Bed: `{config.get('bed', '')}`.",
        f"Students: {config.get('student parameters', '?')} parameters; distillation set: "
        f"{config.get('distillation answers', '?')} (each reply stops at the end token).",
        f"Key: green list, lefthash, context width 1, gamma 0.25, delta {args.bias:g}, through "
        "`generate(watermarking_config=...)`. Black box: the audit's own prompts (held out from the "
        f"distiller's), {args.queries} queries x {args.tokens} tokens at temperature {args.temperature}, "
        "deduplicated across the corpus, prompt windows excluded. Open weights: the student reads "
        f"{args.texts} of the teacher's watermarked answers (prompt + reply). "
        f"Teacher: median p of one watermarked answer {_p(data.get('teacher', {}).get('marked median p'))}.\n",
        _acceptance(data, args),
        "Fraction rho of the distillation answers watermarked:\n",
        _rows(data, rhos),
    ]
    if attacks:
        body += [
            "Attacks on the rho = 1 answers before training:\n",
            _rows(data, attacks, "attack "),
            _break_points(data),
        ]
    if temps:
        body += [
            "Sampling temperature of the audit, rho = 0.2 student (black box):\n",
            "| temperature | p | green rate | scored |\n|---|---|---|---|\n"
            + "\n".join(
                f"| {k.removeprefix('rho 0.2 at T=')} | {_p(data[k]['p'])} | {data[k]['rate']:.4f} "
                f"| {data[k]['scored']:,.0f} |"
                for k in temps
            )
            + "\n",
        ]
    budgets = [k for k in data if k.startswith("budget ")]
    if budgets:
        body += [
            "Query budget and temperature of the black-box audit (all held-out audit prompts are 515), "
            "with 200 decoy keys scoring the same replies:\n",
            "| student | queries x tokens | temperature | p | green rate | scored | decoys below 1e-3 "
            "| empirical p among decoys |\n|---|---|---|---|---|---|---|---|\n"
            + "\n".join(_budget_row(k.removeprefix("budget "), data[k], args.tokens) for k in budgets)
            + "\n",
        ]
    if "null" in data:
        null = data["null"]
        body += [
            f"Measured null on the control student (rho = 0) over {null['keys']:,.0f} random keys:\n",
            "| figure | value |\n|---|---|\n"
            + "\n".join(f"| {k} | {_p(v) if 'KS' in k else f'{v:,.0f}'} |" for k, v in null.items() if k != "keys")
            + "\n",
        ]
    if "fingerprint panel" in data:
        panel = data["fingerprint panel"]
        body.append(
            "Fingerprint (mean trigram Jaccard similarity of greedy answers to 12 probes, against the teacher's); "
            "the null is the panel of unrelated reference models (the student base, and the base fine-tuned "
            "on human-written answers with two seeds):\n\n| model | similarity | p (rank among the panel) |\n"
            "|---|---|---|\n"
            + "\n".join(f"| {k} (reference) | {v:.4f} | |" for k, v in panel["references"].items())
            + "\n"
            + "\n".join(
                f"| student {k} | {panel[k]['similarity']:.4f} | {_p(panel[k]['p'])} |" for k in ("rho 1", "rho 0")
            )
            + "\n"
        )
    if "e2e" in data:
        body.append(
            "`distillshield audit` end to end against the served rho = 0.2 student (200 decoy keys):\n\n"
            "| test | p | decoys below 1e-3 | empirical p among decoys |\n|---|---|---|---|\n"
            + "\n".join(
                f"| {t} | {_p(v['p'])} | {v['null']['decoys_below_1e-3']:.0f} | {v['null']['empirical_p']:.3g} |"
                for t, v in data["e2e"].items()
                if v["null"]
            )
            + "\n"
        )
    if "wall seconds" in data:
        body.append(
            "Wall time of each stage (training included where the model was not cached):\n\n"
            "| stage | seconds |\n|---|---|\n"
            + "\n".join(f"| {k} | {v:,.0f} |" for k, v in data["wall seconds"].items())
            + "\n"
        )
    slug = re.sub(r"[^a-z0-9]+", "-", args.label.lower()).strip("-")
    write_block("provenance-tf-benchmark" + (f"-{slug}" if slug else ""), "\n".join(body))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache", type=Path, default=Path(".cache/tfbed"))
    parser.add_argument("--state", type=Path, default=Path(".cache/tfbed/bench-state.json"))
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--texts", type=int, default=200, help="watermarked texts read in reading mode")
    parser.add_argument("--null-keys", type=int, default=1000)
    parser.add_argument("--temperature", type=float, default=0.7)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--bias", type=float, default=4.0, help="green-list bias delta of the teacher's key")
    parser.add_argument("--student-steps", type=int, default=0, help="fine-tuning steps (0: the bed's default)")
    parser.add_argument("--label", default="", help="suffix of the RESULTS.md block, for a second setting")
    parser.add_argument("--rhos", type=float, nargs="+", default=list(RHOS), help="the rho values to distil")
    parser.add_argument(
        "--sweep-queries", type=int, nargs="*", default=[200, 515], help="query budgets of the temperature sweep"
    )
    parser.add_argument("--no-attacks", dest="attacks", action="store_false", help="skip the attacks")
    parser.add_argument("--e2e", action="store_true", help="also run `distillshield audit` against a served student")
    parser.add_argument("--panel", action="store_true", help="also measure the fingerprint null on reference models")
    parser.add_argument("--only-panel", action="store_true", help="run the fingerprint panel stage alone")
    parser.add_argument("--report-only", action="store_true", help="write RESULTS.md from --state, compute nothing")
    args = parser.parse_args()
    result = State(args.state).data if args.report_only else run_panel(args) if args.only_panel else run(args)
    write_results(result, args)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
