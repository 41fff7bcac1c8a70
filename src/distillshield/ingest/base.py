"""Validate one decoded log record against traffic-log spec v1 and turn it into a requests row.

:func:`to_row` is the only gate every reader goes through, whatever the file
format, so the spec's rules live in one place. It raises :class:`RecordError`
naming the field; the reader adds the file and line.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson

from distillshield.errors import Location, RecordError

SPEC_FIELDS = frozenset(
    {
        "request_id",
        "ts",
        "account_id",
        "api_key_id",
        "user_id",
        "ip",
        "user_agent",
        "asn",
        "payment_fingerprint",
        "email_domain",
        "account_created_at",
        "model",
        "messages",
        "prompt",
        "response",
        "reasoning",
        "prompt_tokens",
        "completion_tokens",
        "reasoning_tokens",
        "tool_calls",
        "status",
        "extra",
    }
)
OPTIONAL_STRINGS = (
    "api_key_id",
    "user_id",
    "ip",
    "user_agent",
    "payment_fingerprint",
    "email_domain",
    "response",
    "reasoning",
)
OPTIONAL_INTS = ("asn", "prompt_tokens", "completion_tokens", "reasoning_tokens", "tool_calls", "status")
NON_NEGATIVE = ("asn", "prompt_tokens", "completion_tokens", "reasoning_tokens", "tool_calls")
SYSTEM_ROLES = frozenset({"system", "developer"})
_MIN_TS, _MAX_TS = 0.0, datetime(2200, 1, 1, tzinfo=UTC).timestamp()
_UNKNOWN_FILE = Path("-")


def reject(field: str | None, reason: str) -> RecordError:
    """A RecordError whose location the reader fills in (file and line are not known here)."""
    return RecordError(reason, Location(_UNKNOWN_FILE, 0, field))


def parse_timestamp(value: Any, field: str, *, naive_is_utc: bool = False) -> datetime:
    """RFC 3339 with an offset, or Unix seconds; returned as naive UTC (the table's convention)."""
    if type(value) is str:
        return _parse_text(value, field, naive_is_utc)
    if isinstance(value, bool) or not isinstance(value, int | float | datetime):
        raise reject(field, f"timestamp must be an RFC 3339 string or Unix seconds, not {_show(value)}")
    if isinstance(value, datetime):
        return _in_range(_aware(value, field, naive_is_utc).astimezone(UTC).replace(tzinfo=None), value, field)
    if not (math.isfinite(value) and _MIN_TS <= value < _MAX_TS):
        raise reject(field, f"timestamp {value!r} is outside 1970-2199")
    return datetime.fromtimestamp(value, UTC).replace(tzinfo=None)


@lru_cache(maxsize=1 << 16)
def _parse_text(value: str, field: str, naive_is_utc: bool) -> datetime:
    """Cached: a log repeats the same account_created_at on every request of an account."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise reject(field, f"unparseable timestamp {value[:64]!r}") from None
    return _in_range(_aware(parsed, field, naive_is_utc).astimezone(UTC).replace(tzinfo=None), value, field)


def _in_range(moment: datetime, value: Any, field: str) -> datetime:
    if not 1970 <= moment.year < 2200:
        raise reject(field, f"timestamp {value!r} is outside 1970-2199")
    return moment


def _aware(value: datetime, field: str, naive_is_utc: bool) -> datetime:
    if value.tzinfo is not None:
        return value
    if naive_is_utc:
        return value.replace(tzinfo=UTC)
    raise reject(field, f"timestamp {value.isoformat()!r} has no UTC offset (RFC 3339 needs one, e.g. 'Z')")


def _content_text(content: Any, index: int) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = []
        for part in content:
            if not isinstance(part, dict):
                raise reject("messages", f"messages[{index}].content parts must be objects")
            text = part.get("text")
            if part.get("type") == "text":
                if not isinstance(text, str):
                    raise reject("messages", f"messages[{index}].content text part needs a string 'text'")
                texts.append(text)
        return "\n".join(texts)
    raise reject("messages", f"messages[{index}].content must be a string, null or a list of parts")


def split_messages(messages: Any) -> tuple[str, str, int, int]:
    """(system text, last user text, number of messages, number of user turns)."""
    if not isinstance(messages, list):
        raise reject("messages", "messages must be an array")
    system, user, user_turns = [], "", 0
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise reject("messages", f"messages[{i}] must be an object with a string 'role'")
        if "content" not in message and not message.get("tool_calls") and not message.get("function_call"):
            raise reject("messages", f"messages[{i}] has no 'content' (null is allowed, a missing key is not)")
        text = _content_text(message.get("content"), i)
        role = message["role"]
        if role in SYSTEM_ROLES:
            system.append(text)
        elif role == "user":
            user, user_turns = text, user_turns + 1
    return "\n".join(system), user, len(messages), user_turns


def _required_string(record: dict[str, Any], field: str) -> str:
    value = record.get(field)
    if value is None:
        raise reject(field, f"missing required field {field!r}")
    if not isinstance(value, str) or (field != "model" and not value.strip()):
        raise reject(field, f"{field} must be a non-empty string (not only spaces), not {_show(value)}")
    return value


def _optional(record: dict[str, Any], field: str, kind: type) -> Any:
    value = record.get(field)
    if value is None or type(value) is kind:  # the common case, checked first (type() excludes bool for int)
        if isinstance(value, int) and not -(2**63) <= value < 2**63:
            raise reject(field, f"{field} {value} does not fit in 64 bits")
        return value
    raise reject(field, f"{field} must be {'an integer' if kind is int else 'a string'}, not {_show(value)}")


def _show(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text[:40]}"


def to_row(record: Any, *, naive_is_utc: bool = False) -> tuple[Any, ...]:
    """One requests-table row (in REQUEST_COLUMNS order; content_hash and provenance are left to the store)."""
    if not isinstance(record, dict):
        raise reject(None, f"a record must be a JSON object, not {type(record).__name__}")
    request_id = _required_string(record, "request_id")
    if "ts" not in record or record["ts"] is None:
        raise reject("ts", "missing required field 'ts'")
    ts = parse_timestamp(record["ts"], "ts", naive_is_utc=naive_is_utc)
    account_id = _required_string(record, "account_id")
    model = _required_string(record, "model")
    messages, prompt = record.get("messages"), record.get("prompt")
    if messages is None and prompt is None:
        raise reject("messages", "one of 'messages' or 'prompt' is required")
    if prompt is not None and not isinstance(prompt, str):
        raise reject("prompt", f"prompt must be a string, not {_show(prompt)}")
    system, user, n_messages, user_turns = split_messages(messages) if messages is not None else ("", "", 0, 0)
    if messages is None or (not user and prompt):
        user = prompt or ""
    created = record.get("account_created_at")
    created_at = None if created is None else parse_timestamp(created, "account_created_at", naive_is_utc=naive_is_utc)
    extra = _extra(record)
    status = _optional(record, "status", int)
    if status is not None and not -(2**31) <= status < 2**31:  # the column is 32-bit, as the bulk path checks
        raise reject("status", f"status {status} does not fit in 32 bits")
    optional = {field: _optional(record, field, str) for field in OPTIONAL_STRINGS}
    optional.update({field: _optional(record, field, int) for field in OPTIONAL_INTS[:-1]})
    for field in NON_NEGATIVE:
        if optional[field] is not None and optional[field] < 0:
            raise reject(field, f"{field} cannot be negative ({optional[field]})")
    message_json = None if messages is None else orjson.dumps(messages).decode()
    # Built in REQUEST_COLUMNS order (a test checks the order against the schema).
    return (
        request_id, ts, account_id, optional["api_key_id"], optional["user_id"], optional["ip"],
        optional["user_agent"], optional["asn"], optional["payment_fingerprint"], optional["email_domain"],
        created_at, model, message_json, prompt, optional["response"], optional["reasoning"],
        optional["prompt_tokens"], optional["completion_tokens"], optional["reasoning_tokens"],
        optional["tool_calls"], 200 if status is None else status, extra,
        system, user, n_messages, user_turns, None, None, None,
    )  # fmt: skip


def _extra(record: dict[str, Any]) -> str | None:
    """The spec's ``extra`` object merged with every unknown top-level field: nothing is dropped."""
    extra = record.get("extra")
    if extra is not None and not isinstance(extra, dict):
        raise reject("extra", f"extra must be an object, not {_show(extra)}")
    merged = dict(extra or {})
    merged.update({k: v for k, v in record.items() if k not in SPEC_FIELDS})
    return orjson.dumps(merged, option=orjson.OPT_NON_STR_KEYS).decode() if merged else None
