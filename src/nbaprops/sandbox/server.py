"""The sandbox league over HTTP: every source's real paths, auth and payloads on one loopback port.

``create_app`` builds a Starlette app around one simulated ``Season``. What a request can see is
decided by a settable ``SandboxClock`` (box scores once final, odds before tip and not after now,
injury PDFs once published). A ``FaultPlan`` damages responses on purpose (429, 5xx bursts, hangs,
truncated or malformed JSON, empty-but-200, a renamed field) so the scrapers' reliability code can
be exercised. Rendered bodies are cached per (path, query, clock time), so repeated requests cost
a dictionary lookup. A small admin surface under ``/_sandbox/`` moves the clock and queues faults.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nbaprops.dates import game_date_of
from nbaprops.errors import NbaPropsError
from nbaprops.sandbox import (
    injury_pdf,
    render_bdl,
    render_espn,
    render_nbacom,
    render_odds,
    render_pbp,
    render_schedule,
    render_scoreboard,
)
from nbaprops.sandbox.faults import FaultPlan, damage
from nbaprops.sandbox.model import InjuryReport, Season

SANDBOX_BDL_KEY = "sandbox-bdl-key"
SANDBOX_ODDS_KEY = "sandbox-odds-key"
JSON = "application/json"
_CACHE_ENTRIES = 4096
_CACHE_BYTES = 256 * 1024 * 1024  # a whole-season schedule is ~2 MB; each clock time caches its own
_ODDS_DOCS = "https://the-odds-api.com/liveapi/guides/v4/"
_S3_DENIED = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
    b"<Message>Access Denied</Message><RequestId>SANDBOX</RequestId><HostId>sandbox</HostId></Error>"
)


class SandboxClock:
    """The sandbox's "now": an aware UTC time that only moves when told to (thread-safe)."""

    def __init__(self, now: datetime) -> None:
        self._lock = threading.Lock()
        self._now = self._check(now)

    @staticmethod
    def _check(moment: datetime) -> datetime:
        if moment.tzinfo is None:
            raise ValueError("the sandbox clock needs a timezone-aware time")
        return moment.astimezone(UTC)

    def now(self) -> datetime:
        """The current sandbox time."""
        with self._lock:
            return self._now

    def set(self, moment: datetime) -> None:
        """Jump to ``moment`` (backwards too: tests replay days)."""
        with self._lock:
            self._now = self._check(moment)

    def advance(self, delta: timedelta) -> datetime:
        """Move forward by ``delta`` and return the new time."""
        with self._lock:
            self._now += delta
            return self._now


@dataclass(frozen=True, slots=True)
class Rendered:
    """A response body as cached: bytes, status, media type, and the Odds API credits it costs."""

    body: bytes
    status: int = 200
    media_type: str = JSON
    cost: int = 0


def _json(obj: Any, status: int = 200, cost: int = 0) -> Rendered:
    return Rendered(json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode(), status, JSON, cost)


def _odds_error(status: int, code: str, message: str) -> Rendered:
    return _json({"message": message, "error_code": code, "details_url": _ODDS_DOCS}, status)


def _parse_instant(text: str | None) -> datetime | None:
    if not text:
        return None
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _parse_day(text: str | None, now: datetime) -> date:
    if not text:
        return game_date_of(now)
    for fmt in ("%m/%d/%Y", "%Y-%m-%d", "%Y%m%d"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=UTC).date()
        except ValueError:
            continue
    raise ValueError(f"not a date: {text!r}")


Renderer = Callable[[Request, datetime], Rendered]


