"""One request through the gateway: identify, decide, forward while scoring, decide again, log, learn.

The order matters. The account's state is read and the request counted in one
round trip. A first decision is taken on what is already known (override,
budgets, the account's stored risk and its campaign's risk); if it refuses, the
request never reaches the model server. Otherwise the request is submitted for
scoring (its content plus the account's features, batched with whatever else
arrived) and forwarded at once, so that scoring runs while the model works.
Before a byte of the answer is released the score is awaited and the policy
decides again on everything, this request's own content included: the final
decision is exactly what deciding before forwarding would have given, and an
answer it refuses is dropped. Then the traffic-log line is written, and only
then is the request learned into the account's features, if it was served
normally and not flagged (score, then learn). Learning, token charging and
campaign linking run after the response, off the request path.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from distillshield.bodies import BodyTooLargeError, read_body
from distillshield.errors import RecordError, StateUnavailableError, UpstreamError
from distillshield.features.content.turns import Turn, body_turns, pair_turns
from distillshield.ingest.base import split_messages
from distillshield.respond.actions import REFUSALS, Decision
from distillshield.respond.decide import Judgement, judge
from distillshield.respond.identity import Identity, KeyRing
from distillshield.respond.linking import OnlineCampaigns
from distillshield.respond.online import Observation, OnlineScorer, Outcome, Score, Snapshot
from distillshield.respond.policy import Policy
from distillshield.respond.standing import Standing
from distillshield.respond.state import AccountView, Finish, StateStore
from distillshield.server import reasoning
from distillshield.server.batching import Scored, ScoringBatcher
from distillshield.server.envelope import error_body, error_response
from distillshield.server.metrics import Metrics
from distillshield.server.proxies import TrustedProxies
from distillshield.server.trafficlog import TrafficLog
from distillshield.server.upstream import Upstream, UpstreamStream

log = logging.getLogger("distillshield.gateway")

ROUTES = {"chat": "/v1/chat/completions", "completions": "/v1/completions"}
#: The score a first decision is taken on, before this request's own score is in.
UNSCORED = Score(0.0, ())


class BadRequest(Exception):
    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


@dataclass
class Call:
    """One parsed request and what happens to it."""

    request_id: str
    ts: float
    started: float
    route: str
    identity: Identity
    body: dict[str, Any]
    obs: Observation
    ip: str | None
    stream: bool = False
    judgement: Judgement | None = None
    view: AccountView | None = None
    scoring: asyncio.Future[Scored] | None = None  # submitted once state was read
    score: Score | None = None
    status: int = 200
    response_text: str | None = None
    reasoning_text: str | None = None
    usage: dict[str, Any] = field(default_factory=dict)
    tool_calls: int = 0
    withheld: bool = False
    error: str | None = None
    protected: str | None = None  # why links alone must not escalate this account (respond.standing)

    @property
    def decision(self) -> Decision:
        assert self.judgement is not None  # set before any response is made
        return self.judgement.decision


#: Default request body limit: a chat request with a long context is well under this.
DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024

#: With ``replay_clock``, the request's time (Unix seconds) is read from this header.
REPLAY_TIME_HEADER = "x-distillshield-time"


@dataclass(frozen=True, slots=True)
class GatewayOptions:
    fail_open: bool = True
    trust_forwarded_for: bool = False
    upstream_key: str | None = None
    # Largest request body read; a larger one is answered 413 before (Content-Length) or while it streams.
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    # With trust_forwarded_for, the proxies (addresses or networks) whose X-Forwarded-For is believed.
    trusted_proxies: tuple[str, ...] = ("127.0.0.1", "::1")
    # Take each request's time from REPLAY_TIME_HEADER: for replaying a recorded log through the
    # gateway at full speed, so that budgets, gaps and sign-up ages follow the log's clock.
    replay_clock: bool = False
    # Who links alone must not escalate (known organisations, confirmed benign, verified tiers, old accounts).
    standing: Standing = field(default_factory=Standing)
    # SHA-256 of the learned model scoring uses (serve --model), written into every decision trace.
    model_digest: str | None = None


class Gateway:
    def __init__(
        self,
        *,
        policy: Policy,
        keys: KeyRing,
        store: StateStore,
        scorer: OnlineScorer,
        upstream: Upstream,
        traffic: TrafficLog | None,
        metrics: Metrics,
        options: GatewayOptions,
        linker: OnlineCampaigns | None = None,
    ) -> None:
        self.policy, self.keys, self.store, self.scorer = policy, keys, store, scorer
        self.upstream, self.traffic, self.metrics, self.options = upstream, traffic, metrics, options
        self.linker = linker
        self.batcher = ScoringBatcher(scorer)
        self._background: set[asyncio.Task[None]] = set()
        self._proxies = TrustedProxies(options.trusted_proxies)

    # -- entry points -------------------------------------------------------------------------

    async def completion(self, request: Request, route: str) -> Response:
        started = time.perf_counter()
        identity = self.identify(request)
        if identity is None:
            self.metrics.answered(route, "none", 401, None)
            return error_response("Incorrect or missing API key.", status=401, code="invalid_api_key")
        try:
            raw = await read_body(request, self.options.max_body_bytes)
        except BodyTooLargeError as exc:
            self.metrics.answered(route, "none", 413, None)
            return error_response(f"{exc} (max_body_bytes)", status=413, code="request_too_large")
        try:
            call = self._parse(request, route, identity, raw, started)
        except BadRequest as exc:
            self.metrics.answered(route, "none", 400, None)
            return error_response(str(exc), status=400, param=exc.param)
        refused = await self._decide(call)
        self.metrics.overhead.observe(time.perf_counter() - started)
        if refused is not None:
            self._done(call)
            return refused
        if call.stream:
            return await self._forward_stream(call)
        return await self._forward(call)

    async def models(self, request: Request) -> Response:
        identity = self.identify(request)
        if identity is None:
            return error_response("Incorrect or missing API key.", status=401, code="invalid_api_key")
        refused = await self._blocked(identity)
        if refused is not None:
            return refused
        try:
            answer = await self.upstream.send("GET", "/v1/models", None, self._upstream_headers(None))
        except UpstreamError as exc:
            return self._upstream_failure(exc)
        return Response(answer.body, status_code=answer.status, media_type="application/json")

    async def _blocked(self, identity: Identity) -> Response | None:
        """A refusal when the account is blocked (override or risk): a blocked account learns nothing, models
        included."""
        try:
            view = await self.store.begin(identity, time.time())
        except StateUnavailableError:
            if self.options.fail_open:
                return None
            return error_response("The gateway cannot check the account now.", status=503, code="state_unavailable")
        decision = judge(self.policy, identity, view, UNSCORED, time.time()).decision
        if decision.action != "block":
            return None
        status, _, code = REFUSALS["block"]
        return error_response(_refusal_message(decision), status=status, code=code)

    def identify(self, request: Request) -> Identity | None:
        header = request.headers.get("authorization", "")
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret:
            return None
        return self.keys.lookup(secret.strip())

    # -- parse and decide ---------------------------------------------------------------------

    def _parse(self, request: Request, route: str, identity: Identity, raw: bytes, started: float) -> Call:
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise BadRequest(f"the request body is not valid JSON: {exc}") from exc
        if not isinstance(body, dict):
            raise BadRequest("the request body must be a JSON object")
        model = body.get("model")
        if not isinstance(model, str) or not model:
            raise BadRequest("you must provide a model parameter", "model")
        system, user, turns = _prompt_parts(body, route)
        ip = self._client_ip(request)
        user_id = body.get("safety_identifier") or body.get("user")
        obs = Observation(
            ts=self._now(request),
            system=system,
            user=user,
            n_user_turns=turns,
            model=model,
            ip=ip,
            user_agent=request.headers.get("user-agent"),
            api_key_id=identity.key_id,
            user_id=user_id if isinstance(user_id, str) else None,
            content={},  # filled in by the batcher, with the other requests of its batch
            turns=_content_turns(body, route, system, user),
        )
        request_id = f"req_{uuid.uuid4().hex}"
        return Call(request_id, obs.ts, started, route, identity, body, obs, ip, stream=body.get("stream") is True)

    def _now(self, request: Request) -> float:
        stamp = request.headers.get(REPLAY_TIME_HEADER) if self.options.replay_clock else None
        if stamp is None:
            return time.time()
        try:
            return float(stamp)
        except ValueError as exc:
            raise BadRequest(f"{REPLAY_TIME_HEADER} must be Unix seconds, not {stamp!r}") from exc

    def _client_ip(self, request: Request) -> str | None:
        peer = request.client.host if request.client else None
        if not self.options.trust_forwarded_for:
            return peer
        return self._proxies.client(peer, request.headers.get("x-forwarded-for"))

    async def _decide(self, call: Call) -> Response | None:
        """Read state, submit the call for scoring and take the first decision; a response if it refuses."""
        try:
            view = await self.store.begin(call.identity, call.ts)
        except StateUnavailableError as exc:
            return self._state_down(call, exc)
        call.view = view
        # Scored even when refused below: a refused request is still evidence about its account and campaign.
        call.scoring = self.batcher.submit(call.identity.account_id, view.snapshot, call.obs)
        call.protected = self.options.standing.protection(call.identity, call.ts)
        call.judgement = judge(self.policy, call.identity, view, UNSCORED, call.ts, call.protected)
        if not call.decision.refuses:
            return None
        self.metrics.risk.observe(call.judgement.risk)
        return self._refusal(call)

    async def _rejudge(self, call: Call) -> Response | None:
        """Await the call's score and decide on everything; a response if the answer must not be released."""
        if call.scoring is None or call.view is None:  # state was down and we fail open: unscored
            return None
        call.obs, call.score = await call.scoring
        call.judgement = judge(self.policy, call.identity, call.view, call.score, call.ts, call.protected)
        self.metrics.risk.observe(call.judgement.risk)
        if call.decision.refuses:
            return self._refusal(call)
        self._log_action(call.decision, call.identity.account_id)
        call.withheld = call.decision.action == "withhold_reasoning"
        return None

    def _refusal(self, call: Call) -> Response:
        decision = call.decision
        self._log_action(decision, call.identity.account_id)
        status, _, code = REFUSALS[decision.action]
        call.status = status
        headers = {"x-request-id": call.request_id}
        if decision.retry_after_s is not None:
            headers["retry-after"] = str(decision.retry_after_s)
        return error_response(_refusal_message(decision), status=status, code=code, headers=headers)

    @staticmethod
    def _log_action(decision: Decision, account_id: str) -> None:
        if decision.action != "allow":
            log.info("account=%s action=%s risk=%.3f reason=%s", account_id, decision.action, decision.risk,
                     decision.reason)  # fmt: skip

    def _state_down(self, call: Call, exc: StateUnavailableError) -> Response | None:
        self.metrics.state_errors.inc()
        log.warning("shared state unavailable (%s): failing %s", exc, "open" if self.options.fail_open else "closed")
        if self.options.fail_open:
            call.judgement = Judgement(Decision("allow", "state unavailable: failing open"), 0.0, learn=False)
            return None
        call.judgement = Judgement(Decision("block", "state unavailable: failing closed"), 0.0, learn=False)
        call.status = 503
        return error_response(
            "The gateway cannot check budgets right now; retry shortly.",
            status=503,
            code="state_unavailable",
            headers={"retry-after": "1", "x-request-id": call.request_id},
        )

    # -- forward ------------------------------------------------------------------------------

    def _upstream_headers(self, call: Call | None) -> dict[str, str]:
        headers = {"content-type": "application/json"}
        if self.options.upstream_key:
            headers["authorization"] = f"Bearer {self.options.upstream_key}"
        if call is not None:
            headers["x-request-id"] = call.request_id
        return headers

    async def _forward(self, call: Call) -> Response:
        path = ROUTES[call.route]
        try:
            answer = await self.upstream.send("POST", path, orjson.dumps(call.body), self._upstream_headers(call))
        except UpstreamError as exc:
            call.status, call.error = (504 if exc.timeout else 502), str(exc)
            self._done(call)
            return self._upstream_failure(exc, self._ids(call))
        if answer.status == 200:
            refused = await self._rejudge(call)
            if refused is not None:
                self._done(call)
                return refused
        call.status = answer.status
        body = answer.body
        if answer.status == 200:
            body = self._read_answer(call, body)
        elif answer.status >= 500:
            call.status, call.error = 502, f"the model server answered {answer.status}"
            self._done(call)
            self.metrics.upstream_errors.labels("status").inc()
            return error_response(
                f"the model server answered {answer.status}", status=502, code="upstream_error", headers=self._ids(call)
            )
        self._done(call)
        return Response(body, status_code=answer.status, media_type="application/json", headers=self._ids(call))

    def _read_answer(self, call: Call, body: bytes) -> bytes:
        """Record what was returned; withhold reasoning if the decision says so (then re-serialise)."""
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            return body
        if not isinstance(data, dict):
            return body
        call.usage = data.get("usage") or {}
        texts, thoughts = [], []
        for choice in data.get("choices") or []:
            if not isinstance(choice, dict):
                continue
            message = choice.get("message")
            if isinstance(message, dict):
                thoughts.append(reasoning.message_reasoning(message))
                call.tool_calls += len(message.get("tool_calls") or [])
                if call.withheld:
                    reasoning.withhold_message(message)
                texts.append(message.get("content") or "")
            elif isinstance(choice.get("text"), str):
                thoughts.append(reasoning.think_text(choice["text"]))
                if call.withheld:
                    choice["text"] = reasoning.withhold_text(choice["text"])
                texts.append(choice["text"])
        call.response_text = "\n".join(t for t in texts if isinstance(t, str))
        call.reasoning_text = None if call.withheld else ("\n".join(t for t in thoughts if t) or None)
        return orjson.dumps(data) if call.withheld else body

    async def _forward_stream(self, call: Call) -> Response:
        body = dict(call.body)
        options = body.get("stream_options")
        wants_usage = isinstance(options, dict) and options.get("include_usage") is True
        # Usage is always asked for: budgets and the log need token counts; the chunk is dropped if unwanted.
        body["stream_options"] = {**(options if isinstance(options, dict) else {}), "include_usage": True}
        try:
            stream = await self.upstream.open_stream(
                ROUTES[call.route], orjson.dumps(body), self._upstream_headers(call)
            )
        except UpstreamError as exc:
            call.status, call.error = (504 if exc.timeout else 502), str(exc)
            self._done(call)
            return self._upstream_failure(exc, self._ids(call))
        if stream.status != 200:
            return await self._stream_refused(call, stream)
        refused = await self._rejudge_stream(call, stream)
        if refused is not None:
            return refused
        relay = _Relay(call, stream, wants_usage)
        return StreamingResponse(
            self._relay(relay), media_type="text/event-stream", headers={**self._ids(call), "cache-control": "no-cache"}
        )

    async def _rejudge_stream(self, call: Call, stream: UpstreamStream) -> Response | None:
        try:
            refused = await self._rejudge(call)
        except BaseException:
            stream.close()
            raise
        if refused is not None:
            stream.close()
            self._done(call)
        return refused

    async def _stream_refused(self, call: Call, stream: UpstreamStream) -> Response:
        try:
            data = await stream.read()
        except UpstreamError:
            data = b""
        finally:
            stream.close()
        call.status = 502 if stream.status >= 500 else stream.status
        call.error = f"the model server answered {stream.status}" if stream.status >= 500 else None
        self._done(call)
        if stream.status >= 500:
            self.metrics.upstream_errors.labels("status").inc()
            return error_response(
                f"the model server answered {stream.status}", status=502, code="upstream_error", headers=self._ids(call)
            )
        return Response(data, status_code=stream.status, media_type="application/json", headers=self._ids(call))

    async def _relay(self, relay: _Relay) -> AsyncIterator[bytes]:
        call = relay.call
        try:
            async for chunk in relay.events():
                yield chunk
        except UpstreamError as exc:
            call.status, call.error = (504 if exc.timeout else 502), str(exc)
            self.metrics.upstream_errors.labels("timeout" if exc.timeout else "stream").inc()
            payload = error_body(f"upstream stream failed: {exc}", status=call.status, code="upstream_error")
            yield b"data: " + orjson.dumps(payload) + b"\n\n"
        finally:
            relay.stream.close()
            relay.close_call()
            self._done(call)

    def _upstream_failure(self, exc: UpstreamError, headers: dict[str, str] | None = None) -> Response:
        self.metrics.upstream_errors.labels("timeout" if exc.timeout else "connect").inc()
        # The client learns that the model server failed, never where it lives (the cause goes to the log).
        log.warning("upstream failure: %s", exc)
        if exc.timeout:
            return error_response("the model server did not answer in time", status=504, code="upstream_timeout",
                                  headers=headers)  # fmt: skip
        return error_response("the model server cannot be reached", status=502, code="upstream_unavailable",
                              headers=headers)  # fmt: skip

    def _ids(self, call: Call) -> dict[str, str]:
        return {"x-request-id": call.request_id}

    # -- after --------------------------------------------------------------------------------

    def _done(self, call: Call) -> None:
        """Log the call, count it, and record it in the background. Runs exactly once per call."""
        decision = call.decision
        self.metrics.answered(call.route, decision.action, call.status, time.perf_counter() - call.started)
        tokens = int(call.usage.get("total_tokens") or 0)
        self.metrics.tokens.inc(tokens)
        if self.traffic is not None:
            self.traffic.write(traffic_record(call, self.options.model_digest))
        if call.view is not None:
            self._spawn(self._record(call, tokens))

    async def _record(self, call: Call, tokens: int) -> None:
        """Charge, learn and raise risk in shared state once the call's score is in (it may still be running)."""
        if call.score is None and call.scoring is not None:
            try:
                call.obs, call.score = await call.scoring
            except Exception:  # a broken plugin already failed the request; charge its tokens all the same
                log.exception("scoring failed for account %s", call.identity.account_id)
        await self.store.finish(call.identity.account_id, call.ts, self._finish(call, tokens))
        if call.score is not None and self.linker is not None:
            await self.linker.observe(call.identity, call.obs, call.score, call.tool_calls)

    def _finish(self, call: Call, tokens: int) -> Finish:
        assert call.judgement is not None and call.view is not None  # decided calls only
        outcome = Outcome(
            status=call.status,
            prompt_tokens=int(call.usage.get("prompt_tokens") or 0),
            completion_tokens=int(call.usage.get("completion_tokens") or 0),
            reasoning_tokens=_reasoning_tokens(call.usage),
            tool_calls=call.tool_calls,
        )
        score = call.score
        learn = call.judgement.learn and call.status == 200 and score is not None
        snap: Snapshot = call.view.snapshot
        flagged = score is not None and score.risk >= self.policy.flag_at
        return Finish(
            tokens=tokens,
            update=self.scorer.update(snap, call.obs, outcome) if learn else None,
            raise_risk=score.risk if flagged and score is not None else None,
            campaign_id=call.view.campaign_id,
            fingerprint=call.identity.payment_fingerprint,
            hour_count=snap.hour_count + 1,
        )

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(self._quietly(work))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _quietly(self, work: Awaitable[None]) -> None:
        try:
            await work
        except StateUnavailableError as exc:
            self.metrics.state_errors.inc()
            log.warning("could not record a request in shared state: %s", exc)

    async def drain(self) -> None:
        """Wait for background learning to finish (shutdown and tests)."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)


class _Relay:
    """Relays one upstream SSE stream to the client, recording what passed and withholding reasoning."""

    def __init__(self, call: Call, stream: UpstreamStream, wants_usage: bool) -> None:
        self.call, self.stream, self.wants_usage = call, stream, wants_usage
        self.texts: list[str] = []
        self.thoughts: list[str] = []
        self.tool_indices: set[int] = set()

    async def events(self) -> AsyncIterator[bytes]:
        done = False
        async for line in self.stream.lines():
            if not line.startswith(b"data:"):
                continue
            payload = line[5:].strip()
            if payload == b"[DONE]":
                done = True
                break
            out = self._chunk(payload)
            if out is not None:
                yield b"data: " + out + b"\n\n"
        if not done:
            raise UpstreamError("the model server closed the stream before [DONE]")
        yield b"data: [DONE]\n\n"

    def _chunk(self, payload: bytes) -> bytes | None:
        try:
            chunk = orjson.loads(payload)
        except orjson.JSONDecodeError:
            return payload
        if not isinstance(chunk, dict):
            return payload
        if chunk.get("usage"):
            self.call.usage = chunk["usage"]
            if not chunk.get("choices") and not self.wants_usage:
                return None
        for choice in chunk.get("choices") or []:
            delta = choice.get("delta") if isinstance(choice, dict) else None
            if isinstance(delta, dict):
                self._delta(delta)
            elif isinstance(choice, dict) and isinstance(choice.get("text"), str):
                self.texts.append(choice["text"])
        return orjson.dumps(chunk) if self.call.withheld else payload

    def _delta(self, delta: dict[str, Any]) -> None:
        if isinstance(delta.get("content"), str):
            self.texts.append(delta["content"])
        for name in reasoning.REASONING_FIELDS:
            if isinstance(delta.get(name), str):
                self.thoughts.append(delta[name])
        for tool in delta.get("tool_calls") or []:
            if isinstance(tool, dict) and isinstance(tool.get("index"), int):
                self.tool_indices.add(tool["index"])
        if self.call.withheld:
            for name in reasoning.REASONING_FIELDS:
                delta.pop(name, None)

    def close_call(self) -> None:
        self.call.response_text = "".join(self.texts)
        self.call.reasoning_text = None if self.call.withheld else ("".join(self.thoughts) or None)
        self.call.tool_calls = len(self.tool_indices)


def _prompt_parts(body: dict[str, Any], route: str) -> tuple[str, str, int]:
    if route == "chat":
        try:
            system, user, _, turns = split_messages(body.get("messages"))
        except RecordError as exc:
            raise BadRequest(exc.reason, "messages") from exc
        return system, user, turns
    prompt = body.get("prompt")
    if isinstance(prompt, list) and all(isinstance(p, str) for p in prompt):
        prompt = "\n".join(prompt)
    if not isinstance(prompt, str):
        raise BadRequest("prompt must be a string or a list of strings", "prompt")
    return "", prompt, 1


def _content_turns(body: dict[str, Any], route: str, system: str, user: str) -> tuple[Turn, ...]:
    """Every turn the client wrote (system and developer messages, each user turn, each text part, tool
    descriptions), read as the scan reads a logged request with these messages and tools, so both score it alike."""
    if route != "chat":
        return pair_turns(system, user)
    return body_turns(system, user, body.get("messages"), body.get("tools"))


def _reasoning_tokens(usage: dict[str, Any]) -> int:
    details = usage.get("completion_tokens_details")
    return int(details.get("reasoning_tokens") or 0) if isinstance(details, dict) else 0


def _refusal_message(decision: Decision) -> str:
    if decision.action == "throttle":
        return f"Rate limit reached; retry after {decision.retry_after_s} s."
    if decision.action == "step_up":
        return "This account must complete verification before making more requests."
    return "This account is blocked from making requests."


def traffic_record(call: Call, model: str | None = None) -> dict[str, Any]:
    """The call as one traffic-log record (spec v1); gateway details go under ``extra.gateway``, with the
    learned model's SHA-256 (``model``) when one scores."""
    identity, obs, decision = call.identity, call.obs, call.decision
    chat = call.route == "chat"
    return {
        "request_id": call.request_id,
        "ts": round(call.ts, 6),
        "account_id": identity.account_id,
        "api_key_id": identity.key_id,
        "user_id": obs.user_id,
        "ip": call.ip,
        "user_agent": obs.user_agent,
        "payment_fingerprint": identity.payment_fingerprint,
        "email_domain": identity.email_domain,
        "account_created_at": identity.created_at,
        "model": obs.model,
        "messages": call.body.get("messages") if chat else None,
        "prompt": None if chat else obs.user,
        "response": call.response_text,
        "reasoning": call.reasoning_text,
        "prompt_tokens": call.usage.get("prompt_tokens"),
        "completion_tokens": call.usage.get("completion_tokens"),
        "reasoning_tokens": _reasoning_tokens(call.usage) or None,
        "tool_calls": call.tool_calls or None,
        "status": call.status,
        "extra": {
            "gateway": {
                "action": decision.action,
                "reason": decision.reason,
                "risk": round(decision.risk, 4),
                "route": ROUTES[call.route],
                "stream": call.stream,
                "reasoning_withheld": call.withheld,
                "latency_ms": round((time.perf_counter() - call.started) * 1000, 3),
                **({"error": call.error} if call.error else {}),
                **({"model": model} if model else {}),
            }
        },
    }
