"""Prometheus series of one app, in a registry the app owns (never the global default)."""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

_LATENCY_BUCKETS = (0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0)
_BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64)


class ServiceMetrics:
    """Every series the service exports; names start with `huashu_`."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "huashu_requests_total",
            "HTTP requests answered",
            ["route", "method", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "huashu_request_seconds",
            "time to answer an HTTP request",
            ["route"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.batch_size = Histogram(
            "huashu_batch_size", "query texts per model call", buckets=_BATCH_BUCKETS, registry=r
        )
        self.queue_depth = Gauge("huashu_queue_depth", "query texts waiting for the model", registry=r)
        self.queue_tokens = Gauge(
            "huashu_queue_tokens",
            "tokens of query texts queued or being encoded, by lane (short, long)",
            ["lane"],
            registry=r,
        )
        self.rejected = Counter("huashu_rejected_total", "requests answered 429 because the queue was full", registry=r)
        self.timeouts = Counter("huashu_timeouts_total", "requests that ran past their deadline", registry=r)
        self.cache_hits = Counter("huashu_embedding_cache_hits_total", "query texts served from the cache", registry=r)
        self.cache_misses = Counter(
            "huashu_embedding_cache_misses_total", "query texts that needed the model", registry=r
        )
        self.index_loaded = Gauge("huashu_index_loaded", "1 when an index snapshot is loaded", registry=r)
        self.index_version = Gauge(
            "huashu_index_version_info",
            "the loaded index snapshot (value 1, version in the label)",
            ["version", "model"],
            registry=r,
        )
        self.suggestions = Counter(
            "huashu_suggestions_total",
            "customer messages answered with suggestions",
            ["platform"],
            registry=r,
        )
        self.webhook_events = Counter(
            "huashu_webhook_events_total",
            "webhook events by platform and outcome",
            ["platform", "outcome"],
            registry=r,
        )
        self.records_dropped = Counter(
            "huashu_records_dropped_total",
            "records not stored (the database stayed busy past the deadline)",
            registry=r,
        )

        self.client_closed = Counter(
            "huashu_client_closed_total", "requests whose client hung up before sending its body", registry=r
        )
        self.redis_up = Gauge("huashu_redis_up", "1 while Redis answers (0: degraded to this process)", registry=r)
        self.degraded = Gauge(
            "huashu_degraded",
            "1 while a component is degraded (answering from this process's state)",
            ["component"],
            registry=r,
        )
        self.redis_fallbacks = Counter(
            "huashu_redis_fallbacks_total",
            "Redis calls answered from this process's state (Redis down, frozen or slow)",
            registry=r,
        )

    def set_redis(self, up: bool) -> None:
        self.redis_up.set(1 if up else 0)
        self.degraded.labels(component="redis").set(0 if up else 1)

    def set_index(self, version: str, model: str) -> None:
        self.index_version.clear()
        self.index_version.labels(version=version, model=model).set(1)
        self.index_loaded.set(1)

    def render(self) -> bytes:
        return generate_latest(self.registry)