class _Sandbox:
    """Everything one app instance holds: the season, clock, faults, keys, quota and caches."""

    def __init__(
        self,
        season: Season,
        clock: SandboxClock,
        faults: FaultPlan,
        *,
        bdl_key: str,
        odds_key: str,
        quota: int,
    ) -> None:
        self.season, self.clock, self.faults = season, clock, faults
        self.bdl_key, self.odds_key = bdl_key, odds_key
        self.quota, self.used, self.last = quota, 0, 0
        self.stopping = threading.Event()
        self._cache: OrderedDict[tuple[Any, ...], Rendered] = OrderedDict()
        self._cache_bytes = 0
        self.game_by_event = {g.odds_event_id: g for g in season.games}
        self._lock = threading.Lock()
        self._reports: dict[str, InjuryReport] | None = None
        self._grid: list[datetime] | None = None

    # --- caching -----------------------------------------------------------------------------
    def cached(self, key: tuple[Any, ...]) -> Rendered | None:
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
            return hit

    def store(self, key: tuple[Any, ...], value: Rendered) -> None:
        with self._lock:
            old = self._cache.pop(key, None)
            self._cache_bytes += len(value.body) - (len(old.body) if old else 0)
            self._cache[key] = value
            while len(self._cache) > _CACHE_ENTRIES or self._cache_bytes > _CACHE_BYTES:
                self._cache_bytes -= len(self._cache.popitem(last=False)[1].body)

    @property
    def grid(self) -> list[datetime]:
        if self._grid is None:
            self._grid = render_odds.all_snapshot_times(self.season)
        return self._grid

    # --- Odds API credits --------------------------------------------------------------------
    def remaining(self) -> int:
        return max(0, self.quota - self.used)

    def quota_headers(self) -> dict[str, str]:
        return {
            "x-requests-remaining": str(self.remaining()),
            "x-requests-used": str(self.used),
            "x-requests-last": str(self.last),
        }

    # --- injury PDFs -------------------------------------------------------------------------
    def published_pdf(self, filename: str, now: datetime) -> bytes | None:
        """The injury report PDF with this file name, if it exists and is published at ``now``."""
        if self._reports is None:
            reports = self.season.injury_reports
            self._reports = {injury_pdf.report_filename(r.published_utc): r for r in reports}
        report = self._reports.get(filename)
        if report is None or report.published_utc > now:
            return None
        return injury_pdf.report_pdf(self.season, report)  # cached by injury_pdf itself


# --- renderers per source ---------------------------------------------------------------------


def _nbacom(sb: _Sandbox, kind: str) -> Renderer:
    def render(request: Request, now: datetime) -> Rendered:
        params = dict(request.query_params)
        if kind == "leaguegamelog":
            return _json(render_nbacom.leaguegamelog_payload(sb.season, now, params))
        if kind == "scoreboard":
            day = _parse_day(params.get("GameDate") or params.get("gameDate"), now)
            return _json(render_scoreboard.scoreboard_v2_payload(sb.season, now, day))
        if kind == "playerindex":
            return _json(render_nbacom.playerindex_payload(sb.season, now, params))
        if kind == "schedule":
            return _json(render_schedule.schedule_payload(sb.season, now))
        if kind == "espn":
            return _json(render_espn.scoreboard_payload(sb.season, now, _parse_day(params.get("dates"), now)))
        payload = render_pbp.playbyplay_payload(sb.season, now, request.path_params["game_id"])
        return _json(payload) if payload is not None else Rendered(_S3_DENIED, 403, "application/xml")

    return render


def _bdl(sb: _Sandbox, kind: str) -> Renderer:
    def render(request: Request, now: datetime) -> Rendered:
        query = {k: request.query_params.getlist(k) for k in request.query_params}
        if kind == "teams":
            return _json(render_bdl.teams_payload())
        if kind == "games":
            return _json(render_bdl.games_payload(sb.season, now, query))
        if kind == "injuries":
            return _json(render_bdl.injuries_payload(sb.season, now, query))
        if kind == "players":
            return _json(render_bdl.active_players_payload(sb.season, query))
        day = request.query_params.get("date")
        if not day:
            return _json({"error": "date is required"}, 400)
        return _json(render_bdl.box_scores_payload(sb.season, now, date.fromisoformat(day)))

    return render


def _odds(sb: _Sandbox, kind: str) -> Renderer:
    def render(request: Request, now: datetime) -> Rendered:
        params = dict(request.query_params)
        at = _parse_instant(params.get("date"))
        if kind.startswith("historical") and at is None:
            return _odds_error(422, "INVALID_HISTORICAL_TIMESTAMP", "date is required (ISO 8601)")
        if kind == "events":
            start = _parse_instant(params.get("commenceTimeFrom"))
            end = _parse_instant(params.get("commenceTimeTo"))
            return _json(render_odds.events_payload(sb.season, now, start, end))
        if kind == "historical_events":
            assert at is not None  # noqa: S101  # checked above; narrows the type for mypy
            payload = render_odds.historical_events_payload(sb.season, now, at, sb.grid)
            return _json(payload, cost=1 if payload["data"] else 0)
        game = sb.game_by_event.get(request.path_params["event_id"])
        missing = _odds_error(
            404, "EVENT_NOT_FOUND", "Event not found. The event may have expired or the event id is invalid."
        )
        if game is None:
            return missing
        q = render_odds.OddsQuery.parse(params)
        if kind == "historical_odds":
            assert at is not None  # noqa: S101
            found = render_odds.historical_event_odds_payload(sb.season, now, game, at, q)
            if found is None:
                return missing
            return _json(found[0], cost=10 * found[1] * q.region_count)
        if render_bdl.is_final(game, now):
            return missing
        data, markets = render_odds.event_odds(sb.season, game, now, q, historical=False)
        if now >= game.tip_utc:  # the sandbox books take no in-play bets
            data["bookmakers"], markets = [], 0
        return _json(data, cost=markets * q.region_count)

    return render


