"""The transformer test bed: tokenizer, teacher, student base, watermarked replies and distilled students.

``build_bed(config, cache)`` trains (or loads from ``cache``) a byte-level BPE tokenizer, a teacher
pretrained on real assistant answers, and an unrelated student base pretrained on other text.
:meth:`Bed.teacher_replies` has the teacher answer the distiller's prompts, watermarked by a
scheme or not; :meth:`Bed.distill` fine-tunes the base on (prompt, reply) pairs, which is how a
distiller turns API answers into a student. Every step is seeded and cached by content digest.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from distillshield.provenance.tfbed import lm
from distillshield.provenance.tfbed.text import END, Texts, chat, load_texts, train_tokenizer
from distillshield.respond.watermark.keys import FORMAT, file_sha256, write_keyfile

#: (prompt ids, reply ids): one training example of a distilled student.
Pair = tuple[list[int], list[int]]
#: What a build step reports: a short label of the model or texts being made.
Report = Callable[[str], None]


def _bench_lm(**changes: Any) -> lm.LMConfig:
    # Two layers over a 512-token vocabulary, a context that holds a 48-token prompt and a 128-token
    # reply: what two CPU cores shared with other work train in minutes. The teacher has width 64;
    # the student base and its students width 128 (about 0.5M parameters), since a student has to
    # learn the key's green lists pair by pair and that takes capacity.
    return lm.LMConfig(**{"d_model": 64, "layers": 2, "heads": 4, "context": 192, "batch": 8, "lr": 3e-3, **changes})


@dataclass(frozen=True, slots=True)
class BedConfig:
    """Sizes and schedules of the bed; the defaults are the benchmark's, :meth:`small` is CI's."""

    vocab_size: int = 512
    teacher: lm.LMConfig = field(default_factory=lambda: _bench_lm(steps=400, seed=1))
    base: lm.LMConfig = field(default_factory=lambda: _bench_lm(d_model=128, steps=150, seed=2))
    student: lm.LMConfig = field(default_factory=lambda: _bench_lm(d_model=128, steps=2400, seed=3))
    #: Prompts the distiller sends (all of them when the text has fewer: 1,970 on the shared data).
    distill_prompts: int = 2000
    reply_tokens: int = 128
    prompt_tokens: int = 48

    @classmethod
    def small(cls) -> BedConfig:
        """The scaled-down bed CI builds: one layer of width 64, a 1024-token vocabulary, short replies."""
        tiny = lm.LMConfig(d_model=64, layers=1, heads=2, context=96, steps=60, batch=16, lr=3e-3, seed=1)
        return cls(
            vocab_size=1024,
            teacher=tiny,
            base=lm.LMConfig(**{**asdict(tiny), "steps": 20, "seed": 2}),
            student=lm.LMConfig(**{**asdict(tiny), "steps": 60, "seed": 3}),
            distill_prompts=128,
            reply_tokens=48,
            prompt_tokens=24,
        )


@dataclass(slots=True)
class ChatLM:
    """A bed model behind the chat format, with the ``generate`` the loopback server calls."""

    model: Any
    tokenizer: Any
    prompt_tokens: int
    #: A watermark scheme the model embeds in every reply (the protected model behind the gateway).
    watermark: Any = None

    def wrap(self, prompt_ids: Sequence[int]) -> list[int]:
        text = str(self.tokenizer.decode(list(prompt_ids)))
        return list(self.tokenizer.encode(chat(text)).ids)[-self.prompt_tokens :]

    def generate(
        self, prompts: Sequence[Sequence[int]], n_tokens: int, *, seed: int, temperature: float = 1.0
    ) -> list[list[int]]:
        wrapped = [self.wrap(p) for p in prompts]
        return lm.generate(self.model, wrapped, n_tokens, seed=seed, temperature=temperature, watermark=self.watermark)


@dataclass(slots=True)
class Prefetched:
    """An in-process chat model that answers a known prompt set in batches, for sweeps over many students."""

    chat: ChatLM
    replies: dict[str, str]

    @classmethod
    def answer(
        cls, chat_lm: ChatLM, prompts: Sequence[str], *, max_tokens: int, temperature: float, seed: int
    ) -> Prefetched:
        ids = [list(chat_lm.tokenizer.encode(p).ids) for p in prompts]
        out = chat_lm.generate(ids, max_tokens, seed=seed, temperature=temperature)
        return cls(chat_lm, {p: str(chat_lm.tokenizer.decode(o)) for p, o in zip(prompts, out, strict=True)})

    def complete(self, prompt: str, *, max_tokens: int, temperature: float) -> str:
        return self.replies[prompt]


@dataclass(slots=True)
class Bed:
    config: BedConfig
    cache: Path
    texts: Texts
    tokenizer: Any
    tokenizer_path: Path
    teacher: Any
    base: Any
    digests: dict[str, str] = field(default_factory=dict)

    @property
    def end_id(self) -> int:
        return int(self.tokenizer.token_to_id(END))

    @property
    def vocab_size(self) -> int:
        return int(self.tokenizer.get_vocab_size())

    def encode(self, text: str) -> list[int]:
        return list(self.tokenizer.encode(text, add_special_tokens=False).ids)

    def decode(self, ids: Sequence[int]) -> str:
        return str(self.tokenizer.decode(list(ids)))

    def prompt_ids(self, prompt: str) -> list[int]:
        return self.encode(chat(prompt))[-self.config.prompt_tokens :]

    def chat(self, model: Any, watermark: Any = None) -> ChatLM:
        return ChatLM(model, self.tokenizer, self.config.prompt_tokens, watermark)

    def distill_prompts(self) -> tuple[str, ...]:
        return self.texts.distill_prompts[: self.config.distill_prompts]

    def teacher_replies(self, watermark: Any = None, *, seed: int = 0, model: Any = None) -> list[list[int]]:
        """Replies of ``model`` (the teacher by default) to the distiller's prompts, cached on disk."""
        model = self.teacher if model is None else model
        prompts = [self.prompt_ids(p) for p in self.distill_prompts()]
        mark = None if watermark is None else [watermark.name, watermark.params()]
        parts = [self.digest_of(model), json.dumps(mark, sort_keys=True), lm.text_digest(prompts)]
        key = _digest(*parts, str(seed), str(self.config.reply_tokens))
        path = self.cache / f"replies-{key}.json"
        if path.is_file():
            return [list(r) for r in json.loads(path.read_text(encoding="utf-8"))]
        replies = lm.generate(model, prompts, self.config.reply_tokens, seed=seed, watermark=watermark)
        path.write_text(json.dumps(replies), encoding="utf-8")
        return replies

    def pairs(self, replies: Sequence[Sequence[int]]) -> list[Pair]:
        return [(self.prompt_ids(p), list(r)) for p, r in zip(self.distill_prompts(), replies, strict=True)]

    def distill(
        self,
        name: str,
        pairs: Sequence[Pair],
        *,
        parent: Any = None,
        extra: Sequence[str] = (),
        config: lm.LMConfig | None = None,
    ) -> Any:
        """Fine-tune ``parent`` (the student base by default) on ``pairs`` plus plain ``extra`` texts."""
        parent = self.base if parent is None else parent
        schedule = config or self.config.student
        sequences = [p + r for p, r in pairs] + [self.encode(t) for t in extra]
        digest = schedule.digest(self.digest_of(parent), lm.text_digest(sequences))

        def build() -> Any:
            student = lm.new_model(schedule, self.vocab_size, self.end_id)
            student.load_state_dict(parent.state_dict())
            return lm.train(student, sequences, schedule, self.end_id)

        model = lm.cached(self.cache, name, digest, build)
        self.digests[str(id(model))] = digest
        return model

    def digest_of(self, model: Any) -> str:
        return self.digests[str(id(model))]

    def write_keyfile(self, root: Path, keys: Sequence[Mapping[str, Any]], *, audit_prompts: int = 200) -> Path:
        """A key file for ``distillshield audit`` with ``keys``, this bed's tokenizer and its audit prompts."""
        root.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.tokenizer_path, root / "tokenizer.json")
        prompts = self.texts.audit_prompts[:audit_prompts]
        (root / "prompts.txt").write_text("".join(p + "\n" for p in prompts), encoding="utf-8")
        raw = {
            "format": FORMAT,
            "vocab_size": self.vocab_size,
            "tokenizer": "tokenizer.json",
            "tokenizer_sha256": file_sha256(root / "tokenizer.json"),
            "keys": [dict(k) for k in keys],
            "audit": {"prompts": "prompts.txt"},
        }
        path = root / "wm-key.json"
        write_keyfile(path, raw)
        return path


