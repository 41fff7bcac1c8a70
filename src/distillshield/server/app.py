"""The gateway as an ASGI app: OpenAI-compatible routes, the admin API, health and metrics.

:func:`create_app` builds everything from one frozen :class:`GatewayConfig`;
tests may pass their own :class:`~distillshield.server.upstream.Upstream` or
state store. Routes take the raw request and return raw responses (no
pydantic models on the hot path): the gateway forwards bodies it does not own.

The two completion routes do not even pass through FastAPI: :class:`GatewayApp`
sends them straight to the gateway and everything else (models, metrics, health,
admin, lifespan) to the FastAPI app. FastAPI's routing and five middleware
layers cost about as much CPU per request as forwarding it (py-spy, 300 req/s).
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from distillshield.detect.model import DetectionModel
from distillshield.errors import InputError, StateUnavailableError
from distillshield.orgs import KnownOrganisations
from distillshield.registry import build_registry
from distillshield.respond.actions import ACTIONS, Action
from distillshield.respond.identity import KeyRing
from distillshield.respond.linking import OnlineCampaigns
from distillshield.respond.online import OnlineScorer
from distillshield.respond.policy import DEFAULT_POLICY, TIER_NAMES, Policy
from distillshield.respond.redis_state import RedisStore
from distillshield.respond.seed import load_seed
from distillshield.respond.standing import Standing
from distillshield.respond.state import MemoryStore, Override, StateStore
from distillshield.server.envelope import error_response
from distillshield.server.gateway import DEFAULT_MAX_BODY_BYTES, ROUTES, Gateway, GatewayOptions
from distillshield.server.metrics import CONTENT_TYPE_LATEST, Metrics
from distillshield.server.trafficlog import TrafficLog
from distillshield.server.upstream import AiohttpUpstream, Timeouts, Upstream
from distillshield.settings import Settings

log = logging.getLogger("distillshield.gateway")


@dataclass(frozen=True, slots=True)
class GatewayConfig:
    """Everything ``distillshield serve`` configures."""

    upstream_url: str
    keys: KeyRing
    policy: Policy = DEFAULT_POLICY
    log_dir: Path | None = None
    log_max_bytes: int = 256 * 1024 * 1024
    log_stream: str | None = None  # redis://HOST:PORT/DB?stream=NAME: the log_dir lines also go there
    redis_url: str | None = None
    redis_prefix: str = "distillshield"
    redis_timeout_s: float = 0.25
    fail_open: bool = True
    admin_token: str | None = None
    seed_dir: Path | None = None
    upstream_key: str | None = None
    timeouts: Timeouts = Timeouts()
    trust_forwarded_for: bool = False
    link_online: bool = True  # link accounts into campaigns from live traffic (respond.linking)
    replay_clock: bool = False  # request times from the x-distillshield-time header (replaying a log)
    known: KnownOrganisations = field(default_factory=KnownOrganisations)  # --known-orgs
    settings: Settings = field(default_factory=Settings)
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES  # larger request bodies are answered 413 unread
    trusted_proxies: tuple[str, ...] = ("127.0.0.1", "::1")  # whose X-Forwarded-For counts (trust_forwarded_for)
    metrics_token: str | None = None  # when set, /metrics needs Authorization: Bearer <it>
    model: DetectionModel | None = None  # --model: learned weights, thresholds, dismissed accounts (learn)

    @property
    def effective_settings(self) -> Settings:
        """The settings scoring uses: the model's thresholds over the given ones."""
        return self.model.settings(self.settings) if self.model is not None else self.settings

    @property
    def effective_known(self) -> KnownOrganisations:
        """The known organisations, with the model's dismissed accounts as confirmed benign."""
        return self.known.with_confirmed(self.model.dismissed) if self.model is not None else self.known


def make_store(config: GatewayConfig) -> StateStore:
    if config.redis_url:
        return RedisStore(url=config.redis_url, prefix=config.redis_prefix, timeout_s=config.redis_timeout_s)
    return MemoryStore()


