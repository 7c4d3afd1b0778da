"""HTTP on the worker: liveness and readiness. (``/metrics`` is served by the Prometheus sensor.)"""

from __future__ import annotations

from typing import TYPE_CHECKING

from faust import web

if TYPE_CHECKING:
    from agents.app import BrandpulseApp


def readiness(app: BrandpulseApp) -> dict[str, object]:
    """What ``/readyz`` reports: ready once started, assigned by the group and not rebalancing."""
    started = bool(app.started) if hasattr(app, "started") else False
    checks = {
        "started": started,
        "assigned": app.bp.assigned,
        "not_rebalancing": not app.rebalancing,
    }
    assignment = app.consumer.assignment() if app.bp.assigned else set()
    return {
        "ready": all(checks.values()),
        "checks": checks,
        "assigned_partitions": len(assignment),
    }


def register(app: BrandpulseApp) -> None:
    @app.page("/healthz")
    async def healthz(self: web.View, request: web.Request) -> web.Response:
        """The process is up and serving HTTP."""
        return self.json({"status": "ok"})

    @app.page("/readyz")
    async def readyz(self: web.View, request: web.Request) -> web.Response:
        """Ready to process: started, partitions assigned, no rebalance under way (503 otherwise)."""
        state = readiness(app)
        return self.json(state, status=200 if state["ready"] else 503)
