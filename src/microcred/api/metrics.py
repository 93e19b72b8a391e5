"""A small Prometheus registry and the ASGI middleware that feeds it.

Exposition follows the Prometheus text format 0.0.4 (``# HELP``/``# TYPE`` lines, then one
sample per line; histograms as cumulative ``_bucket{le=…}`` plus ``_sum`` and ``_count``).

Series (``GET /metrics``):

* ``microcred_http_requests_total{method, route, status}`` — ``route`` is the route *template*
  (``/api/v1/issuers/{issuer_id}``), never the raw path, so ids do not explode the series;
  requests that match no route count under ``route="(unmatched)"``;
* ``microcred_http_request_duration_seconds{method, route}`` — latency histogram;
* ``microcred_credentials_issued_total{via}`` — ``api`` (admin API), ``vc-api``;
* ``microcred_verifications_total{kind, outcome}`` — ``kind`` credential/presentation,
  ``outcome`` verified/not_verified/invalid.

Counts are per process: with several workers, scrape each or aggregate (docs/running.md).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterable, Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "DEFAULT_BUCKETS",
    "Counter",
    "Histogram",
    "Metrics",
    "MetricsMiddleware",
]

DEFAULT_BUCKETS: tuple[float, ...] = (
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)


_FIXED = frozenset({"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"})


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(names: Sequence[str], values: Sequence[str], extra: str = "") -> str:
    parts = [f'{n}="{_escape(v)}"' for n, v in zip(names, values, strict=True)]
    if extra:
        parts.append(extra)
    return "{" + ",".join(parts) + "}" if parts else ""


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


class Counter:
    """A monotonically increasing count per label set."""

    def __init__(self, name: str, help_text: str, labels: Sequence[str] = ()) -> None:
        self.name = name
        self.help = help_text
        self.label_names = tuple(labels)
        self._values: dict[tuple[str, ...], float] = {}
        self._lock = threading.Lock()

    def inc(self, *labels: str, amount: float = 1.0) -> None:
        if len(labels) != len(self.label_names):
            raise ValueError(f"{self.name} takes labels {self.label_names}")
        if amount < 0:
            raise ValueError("a counter only goes up")
        with self._lock:
            self._values[labels] = self._values.get(labels, 0.0) + amount

    def value(self, *labels: str) -> float:
        with self._lock:
            return self._values.get(labels, 0.0)

    def render(self) -> Iterable[str]:
        yield f"# HELP {self.name} {self.help}"
        yield f"# TYPE {self.name} counter"
        with self._lock:
            items = sorted(self._values.items())
        for labels, value in items:
            yield f"{self.name}{_labels(self.label_names, labels)} {_number(value)}"


class Histogram:
    """Observations counted into cumulative buckets per label set."""

    def __init__(
        self,
        name: str,
        help_text: str,
        labels: Sequence[str] = (),
        buckets: Sequence[float] = DEFAULT_BUCKETS,
    ) -> None:
        self.name = name
        self.help = help_text
        self.label_names = tuple(labels)
        self.buckets = tuple(sorted(buckets))
        self._series: dict[tuple[str, ...], tuple[list[int], list[float]]] = {}
        self._lock = threading.Lock()

    def observe(self, value: float, *labels: str) -> None:
        if len(labels) != len(self.label_names):
            raise ValueError(f"{self.name} takes labels {self.label_names}")
        with self._lock:
            counts, totals = self._series.setdefault(
                labels, ([0] * (len(self.buckets) + 1), [0.0, 0.0])
            )
            for index, bound in enumerate(self.buckets):
                if value <= bound:
                    counts[index] += 1
                    break
            else:
                counts[-1] += 1
            totals[0] += value
            totals[1] += 1

    def count(self, *labels: str) -> int:
        with self._lock:
            series = self._series.get(labels)
            return 0 if series is None else int(series[1][1])

    def render(self) -> Iterable[str]:
        yield f"# HELP {self.name} {self.help}"
        yield f"# TYPE {self.name} histogram"
        with self._lock:
            items = sorted((k, (list(c), list(t))) for k, (c, t) in self._series.items())
        for labels, (counts, totals) in items:
            running = 0
            bounds = [*self.buckets, math.inf]
            for bound, count in zip(bounds, counts, strict=True):
                running += count
                le = f'le="{_number(bound)}"'
                yield f"{self.name}_bucket{_labels(self.label_names, labels, le)} {running}"
            yield f"{self.name}_sum{_labels(self.label_names, labels)} {_number(totals[0])}"
            yield f"{self.name}_count{_labels(self.label_names, labels)} {_number(totals[1])}"


class Metrics:
    """The platform's series (one instance per app)."""

    CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

    def __init__(self) -> None:
        self.requests = Counter(
            "microcred_http_requests_total",
            "HTTP requests by method, route template and status code.",
            ("method", "route", "status"),
        )
        self.latency = Histogram(
            "microcred_http_request_duration_seconds",
            "HTTP request latency in seconds by method and route template.",
            ("method", "route"),
        )
        self.credentials_issued = Counter(
            "microcred_credentials_issued_total",
            "Credentials signed and stored, by the interface that asked.",
            ("via",),
        )
        self.verifications = Counter(
            "microcred_verifications_total",
            "Verifications by kind (credential, presentation) and outcome.",
            ("kind", "outcome"),
        )

    def render(self) -> str:
        lines: list[str] = []
        for metric in (self.requests, self.latency, self.credentials_issued, self.verifications):
            lines.extend(metric.render())
        return "\n".join(lines) + "\n"


class MetricsMiddleware:
    """Counts every HTTP request by route template and status, and times it."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def counting_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, counting_send)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None)
            if template is None:
                # Only fixed framework routes (/openapi.json, /docs) answer without a route
                # object; everything else unmatched is one series, whatever the path.
                fixed = status < 400 and str(scope.get("path", "")) in _FIXED
                template = str(scope["path"]) if fixed else "(unmatched)"
            method = str(scope.get("method", "GET"))
            self.metrics.requests.inc(method, template, str(status))
            self.metrics.latency.observe(time.perf_counter() - started, method, template)
