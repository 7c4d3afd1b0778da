"""HTTP on the worker: health, readiness, and queries. (``/metrics`` is served by the Prometheus sensor.)

Queries about one topic or brand (``/topics/{topic}/…``, the topic URL-encoded: ``%23united`` for
``#united``, ``brand:united-airlines`` for a watched brand) are routed by Faust to the worker that
owns the topic's partition, so every worker gives the same answer. ``/trending`` ranks the topics of
the worker asked (``scope`` says which partitions); ask each worker, or run one, for the whole.
Every endpoint is read-only.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import wraps
from time import monotonic
from typing import TYPE_CHECKING

import aiohttp
import aiohttp.web
import faust
from faust import web
from yarl import URL

from agents.tables import partition_of
from streams.influence import CANDIDATES_PER_SENTIMENT, MAP_DEPTH

if TYPE_CHECKING:
    from agents.app import BrandpulseApp

log = logging.getLogger(__name__)

RESOLUTIONS = ("minute", "hour")
INFLUENCE_RESOLUTIONS = ("hour", "day")


#: Kafka counts as unreachable when no metadata request has succeeded for this long.
KAFKA_STALE_SECONDS = 10.0
KAFKA_PROBE_SECONDS = 2.0


def readiness(app: BrandpulseApp) -> dict[str, object]:
    """What ``/readyz`` reports: ready once started, assigned by the group, not rebalancing, and Kafka answering."""
    started = bool(app.started) if hasattr(app, "started") else False
    checks = {
        "started": started,
        "assigned": app.bp.assigned,
        "not_rebalancing": not app.rebalancing,
        "kafka_reachable": monotonic() - app.bp.kafka_seen < KAFKA_STALE_SECONDS,
    }
    assignment = app.consumer.assignment() if app.bp.assigned else set()
    return {
        "ready": all(checks.values()),
        "checks": checks,
        "assigned_partitions": len(assignment),
    }


class BadRequest(ValueError):
    pass


def _time(request: web.Request, name: str) -> int | None:
    value = request.query.get(name)
    if value is None:
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(f"'{name}' must be an ISO 8601 time with an offset, e.g. 2024-06-01T12:00:00Z") from None
    if dt.tzinfo is None:
        raise BadRequest(f"'{name}' must carry a UTC offset, e.g. 2024-06-01T12:00:00Z")
    return int(dt.timestamp())


def _resolution(request: web.Request) -> str:
    resolution = request.query.get("resolution", "minute")
    if resolution not in RESOLUTIONS:
        raise BadRequest(f"'resolution' must be one of {', '.join(RESOLUTIONS)}")
    return resolution


TopicView = Callable[[web.View, web.Request, str], Awaitable[web.Response]]
#: Set on a request one worker forwards to another, so that it is forwarded at most once.
ROUTED_HEADER = "X-Brandpulse-Routed"


def routed(app: BrandpulseApp, table: faust.Table) -> Callable[[TopicView], TopicView]:
    """Answer a ``/topics/{topic}/…`` request on the worker that owns the topic's partition of ``table``.

    Faust's own ``table_route`` asks the producer for the key's partition, which fails (HTTP 500) until the
    producer has fetched the changelog topic's metadata, i.e. until the table's first write. Our tables put a
    key in the partition its murmur2 hash gives (``agents.tables``), so that partition is computed here, and
    the owner is read from the group's assignment (``router.table_metadata``). A request is forwarded at most
    once; 503 while no worker owns the partition, while the workers disagree on who does, or when the owner
    does not answer.
    """

    def decorator(fun: TopicView) -> TopicView:
        @wraps(fun)
        async def view(self: web.View, request: web.Request, topic: str) -> web.Response:
            partition = partition_of(topic.encode(), table.partitions or app.bp.settings.topic_partitions)
            changelog = table.changelog_topic.get_topic_name()
            owner = next((url for url, tps in app.router.table_metadata(table.name).items()
                          if partition in tps.get(changelog, ())), None)
            if owner is None:
                return self.json({"error": "no worker owns this topic's partition right now (starting or "
                                  "rebalancing); try again shortly", "topic": topic}, status=503)
            here, there = URL(str(app.conf.canonical_url)), URL(owner)
            if (here.host, here.port) == (there.host, there.port):
                return await fun(self, request, topic)
            if request.headers.get(ROUTED_HEADER):
                # Routed here by a worker whose view of the assignment differs from ours: a rebalance is
                # under way. Do not bounce it back.
                return self.json({"error": "the assignment is changing (rebalancing); try again shortly",
                                  "topic": topic}, status=503)
            try:
                async with app.http_client.request(
                        method=request.method, headers={**request.headers, ROUTED_HEADER: "1"},
                        url=request.url.with_host(there.host).with_port(there.port),
                        timeout=aiohttp.ClientTimeout(total=10)) as resp:
                    return self.text(await resp.text(), content_type=resp.content_type, status=resp.status)
            except (aiohttp.ClientError, TimeoutError) as exc:
                return self.json({"error": f"the worker that owns this topic ({owner}) did not answer: "
                                  f"{type(exc).__name__}", "topic": topic}, status=503)

        return view

    return decorator


#: What a worker answers without the bearer token: the orchestrator's probes.
OPEN_PATHS = frozenset({"/healthz", "/readyz"})


def require_token(token: str) -> Callable:
    """aiohttp middleware: 401 for a request without ``Authorization: Bearer <token>`` (but the probes)."""
    expected = f"Bearer {token}".encode()

    @aiohttp.web.middleware
    async def middleware(request: aiohttp.web.Request, handler: Callable) -> aiohttp.web.StreamResponse:
        if request.path not in OPEN_PATHS and not hmac.compare_digest(
                request.headers.get("Authorization", "").encode(), expected):
            return aiohttp.web.json_response(
                {"error": "this endpoint needs Authorization: Bearer <BRANDPULSE_WEB_TOKEN>"}, status=401,
                headers={"WWW-Authenticate": 'Bearer realm="brandpulse"'})
        return await handler(request)

    return middleware


async def probe_kafka(app: BrandpulseApp) -> None:
    """One metadata round trip (for the posts topic alone) through the producer's connection; sets
    ``app.bp.kafka_seen``."""
    from aiokafka.cluster import ClusterMetadata

    client = app.producer._ensure_producer().client  # Faust exposes no public handle on it
    if await asyncio.wait_for(client._metadata_update(ClusterMetadata(), [app.bp.settings.posts_topic]), timeout=5):
        app.bp.kafka_seen = monotonic()


def register(app: BrandpulseApp) -> None:
    @app.timer(interval=KAFKA_PROBE_SECONDS, name="watch_kafka")
    async def watch_kafka() -> None:
        """Is Kafka still answering? ``/readyz`` says no after KAFKA_STALE_SECONDS without an answer."""
        try:
            await probe_kafka(app)
        except Exception as exc:  # an exception in a Faust timer stops the whole worker
            log.info("Kafka did not answer a metadata request: %r", exc)

    if app.bp.settings.web_token is not None:
        app.web.web_app.middlewares.append(require_token(app.bp.settings.web_token))
    trends = app.bp.trends
    assert trends is not None
    history = trends.history

    def no_topic(view: web.View, topic: str) -> web.Response:
        return view.json({"error": "no closed window of this topic on record", "topic": topic}, status=404)

    @app.page("/healthz")
    async def healthz(self: web.View, request: web.Request) -> web.Response:
        """The process is up and serving HTTP."""
        return self.json({"status": "ok"})

    @app.page("/readyz")
    async def readyz(self: web.View, request: web.Request) -> web.Response:
        """Ready to process: started, partitions assigned, no rebalance under way (503 otherwise)."""
        state = readiness(app)
        return self.json(state, status=200 if state["ready"] else 503)

    @app.page("/topics/{topic}/trend")
    @routed(app, history)
    async def topic_trend(self: web.View, request: web.Request, topic: str) -> web.Response:
        """A topic's closed windows: ?resolution=minute|hour&from=…&to=… (ISO 8601)."""
        try:
            resolution, from_s, to_s = _resolution(request), _time(request, "from"), _time(request, "to")
        except BadRequest as exc:
            return self.json({"error": str(exc)}, status=400)
        h = history.get(topic.encode())
        if h is None:
            return no_topic(self, topic)
        return self.json({"topic": topic, "resolution": resolution, "windows": h.trend(resolution, from_s, to_s)})

    @app.page("/topics/{topic}/terms")
    @routed(app, history)
    async def topic_terms(self: web.View, request: web.Request, topic: str) -> web.Response:
        """A topic's word cloud: the top terms per sentiment of its latest closed window with posts."""
        try:
            resolution = _resolution(request)
        except BadRequest as exc:
            return self.json({"error": str(exc)}, status=400)
        h = history.get(topic.encode())
        if h is None:
            return no_topic(self, topic)
        rows = h.windows[resolution]
        latest = next((r for r in reversed(rows) if r[1]), None)
        terms = h.top_terms.get(resolution, {})
        return self.json({
            "topic": topic, "resolution": resolution,
            "window_start": h.trend(resolution, latest[0], latest[0] + 1)[0]["window_start"] if latest else None,
            "terms": {label: [{"term": t, "count": c} for t, c in terms.get(label, [])]
                      for label in ("positive", "neutral", "negative")},
        })

    @app.page("/topics/{topic}/summary")
    @routed(app, history)
    async def topic_summary(self: web.View, request: web.Request, topic: str) -> web.Response:
        """Posts, sentiment split and mean over the latest closed minute and hour and the last 24 hours."""
        h = history.get(topic.encode())
        if h is None:
            return no_topic(self, topic)

        def total(rows: list[dict]) -> dict[str, object]:
            posts = sum(r["posts"] for r in rows)
            compound = sum(r["compound_sum"] for r in rows)
            return {
                "posts": posts,
                **{k: sum(r[k] for r in rows) for k in ("positive", "neutral", "negative")},
                "negative_share": round(sum(r["negative"] for r in rows) / posts, 4) if posts else None,
                "compound_mean": round(compound / posts, 4) if posts else None,
            }

        minutes, hours = h.trend("minute"), h.trend("hour")
        growth = h.growth()
        return self.json({
            "topic": topic,
            "last_minute": {"window_start": minutes[-1]["window_start"], **total(minutes[-1:])} if minutes else None,
            "last_hour": {"window_start": hours[-1]["window_start"], **total(hours[-1:])} if hours else None,
            "last_24_hours": total(hours[-24:]),
            "growth": {"posts": growth[0], "baseline_per_minute": round(growth[1], 3),
                       "ratio": round(growth[2], 3)} if growth else None,
        })

    influence = app.bp.influence
    assert influence is not None

    def _window(request: web.Request) -> tuple[str, str]:
        resolution = request.query.get("resolution", "hour")
        if resolution not in INFLUENCE_RESOLUTIONS:
            raise BadRequest(f"'resolution' must be one of {', '.join(INFLUENCE_RESOLUTIONS)}")
        which = request.query.get("window", "current")
        if which not in ("current", "previous"):
            raise BadRequest("'window' must be current or previous")
        return resolution, which

    def no_ranking(view: web.View, topic: str) -> web.Response:
        return view.json({"error": "no influencer ranking of this topic for that window", "topic": topic}, status=404)

    @app.page("/topics/{topic}/influencers")
    @routed(app, influence.rankings.table)
    async def topic_influencers(self: web.View, request: web.Request, topic: str) -> web.Response:
        """Top 5 influencers per sentiment in the topic's newest (or previous) hour or day, with the map:
        ?resolution=hour|day&window=current|previous."""
        try:
            resolution, which = _window(request)
        except BadRequest as exc:
            return self.json({"error": str(exc)}, status=400)
        ranking = influence.ranking(topic, resolution, which)
        return self.json(ranking) if ranking is not None else no_ranking(self, topic)

    @app.page("/topics/{topic}/influencer-map")
    @routed(app, influence.rankings.table)
    async def topic_influencer_map(self: web.View, request: web.Request, topic: str) -> web.Response:
        """Where the topic's top influencers are, by sentiment: ?resolution=hour|day&window=current|previous
        &depth=N (the top N of each sentiment, 1-50, default 50); "unknown" is its own bucket."""
        try:
            resolution, which = _window(request)
            depth = int(request.query.get("depth", str(MAP_DEPTH)))
            if not 1 <= depth <= CANDIDATES_PER_SENTIMENT:
                raise ValueError
        except BadRequest as exc:
            return self.json({"error": str(exc)}, status=400)
        except ValueError:
            return self.json({"error": f"'depth' must be a whole number from 1 to {CANDIDATES_PER_SENTIMENT}"},
                             status=400)
        ranking = influence.ranking(topic, resolution, which, depth)
        if ranking is None:
            return no_ranking(self, topic)
        return self.json({k: ranking[k] for k in ("topic", "kind", "resolution", "window_start", "window_end",
                                                  "map_depth", "ranked_authors", "exact", "places")})

    @app.page("/brands")
    async def brands(self: web.View, request: web.Request) -> web.Response:
        """The watched brands, their topics, and where to ask about each."""
        return self.json({"brands": [
            {"brand": b.name, "topics": sorted(b.topics),
             "summary": f"/topics/brand:{b.name}/summary", "trend": f"/topics/brand:{b.name}/trend",
             "terms": f"/topics/brand:{b.name}/terms",
             "influencers": f"/topics/brand:{b.name}/influencers"}
            for b in app.bp.settings.watchlists.brands
        ]})

    @app.page("/trending")
    async def trending(self: web.View, request: web.Request) -> web.Response:
        """Topics of this worker in the latest closed minute, by volume and by growth (?limit=20)."""
        try:
            limit = max(1, min(int(request.query.get("limit", "20")), 500))
        except ValueError:
            return self.json({"error": "'limit' must be a whole number"}, status=400)
        return self.json({
            **trends.trending(limit),
            "scope": {"worker": app.conf.canonical_url and str(app.conf.canonical_url),
                      "partitions": sorted(trends.assigned)},
        })
