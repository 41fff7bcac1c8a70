"""A transformer test bed on CPU: real English text, a byte-level BPE tokenizer, small GPT-2-style models.

It proves the provenance stage on models that have to *learn* a watermark rather than copy it: a
teacher pretrained on real assistant answers answers a distiller's prompts through transformers'
``generate(watermarking_config=...)`` (green list, SynthID) or the project's Gumbel processor; a
student base pretrained on other text is fine-tuned on those answers, a fraction ``rho`` of them
watermarked; control students learn from unwatermarked answers. Everything is seeded and cached
by content digest, so the benchmark pays for training once and CI builds :meth:`BedConfig.small`.

Needs ``pip install 'distillshield[provenance]'``; it is not imported by ``distillshield.provenance``.
"""

from __future__ import annotations

from distillshield.provenance.tfbed.bed import Bed, BedConfig, ChatLM, Prefetched, build_bed
from distillshield.provenance.tfbed.lm import LMConfig
from distillshield.provenance.tfbed.text import Texts, chat, load_texts

__all__ = ["Bed", "BedConfig", "ChatLM", "LMConfig", "Prefetched", "Texts", "build_bed", "chat", "load_texts"]
