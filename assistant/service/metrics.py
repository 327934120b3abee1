"""Prometheus series of one app, in a registry the app owns (never the global default).

Which shops are served is read from the shops' registry at each scrape (`watch_shops`):
`huashu_shop_index_loaded{shop}` is 1 for each shop in memory and 0 for a shop whose active
snapshot does not load here with nothing to serve instead; `huashu_shop_snapshot_broken{shop}` is
1 while a shop's active snapshot does not load here (served from an older kept one, or not at
all) until its rebuild is active; `huashu_index_loaded` (no label, as before) is the default
shop's. (A user test: `huashu_index_loaded 1` while every request of a second shop was a 503.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from assistant.suggest.registry import ShopRegistry

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
        self._index_set = False  # the default shop's snapshot was loaded (`set_index`)
        self._shops: Callable[[], ShopRegistry | None] = lambda: None
        self._default_shop = ""
        r.register(_ShopsCollector(self))
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
        self._index_set = True

    def watch_shops(self, registry: Callable[[], ShopRegistry | None], default_shop: str) -> None:
        """Read which shops are served from `registry()` (None: not made yet) at each scrape."""
        self._shops = registry
        self._default_shop = default_shop

    def shop_series(self) -> tuple[float, dict[str, float], dict[str, float]]:
        """`huashu_index_loaded` (the default shop's), and per shop its `..._index_loaded` and
        `..._snapshot_broken`."""
        registry = self._shops()
        if registry is None:
            return (1.0 if self._index_set else 0.0), {}, {}
        loaded = {shop: 1.0 for shop in registry.loaded()}
        for shop, failure in registry.failures.items():
            if failure.served is None:
                loaded.setdefault(shop, 0.0)
        broken = {shop: 1.0 for shop in registry.failures}
        default = loaded.get(self._default_shop, 1.0 if self._index_set else 0.0)
        return default, loaded, broken

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _ShopsCollector(Collector):
    """The index series, read at each scrape from the shops' registry."""

    def __init__(self, metrics: ServiceMetrics) -> None:
        self._metrics = metrics

    def describe(self) -> list[GaugeMetricFamily]:
        return list(self._families(0.0, {}, {}))

    def collect(self) -> Iterator[GaugeMetricFamily]:
        return self._families(*self._metrics.shop_series())

    @staticmethod
    def _families(default: float, loaded: dict[str, float], broken: dict[str, float]) -> Iterator[GaugeMetricFamily]:
        yield GaugeMetricFamily("huashu_index_loaded", "1 when the default shop's index snapshot is served", default)
        per_shop = GaugeMetricFamily(
            "huashu_shop_index_loaded",
            "1 for a shop served from a loaded snapshot, 0 for one whose snapshots do not load",
            labels=["shop"],
        )
        for shop, value in sorted(loaded.items()):
            per_shop.add_metric([shop], value)
        yield per_shop
        damaged = GaugeMetricFamily(
            "huashu_shop_snapshot_broken",
            "1 while a shop's active snapshot does not load here (an older kept one, or nothing, is served)",
            labels=["shop"],
        )
        for shop, value in sorted(broken.items()):
            damaged.add_metric([shop], value)
        yield damaged
