"""Regenerate the prompt samples shipped in src/distillshield/data/prompts from ../shared/data/external.

A maintainer tool: the package and its tests never read ../shared. Samples are
small, chosen deterministically (every k-th item), and carry their licences.

Usage: python scripts/sample_prompts.py [EXTERNAL_DIR]
"""

from __future__ import annotations

import csv
import gzip
import json
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "distillshield" / "data" / "prompts"
MAX_CHARS = 1200


def every(items: list[str], n: int) -> list[str]:
    items = [" ".join(t.split()) if "\n" not in t else t.strip() for t in items if t and len(t) <= MAX_CHARS]
    step = max(1, len(items) // n)
    return items[::step][:n]


def jsonl(path: Path) -> list[dict[str, object]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:  # type: ignore[operator]
        return [json.loads(line) for line in f if line.strip()]


def chat(ext: Path) -> list[str]:
    oasst = [str(x) for x in jsonl(ext / "open-assistant-prompts" / "prompt_lottery_en_250_text.jsonl")]
    oasst += [str(x) for x in jsonl(ext / "open-assistant-prompts" / "en_100_text.jsonl")]
    vicuna = [str(r["turns"][0]) for r in jsonl(ext / "fastchat-bench-questions" / "vicuna_bench_question.jsonl")]  # type: ignore[index]
    selfi = [str(r["instruction"]) for r in jsonl(ext / "self-instruct" / "user_oriented_instructions.jsonl")]
    with open(ext / "awesome-chatgpt-prompts" / "prompts.csv", encoding="utf-8") as f:
        acp = [row["prompt"] for row in csv.DictReader(f)]
    return every(oasst, 220) + every(vicuna, 50) + every(selfi, 80) + every(acp, 50)


def jailbreaks(ext: Path) -> list[str]:
    csv.field_size_limit(1 << 24)
    with open(ext / "jailbreak-llms-inthewild" / "jailbreak_prompts_2023_12_25.csv", encoding="utf-8") as f:
        prompts = [row["prompt"] for row in csv.DictReader(f)]
    wanted = re.compile(r"\b(DAN|developer mode|ignore (all|any|previous)|no restrictions|jailbr)", re.I)
    unwanted = re.compile(r"\b(sex|porn|nsfw|cum|erotic|fuck|nigg|rape|drug)", re.I)
    chosen = [p for p in prompts if wanted.search(p) and not unwanted.search(p) and 200 <= len(p) <= 2500]
    step = max(1, len(chosen) // 60)
    return chosen[::step][:60]


def main() -> None:
    ext = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "data" / "external"
    OUT.mkdir(parents=True, exist_ok=True)
    sets = {
        "chat": chat(ext),
        "gsm8k": every([str(r["question"]) for r in jsonl(ext / "gsm8k" / "test.jsonl")], 300),
        "humaneval": every([str(r["prompt"]) for r in jsonl(ext / "human-eval" / "HumanEval.jsonl.gz")], 120),
        "arena_hard": every(
            [str(r["prompt"]) for r in jsonl(ext / "arena-hard-auto" / "arena-hard-v0.1-question.jsonl")], 150
        ),
        "jailbreaks": jailbreaks(ext),
    }
    for name, texts in sets.items():
        (OUT / f"{name}.jsonl").write_text("".join(json.dumps({"text": t}) + "\n" for t in texts), encoding="utf-8")
    templates = jsonl(ext / "distillation-templates" / "templates.jsonl")
    (OUT / "distillation_templates.jsonl").write_text(
        "".join(
            json.dumps({k: r[k] for k in ("id", "repo", "path", "license", "role", "text")}) + "\n" for r in templates
        ),
        encoding="utf-8",
    )
    for folder in (
        "open-assistant-prompts",
        "fastchat-bench-questions",
        "self-instruct",
        "awesome-chatgpt-prompts",
        "gsm8k",
        "human-eval",
        "arena-hard-auto",
    ):
        shutil.copy(ext / folder / "LICENSE", OUT / f"LICENSE.{folder}")


if __name__ == "__main__":
    main()
