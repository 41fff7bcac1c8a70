"""Write spec traffic in other log schemas, for the mapping tests: OpenTelemetry GenAI (OTLP JSON), Amazon
Bedrock invocation logs, and a custom gateway schema.

The shapes follow the formats' public documentation (see the headers of the built-in mappings in
``src/distillshield/ingest/mapping/builtin/``): OTLP JSON as the OpenTelemetry Collector's file exporter
writes it with GenAI semantic conventions v1.37 attributes; Bedrock's ModelInvocationLog records with
Converse and InvokeModel (Anthropic Messages) bodies. Each writer also returns the spec records restricted to
what its format carries, the "same traffic written in the spec" a scan of the converted log is compared with.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import orjson

BERLIN = ZoneInfo("Europe/Berlin")
LOCAL_FORMAT = "%d.%m.%Y %H:%M:%S.%f"


def _when(value: str | float) -> datetime:
    """A spec ``ts`` (RFC 3339 or Unix seconds) as an aware UTC time, rounded as the spec path rounds it."""
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    return datetime.fromisoformat(value).astimezone(UTC)


def _iso(value: str | float) -> str:
    return _when(value).isoformat().replace("+00:00", "Z")


def _split(messages: list[dict[str, Any]]) -> tuple[str | None, list[dict[str, Any]]]:
    """System turns (joined) and the rest: both formats keep the system prompt beside the messages."""
    system = [m["content"] for m in messages if m["role"] in ("system", "developer")]
    return ("\n".join(system) if system else None), [m for m in messages if m["role"] not in ("system", "developer")]


def _project(record: dict[str, Any], keep: Iterable[str]) -> dict[str, Any]:
    out = {k: record[k] for k in keep if record.get(k) is not None}
    system, rest = _split(record["messages"])
    out["messages"] = ([{"role": "system", "content": system}] if system else []) + rest
    return out


# --- OpenTelemetry GenAI -------------------------------------------------------------------------------------

OTEL_KEEP = ("request_id", "ts", "account_id", "model", "ip", "user_agent", "response", "reasoning",
             "prompt_tokens", "completion_tokens")  # fmt: skip


def _attr(key: str, value: Any) -> dict[str, Any]:
    if isinstance(value, int):
        return {"key": key, "value": {"intValue": str(value)}}  # OTLP JSON writes int64 as a string
    return {"key": key, "value": {"stringValue": value}}


def _nanos(text: str) -> str:
    moment = _when(text)
    micros = (moment - datetime(1970, 1, 1, tzinfo=UTC)) // datetime.resolution
    return str(micros * 1000)


def otel_attributes(r: dict[str, Any]) -> list[dict[str, Any]]:
    system, rest = _split(r["messages"])
    inputs = [{"role": m["role"], "parts": [{"type": "text", "content": m["content"]}]} for m in rest]
    parts = [{"type": "reasoning", "content": r["reasoning"]}] if r.get("reasoning") else []
    parts.append({"type": "text", "content": r.get("response", "")})
    attrs = [
        _attr("gen_ai.operation.name", "chat"),
        _attr("gen_ai.provider.name", "atlas"),
        _attr("gen_ai.request.model", r["model"]),
        _attr("gen_ai.response.id", r["request_id"]),
        _attr("user.id", r["account_id"]),
        _attr("gen_ai.input.messages", orjson.dumps(inputs).decode()),
        _attr("gen_ai.output.messages", orjson.dumps([{"role": "assistant", "parts": parts}]).decode()),
    ]
    if system:
        attrs.append(_attr("gen_ai.system_instructions", orjson.dumps([{"type": "text", "content": system}]).decode()))
    for key, field in (("client.address", "ip"), ("user_agent.original", "user_agent"),
                       ("gen_ai.usage.input_tokens", "prompt_tokens"),
                       ("gen_ai.usage.output_tokens", "completion_tokens")):  # fmt: skip
        if r.get(field) is not None:
            attrs.append(_attr(key, r[field]))
    return attrs


def _ids(r: dict[str, Any]) -> tuple[str, str]:
    digest = hashlib.sha256(r["request_id"].encode()).hexdigest()
    return digest[:32], digest[32:48]


def otel_span(r: dict[str, Any]) -> dict[str, Any]:
    trace, span = _ids(r)
    start = _nanos(r["ts"])
    return {"traceId": trace, "spanId": span, "name": f"chat {r['model']}", "kind": 3,
            "startTimeUnixNano": start, "endTimeUnixNano": str(int(start) + 10**9),
            "attributes": otel_attributes(r), "status": {}}  # fmt: skip


def otel_log(r: dict[str, Any]) -> dict[str, Any]:
    trace, span = _ids(r)
    return {"timeUnixNano": _nanos(r["ts"]), "eventName": "gen_ai.client.inference.operation.details",
            "severityNumber": 9, "attributes": otel_attributes(r), "traceId": trace, "spanId": span}  # fmt: skip


def _resource() -> dict[str, Any]:
    return {"attributes": [_attr("service.name", "atlas-gateway")]}


def to_otel(records: list[dict[str, Any]], per_line: int = 20) -> tuple[list[bytes], list[dict[str, Any]]]:
    """Lines alternate between a trace export (spans) and a log export (inference events)."""
    lines = []
    for n, start in enumerate(range(0, len(records), per_line)):
        chunk = records[start : start + per_line]
        if n % 2 == 0:
            scope = {"scope": {"name": "atlas.gateway"}, "spans": [otel_span(r) for r in chunk]}
            body = {"resourceSpans": [{"resource": _resource(), "scopeSpans": [scope]}]}
        else:
            scope = {"scope": {"name": "atlas.gateway"}, "logRecords": [otel_log(r) for r in chunk]}
            body = {"resourceLogs": [{"resource": _resource(), "scopeLogs": [scope]}]}
        lines.append(orjson.dumps(body))
    return lines, [_project(r, OTEL_KEEP) for r in records]


# --- Amazon Bedrock model invocation logs ----------------------------------------------------------------------

BEDROCK_KEEP = ("request_id", "ts", "account_id", "model", "response", "reasoning", "prompt_tokens",
                "completion_tokens")  # fmt: skip


def _arn(r: dict[str, Any]) -> str:
    return f"arn:aws:iam::{r['account_id']}:user/{r.get('api_key_id', 'default')}"


def _converse(r: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    system, rest = _split(r["messages"])
    body: dict[str, Any] = {"messages": [{"role": m["role"], "content": [{"text": m["content"]}]} for m in rest],
                            "inferenceConfig": {"maxTokens": 1024}}  # fmt: skip
    if system:
        body["system"] = [{"text": system}]
    content: list[dict[str, Any]] = []
    if r.get("reasoning"):
        content.append({"reasoningContent": {"reasoningText": {"text": r["reasoning"]}}})
    content.append({"text": r.get("response", "")})
    output = {"output": {"message": {"role": "assistant", "content": content}}, "stopReason": "end_turn"}
    return body, output


def _anthropic(r: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    system, rest = _split(r["messages"])
    body: dict[str, Any] = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 1024,
                            "messages": [{"role": m["role"], "content": m["content"]} for m in rest]}  # fmt: skip
    if system:
        body["system"] = system
    content: list[dict[str, Any]] = []
    if r.get("reasoning"):
        content.append({"type": "thinking", "thinking": r["reasoning"]})
    content.append({"type": "text", "text": r.get("response", "")})
    output = {"id": "msg_" + r["request_id"], "type": "message", "role": "assistant", "content": content,
              "stop_reason": "end_turn"}  # fmt: skip
    return body, output


def bedrock_record(r: dict[str, Any], converse: bool) -> dict[str, Any]:
    body, output = _converse(r) if converse else _anthropic(r)
    return {
        "schemaType": "ModelInvocationLog", "schemaVersion": "1.0", "timestamp": _iso(r["ts"]),
        "accountId": r["account_id"], "identity": {"arn": _arn(r)}, "region": "us-east-1",
        "requestId": r["request_id"], "operation": "Converse" if converse else "InvokeModel", "modelId": r["model"],
        "input": {"inputContentType": "application/json", "inputBodyJson": body,
                  "inputTokenCount": r.get("prompt_tokens")},
        "output": {"outputContentType": "application/json", "outputBodyJson": output,
                   "outputTokenCount": r.get("completion_tokens")},
    }  # fmt: skip


def to_bedrock(records: list[dict[str, Any]]) -> tuple[list[bytes], list[dict[str, Any]]]:
    lines = [orjson.dumps(bedrock_record(r, converse=i % 2 == 0)) for i, r in enumerate(records)]
    return lines, [{**_project(r, BEDROCK_KEEP), "api_key_id": _arn(r)} for r in records]


# --- A custom gateway schema: nested keys, JSON held in a string, local time, pieces to join, a value to hash --

CUSTOM_MAPPING = """\
name: atlas-gateway
fields:
  request_id: meta.id
  ts: {from: meta.when, format: "%d.%m.%Y %H:%M:%S.%f", timezone: Europe/Berlin}
  account_id: meta.org.id
  api_key_id: {join: [meta.key.prefix, meta.key.suffix], sep: "_"}
  ip: client.addr
  user_agent: client.ua
  asn: client.asn
  payment_fingerprint: billing.card
  email_domain: billing.email_domain
  account_created_at: {from: billing.since, format: "%d.%m.%Y %H:%M:%S.%f", timezone: Europe/Berlin}
  model: "payload|json.model"
  messages: "payload|json.messages"
  response: result.text
  reasoning: result.thinking
  prompt_tokens: result.usage.in
  completion_tokens: result.usage.out
  status: {from: result.outcome, map: {ok: 200, throttled: 429}}
