"""Real public prompt sets from ../shared/data/external, loaded once.

Benign chat text comes only from HELD-OUT ShareGPT conversations (the project's shared split rule: a conversation
is held out when the first 8 hex digits of sha256(conversation id) are 0 mod 5). Task questions come from GSM8K,
HumanEval, Arena-Hard, MT-Bench, Vicuna-bench, Self-Instruct and OpenAssistant. The attack prompt sets under
real-distillation-prompts/ (attack_prompts.jsonl.gz, templates.json) are never read: the detector learns from them.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

# The shared folder sits beside the clone (../shared); BLINDGEN_DATA points elsewhere when it does not.
_REPO = Path(__file__).resolve().parents[2]
DEFAULT_ROOT = _REPO.parent / "shared" / "data" / "external"

# Very long pastes (whole logs, books) are cut so that one record stays a few kilobytes; the cut is at a line end.
MAX_TURN_CHARS = 6000


def data_root() -> Path:
    root = Path(os.environ.get("BLINDGEN_DATA", DEFAULT_ROOT))
    if not (root / "gsm8k" / "test.jsonl").exists():
        raise FileNotFoundError(f"public prompt sets not found under {root} (set BLINDGEN_DATA)")
    return root


def is_held_out(sharegpt_id: str) -> bool:
    conv_id = sharegpt_id.rsplit("_", 1)[0]
    return int(hashlib.sha256(conv_id.encode()).hexdigest()[:8], 16) % 5 == 0


def clip(text: str, limit: int = MAX_TURN_CHARS) -> str:
    if len(text) <= limit:
        return text
    cut = text.rfind("\n", 0, limit)
    return text[: cut if cut > limit // 2 else limit]


def read_jsonl(path: Path) -> Iterator[dict[str, object]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


@dataclass(frozen=True)
class MathItem:
    question: str
    solution: str  # worked steps, calculator marks removed
    final: str


@dataclass(frozen=True)
class CodeItem:
    task_id: str
    prompt: str
    solution: str
    entry_point: str


@dataclass
class Corpus:
    """Every public text the generator draws from, as plain lists (index order is file order)."""

    chats: list[list[str]] = field(default_factory=list)  # held-out ShareGPT conversations, user turns in order
    gsm8k: list[MathItem] = field(default_factory=list)
    humaneval: list[CodeItem] = field(default_factory=list)
    arena_v01: list[str] = field(default_factory=list)
    arena_coding: list[str] = field(default_factory=list)
    arena_math: list[str] = field(default_factory=list)
    arena_creative: list[str] = field(default_factory=list)
    mt_bench: list[tuple[str, list[str]]] = field(default_factory=list)  # (category, two turns)
    vicuna: list[str] = field(default_factory=list)
    seed_tasks: list[tuple[str, str, str]] = field(default_factory=list)  # (instruction, input, output)
    user_tasks: list[tuple[str, str, str]] = field(default_factory=list)  # (app, instruction, input)
    oasst: list[str] = field(default_factory=list)
    personas: list[tuple[str, str]] = field(default_factory=list)  # awesome-chatgpt-prompts (act, prompt)
    jailbreaks: list[str] = field(default_factory=list)
    forbidden: list[str] = field(default_factory=list)


def load(root: Path | None = None) -> Corpus:
    root = root or data_root()
    c = Corpus()
    c.chats = _held_out_chats(root)
    c.gsm8k = [_math(r) for r in read_jsonl(root / "gsm8k" / "test.jsonl")]
    c.humaneval = [
        CodeItem(str(r["task_id"]), str(r["prompt"]), str(r["canonical_solution"]), str(r["entry_point"]))
        for r in read_jsonl(root / "human-eval" / "HumanEval.jsonl.gz")
    ]
    c.arena_v01 = [
        clip(str(r["prompt"])) for r in read_jsonl(root / "arena-hard-auto" / "arena-hard-v0.1-question.jsonl")
    ]
    for r in read_jsonl(root / "arena-hard-auto" / "arena-hard-v2.0-question.jsonl"):
        bucket = {"coding": c.arena_coding, "math": c.arena_math}.get(str(r["subcategory"]), c.arena_creative)
        bucket.append(clip(str(r["prompt"])))
    bench = root / "fastchat-bench-questions"
    c.mt_bench = [
        (str(r["category"]), [str(t) for t in r["turns"]]) for r in read_jsonl(bench / "mt_bench_question.jsonl")
    ]
    c.vicuna = [str(r["turns"][0]) for r in read_jsonl(bench / "vicuna_bench_question.jsonl")]
    c.seed_tasks = [_instance(r) for r in read_jsonl(root / "self-instruct" / "seed_tasks.jsonl")]
    c.user_tasks = [
        (str(r["motivation_app"]), *_instance(r)[:2])
        for r in read_jsonl(root / "self-instruct" / "user_oriented_instructions.jsonl")
    ]
    oa = root / "open-assistant-prompts"
    c.oasst = [
        str(json.loads(line))
        for f in ("prompt_lottery_en_250_text.jsonl", "en_100_text.jsonl")
        for line in (oa / f).read_text().splitlines()
        if line.strip()
    ]
    c.personas = _personas(root / "awesome-chatgpt-prompts" / "prompts.csv")
    c.jailbreaks, c.forbidden = _jailbreaks(root / "jailbreak-llms-inthewild")
    return c


def _held_out_chats(root: Path) -> list[list[str]]:
    convs: dict[str, list[str]] = {}
    for r in read_jsonl(root / "real-distillation-prompts" / "sharegpt_benign_prompts.jsonl.gz"):
        sid = str(r["sharegpt_id"])
        if is_held_out(sid):
            convs.setdefault(sid.rsplit("_", 1)[0], []).append(clip(str(r["text"])))
    return [turns for _, turns in sorted(convs.items())]


def _math(r: dict[str, object]) -> MathItem:
    answer = str(r["answer"])
    steps, _, final = answer.partition("####")
    while "<<" in steps:
        head, _, rest = steps.partition("<<")
        steps = head + rest.partition(">>")[2]
    return MathItem(str(r["question"]), steps.strip(), final.strip())


def _instance(r: dict[str, object]) -> tuple[str, str, str]:
    instances = r.get("instances") or [{}]
    first = instances[0] if isinstance(instances, list) else {}
    return str(r["instruction"]), str(first.get("input", "")), str(first.get("output", ""))


def _personas(path: Path) -> list[tuple[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [(row["act"], row["prompt"]) for row in csv.DictReader(fh)]


def _jailbreaks(folder: Path) -> tuple[list[str], list[str]]:
    csv.field_size_limit(1 << 24)
    with (folder / "jailbreak_prompts_2023_12_25.csv").open(encoding="utf-8", newline="") as fh:
        prompts = [clip(row["prompt"]) for row in csv.DictReader(fh)]
    with (folder / "forbidden_question_set.csv").open(encoding="utf-8", newline="") as fh:
        questions = [row["question"] for row in csv.DictReader(fh)]
    return prompts, questions