def make_gateway(
    config: GatewayConfig, *, upstream: Upstream | None = None, store: StateStore | None = None
) -> Gateway:
    registry = build_registry()
    detectors, scorers = registry.instances("content"), registry.instances("scorers")
    state = store or make_store(config)
    settings = config.effective_settings
    standing = Standing(config.effective_known, settings.established_age_days)
    return Gateway(
        policy=config.policy,
        keys=config.keys,
        store=state,
        scorer=OnlineScorer(detectors=detectors, scorers=scorers, settings=settings, model=config.model),
        upstream=upstream or AiohttpUpstream(base_url=config.upstream_url, timeouts=config.timeouts),
        traffic=TrafficLog(config.log_dir, max_bytes=config.log_max_bytes, stream=config.log_stream)
        if config.log_dir
        else None,
        metrics=Metrics(),
        options=GatewayOptions(
            config.fail_open,
            config.trust_forwarded_for,
            config.upstream_key,
            replay_clock=config.replay_clock,
            standing=standing,
            model_digest=config.model.digest if config.model is not None else None,
            max_body_bytes=config.max_body_bytes,
            trusted_proxies=config.trusted_proxies,
        ),
        linker=OnlineCampaigns(store=state, detectors=detectors, scorers=scorers, settings=settings, standing=standing)
        if config.link_online
        else None,
    )


class GatewayApp:
    """The ASGI app: completion routes straight to the gateway, the rest to FastAPI."""

    HOT = {("POST", ROUTES["chat"]): "chat", ("POST", ROUTES["completions"]): "completions"}

    def __init__(self, api: FastAPI, gateway: Gateway) -> None:
        self.api, self.gateway = api, gateway
        self.state = api.state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = self.HOT.get((scope.get("method", ""), scope.get("path", ""))) if scope["type"] == "http" else None
        if route is None:
            await self.api(scope, receive, send)
            return
        try:
            response = await self.gateway.completion(Request(scope, receive), route)
        except Exception as exc:  # the same envelope FastAPI's handler gives, never a bare 500
            log.exception("unexpected error on %s", scope["path"], exc_info=exc)
            response = error_response("the gateway failed unexpectedly", status=500, code="internal_error")
        await response(scope, receive, send)


