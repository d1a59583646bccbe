"""Prometheus metrics for every process on every machine, kept in Redis.

Web nodes, workers and beat each count into Redis hashes (`lotse:m:<metric>`), so one scrape
of `/metrics` on any node behind the load balancer sees the whole installation, and no
process has to be scraped on its own (prometheus_client's multiprocess mode would need one
scrape per machine and a shared directory). A write is one pipelined round trip; when Redis
is away, counts are dropped (with one warning per process) and the caller goes on.

Other parts register a metric once, at import time, and then count by its name:

    metric_register("lotse_webhook_deliveries_total", kind=COUNTER,
                    help="Webhook deliveries attempted", labels=("outcome",))
    metric_inc("lotse_webhook_deliveries_total", outcome="delivered")

The webhook metrics are registered here already (see `WEBHOOK_*`), so the webhooks app only
calls `metric_inc`. Labels are bounded: a label's value must be from a small set (a route
pattern, a connector kind, an outcome); the client's slug is added only to metrics
registered with `per_client=True` and only when LOTSE_METRICS_CLIENT_LABEL is on.

`/metrics` answers in the Prometheus text format (prometheus_client renders it), to a
request that carries `Authorization: Bearer <LOTSE_METRICS_TOKEN>` or comes from an address
in LOTSE_METRICS_ALLOW (default: loopback only). It is answered before the tenant lookup.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from redis.exceptions import RedisError

from config.shared_redis import redis_broker, redis_shared

logger = logging.getLogger(__name__)

COUNTER = "counter"
GAUGE = "gauge"
HISTOGRAM = "histogram"
KEY_PREFIX = "lotse:m:"
METRICS_PATH = "/metrics"
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
LAG_BUCKETS = (0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0)


@dataclass(frozen=True)
class MetricSpec:
    name: str
    kind: str
    help: str
    labels: tuple[str, ...] = ()
    buckets: tuple[float, ...] = ()
    per_client: bool = False


_REGISTRY: dict[str, MetricSpec] = {}
_warned = False


def metric_register(
    name: str,
    *,
    kind: str,
    help: str,
    labels: Iterable[str] = (),
    buckets: Iterable[float] = (),
    per_client: bool = False,
) -> MetricSpec:
    """Declare a metric (idempotent for the same declaration)."""
    if kind not in (COUNTER, GAUGE, HISTOGRAM):
        raise ValueError(f"unknown metric kind {kind!r}")
    spec = MetricSpec(
        name=name,
        kind=kind,
        help=help,
        labels=tuple(labels),
        buckets=tuple(sorted(buckets)) if kind == HISTOGRAM else (),
        per_client=per_client,
    )
    if kind == HISTOGRAM and not spec.buckets:
        raise ValueError(f"histogram {name!r} needs buckets")
    existing = _REGISTRY.get(name)
    if existing is not None and existing != spec:
        raise ValueError(f"metric {name!r} is registered already, differently")
    _REGISTRY[name] = spec
    return spec


def metrics_registered() -> list[MetricSpec]:
    return list(_REGISTRY.values())


def _label_names(spec: MetricSpec) -> tuple[str, ...]:
    if spec.per_client and settings.LOTSE_METRICS_CLIENT_LABEL:
        return (*spec.labels, "client")
    return spec.labels


def _field(spec: MetricSpec, labels: dict[str, str]) -> str:
    unknown = set(labels) - set(spec.labels)
    if unknown:
        raise ValueError(f"{spec.name} has no label(s) {sorted(unknown)}")
    values = [str(labels.get(name, "")) for name in spec.labels]
    if spec.per_client and settings.LOTSE_METRICS_CLIENT_LABEL:
        tenant = getattr(connection, "tenant", None)
        values.append(str(getattr(tenant, "slug", "") or ""))
    return json.dumps(values, separators=(",", ":"))


def _write(commands: Callable[[Any], None]) -> None:
    global _warned
    try:
        pipe = redis_shared().pipeline(transaction=False)
        commands(pipe)
        pipe.execute()
    except RedisError as exc:
        if not _warned:
            logger.warning("metrics not recorded, Redis unavailable: %s", exc)
            _warned = True


def _spec(name: str, kind: str) -> MetricSpec:
    spec = _REGISTRY[name]
    if spec.kind != kind:
        raise ValueError(f"{name} is a {spec.kind}, not a {kind}")
    return spec


def metric_inc(name: str, amount: float = 1, **labels: str) -> None:
    """Add `amount` to a counter (or a gauge: negative amounts allowed there)."""
    spec = _REGISTRY[name]
    if spec.kind == HISTOGRAM or (spec.kind == COUNTER and amount < 0):
        raise ValueError(f"cannot add {amount} to {spec.kind} {name}")
    if amount == 0:
        return
    field = _field(spec, labels)
    _write(lambda pipe: pipe.hincrbyfloat(KEY_PREFIX + name, field, amount))


def metric_set(name: str, value: float, **labels: str) -> None:
    """Set a gauge."""
    spec = _spec(name, GAUGE)
    field = _field(spec, labels)
    _write(lambda pipe: pipe.hset(KEY_PREFIX + name, field, value))


def metric_observe(name: str, value: float, **labels: str) -> None:
    """Observe one value in a histogram (its bucket, sum and count in one round trip)."""
    spec = _spec(name, HISTOGRAM)
    field = _field(spec, labels)
    bucket = next((str(b) for b in spec.buckets if value <= b), "+Inf")

    def commands(pipe: Any) -> None:
        key = KEY_PREFIX + name
        pipe.hincrby(key, f"{field}|{bucket}", 1)
        pipe.hincrbyfloat(key, f"{field}|sum", value)

    _write(commands)


# --- What Lotse measures ------------------------------------------------------------------
HTTP_LATENCY = "lotse_http_request_duration_seconds"
MENTIONS_INGESTED = "lotse_mentions_ingested_total"
MENTIONS_STORED = "lotse_mentions_stored_total"
BATCH_LAG = "lotse_ingest_batch_lag_seconds"
INGEST_CPU = "lotse_ingest_cpu_seconds_total"
WEBSOCKETS = "lotse_websocket_connections"
POLL_ERRORS = "lotse_poll_errors_total"
SLA_BREACHES = "lotse_sla_breaches_total"
WEBHOOK_DELIVERIES = "lotse_webhook_deliveries_total"
WEBHOOK_FAILURES = "lotse_webhook_delivery_failures_total"
QUEUE_DEPTH = "lotse_queue_depth"

metric_register(
    HTTP_LATENCY,
    kind=HISTOGRAM,
    help="Time to answer an HTTP request, by route pattern, method and status class",
    labels=("route", "method", "status"),
    buckets=LATENCY_BUCKETS,
)
metric_register(
    MENTIONS_INGESTED,
    kind=COUNTER,
    help="Mentions handed to the ingest pipeline (pushes, imports, polls)",
    per_client=True,
)
metric_register(
    MENTIONS_STORED,
    kind=COUNTER,
    help="Mentions stored as new rows (after de-duplication)",
    per_client=True,
)
metric_register(
    INGEST_CPU,
    kind=COUNTER,
    help="Worker CPU seconds spent storing batches and polling (not the database's)",
)
metric_register(
    BATCH_LAG,
    kind=HISTOGRAM,
    help="Seconds from receiving an ingest batch to having stored it",
    buckets=LAG_BUCKETS,
)
metric_register(WEBSOCKETS, kind=GAUGE, help="Open live-inbox websocket connections")
metric_register(
    POLL_ERRORS, kind=COUNTER, help="Failed polls of a source, by connector", labels=("connector",)
)
metric_register(
    SLA_BREACHES, kind=COUNTER, help="Mentions escalated for a breached SLA", per_client=True
)
metric_register(
    WEBHOOK_DELIVERIES,
    kind=COUNTER,
    help="Outbound webhook delivery attempts, by outcome (delivered, failed)",
    labels=("outcome",),
)
metric_register(
    WEBHOOK_FAILURES,
    kind=COUNTER,
    help="Outbound webhook deliveries that failed (non-2xx, timeout, refused)",
)


# --- Reading, for /metrics ------------------------------------------------------------------


def _decode(raw: dict[bytes, bytes]) -> dict[str, float]:
    return {key.decode(): float(value) for key, value in raw.items()}


def _histogram(family: HistogramMetricFamily, spec: MetricSpec, data: dict[str, float]) -> None:
    series: dict[str, dict[str, float]] = {}
    for key, value in data.items():
        field, _, part = key.rpartition("|")
        series.setdefault(field, {})[part] = value
    for field, parts in sorted(series.items()):
        running = 0.0
        buckets: list[tuple[str, float]] = []
        for bound in spec.buckets:
            running += parts.get(str(bound), 0.0)
            buckets.append((str(bound), running))
        running += parts.get("+Inf", 0.0)
        buckets.append(("+Inf", running))
        family.add_metric(json.loads(field), buckets, parts.get("sum", 0.0))


class RedisCollector:
    """Yields every registered metric from Redis, and the Celery queue depths."""

    def collect(self) -> Iterator[Metric]:
        specs = metrics_registered()
        client = redis_shared()
        pipe = client.pipeline(transaction=False)
        for spec in specs:
            pipe.hgetall(KEY_PREFIX + spec.name)
        results = pipe.execute()
        for spec, raw in zip(specs, results, strict=True):
            data = _decode(raw)
            names = list(_label_names(spec))
            family: Metric
            if spec.kind == HISTOGRAM:
                family = HistogramMetricFamily(spec.name, spec.help, labels=names)
                _histogram(family, spec, data)
            else:
                family_class = CounterMetricFamily if spec.kind == COUNTER else GaugeMetricFamily
                family = family_class(spec.name, spec.help, labels=names)
                if not names and not data:
                    family.add_metric([], 0.0)
                for field, value in sorted(data.items()):
                    family.add_metric(json.loads(field), value)
            yield family
        yield self._queue_depth()

    def _queue_depth(self) -> GaugeMetricFamily:
        """Messages waiting in each Celery queue (the Redis broker keeps a list per queue)."""
        family = GaugeMetricFamily(QUEUE_DEPTH, "Tasks waiting in each queue", labels=["queue"])
        broker = redis_broker()
        if broker is None:
            return family
        pipe = broker.pipeline(transaction=False)
        for queue in settings.LOTSE_QUEUES:
            pipe.llen(queue)
        for queue, depth in zip(settings.LOTSE_QUEUES, pipe.execute(), strict=True):
            family.add_metric([queue], float(depth))
        return family


def metrics_text() -> bytes:
    """The Prometheus text exposition of every metric."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(RedisCollector())
    return generate_latest(registry)


