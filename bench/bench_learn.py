"""Labels that change the next scan: ``learn`` on development seeds, judged on a seed never used otherwise.

For each generator, the benchmark labels of the training seeds (the ground truth an
analyst team would converge to) are fitted by ``distillshield learn`` on those
seeds' scans; the figures are its cross-validated (held-out) verdicts and the
verdicts the learned model gives on a fresh seed's scan, against the shipped
weights on the same accounts. The fresh seed is used for nothing else, and its
scan is judged by the same code ``scan --model`` runs (``learn.evidence``; the
tests check that the two agree account by account).

Training seeds: blind generator 100 and 201, simulator 41 and 42 (all development
seeds). Report seeds: blind 402, simulator 404 (fresh). The benchmark labels are
ground truth, so contradictions are accepted (``--accept-contradictions``); they are
still counted.

Writes the ``learn-benchmark`` block of bench/RESULTS.md.

Usage: python bench/bench_learn.py [--scale 0.3] [--blind 100 201 402] [--simulator 41 42 404]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from distillshield.evaluate import read_labels_csv
from distillshield.learn import LearnOptions, LearnResult, learn, load_scan, read_label_files
from distillshield.learn.evidence import DISTILLER, Outcome, ScanEvidence
from distillshield.learn.fit import Rates
from distillshield.pipeline import run_scan
from distillshield.records import FAMILIES
from distillshield.simulate import simulate
from results import machine, write_block

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "learn"
NAMES = ("benign", "suspicious", "distiller")


def scanned(generator: str, seed: int, scale: float) -> Path:
    """Data and shipped-weights scan of one seed (reused when already there)."""
    data = OUT / f"{generator}-{seed}-{scale}"
    if not (data / "labels.csv").exists():
        if generator == "simulator":
            simulate(data, scale=scale, seed=seed, archetypes="all")
        else:
            command = [sys.executable, "-m", "bench.blindgen", "--out", str(data), "--scale", str(scale)]
            subprocess.run([*command, "--seed", str(seed)], cwd=ROOT, check=True, capture_output=True)
    scan = OUT / f"{generator}-{seed}-{scale}-scan"
    if not (scan / "run.json").exists():
        run_scan([data / "traffic.jsonl.gz"], scan, html=False)
    return data


def rates_on(evidence: ScanEvidence, outcome: Outcome, truth: dict[str, str]) -> Rates:
    y = [truth.get(a) == "distiller" for a in evidence.account_ids]
    v = outcome.verdict
    return Rates(
        sum(not d for d in y),
        sum(y),
        sum(1 for d, x in zip(y, v, strict=True) if not d and x == DISTILLER),
        sum(1 for d, x in zip(y, v, strict=True) if d and x == DISTILLER),
        sum(1 for d, x in zip(y, v, strict=True) if not d and x > 0),
        sum(1 for d, x in zip(y, v, strict=True) if d and x > 0),
    )


def run(generator: str, train: list[int], test: int, scale: float) -> dict[str, object]:
    data = {seed: scanned(generator, seed, scale) for seed in [*train, test]}
    scan = {seed: OUT / f"{generator}-{seed}-{scale}-scan" for seed in data}
    start = time.perf_counter()
    evidence = [load_scan(scan[seed]) for seed in train]
    labels = read_label_files([data[seed] / "labels.csv" for seed in train])
    result = learn(labels, evidence, LearnOptions(accept_contradictions=True))
    fit_s = time.perf_counter() - start
    fresh = load_scan(scan[test])
    truth = {row.account_id: row.label for row in read_labels_csv(data[test] / "labels.csv")}
    archetype = {row.account_id: row.archetype for row in read_labels_csv(data[test] / "labels.csv")}
    before, after = fresh.judge(), fresh.judge(result.params.model(result.dismissed))
    moved = Counter(
        (archetype.get(a, "?"), truth.get(a, "?"), NAMES[int(b)], NAMES[int(c)])
        for a, b, c in zip(fresh.account_ids, before.verdict, after.verdict, strict=True)
        if b != c
    )
    return {
        "generator": generator,
        "train": train,
        "test": test,
        "result": result,
        "fresh_shipped": rates_on(fresh, before, truth),
        "fresh_learned": rates_on(fresh, after, truth),
        "moved": moved,
        "fit_s": fit_s,
    }


def _row(name: str, r: Rates) -> str:
    return (
        f"| {name} | {r.benign} / {r.distillers} | {r.fpr:.4f} | {r.recall:.4f} | {r.fpr_watch:.4f} | "
        f"{r.recall_watch:.4f} |"
    )


def render(runs: list[dict[str, object]], scale: float) -> str:
    lines = [
        "## Labels that change the next scan (issue 18): `learn` on development seeds, a fresh seed judged",
        "",
        f"`python bench/bench_learn.py --scale {scale}`: `distillshield learn` fits the evidence-family scales "
        "and the two verdict thresholds to the benchmark labels of the training seeds' scans (ground truth, so "
        "`--accept-contradictions`), cross-validated leaving one training seed out (fit on one seed's labels, "
        "judge the other's). Rows: held-out verdicts pooled over the folds (shipped weights vs the fold's "
        "model), then a fresh seed used for nothing else, "
        "judged with the shipped weights and with the learned model. FPR = benign judged `distiller`; watch = "
        f"`suspicious` or worse. {machine()}.",
        "",
    ]
    for item in runs:
        result = item["result"]
        assert isinstance(result, LearnResult)
        p = result.params
        scales = ", ".join(f"{f} ×{s:g}" for f, s in zip(FAMILIES, p.scales, strict=True) if s != 1.0) or "none"
        lines += [
            f"### {item['generator']}: trained on seeds {item['train']}, reported on seed {item['test']}",
            "",
            f"Learned: family scales {scales}; suspicious threshold {result.base.suspicious:g} → {p.suspicious:g}, "
            f"distiller threshold {result.base.distiller:g} → {p.distiller:g}; penalty {result.cv.lam:g} "
            f"(cross-validated); {len(result.dismissed)} dismissed accounts remembered; "
            f"{len(result.contradictions)} labels contradicted strong evidence; fit {item['fit_s']:.0f} s.",
            "",
            "| verdicts | benign / distillers | FPR | recall | FPR watch | recall watch |",
            "|---|---|---|---|---|---|",
            _row("cross-validated, shipped", result.cv.shipped),
            *(
                _row(f"cross-validated, learned, penalty {lam:g}{' (chosen)' if lam == result.cv.lam else ''}", r)
                for lam, r in sorted(result.cv.by_lam.items())
            ),
            _row(f"seed {item['test']}, shipped", item["fresh_shipped"]),  # type: ignore[arg-type]
            _row(f"seed {item['test']}, learned", item["fresh_learned"]),  # type: ignore[arg-type]
            "",
        ]
        moved = item["moved"]
        assert isinstance(moved, Counter)
        if moved:
            lines += [
                f"Verdict changes on seed {item['test']}:",
                "",
                "| archetype | label | before | after | accounts |",
                "|---|---|---|---|---|",
            ]
            lines += [f"| {a} | {lab} | {b} | {c} | {n} |" for (a, lab, b, c), n in sorted(moved.items())]
            lines.append("")
    return "\n".join([*lines, READING])


#: How to read the tables (written from the run of 2026-12-03; rerun and reread if the figures change).
READING = """Reading: on the blind generator the labels moved the content scale to 0.35, the infrastructure scale to 0.7
and the suspicious threshold to 0.6. Communities of home users joined only by shared networks, and benign
accounts watch-listed on content evidence alone (part of the research groups, agent developers, red-team
vendors), are no longer watch-listed, held out and on the fresh seed, with recall unchanged at both levels. With
the shipped weights no benign account of these seeds is judged `distiller`, so the distiller-level FPR is 0
before and after: the gain is on the watch list. The fit never judges a labelled distiller lower, so benign
accounts watch-listed on evidence no stronger than a labelled campaign's stay watch-listed. On the simulator
only a content scale of 0.7 survived cross-validation, a small gain on the watch list."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.3)
    parser.add_argument("--blind", type=int, nargs="+", default=[100, 201, 402], help="training seeds, then report")
    parser.add_argument("--simulator", type=int, nargs="+", default=[41, 42, 404], help="training seeds, then report")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    runs = [
        run("blind", args.blind[:-1], args.blind[-1], args.scale),
        run("simulator", args.simulator[:-1], args.simulator[-1], args.scale),
    ]
    body = render(runs, args.scale)
    print(body)
    write_block("learn-benchmark", body)


if __name__ == "__main__":
    main()