def create_app(
    config: GatewayConfig, *, upstream: Upstream | None = None, store: StateStore | None = None
) -> GatewayApp:
    gateway = make_gateway(config, upstream=upstream, store=store)
    seed = load_seed(config.seed_dir) if config.seed_dir else None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await gateway.upstream.start()
        gateway.scorer.content("", "warm-up")  # content models load lazily; not on a client's first request
        if seed is not None:
            await gateway.store.seed(seed)
            log.info("seeded %d accounts and %d campaigns from %s", len(seed), len(seed.campaigns), config.seed_dir)
        try:
            yield
        finally:
            await gateway.drain()
            await gateway.upstream.close()
            await gateway.store.close()
            if gateway.traffic is not None:
                gateway.traffic.close()

    app = FastAPI(title="distillshield gateway", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.gateway = gateway
    _openai_routes(app, gateway, config.metrics_token)
    _admin_routes(app, gateway, config.admin_token)
    _error_handlers(app)
    return GatewayApp(app, gateway)


def _openai_routes(app: FastAPI, gateway: Gateway, metrics_token: str | None) -> None:
    async def chat(request: Request) -> Response:
        return await gateway.completion(request, "chat")

    async def completions(request: Request) -> Response:
        return await gateway.completion(request, "completions")

    async def models(request: Request) -> Response:
        return await gateway.models(request)

    async def metrics(request: Request) -> Response:
        if metrics_token is not None and not _bearer_matches(request, metrics_token):
            return error_response("a valid metrics token is required", status=401, code="invalid_metrics_token")
        return Response(gateway.metrics.render(), media_type=CONTENT_TYPE_LATEST)

    async def health(request: Request) -> Response:
        try:
            await gateway.store.ping()
        except StateUnavailableError as exc:
            return error_response(str(exc), status=503, code="state_unavailable")
        return Response(b'{"status":"ok"}', media_type="application/json")

    app.add_api_route("/v1/chat/completions", chat, methods=["POST"])
    app.add_api_route("/v1/completions", completions, methods=["POST"])
    app.add_api_route("/v1/models", models, methods=["GET"])
    app.add_api_route("/metrics", metrics, methods=["GET"])
    app.add_api_route("/healthz", health, methods=["GET"])


def _admin_routes(app: FastAPI, gateway: Gateway, token: str | None) -> None:
    def allowed(request: Request) -> bool:
        return token is not None and _bearer_matches(request, token)

    async def accounts(request: Request) -> Response:
        if not allowed(request):
            return _admin_denied(token)
        given = request.query_params.get("limit", "1000")
        if not given.isascii() or not given.isdigit() or not 1 <= int(given) <= 100_000:
            return error_response(f"limit must be an integer from 1 to 100000, not {given[:40]!r}", status=400,
                                  param="limit")  # fmt: skip
        limit = int(given)
        rows = await gateway.store.accounts(limit)
        return _json({"accounts": [_summary(r) for r in rows]})

    async def put_override(request: Request) -> Response:
        if not allowed(request):
            return _admin_denied(token)
        account_id = request.path_params["account_id"]
        try:
            override = _parse_override(await request.body())
        except ValueError as exc:
            return error_response(str(exc), status=400, param="override")
        await gateway.store.set_override(account_id, override)
        # %r: an account id or reason carrying a newline cannot forge a log line
        log.info("override account=%r action=%s tier=%s reason=%r", account_id, override.action, override.tier,
                 override.reason)  # fmt: skip
        return _json({"account_id": account_id, "override": _override_json(override)})

    async def delete_override(request: Request) -> Response:
        if not allowed(request):
            return _admin_denied(token)
        account_id = request.path_params["account_id"]
        await gateway.store.set_override(account_id, None)
        log.info("override cleared account=%r", account_id)
        return _json({"account_id": account_id, "override": None})

    async def reseed(request: Request) -> Response:
        if not allowed(request):
            return _admin_denied(token)
        try:
            data = orjson.loads(await request.body())
            seed = load_seed(Path(str(data["scan_dir"])))
        except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
            return error_response(f'expected {{"scan_dir": PATH}}: {exc}', status=400, param="scan_dir")
        except InputError as exc:
            return error_response(str(exc), status=400, param="scan_dir")
        await gateway.store.seed(seed)
        log.info("seeded %d accounts and %d campaigns from %s", len(seed), len(seed.campaigns), data["scan_dir"])
        return _json({"accounts": len(seed), "campaigns": len(seed.campaigns), "fingerprints": len(seed.fingerprints)})

    app.add_api_route("/admin/accounts", accounts, methods=["GET"])
    app.add_api_route("/admin/seed", reseed, methods=["POST"])
    app.add_api_route("/admin/accounts/{account_id}/override", put_override, methods=["PUT"])
    app.add_api_route("/admin/accounts/{account_id}/override", delete_override, methods=["DELETE"])


def _bearer_matches(request: Request, token: str) -> bool:
    """Whether the request carries ``Authorization: Bearer <token>``; compared as bytes, so a non-ASCII
    header (which ``hmac.compare_digest`` refuses as str) is simply a wrong token."""
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


def _admin_denied(token: str | None) -> Response:
    if token is None:
        return error_response("the admin API is disabled (no admin token configured)", status=404, code="not_found")
    return error_response("a valid admin token is required", status=401, code="invalid_admin_token")


def _parse_override(raw: bytes) -> Override:
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"the body is not valid JSON: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("reason"), str) or not data["reason"]:
        raise ValueError('an override is {"reason": str, "action"?: str, "tier"?: str}; reason is required')
    action, tier = data.get("action"), data.get("tier")
    if action is not None and action not in ACTIONS:
        raise ValueError(f"action must be one of {', '.join(ACTIONS)}, not {action!r}")
    if tier is not None and tier not in TIER_NAMES:
        raise ValueError(f"tier must be one of {', '.join(TIER_NAMES)}, not {tier!r}")
    if action is None and tier is None:
        raise ValueError("an override needs an action, a tier, or both")
    checked: Action | None = action
    return Override(reason=data["reason"], action=checked, tier=tier)


def _override_json(override: Override | None) -> dict[str, Any] | None:
    if override is None:
        return None
    return {"reason": override.reason, "action": override.action, "tier": override.tier}


def _summary(row: Any) -> dict[str, Any]:
    return {
        "account_id": row.account_id,
        "requests_learned": row.requests,
        "risk": round(row.risk, 4),
        "campaign_id": row.campaign_id,
        "override": _override_json(row.override),
    }


def _json(data: object) -> Response:
    return Response(orjson.dumps(data), media_type="application/json")


def _error_handlers(app: FastAPI) -> None:
    async def http_error(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        detail = exc.detail if isinstance(exc, HTTPException) else "internal error"
        return error_response(str(detail), status=status, code="not_found" if status == 404 else None)

    async def validation_error(request: Request, exc: Exception) -> Response:
        return error_response(str(exc), status=400)

    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s", request.url.path, exc_info=exc)
        return error_response("the gateway failed unexpectedly", status=500, code="internal_error")

    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(Exception, unexpected)
