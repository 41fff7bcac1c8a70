"""Find and withhold reasoning in OpenAI-shaped responses.

Reasoning reaches callers two ways: as a separate field next to ``content``
(``reasoning_content`` from DeepSeek and vLLM's reasoning parsers, ``reasoning``
from others) or inline as ``<think>...</think>`` text. Withholding removes both
from complete responses; in streams it removes the fields (an inline tag split
over several chunks is passed through, so serve reasoning models behind vLLM's
reasoning parser to withhold them fully).
"""

from __future__ import annotations

import re
from typing import Any

REASONING_FIELDS = ("reasoning_content", "reasoning")
_THINK = re.compile(r"<think>(.*?)</think>\s*", re.DOTALL)


def message_reasoning(message: dict[str, Any]) -> str:
    """Reasoning text a message carries, from its fields or inline tags."""
    parts = [message[f] for f in REASONING_FIELDS if isinstance(message.get(f), str)]
    content = message.get("content")
    if isinstance(content, str):
        parts += _THINK.findall(content)
    return "\n".join(parts)


def withhold_message(message: dict[str, Any]) -> None:
    """Remove reasoning fields and inline think blocks from one message or delta, in place."""
    for name in REASONING_FIELDS:
        message.pop(name, None)
    content = message.get("content")
    if isinstance(content, str) and "<think>" in content:
        message["content"] = _THINK.sub("", content)


def withhold_text(text: str) -> str:
    return _THINK.sub("", text) if "<think>" in text else text


def think_text(text: str) -> str:
    return "\n".join(_THINK.findall(text))
