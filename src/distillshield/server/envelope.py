"""OpenAI's error envelope, the one shape every error leaves the gateway in.

``{"error": {"message": str, "type": str, "param": str | null, "code": str | null}}``
(all four keys present, as the OpenAI OpenAPI spec requires), so the official
clients raise their usual exception types: 429 -> ``RateLimitError``, 403 ->
``PermissionDeniedError``, 5xx -> ``InternalServerError``.
"""

from __future__ import annotations

from collections.abc import Mapping

import orjson
from starlette.responses import Response

#: Default ``type`` by HTTP status.
TYPES = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    403: "permission_error",
    404: "invalid_request_error",
    405: "invalid_request_error",
    429: "rate_limit_error",
    502: "api_error",
    503: "api_error",
    504: "api_error",
}


def error_body(message: str, *, status: int, code: str | None = None, param: str | None = None) -> dict[str, object]:
    kind = TYPES.get(status, "api_error")
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def error_response(
    message: str,
    *,
    status: int,
    code: str | None = None,
    param: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    body = orjson.dumps(error_body(message, status=status, code=code, param=param))
    return Response(body, status_code=status, media_type="application/json", headers=dict(headers or {}))