def metric_total(name: str) -> float:
    """A counter's value summed over its labels (0 when nothing was counted or Redis is
    away): what a benchmark reads before and after its run."""
    _spec(name, COUNTER)
    try:
        values = redis_shared().hvals(KEY_PREFIX + name)
    except RedisError:
        return 0.0
    return sum(float(value) for value in values)


def metrics_reset() -> None:
    """Forget every recorded value (tests, and after a Redis restore)."""
    keys = list(redis_shared().scan_iter(f"{KEY_PREFIX}*"))
    if keys:
        redis_shared().delete(*keys)


# --- The endpoint and the latency measurement -----------------------------------------------


def _allowed(request: HttpRequest) -> bool:
    token = settings.LOTSE_METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer "):
        return hmac.compare_digest(header[7:].strip().encode(), token.encode())
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net) for net in settings.LOTSE_METRICS_ALLOW)


def _route(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    return "/" + str(match.route).lstrip("^").rstrip("$") if match.route else str(match.view_name)


_UNTIMED = ("/healthz", "/readyz", METRICS_PATH, "/static/")


class MetricsMiddleware:
    """Serves /metrics (token or allow-list) and times every other request by route."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.rstrip("/") == METRICS_PATH:
            if not _allowed(request):
                return HttpResponse("Forbidden\n", status=403, content_type="text/plain")
            try:
                body = metrics_text()
            except RedisError:
                return HttpResponse("Metrics store unavailable\n", status=503)
            response = HttpResponse(body, content_type=CONTENT_TYPE_PLAIN_0_0_4)
            response["Cache-Control"] = "no-store"
            return response
        started = time.perf_counter()
        response = self.get_response(request)
        if not request.path.startswith(_UNTIMED):
            metric_observe(
                HTTP_LATENCY,
                time.perf_counter() - started,
                route=_route(request),
                method=request.method if request.method in _METHODS else "OTHER",
                status=f"{response.status_code // 100}xx",
            )
        return response


_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
