"""A CPU test bed: a word-level tokenizer, tiny n-gram language models and an OpenAI-compatible server.

It lets the provenance stage be proven end to end without pretrained weights: a teacher bigram
model trained on the synthetic corpus generates (watermarked) text through the same logits
processors a provider would use, a student is trained on that text, and the student is served on
loopback so that the audit queries it exactly as it would query a remote suspect.

The models are count-based bigram models in numpy (add-alpha smoothing) because they train in
milliseconds and represent a context-width-1 watermark exactly; the generation loop hands torch
tensors to the logits processors, as transformers' ``generate`` does.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from distillshield.provenance.corpus import lexicon
from distillshield.respond.watermark.base import require_torch
from distillshield.respond.watermark.greenlist import GreenList

SPECIAL = ("[UNK]", "<s>")
#: A batch logits processor: (input_ids [B, L] tensor, scores [B, V] tensor) -> scores.
Processor = Callable[[Any, Any], Any]


def build_tokenizer(path: Path | None = None) -> Any:
    """A word-level ``tokenizers.Tokenizer`` over the corpus lexicon, saved to ``path`` when given."""
    require_torch()
    from tokenizers import Tokenizer, models, pre_tokenizers

    vocab = {word: i for i, word in enumerate((*SPECIAL, *lexicon()))}
    tokenizer = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    if path is not None:
        tokenizer.save(str(path))
    return tokenizer


@dataclass(slots=True)
class BigramLM:
    """An add-alpha bigram model; ``log_probs[prev]`` is the next-token log-distribution."""

    log_probs: np.ndarray[Any, np.dtype[np.float64]]

    @classmethod
    def train(cls, sequences: Sequence[Sequence[int]], vocab_size: int, *, alpha: float = 0.01) -> BigramLM:
        counts = np.full((vocab_size, vocab_size), alpha)
        for seq in sequences:
            ids = np.asarray(seq, dtype=np.int64)
            np.add.at(counts, (ids[:-1], ids[1:]), 1.0)
        return cls(np.log(counts / counts.sum(axis=1, keepdims=True)))

    @property
    def vocab_size(self) -> int:
        return int(self.log_probs.shape[0])

    def next_token_logits(self, contexts: Sequence[Sequence[int]]) -> np.ndarray[Any, np.dtype[np.float64]]:
        """Next-token logits for a batch of contexts (the open-weights view of the model)."""
        return self.log_probs[[int(c[-1]) for c in contexts]]

    def generate(
        self,
        prompts: Sequence[Sequence[int]],
        n_tokens: int,
        *,
        seed: int,
        processor: Processor | None = None,
        temperature: float = 1.0,
    ) -> list[list[int]]:
        """Sample ``n_tokens`` new tokens after each prompt; ``processor`` sees full sequences, as in generate()."""
        torch = require_torch()
        gen = torch.Generator().manual_seed(seed)
        ids = torch.tensor([list(p) for p in prompts], dtype=torch.long)
        for _ in range(n_tokens):
            scores = torch.from_numpy(self.log_probs[ids[:, -1].numpy()] / temperature).float()
            if processor is not None:
                scores = processor(ids, scores)
            # Gumbel-max sampling: the same distribution as multinomial, and much faster on CPU.
            noise = -torch.log(-torch.log(torch.rand(scores.shape, generator=gen).clamp_min(1e-12)))
            nxt = torch.argmax(scores + noise, dim=-1, keepdim=True)
            ids = torch.cat([ids, nxt], dim=1)
        return [row[len(p) :] for row, p in zip(ids.tolist(), prompts, strict=True)]


class GreenBias:
    """transformers' green-list bias for a context-width-1 ``lefthash`` key, precomputed as a matrix.

    Identical in effect to ``GreenList.logits_processor()`` (a test checks it) but vectorised over
    the batch, so that the test bed can generate tens of thousands of tokens in a second.
    """

    def __init__(self, scheme: GreenList) -> None:
        self.bias = scheme.bias
        self.masks = np.stack([scheme.green_mask([prev]) for prev in range(scheme.vocab_size)])

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        torch = require_torch()
        mask = torch.from_numpy(self.masks[input_ids[:, -1].numpy()])
        return scores + self.bias * mask.to(scores.dtype)


def encode(tokenizer: Any, text: str) -> list[int]:
    return list(tokenizer.encode(text).ids)


def decode(tokenizer: Any, ids: Sequence[int]) -> str:
    return str(tokenizer.decode(list(ids)))


class Servable(Protocol):
    """A model the loopback server can serve: ``BigramLM`` here, ``tfbed.ChatLM`` for transformers."""

    def generate(
        self, prompts: Sequence[Sequence[int]], n_tokens: int, *, seed: int, temperature: float = 1.0
    ) -> list[list[int]]: ...


class _Handler(BaseHTTPRequestHandler):
    server: _ModelServer

    def do_POST(self) -> None:  # noqa: N802 - the name http.server dispatches to
        length = int(self.headers.get("Content-Length", 0))
        body = json.loads(self.rfile.read(length) or b"{}")
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._reply(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
            return
        prompt = str(body["messages"][-1]["content"])
        text = self.server.complete(prompt, int(body.get("max_tokens", 64)), float(body.get("temperature", 1.0)))
        self._reply(
            200,
            {
                "id": "chatcmpl-testbed",
                "object": "chat.completion",
                "model": body.get("model", "testbed"),
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "length"}],
            },
        )

    def _reply(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Silence per-request logging."""


class _ModelServer(ThreadingHTTPServer):
    def __init__(self, model: Servable, tokenizer: Any, seed: int) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.model, self.tokenizer = model, tokenizer
        self._lock = threading.Lock()
        self._calls = seed

    def complete(self, prompt: str, max_tokens: int, temperature: float) -> str:
        ids = encode(self.tokenizer, prompt) or [SPECIAL.index("<s>")]
        with self._lock:
            self._calls += 1
            seed = self._calls
        out = self.model.generate([ids], max_tokens, seed=seed, temperature=max(temperature, 1e-3))[0]
        return decode(self.tokenizer, out)


@contextmanager
def serve(model: Servable, tokenizer: Any, *, seed: int = 0) -> Iterator[str]:
    """Serve ``model`` as an OpenAI-compatible chat endpoint on a loopback ephemeral port; yields its URL."""
    server = _ModelServer(model, tokenizer, seed)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