# --- the request pipeline: auth, faults, cache, credits ----------------------------------------


def _auth_failure(sb: _Sandbox, source: str, request: Request) -> Rendered | None:
    if source == "bdl" and request.headers.get("authorization") != sb.bdl_key:
        return _json({"error": "Unauthorized", "message": "missing or invalid API key"}, 401)
    if source == "odds":
        key = request.query_params.get("apiKey")
        if not key:
            return _odds_error(401, "MISSING_KEY", "API key is missing. Add the apiKey query parameter.")
        if key != sb.odds_key:
            return _odds_error(401, "INVALID_KEY", "API key is not valid, or is out of usage credits.")
    return None


async def _hang(sb: _Sandbox) -> None:
    """Sleep like a stuck upstream: long, bounded, and cut short when the server stops."""
    deadline = asyncio.get_running_loop().time() + sb.faults.hang_s
    while not sb.stopping.is_set() and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.05)


def _endpoint(sb: _Sandbox, source: str, renderer: Renderer) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        extra = sb.quota_headers() if source == "odds" else {}
        failed = _auth_failure(sb, source, request)
        if failed is not None:
            return Response(failed.body, failed.status, extra, failed.media_type)
        fault = sb.faults.next_fault(request.url.path)
        if fault == "rate_limit":
            return Response(
                b'{"message":"Too many requests"}',
                429,
                extra | {"Retry-After": str(sb.faults.retry_after_s)},
                JSON,
            )
        if fault == "server_error":
            return Response(b"<html><body><h1>502 Bad Gateway</h1></body></html>", 502, extra, "text/html")
        if fault == "not_found":
            return Response(b'{"message":"Not Found"}', 404, extra, JSON)
        if fault == "hang":
            await _hang(sb)
            if sb.stopping.is_set():
                return Response(b"", 503, extra)
        now = sb.clock.now()
        query = tuple(sorted((k, v) for k, v in request.query_params.multi_items() if k != "apiKey"))
        key = (request.url.path, query, now)
        rendered = sb.cached(key)
        if rendered is None:
            try:
                rendered = await run_in_threadpool(renderer, request, now)
            except (ValueError, NbaPropsError) as exc:  # a malformed parameter: the caller's mistake
                status = 422 if source == "odds" else 400
                rendered = _json({"message": f"invalid request: {exc}"}, status)
            sb.store(key, rendered)
        if rendered.cost:
            if rendered.cost > sb.remaining():
                failed = _odds_error(429, "OUT_OF_USAGE_CREDITS", "Usage quota has been reached.")
                return Response(failed.body, 429, sb.quota_headers(), JSON)
            sb.used += rendered.cost
            sb.last = rendered.cost
            extra = sb.quota_headers()
        elif source == "odds":
            sb.last = 0
            extra = sb.quota_headers()
        body = rendered.body
        if fault is not None and rendered.status == 200:
            body = damage(fault, body, rendered.media_type)
        return Response(body, rendered.status, extra, rendered.media_type)

    return endpoint


def _injury_endpoint(sb: _Sandbox) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        filename: str = request.path_params["filename"]
        fault = sb.faults.next_fault(request.url.path)
        if fault == "server_error":
            return Response(b"Service Unavailable", 503, media_type="text/plain")
        if fault == "rate_limit":
            return Response(b"Slow Down", 429, {"Retry-After": str(sb.faults.retry_after_s)}, "text/plain")
        if fault == "hang":
            await _hang(sb)
        pdf = await run_in_threadpool(sb.published_pdf, filename, sb.clock.now())
        if pdf is None or fault == "not_found" or not filename.endswith(".pdf"):
            return Response(_S3_DENIED, 403, media_type="application/xml")
        body = damage(fault, pdf, "application/pdf") if fault else pdf
        return Response(body, 200, media_type="application/pdf")

    return endpoint


