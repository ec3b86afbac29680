"""Prometheus metrics: requests, commands, events appended, cache, projections, journal.

Each app has its own registry (two apps in one process never clash). Request and command
metrics are counted as they happen; the rest is read from the application when scraped, so a
scrape costs the number of projections, not the number of events.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

__all__ = ["CONTENT_TYPE", "HttpMetrics", "ServicesCollector"]

CONTENT_TYPE = "text/plain; version=0.0.4"
_LATENCY_BUCKETS = (
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
)  # fmt: skip


_JOURNAL_METRICS = (
    ("syncs", "eventram_journal_fsyncs", "Journal fsyncs (group commit shares one among frames)."),
    ("frames_written", "eventram_journal_frames_written", "Journal frames written."),
    ("frames_durable", "eventram_journal_frames_durable", "Journal frames known to be on disk."),
    ("fsync_seconds", "eventram_journal_fsync_seconds", "Time spent in journal fsyncs."),
)


class HttpMetrics:
    """The registry of one app and the metrics the HTTP layer updates itself."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.requests = Counter(
            "billing_http_requests",
            "HTTP requests answered, by method, route and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "billing_http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route.",
            ["method", "route"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.commands = Counter(
            "billing_commands",
            "Commands handled through the HTTP API, by type and outcome.",
            ["command", "outcome"],
            registry=self.registry,
        )
        # labelled children, looked up once per (method, route, status) instead of per request
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}
        self.events_appended = Counter(
            "billing_events_appended",
            "Events appended by commands of the HTTP API.",
            registry=self.registry,
        )

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one answered request."""
        children = self._children.get((method, route, status))
        if children is None:
            children = self._children[(method, route, status)] = (
                self.requests.labels(method, route, str(status)),
                self.latency.labels(method, route),
            )
        children[0].inc()
        children[1].observe(seconds)

    def observe_command(self, command: str, outcome: str, events: int = 0) -> None:
        """Count one command and the events it appended."""
        self.commands.labels(command, outcome).inc()
        if events:
            self.events_appended.inc(events)

    def render(self) -> bytes:
        """The text exposition of every metric."""
        return generate_latest(self.registry)


class ServicesCollector(Collector):
    """Reads store position, projection lag, cache and journal figures at scrape time.

    ``read`` returns a snapshot: ``position`` (int), ``projections`` (statuses),
    ``cache`` (a mapping with ``hits`` and ``misses``, or None) and ``journal`` (a mapping with
    any of ``syncs``, ``frames_written``, ``frames_durable``, ``fsync_seconds``, or None).
    """

    def __init__(self, read: Callable[[], Mapping[str, Any]]) -> None:
        self._read = read

    def collect(self) -> Iterator[Metric]:
        snapshot = self._read()
        position = GaugeMetricFamily(
            "eventram_store_position", "Last visible global position of the event store."
        )
        position.add_metric([], float(snapshot.get("position", 0)))
        yield position
        lag_events = GaugeMetricFamily(
            "eventram_projection_lag_events",
            "Events not yet applied, by projection.",
            labels=["name"],
        )
        lag_seconds = GaugeMetricFamily(
            "eventram_projection_lag_seconds",
            "Age of the oldest event not yet applied, by projection.",
            labels=["name"],
        )
        proj_position = GaugeMetricFamily(
            "eventram_projection_position", "Position reached, by projection.", labels=["name"]
        )
        for status in snapshot.get("projections", ()):
            lag_events.add_metric([status.name], float(status.lag_events))
            lag_seconds.add_metric([status.name], float(status.lag_seconds))
            proj_position.add_metric([status.name], float(status.position))
        yield from (lag_events, lag_seconds, proj_position)
        cache = snapshot.get("cache")
        if cache is not None:
            hits = CounterMetricFamily("eventram_query_cache_hits", "Query cache hits.")
            hits.add_metric([], float(cache.get("hits", 0)))
            misses = CounterMetricFamily("eventram_query_cache_misses", "Query cache misses.")
            misses.add_metric([], float(cache.get("misses", 0)))
            yield from (hits, misses)
        journal = snapshot.get("journal") or {}
        for key, name, text in _JOURNAL_METRICS:
            if key in journal:
                family = CounterMetricFamily(name, text)
                family.add_metric([], float(journal[key]))
                yield family
