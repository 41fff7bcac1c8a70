"""A small OpenAI-compatible model server for tests, benchmarks and demos of the gateway.

It answers ``/v1/chat/completions`` (plain and SSE), ``/v1/completions`` and
``/v1/models`` with fixed text, a ``reasoning_content`` field and usage that
reports reasoning tokens. The model name picks a fault:

* a name containing ``slow`` waits ``--delay`` seconds before answering;
* ``error500`` answers HTTP 500;
* ``reset`` streams two chunks and then drops the connection.

Run it with ``python -m distillshield.server.stub --port 0``; the first line on
stdout is the address it listens on.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import socket
import sys
import time

import orjson
from aiohttp import web

REPLY = "Hello world"
REASONING = "The user greets me; I greet back."


def _usage(prompt_tokens: int = 12) -> dict[str, object]:
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": 9,
        "total_tokens": prompt_tokens + 9,
        "completion_tokens_details": {"reasoning_tokens": 7},
    }


def _chat_body(model: str) -> bytes:
    message = {"role": "assistant", "content": REPLY, "reasoning_content": REASONING}
    return orjson.dumps(
        {
            "id": "chatcmpl-stub",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
            "usage": _usage(),
        }
    )


def _chunk(model: str, delta: dict[str, object] | None, finish: str | None = None) -> bytes:
    choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]
    chunk = {"id": "chatcmpl-stub", "object": "chat.completion.chunk", "created": 0, "model": model}
    return b"data: " + orjson.dumps({**chunk, "choices": choices}) + b"\n\n"


class Stub:
    def __init__(self, *, delay_s: float = 5.0) -> None:
        self.delay_s = delay_s
        self.requests = 0

    async def chat(self, request: web.Request) -> web.StreamResponse:
        body = await request.json(loads=orjson.loads)
        self.requests += 1
        model = str(body.get("model", ""))
        if "slow" in model:
            await asyncio.sleep(self.delay_s)
        if "error500" in model:
            return web.json_response({"error": {"message": "boom", "type": "server_error"}}, status=500)
        if body.get("stream"):
            return await self._stream(request, body, model)
        return web.Response(body=_chat_body(model), content_type="application/json")

    async def _stream(self, request: web.Request, body: dict[str, object], model: str) -> web.StreamResponse:
        response = web.StreamResponse(headers={"content-type": "text/event-stream"})
        await response.prepare(request)
        await response.write(_chunk(model, {"role": "assistant", "content": ""}))
        await response.write(_chunk(model, {"reasoning_content": REASONING}))
        if "reset" in model:
            assert request.transport is not None  # an open connection
            request.transport.abort()
            return response
        for piece in ("Hello", " world"):
            await response.write(_chunk(model, {"content": piece}))
        await response.write(_chunk(model, {}, "stop"))
        options = body.get("stream_options")
        if isinstance(options, dict) and options.get("include_usage"):
            usage_chunk = {"id": "chatcmpl-stub", "object": "chat.completion.chunk", "created": 0, "model": model}
            await response.write(b"data: " + orjson.dumps({**usage_chunk, "choices": [], "usage": _usage()}) + b"\n\n")
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response

    async def completions(self, request: web.Request) -> web.Response:
        body = await request.json(loads=orjson.loads)
        self.requests += 1
        model = str(body.get("model", ""))
        if "error500" in model:
            return web.json_response({"error": {"message": "boom", "type": "server_error"}}, status=500)
        data = {
            "id": "cmpl-stub",
            "object": "text_completion",
            "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "text": REPLY, "finish_reason": "stop", "logprobs": None}],
            "usage": _usage(),
        }
        return web.Response(body=orjson.dumps(data), content_type="application/json")

    async def models(self, request: web.Request) -> web.Response:
        data = {"object": "list", "data": [{"id": "stub-model", "object": "model", "created": 0, "owned_by": "stub"}]}
        return web.json_response(data)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self.chat)
        app.router.add_post("/v1/completions", self.completions)
        app.router.add_get("/v1/models", self.models)
        return app


async def serve(host: str, port: int, delay_s: float) -> None:
    runner = web.AppRunner(Stub(delay_s=delay_s).app(), access_log=None)
    await runner.setup()
    sock = socket.create_server((host, port), backlog=2048)
    await web.SockSite(runner, sock).start()
    bound = sock.getsockname()
    sys.stdout.write(f"listening on http://{bound[0]}:{bound[1]}\n")
    sys.stdout.flush()
    await asyncio.Event().wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="OpenAI-compatible stub model server (tests and benchmarks).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--delay", type=float, default=5.0, help="seconds a 'slow' model waits")
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.host, args.port, args.delay))


if __name__ == "__main__":
    main()