# --- admin ---------------------------------------------------------------------------------------


def _admin_routes(sb: _Sandbox) -> list[Route]:
    def clock_json() -> Response:
        return Response(json.dumps({"now": render_odds.iso(sb.clock.now())}), media_type=JSON)

    async def health(_: Request) -> Response:
        return Response(
            json.dumps(
                {
                    "status": "ok",
                    "season": sb.season.label,
                    "seed": sb.season.seed,
                    "games": len(sb.season.games),
                    "now": render_odds.iso(sb.clock.now()),
                    "odds_credits_remaining": sb.remaining(),
                }
            ),
            media_type=JSON,
        )

    async def clock(request: Request) -> Response:
        if request.method == "POST":
            body = await request.json()
            try:
                if "now" in body:
                    moment = _parse_instant(str(body["now"]))
                    assert moment is not None  # noqa: S101  # a present string parses or raises
                    sb.clock.set(moment)
                else:
                    sb.clock.advance(timedelta(seconds=float(body["advance_s"])))
            except (KeyError, ValueError, TypeError) as exc:
                problem = {"error": f"expected now or advance_s: {exc}"}
                return Response(json.dumps(problem), 400, media_type=JSON)
        return clock_json()

    async def faults(request: Request) -> Response:
        if request.method == "POST":
            body = await request.json()
            try:
                sb.faults.queue(str(body["prefix"]), str(body["kind"]), int(body.get("count", 1)))
            except (KeyError, ValueError, TypeError) as exc:
                return Response(json.dumps({"error": str(exc)}), 400, media_type=JSON)
        elif request.method == "DELETE":
            sb.faults.clear()
        return Response(json.dumps({"queued": sb.faults.queued()}), media_type=JSON)

    return [
        Route("/_sandbox/health", health),
        Route("/_sandbox/clock", clock, methods=["GET", "POST"]),
        Route("/_sandbox/faults", faults, methods=["GET", "POST", "DELETE"]),
    ]


def create_app(
    season: Season, *, clock: SandboxClock, faults: FaultPlan, bdl_key: str, odds_key: str, odds_quota: int
) -> Starlette:
    """The sandbox app: NBA.com stats/CDN/injury PDFs, Ball Don't Lie, The Odds API and ESPN on one port.

    ``app.state.sandbox.stopping`` (a ``threading.Event``) ends hanging requests; the runner sets it.
    """
    sb = _Sandbox(season, clock, faults, bdl_key=bdl_key, odds_key=odds_key, quota=odds_quota)

    def nba(path: str, kind: str) -> Route:
        return Route(path, _endpoint(sb, "nbacom", _nbacom(sb, kind)))

    def bdl(path: str, kind: str) -> Route:
        return Route(path, _endpoint(sb, "bdl", _bdl(sb, kind)))

    def odds(path: str, kind: str) -> Route:
        return Route(path, _endpoint(sb, "odds", _odds(sb, kind)))

    sport = "/sports/basketball_nba/events"
    routes = [
        nba("/stats/leaguegamelog", "leaguegamelog"),
        nba("/stats/scoreboardv2", "scoreboard"),
        nba("/stats/scoreboardV2", "scoreboard"),
        nba("/stats/playerindex", "playerindex"),
        nba("/stats/scheduleleaguev2int", "schedule"),
        nba("/static/json/staticData/scheduleLeagueV2.json", "schedule"),
        nba("/static/json/staticData/scheduleLeagueV2_1.json", "schedule"),
        nba("/static/json/liveData/playbyplay/playbyplay_{game_id}.json", "playbyplay"),
        nba("/apis/site/v2/sports/basketball/nba/scoreboard", "espn"),
        Route("/referee/injury/{filename}", _injury_endpoint(sb)),
        bdl("/v1/teams", "teams"),
        bdl("/v1/games", "games"),
        bdl("/v1/box_scores", "box_scores"),
        bdl("/v1/player_injuries", "injuries"),
        bdl("/v1/players/active", "players"),
        odds(f"/v4{sport}", "events"),
        odds(f"/v4{sport}/{{event_id}}/odds", "odds"),
        odds(f"/v4/historical{sport}", "historical_events"),
        odds(f"/v4/historical{sport}/{{event_id}}/odds", "historical_odds"),
        *_admin_routes(sb),
    ]
    app = Starlette(routes=routes)
    app.state.sandbox = sb
    return app
