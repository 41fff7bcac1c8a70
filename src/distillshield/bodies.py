"""Request bodies read within a byte limit, for every HTTP server distillshield runs.

The check the reverse proxies and ASGI servers do (nginx ``client_max_body_size``,
Starlette's ``request.stream()``): a declared ``Content-Length`` over the limit is refused
before a byte of the body is read, and a chunked body (no length) is counted as it streams
and refused as soon as it passes the limit, so memory never holds more than the limit.
"""

from __future__ import annotations

from starlette.requests import Request


class BodyTooLargeError(Exception):
    """The request body is larger than the server's limit; answer 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"request body larger than {limit} bytes")
        self.limit = limit


def declared_too_large(request: Request, limit: int) -> bool:
    """Whether the request's Content-Length already exceeds ``limit`` (an unparsable length counts as too large)."""
    declared = request.headers.get("content-length")
    if declared is None:
        return False
    try:
        return int(declared) > limit
    except ValueError:
        return True


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, or :class:`BodyTooLargeError` before more than ``limit`` bytes are held."""
    if declared_too_large(request, limit):
        raise BodyTooLargeError(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLargeError(limit)
        chunks.append(chunk)
    body = b"".join(chunks)
    request._body = body  # later request.body()/json() calls reuse it instead of reading a drained stream
    return body
