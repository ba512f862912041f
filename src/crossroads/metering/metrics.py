"""Prometheus metrics, in a registry of their own (one per gateway, nothing global).

Request metrics are observed by the ledger writer as rows are written, not on the request path;
rejections (budget, rate limit, auth) are counted where they happen.

With several worker processes (``serve --workers N``) prometheus_client runs in its multiprocess mode
(``PROMETHEUS_MULTIPROC_DIR``): counters and histograms are summed over the workers in ``render``, and the
ledger-queue gauge keeps one series per worker (label ``pid``).
"""

from __future__ import annotations

import os
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r, by_model = self.registry, ["model", "backend"]
        self.requests = Counter("crossroads_requests", "Requests served", [*by_model, "status", "key"], registry=r)
        self.tokens = Counter("crossroads_tokens", "Tokens processed", [*by_model, "kind"], registry=r)
        self.cost = Counter("crossroads_cost_usd", "Cost of requests, USD", by_model, registry=r)
        self.latency = Histogram(
            "crossroads_request_duration_seconds", "Request latency", by_model, buckets=LATENCY_BUCKETS, registry=r
        )
        self.ttft = Histogram(
            "crossroads_time_to_first_token_seconds", "Stream TTFT", by_model, buckets=LATENCY_BUCKETS, registry=r
        )
        self.privacy = Counter("crossroads_privacy_actions", "Privacy guard actions", ["action"], registry=r)
        self.rejections = Counter("crossroads_rejections", "Requests refused by metering", ["reason"], registry=r)
        self.unauthenticated = Counter(
            "crossroads_unauthenticated_requests",
            "Requests without a valid key (not in the ledger)",
            ["answer"],
            registry=r,
        )
        self.ledger_queue = Gauge(
            "crossroads_ledger_queue_rows", "Ledger rows waiting to be written", registry=r, multiprocess_mode="all"
        )
        self.ledger_rows = Counter("crossroads_ledger_rows_written", "Ledger rows written", registry=r)

    def observe(self, values: dict[str, Any]) -> None:
        """One written ledger row."""
        model, backend = values["model"], values["backend"] or ""
        self.requests.labels(model, backend, str(values["status"]), values["key_id"] or "").inc()
        self.tokens.labels(model, backend, "prompt").inc(values["prompt_tokens"])
        self.tokens.labels(model, backend, "completion").inc(values["completion_tokens"])
        if values["cost"] is not None:
            self.cost.labels(model, backend).inc(float(values["cost"]))
        self.latency.labels(model, backend).observe(values["latency_ms"] / 1000)
        if values["ttft_ms"] is not None:
            self.ttft.labels(model, backend).observe(values["ttft_ms"] / 1000)
        if values["privacy"]:
            self.privacy.labels(values["privacy"]["action"]).inc()
        self.ledger_rows.inc()

    def render(self) -> bytes:
        """This process's metrics; every worker's, summed, when the workers share a multiprocess directory."""
        directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        if not directory:
            return generate_latest(self.registry)
        from prometheus_client.multiprocess import MultiProcessCollector

        merged = CollectorRegistry()
        MultiProcessCollector(merged, directory)
        return generate_latest(merged)
