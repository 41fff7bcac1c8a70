"""Value conversions a mapping rule applies on the way in: each returns the spec's type or raises ValueError.

The ``messages`` and ``text`` conversions read the chat shapes providers log (OpenAI
chat completions, Anthropic Messages, Bedrock Converse, OpenTelemetry GenAI
``parts``) and give the spec's shape: messages with string contents, so a mapped
record takes the same fast path as a spec record and derives the same prompts.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import orjson

#: Content part types that carry text the caller sent or received (others: images, tool calls, reasoning).
TEXT_PARTS = frozenset({"text", "input_text", "output_text"})
_UNITS = {"unix": 1.0, "unix_ms": 1e3, "unix_us": 1e6, "unix_ns": 1e9}


def to_string(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"expected text, not {type(value).__name__} {str(value)[:40]!r}")
    return str(value)


def to_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError(f"expected an integer, not {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise ValueError(f"expected an integer, not {str(value)[:40]!r}")


def to_json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError as exc:
            raise ValueError(f"not JSON: {exc}") from None
    return value


def timezone_named(name: str) -> tzinfo:
    """An IANA zone (``Europe/Berlin``) or ``UTC``; raises ValueError for an unknown name."""
    if name.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None


def timestamp_parser(fmt: str, zone: tzinfo | None) -> Callable[[Any], datetime]:
    """A parser for ``fmt``: ``iso`` (RFC 3339 or ISO 8601), ``unix``/``unix_ms``/``unix_us``/``unix_ns``, or a
    ``strptime`` pattern; a time without an offset is read in ``zone`` (no zone: it is an error)."""

    def aware(moment: datetime, value: Any) -> datetime:
        if moment.tzinfo is None:
            if zone is None:
                raise ValueError(f"{str(value)[:64]!r} has no UTC offset and the rule names no timezone")
            moment = moment.replace(tzinfo=zone)
        return moment.astimezone(UTC)

    if fmt in _UNITS:
        scale = _UNITS[fmt]

        def unix(value: Any) -> datetime:
            number = float(value) if isinstance(value, str) else value
            if isinstance(number, bool) or not isinstance(number, int | float) or not math.isfinite(number):
                raise ValueError(f"expected {fmt} time, not {str(value)[:40]!r}")
            if isinstance(value, str) and scale > 1:  # nanoseconds overflow a float's precision: split exactly
                whole, part = divmod(int(value), int(scale))
                return datetime.fromtimestamp(whole, UTC).replace(microsecond=int(part * 1e6 / scale))
            return datetime.fromtimestamp(number / scale, UTC)

        return unix

    @lru_cache(maxsize=1 << 14)
    def parse_text(value: str) -> datetime:
        """Cached: a log repeats the same account creation time on every request of an account."""
        try:
            moment = datetime.fromisoformat(value.strip()) if fmt == "iso" else datetime.strptime(value, fmt)
        except ValueError:
            raise ValueError(f"{value[:64]!r} does not match the format {fmt!r}") from None
        return aware(moment, value)

    def parse(value: Any) -> datetime:
        if type(value) is str:
            return parse_text(value)
        if isinstance(value, datetime):
            return aware(value, value)
        raise ValueError(f"expected a time string, not {str(value)[:40]!r}")

    return parse


def text_of(value: Any) -> str | None:
    """The text in a string, a list of content parts, a message or a list of messages (non-text parts skipped)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, list):
        texts = [t for t in (text_of(item) for item in value) if t]
        return "\n".join(texts) if texts else None
    if isinstance(value, dict):
        kind = value.get("type")
        if kind is not None and kind not in TEXT_PARTS and kind != "message":
            return None
        for key in ("text", "content", "parts", "message"):
            if key in value:
                return text_of(value[key])
    return None


def to_text(value: Any) -> str | None:
    if isinstance(value, bool | int | float):
        raise ValueError(f"expected text, not {value!r}")
    return text_of(value)


def to_messages(value: Any, system: Any = None) -> list[dict[str, Any]]:
    """Spec messages (``{role, content: str}``) from any of the chat shapes; ``system`` is prepended."""
    if isinstance(value, dict) and "messages" in value:
        value = value["messages"]
    if not isinstance(value, list):
        raise ValueError(f"messages must be an array, not {type(value).__name__}")
    out: list[dict[str, Any]] = []
    system_text = text_of(system) if system is not None else None
    if system_text:
        out.append({"role": "system", "content": system_text})
    for i, message in enumerate(value):
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise ValueError(f"messages[{i}] must be an object with a string 'role'")
        body = message.get("content", message.get("parts"))
        out.append({"role": message["role"], "content": text_of(body) or ""})
    return out
