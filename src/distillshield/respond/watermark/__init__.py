"""Keyed, tokenizer-aware text watermarks: one class per scheme, with ``embed`` and ``detect`` side by side.

Conventions:

* A scheme is keyed by a secret and works on token ids of one tokenizer; the key file records
  the tokenizer's hash so a key is never used with another vocabulary.
* ``embed(input_ids, scores)`` changes a batch of next-token scores; ``logits_processor()``
  returns the same as a transformers ``LogitsProcessor`` (``GreenList`` and ``SynthID`` return
  transformers' own processors, so existing transformers watermarks are detectable here, and
  ``watermarking_config()`` gives the config ``generate`` takes).
  ``processors.request_processor`` adapts either to vLLM's per-request hook.
* ``detect(token_ids)`` takes the generated tokens only (prompt removed) and returns a
  :class:`Detection` with an exact p-value; each (window, token) tuple is scored once, across a
  whole corpus when a :class:`ScoringTape` is shared, and texts shorter than ``min_tokens``
  scored windows are never flagged.
* torch and transformers are imported lazily (``pip install 'distillshield[provenance]'``).
"""

from __future__ import annotations

from distillshield.respond.watermark.base import (
    DEFAULT_MIN_TOKENS,
    Detection,
    ScoringTape,
    WatermarkScheme,
    bonferroni,
    detect,
    exclude_prompt,
    windows,
)
from distillshield.respond.watermark.greenlist import GreenList
from distillshield.respond.watermark.gumbel import GumbelSampling
from distillshield.respond.watermark.keys import (
    SCHEMES,
    Keyring,
    KeyringDetection,
    Scheme,
    WatermarkKey,
    load_keyring,
    new_key,
    read_keyfile,
    write_keyfile,
)
from distillshield.respond.watermark.synthid import SynthID

__all__ = [
    "DEFAULT_MIN_TOKENS",
    "Detection",
    "GreenList",
    "GumbelSampling",
    "Keyring",
    "KeyringDetection",
    "SCHEMES",
    "Scheme",
    "ScoringTape",
    "SynthID",
    "WatermarkKey",
    "WatermarkScheme",
    "bonferroni",
    "detect",
    "exclude_prompt",
    "load_keyring",
    "new_key",
    "read_keyfile",
    "windows",
    "write_keyfile",
]
