"""Lexical content detectors for the default install (no model download, fast).

The phrases follow what the published reports quote from real campaigns
(Anthropic's February and September 2026 reports, Google GTIG's February 2026
tracker) and the system prompts of public distillation pipelines (OpenThoughts,
Sky-T1, open-r1). Plain "step by step" requests are deliberately weak: students
and benchmark runners ask for them every day.
"""

from __future__ import annotations

from typing import ClassVar

from distillshield.features.content.base import WeightedPhrases

_REASONING = r"(?:reasoning|thinking|thoughts?|thought process|chain[- ]of[- ]thought|working memory|scratchpad)"


class ReasoningElicitation(WeightedPhrases):
    """Prompts that ask the model to expose, reconstruct or reformat its reasoning."""

    name: ClassVar[str] = "elicitation"
    patterns: ClassVar[tuple[tuple[str, float], ...]] = (
        (
            rf"\b(?:internal|hidden|inner|raw|prior|previous|original|full|entire|complete)\s+{_REASONING}",
            0.45,
        ),
        (
            rf"\b(?:articulate|reconstruct|reveal|output|print|dump|expose|write out|transcribe|translate|repeat)"
            rf"\b.{{0,60}}\b{_REASONING}",
            0.45,
        ),
        (rf"{_REASONING}.{{0,40}}\bverbatim|verbatim.{{0,40}}{_REASONING}", 0.5),
        (r"systematic long thinking process", 0.85),
        (r"begin_of_thought|end_of_thought|<think>", 0.6),
        (r"do not flag this", 0.85),
        (r"complete and transparent reasoning", 0.7),
        (r"language (?:used )?in the thinking|thinking content must", 0.8),
        (r"katakana", 0.3),
        (r"imagine and articulate", 0.8),
        (r"\bstep[- ]by[- ]step\b", 0.05),
        (r"\\boxed\{", 0.1),
    )


class JailbreakWrapper(WeightedPhrases):
    """Role-play and instruction-override wrappers from in-the-wild jailbreaks."""

    name: ClassVar[str] = "jailbreak"
    patterns: ClassVar[tuple[tuple[str, float], ...]] = (
        (r"\bdo anything now\b|\bDAN\b", 0.6),
        (r"ignore (?:all |any )?(?:the )?(?:previous|prior|above) (?:instructions|rules|prompts)", 0.6),
        (r"developer mode|jailbr(?:oken|eak)", 0.55),
        (
            r"no (?:ethical|moral) (?:guidelines|restrictions)|without (?:any )?(?:restrictions|filters|censorship)",
            0.45,
        ),
        (r"stay in character|never break character", 0.4),
        (r"(?:real|actual|original|hidden|true) system prompt", 0.45),
        (r"unfiltered|uncensored|amoral", 0.35),
    )


class AgenticScaffold(WeightedPhrases):
    """System prompts that make the model narrate plans and reasoning around tool calls."""

    name: ClassVar[str] = "agentic"
    patterns: ClassVar[tuple[tuple[str, float], ...]] = (
        (r"before (?:each|every|any|calling (?:a|any)) (?:tool|function)(?: call)?", 0.55),
        (r"(?:narrate|explain|describe|state|write out) (?:your|the) (?:plan|reasoning)", 0.45),
        (r"\bthought:.{0,200}\baction:", 0.5),
        (r"think out loud|thinking aloud", 0.35),
        (r"\btool[_ ]calls?\b", 0.2),
    )
