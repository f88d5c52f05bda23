"""The worker's service views: metrics, probes and the dashboard, added to a Faust app in one call.

In: the ``faust.App`` and the :class:`workers.settings.Settings` it was built from. Out, on
the app's web server:

- ``GET /metrics`` — Prometheus text format (:mod:`workers.metrics`; gauges refreshed per scrape);
- ``GET /healthz`` — 200 while the process serves HTTP (liveness);
- ``GET /readyz`` — 200 once the worker has source partitions assigned, its tables recovered, its
  model loaded (in process or in every pool process) and no rebalance under way, else 503; the
  body says which;
- ``GET /`` and ``/static/…`` — the dashboard (plain HTML, CSS and JavaScript, no build, no CDN);
- ``GET /api/dashboard`` — the JSON the dashboard reads (:mod:`workers.web.data`).

The dashboard's data come from the output topics (``actors.counts``, ``events.enriched``),
read from the beginning by a task of the worker's own: every worker shows every actor, not
only the partitions it owns.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import faust
from faust.web import Request, Response, View
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from workers import metrics
from workers.settings import Settings
from workers.web.data import DashboardData, follow

STATIC = Path(__file__).resolve().parent / "static"
_STATIC_TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}
# the dashboard needs nothing from elsewhere: a policy that forbids it keeps it honest
_PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; style-src 'self'; script-src 'self'",
    "Cache-Control": "no-cache",
}


def stage_of_topic(settings: Settings) -> dict[str, str]:
    """Source topic -> the agent consuming it (the ``stage`` label of metrics and log lines)."""
    names = settings.topics
    return {
        names.raw: "normalize",
        names.normalized: "entities",
        names.entities: "events",
        settings.candidates_topic: "identify",
        names.enriched: "contribute",
        settings.contributions_topic: "count",
    }


def producer_of_topic(settings: Settings) -> dict[str, str]:
    """Destination topic -> the agent that sends to it (contributions: also identify's retractions)."""
    names = settings.topics
    return {
        names.normalized: "normalize",
        names.entities: "entities",
        settings.candidates_topic: "events",
        names.enriched: "identify",
        settings.contributions_topic: "contribute",
        names.actor_counts: "count",
    }


@cache
def _static(name: str) -> bytes:
    return (STATIC / name).read_bytes()


def readiness(app: faust.App, model_loaded: Callable[[], bool]) -> dict[str, Any]:
    """The worker's readiness and its reasons: partitions, tables, model, rebalance."""
    sources = metrics.assigned_sources(app)
    # TableManager has it, TableManagerT does not declare it
    recovered = app.tables.recovery.completed.is_set()  # type: ignore[attr-defined]
    rebalancing = bool(app.rebalancing)
    loaded = model_loaded()
    ready = bool(sources) and recovered and loaded and not rebalancing
    return {
        "ready": ready,
        "assigned_partitions": len(sources),
        "tables_recovered": recovered,
        "model_loaded": loaded,
        "rebalancing": rebalancing,
    }


def register_service_views(
    app: faust.App,
    settings: Settings,
    dashboard: DashboardData | None = None,
    *,
    model_loaded: Callable[[], bool],
) -> DashboardData:
    """Add the sensor, the views and the dashboard's reader task to ``app``; returns the dashboard
    data. ``model_loaded`` says whether the entities agent's model can take batches (/readyz)."""
    data = dashboard if dashboard is not None else DashboardData()
    names = settings.topics
    sensor = metrics.ServiceSensor(
        stage_of_topic(settings), names.enriched, names.dead_letter, producer_of_topic(settings)
    )
    app.sensors.add(sensor)

    @app.page("/metrics")
    async def metrics_view(web: View, request: Request) -> Response:
        metrics.refresh(app)
        return web.bytes(generate_latest(), content_type=CONTENT_TYPE_LATEST.split(";")[0])

    @app.page("/healthz")
    async def healthz(web: View, request: Request) -> Response:
        return web.json({"alive": True})

    @app.page("/readyz")
    async def readyz(web: View, request: Request) -> Response:
        state = readiness(app, model_loaded)
        return web.json(state, status=200 if state["ready"] else 503)

    @app.page("/")
    async def index(web: View, request: Request) -> Response:
        return web.bytes(_static("index.html"), content_type="text/html", headers=dict(_PAGE_HEADERS))

    @app.page("/static/{name}")
    async def static(web: View, request: Request, name: str) -> Response:
        path = STATIC / name
        if "/" in name or path.suffix not in _STATIC_TYPES or not path.is_file():
            return web.json({"error": "not found"}, status=404)
        return web.bytes(_static(name), content_type=_STATIC_TYPES[path.suffix], headers=dict(_PAGE_HEADERS))

    @app.page("/api/dashboard")
    async def dashboard_json(web: View, request: Request) -> Response:
        return web.json(data.snapshot())

    @app.task  # type: ignore[untyped-decorator]  # faust leaves this decorator untyped
    async def read_outputs() -> None:
        bootstrap = settings.bootstrap_servers or "localhost:9092"
        client = settings.kafka_client_options()
        await follow(data, bootstrap, names.actor_counts, names.enriched, client)

    return data
