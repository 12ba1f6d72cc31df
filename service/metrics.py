"""Prometheus metrics of one server, in a registry of its own (so two apps in one process never clash).

Routes are labelled by their template (`/v1/analyze`), never by the raw path, so a scan of random URLs
cannot grow the label set: an unknown path is `other`. So is a method not in
`service.observe_http.METHODS`: to a server any token is a method.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

# Seconds: a lone article takes ~0.1-0.3 s on two cores; a queued one may wait several batches.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.5, 5.0, 10.0, 30.0)
BATCH_BUCKETS = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 64, 128, 256)


class ServiceMetrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self, model_name: str, model_version: str):
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter("newsdesk_requests", "HTTP requests by route, method and status.",
                                ["route", "method", "status"], registry=r)
        self.latency = Histogram("newsdesk_request_duration_seconds", "HTTP request latency by route.",
                                 ["route"], buckets=LATENCY_BUCKETS, registry=r)
        self.in_flight = Gauge("newsdesk_requests_in_flight", "HTTP requests being served now.", registry=r)
        self.batch_size = Histogram("newsdesk_batch_size", "Articles per encoder call (micro-batches).",
                                    buckets=BATCH_BUCKETS, registry=r)
        # These two read the batcher: whoever owns both sets them (`set_function`).
        self.queue_depth = Gauge("newsdesk_queue_depth", "Requests waiting for the micro-batcher.",
                                 registry=r)
        self.in_progress = Gauge("newsdesk_articles_in_progress",
                                 "Articles taken from the queue and not yet answered.", registry=r)
        # The engine config's name and version until the models are in; then what every response's `model`
        # says (the artifacts' names and versions), set by `set_model`.
        self.model = Info("newsdesk_model", "The model the server answers with.", registry=r)
        self.set_model(model_name, model_version)

    def set_model(self, name: str, version: str) -> None:
        self.model.info({"name": name, "version": version})

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(route, method, str(status)).inc()
        self.latency.labels(route).observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)