def _digest(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def build_bed(config: BedConfig, cache: Path, *, report: Report | None = None) -> Bed:
    """Train or load the tokenizer, the teacher and the student base of ``config`` under ``cache``."""
    cache.mkdir(parents=True, exist_ok=True)
    texts = load_texts()
    say = report or (lambda _label: None)
    tok_key = _digest(str(config.vocab_size), texts.source, str(len(texts.teacher)), str(len(texts.base)))
    tokenizer_path = cache / f"tokenizer-{tok_key}.json"
    tokenizer = _tokenizer(texts, config.vocab_size, tokenizer_path, say)
    bed = Bed(config, cache, texts, tokenizer, tokenizer_path, None, None)
    for name, lm_config, corpus in (("teacher", config.teacher, texts.teacher), ("base", config.base, texts.base)):
        sequences = [list(e.ids) for e in tokenizer.encode_batch(list(corpus))]
        digest = lm_config.digest(tok_key, lm.text_digest(sequences))
        say(name)
        model = lm.cached(cache, name, digest, partial(_pretrain, lm_config, sequences, bed.vocab_size, bed.end_id))
        setattr(bed, name, model)
        bed.digests[str(id(model))] = digest
    return bed


def _tokenizer(texts: Texts, vocab_size: int, path: Path, say: Report) -> Any:
    if path.is_file():
        from tokenizers import Tokenizer

        return Tokenizer.from_file(str(path))
    say("tokenizer")
    return train_tokenizer([*texts.teacher, *texts.base], vocab_size, path)


def _pretrain(config: lm.LMConfig, sequences: Sequence[Sequence[int]], vocab_size: int, end_id: int) -> Any:
    return lm.train(lm.new_model(config, vocab_size, end_id), sequences, config, end_id)
