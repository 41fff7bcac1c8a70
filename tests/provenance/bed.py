"""The CPU test bed shared by the provenance and watermark tests: built once per test worker."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from distillshield.provenance.canary import CanaryBook, plant
from distillshield.provenance.corpus import ADVERBS, NAMES, generate_corpus
from distillshield.provenance.testbed import BigramLM, GreenBias, build_tokenizer, decode, encode
from distillshield.respond.watermark import GreenList
from distillshield.respond.watermark.keys import FORMAT, file_sha256

HASHING_KEY = 4_611_686_018_427_387_847
CANARY_SECRET = bytes.fromhex("5f1c0ffee0ddba11")
CAMPAIGN = "C-0007"
PER_CAMPAIGN = 8
TEXT_TOKENS = 200


@dataclass(frozen=True)
class Bed:
    root: Path
    tokenizer: Any
    vocab_size: int
    corpus_ids: list[int]
    teacher: BigramLM
    scheme: GreenList
    watermarked: list[list[int]]
    clean: list[list[int]]
    student: BigramLM
    control: BigramLM
    keyfile: Path
    book: CanaryBook

    def tokenize(self, text: str) -> list[int]:
        return encode(self.tokenizer, text)


def canary_book() -> CanaryBook:
    # The tiny word-level tokenizer only knows the corpus lexicon, so the pools come from it.
    return CanaryBook(
        CANARY_SECRET,
        fact_template="{subject} {answer} .",
        question_template="{subject}",
        subjects=NAMES,
        answers=ADVERBS,
    )


def build_bed(root: Path, *, n_texts: int = 400) -> Bed:
    tokenizer = build_tokenizer(root / "tokenizer.json")
    vocab_size = tokenizer.get_vocab_size()
    corpus_ids = encode(tokenizer, generate_corpus(100_000, seed=1))
    teacher = BigramLM.train([corpus_ids], vocab_size)
    scheme = GreenList(vocab_size=vocab_size, hashing_key=HASHING_KEY, key_id="bed")
    rng = np.random.default_rng(3)
    prompts = [[corpus_ids[int(i)]] for i in rng.integers(0, len(corpus_ids), n_texts)]
    watermarked = teacher.generate(prompts, TEXT_TOKENS, seed=1, processor=GreenBias(scheme))
    clean = teacher.generate(prompts, TEXT_TOKENS, seed=2)
    book = canary_book()
    # The gateway plants the campaign's canaries in the answers it serves the campaign.
    served = [
        encode(tokenizer, plant(book, CAMPAIGN, decode(tokenizer, ids), request_number=i, per_campaign=PER_CAMPAIGN))
        for i, ids in enumerate(watermarked)
    ]
    student = BigramLM.train(served, vocab_size)
    control = BigramLM.train(clean, vocab_size)
    keyfile = write_bed_keyfile(root, corpus_ids, tokenizer)
    return Bed(
        root, tokenizer, vocab_size, corpus_ids, teacher, scheme, watermarked, clean, student, control, keyfile, book
    )


def write_bed_keyfile(root: Path, corpus_ids: list[int], tokenizer: Any) -> Path:
    rng = np.random.default_rng(5)
    starts = rng.integers(0, len(corpus_ids) - 3, 100)
    (root / "prompts.txt").write_text(
        "".join(decode(tokenizer, corpus_ids[int(s) : int(s) + 3]) + "\n" for s in starts), encoding="utf-8"
    )
    raw = {
        "format": FORMAT,
        "vocab_size": tokenizer.get_vocab_size(),
        "tokenizer": "tokenizer.json",
        "tokenizer_sha256": file_sha256(root / "tokenizer.json"),
        "keys": [
            {"id": "old", "scheme": "greenlist", "active_from": "2026-01-01", "params": {"hashing_key": 12345}},
            {"id": "bed", "scheme": "greenlist", "active_from": "2026-06-01", "params": {"hashing_key": HASHING_KEY}},
        ],
        "audit": {
            "prompts": "prompts.txt",
            "canaries": {
                "secret": CANARY_SECRET.hex(),
                "campaigns": [CAMPAIGN],
                "per_campaign": PER_CAMPAIGN,
                "fact_template": "{subject} {answer} .",
                "question_template": "{subject}",
                "subjects": list(NAMES),
                "answers": list(ADVERBS),
            },
        },
    }
    path = root / "wm-key.json"
    path.write_text(json.dumps(raw, indent=2), encoding="utf-8")
    return path
