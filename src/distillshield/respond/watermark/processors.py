"""transformers ``LogitsProcessor`` classes for the schemes that transformers does not ship.

This module imports torch and transformers at the top; the schemes import it only when asked
for a processor, so the default install never needs them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import torch
from transformers import LogitsProcessor

if TYPE_CHECKING:
    from distillshield.respond.watermark.gumbel import GumbelSampling


class GumbelLogitsProcessor(LogitsProcessor):
    """Leaves only the exp-min token of each row finite, so greedy or sampled decoding both pick it.

    Place it last: the probabilities it samples from are the softmax of the scores it receives,
    divided by the scheme's temperature.
    """

    def __init__(self, scheme: GumbelSampling) -> None:
        self.scheme = scheme

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.Tensor:
        probs = torch.softmax(scores.float() / self.scheme.temperature, dim=-1).cpu().numpy()
        out = torch.full_like(scores, float("-inf"))
        for row, context in enumerate(input_ids.tolist()):
            if len(context) < self.scheme.context_width:
                out[row] = scores[row]
                continue
            out[row, self.scheme.choose(context, probs[row].astype(np.float64))] = 0.0
        return out


def request_processor(
    processor: LogitsProcessor,
) -> Callable[[Sequence[int], Sequence[int], torch.Tensor], torch.Tensor]:
    """Wrap a batch processor as a per-request callable ``(prompt_ids, output_ids, logits) -> logits``.

    This is the per-request hook vLLM's ``AdapterLogitsProcessor`` and its older
    ``SamplingParams.logits_processors`` accept; the window spans prompt and output alike.
    SynthID's processor keeps per-generation state, so wrap a fresh one for every request.
    """

    def apply(prompt_ids: Sequence[int], output_ids: Sequence[int], logits: torch.Tensor) -> torch.Tensor:
        ids = torch.tensor([[*prompt_ids, *output_ids]], dtype=torch.long)
        result: torch.Tensor = processor(ids, logits.unsqueeze(0))[0]
        return result

    return apply