hash: [payment_fingerprint]
extra: none
"""
CUSTOM_KEEP = ("request_id", "ts", "account_id", "api_key_id", "ip", "user_agent", "asn", "payment_fingerprint",
               "email_domain", "account_created_at", "model", "response", "reasoning", "prompt_tokens",
               "completion_tokens", "status")  # fmt: skip


def _local(text: str) -> str:
    return _when(text).astimezone(BERLIN).strftime(LOCAL_FORMAT)


def custom_record(r: dict[str, Any]) -> dict[str, Any]:
    prefix, _, suffix = r.get("api_key_id", "key_none").partition("_")
    return {
        "meta": {"id": r["request_id"], "when": _local(r["ts"]), "org": {"id": r["account_id"]},
                 "key": {"prefix": prefix, "suffix": suffix}},
        "client": {"addr": r.get("ip"), "ua": r.get("user_agent"),
                   "asn": None if r.get("asn") is None else str(r["asn"])},
        "billing": {"card": r.get("payment_fingerprint"), "email_domain": r.get("email_domain"),
                    "since": _local(r["account_created_at"]) if r.get("account_created_at") else None},
        "payload": orjson.dumps({"model": r["model"], "messages": r["messages"]}).decode(),
        "result": {"text": r.get("response"), "thinking": r.get("reasoning"),
                   "usage": {"in": r.get("prompt_tokens"), "out": r.get("completion_tokens")},
                   "outcome": {200: "ok", 429: "throttled"}.get(r.get("status", 200), "ok")},
    }  # fmt: skip


def to_custom(records: list[dict[str, Any]]) -> tuple[list[bytes], list[dict[str, Any]]]:
    projected = []
    for r in records:
        p = {k: r[k] for k in CUSTOM_KEEP if r.get(k) is not None}
        p["messages"] = r["messages"]
        if "payment_fingerprint" in p:
            p["payment_fingerprint"] = hashlib.sha256(p["payment_fingerprint"].encode()).hexdigest()
        projected.append(p)
    return [orjson.dumps(custom_record(r)) for r in records], projected
