"""Adapter for LiteLLM spend logs (the ``LiteLLM_SpendLogs`` table exported as JSON Lines or CSV).

Mapping onto traffic-log spec v1:

=========================== ============================================================
LiteLLM column              spec field
=========================== ============================================================
``request_id``              ``request_id``
``startTime``               ``ts`` (LiteLLM stores UTC without an offset: naive means UTC)
``team_id``                 ``account_id``; else ``metadata.user_api_key_team_id``; else ``api_key``
``api_key``                 ``api_key_id`` (LiteLLM stores a hash of the key, never the secret)
``user``, else ``end_user`` ``user_id``
``requester_ip_address``    ``ip``
``model``                   ``model``
``messages``                ``messages`` (JSON text or array); a bare string becomes ``prompt``
``response``                ``response`` = ``choices[0].message.content``, ``reasoning`` = its ``reasoning_content``
``prompt_tokens``           ``prompt_tokens`` (CSV digits are converted)
``completion_tokens``       ``completion_tokens``
everything else             kept under ``extra`` (``metadata``, ``spend``, ``call_type``, ``status``, ...)
=========================== ============================================================
"""

from __future__ import annotations

from typing import Any

import orjson

from distillshield.ingest.base import reject

#: Columns that identify a LiteLLM spend-log export (a header or a first record having them).
SIGNATURE = frozenset({"request_id", "startTime"})
_MAPPED = frozenset(
    {
        "request_id",
        "startTime",
        "team_id",
        "api_key",
        "user",
        "end_user",
        "requester_ip_address",
        "model",
        "messages",
        "response",
        "prompt_tokens",
        "completion_tokens",
    }
)


def _json_or_text(value: Any) -> Any:
    """LiteLLM exports nested columns as JSON text; decode it when it is JSON, keep it otherwise."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    return value


def _blank(value: Any) -> bool:
    return value is None or value == "" or value == {} or value == []


def _int(row: dict[str, Any], column: str) -> int | None:
    value = row.get(column)
    if _blank(value):
        return None
    if isinstance(value, str):
        if not value.strip().lstrip("-").isdigit():
            raise reject(column, f"{column} must be an integer, not {value[:40]!r}")
        return int(value)
    return value  # to_row checks the type


def _response(value: Any) -> tuple[Any, Any]:
    value = _json_or_text(value)
    if isinstance(value, dict):
        choices = value.get("choices") or [{}]
        message = choices[0].get("message", {}) if isinstance(choices[0], dict) else {}
        return message.get("content"), message.get("reasoning_content")
    return (None if _blank(value) else value), None


def _account(row: dict[str, Any], metadata: Any) -> Any:
    if not _blank(row.get("team_id")):
        return row["team_id"]
    if isinstance(metadata, dict) and not _blank(metadata.get("user_api_key_team_id")):
        return metadata["user_api_key_team_id"]
    return row.get("api_key")


def from_litellm(row: dict[str, Any]) -> dict[str, Any]:
    """A spec record from one spend-log row; to_row then validates it like any other."""
    metadata = _json_or_text(row.get("metadata"))
    messages = _json_or_text(row.get("messages"))
    response, reasoning = _response(row.get("response"))
    record: dict[str, Any] = {
        "request_id": row.get("request_id"),
        "ts": row.get("startTime"),
        "account_id": _account(row, metadata),
        "api_key_id": row.get("api_key") or None,
        "user_id": row.get("user") or row.get("end_user") or None,
        "ip": row.get("requester_ip_address") or None,
        "model": row.get("model"),
        "response": response,
        "reasoning": reasoning,
        "prompt_tokens": _int(row, "prompt_tokens"),
        "completion_tokens": _int(row, "completion_tokens"),
        "extra": {k: _json_or_text(v) for k, v in row.items() if k not in _MAPPED and not _blank(v)},
    }
    if isinstance(messages, str):
        record["prompt"] = messages
    else:
        record["messages"] = messages
    return {k: v for k, v in record.items() if v is not None}
