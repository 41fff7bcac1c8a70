"""Prometheus metrics at ``/metrics``, one registry per app so that several apps can live in one process."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

__all__ = ["CONTENT_TYPE_LATEST", "Metrics"]

_LATENCY_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "distillshield_requests",
            "Requests answered by the gateway, by route, action and HTTP status",
            ["route", "action", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "distillshield_request_seconds",
            "Time from request to the end of the response, as seen by the gateway",
            ["route"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.overhead = Histogram(
            "distillshield_decision_seconds",
            "Time spent deciding a request (identity, state, scoring, policy) before forwarding it",
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.upstream_errors = Counter(
            "distillshield_upstream_errors", "Upstream failures by kind", ["kind"], registry=self.registry
        )
        self.state_errors = Counter(
            "distillshield_state_errors", "Requests decided without shared state (Redis down)", registry=self.registry
        )
        self.tokens = Counter("distillshield_tokens", "Tokens served (prompt + completion)", registry=self.registry)
        self.risk = Histogram(
            "distillshield_risk",
            "Risk of each scored request",
            buckets=(0.1, 0.25, 0.4, 0.5, 0.6, 0.8, 0.95, 1.0),
            registry=self.registry,
        )

        self._children: dict[tuple[str, ...], Any] = {}

    def answered(self, route: str, action: str, status: int, seconds: float | None) -> None:
        """Count one answered request (and its latency); labelled children are looked up once, then cached."""
        counter = self._children.get(("r", route, action, str(status)))
        if counter is None:
            counter = self._children[("r", route, action, str(status))] = self.requests.labels(
                route, action, str(status)
            )
        counter.inc()
        if seconds is not None:
            histogram = self._children.get(("l", route))
            if histogram is None:
                histogram = self._children[("l", route)] = self.latency.labels(route)
            histogram.observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)
