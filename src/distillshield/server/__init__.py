"""The gateway shell: an OpenAI-compatible reverse proxy over the respond stage.

``create_app`` builds the ASGI app (a :class:`GatewayApp`: completions straight
to the gateway, everything else through FastAPI) from a :class:`GatewayConfig`; the upstream
model server sits behind :class:`Upstream` (aiohttp in production, any stub in
tests); ``distillshield serve`` runs it under uvicorn.
"""

from __future__ import annotations

from distillshield.server.app import GatewayApp, GatewayConfig, create_app
from distillshield.server.upstream import AiohttpUpstream, Timeouts, Upstream

__all__ = ["AiohttpUpstream", "GatewayApp", "GatewayConfig", "Timeouts", "Upstream", "create_app"]
