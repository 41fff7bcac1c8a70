"""A minimal client for an OpenAI-compatible chat endpoint: the suspect, the protected model, references.

It uses the standard library's HTTP client: the audit sends a few hundred plain requests and
needs no connection pool or async. Network and HTTP failures become ``UpstreamError``.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any, Protocol

from distillshield.errors import UpstreamError


class ChatModel(Protocol):
    """Anything that answers a prompt with text: a remote suspect or an in-process model."""

    def complete(self, prompt: str, *, max_tokens: int, temperature: float) -> str: ...


@dataclass(frozen=True, slots=True)
class ChatClient:
    """Sends one user message per request to ``{url}/chat/completions`` (``url`` ends in ``/v1``)."""

    url: str
    model: str = "suspect"
    api_key: str | None = None
    timeout: float = 60.0

    def complete(self, prompt: str, *, max_tokens: int, temperature: float) -> str:
        body = {
            "model": self.model,
            "messages": [{"role": "user", "content": prompt}],
            "max_tokens": max_tokens,
            "temperature": temperature,
        }
        reply = self._post("/chat/completions", body)
        try:
            return str(reply["choices"][0]["message"]["content"] or "")
        except (KeyError, IndexError, TypeError) as exc:
            raise UpstreamError(f"{self.url}: reply has no choices[0].message.content") from exc

    def _post(self, path: str, body: dict[str, Any]) -> Any:
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(
            self.url.rstrip("/") + path, data=json.dumps(body).encode(), headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            raise UpstreamError(f"{self.url}: HTTP {exc.code} {exc.reason}") from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise UpstreamError(f"{self.url}: {exc}", timeout=isinstance(exc, TimeoutError)) from exc
        except json.JSONDecodeError as exc:
            raise UpstreamError(f"{self.url}: reply is not JSON") from exc
