"""The read API: versioned, read-only ``GET /v1/...`` routes over a ``ReadSource``.

=================================  ==========================================================
route                              answer
=================================  ==========================================================
``/v1/predictions/{game_date}``    every prediction of the date (``?system_id=``), paginated
``/v1/picks/{game_date}``          one system's OVER/UNDER picks, best EV first, paginated
``/v1/players/{player_id}``        last 20 graded games and upcoming predictions (404 unknown)
``/v1/results/{game_date}``        graded predictions with the day's totals, paginated
``/v1/performance``                per system over ``?window=7|30|season``
``/v1/status``                     last run per step, recent alerts, quarantine
=================================  ==========================================================

Caching: each answer is rendered once into bytes with a strong ``ETag`` (SHA-256 of the body)
and kept for ``api_cache_max_age_s`` under its *validated* parameters (junk query parameters
cannot fill the cache); it carries ``Cache-Control: private, max-age=N``. A request whose
``If-None-Match`` names the current ETag gets ``304 Not Modified`` without a body. Within the
cache window a repeated GET touches neither the warehouse nor pydantic: it is a dict look-up.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from nbaprops.dates import now_utc
from nbaprops.services.read_models import (
    PageInfo,
    Performance,
    PicksPage,
    Player,
    PredictionsPage,
    Problem,
    ResultsPage,
    Status,
    Window,
)

if TYPE_CHECKING:
    from nbaprops.lake import Lake
    from nbaprops.services.read_source import ReadSource
    from nbaprops.settings import Settings

T = TypeVar("T")
MAX_PAGE_SIZE = 500
SYSTEM_PATTERN = r"^[a-z][a-z0-9_]{0,39}$"

GameDate = Annotated[date, Path(description="ET game date, YYYY-MM-DD.")]
SystemFilter = Annotated[
    str | None, Query(pattern=SYSTEM_PATTERN, max_length=40, description="Only this system.")
]
PageNumber = Annotated[int, Query(ge=1, le=100_000, description="Page number, from 1.")]
PageSize = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Items per page.")]

_READ_RESPONSES: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified: the If-None-Match ETag is current."},
    401: {"model": Problem, "description": "Missing or invalid API key."},
    422: {"model": Problem, "description": "Invalid parameters."},
    503: {"model": Problem, "description": "The warehouse is busy; retry later."},
}


@dataclass(frozen=True)
class Rendered:
    """One answer as bytes, with its ETag and the monotonic time it stops being served."""

    body: bytes
    etag: str
    expires: float


class ResponseCache:
    """Rendered answers by key, each for ``max_age_s`` seconds, at most ``max_entries`` (LRU)."""

    def __init__(self, max_age_s: float, max_entries: int = 2048) -> None:
        self.max_age_s = max_age_s
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, Rendered] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Rendered | None:
        """The live entry of ``key``, or ``None``."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry.expires <= time.monotonic():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry

    def put(self, key: Hashable, body: bytes) -> Rendered:
        """Store ``body`` under ``key``; returns the entry with its ETag."""
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        entry = Rendered(body, etag, time.monotonic() + self.max_age_s)
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return entry


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    tags = {t.strip().removeprefix("W/") for t in header.split(",")}
    return "*" in tags or etag in tags


def paginate(items: list[T], page: int, page_size: int) -> tuple[list[T], PageInfo]:
    """One page of ``items`` and where it lies."""
    start = (page - 1) * page_size
    chunk = items[start : start + page_size]
    more = start + page_size < len(items)
    return chunk, PageInfo(
        page=page, page_size=page_size, total=len(items), next_page=page + 1 if more else None
    )


def read_router(source: ReadSource, settings: Settings) -> APIRouter:
    """The ``/v1`` read routes over ``source``, cached for ``settings.api_cache_max_age_s``."""
    cache = ResponseCache(settings.api_cache_max_age_s)
    cache_control = f"private, max-age={settings.api_cache_max_age_s}"
    router = APIRouter(prefix="/v1", tags=["read"], responses=_READ_RESPONSES)

    async def answer(request: Request, key: Hashable, build: Callable[[], BaseModel]) -> Response:
        entry = cache.get(key)
        if entry is None:
            document = await run_in_threadpool(build)
            entry = cache.put(key, document.model_dump_json().encode())
        headers = {"ETag": entry.etag, "Cache-Control": cache_control}
        if _etag_matches(request.headers.get("if-none-match"), entry.etag):
            return Response(status_code=304, headers=headers)
        return Response(entry.body, media_type="application/json", headers=headers)

    @router.get("/predictions/{game_date}", response_model=PredictionsPage, summary="Predictions of a date")
    async def predictions(
        request: Request,
        game_date: GameDate,
        system_id: SystemFilter = None,
        page: PageNumber = 1,
        page_size: PageSize = 100,
    ) -> Response:
        """Every prediction of a game date, by game, player and system."""

        def build() -> PredictionsPage:
            rows = source.predictions(game_date, system_id)
            chunk, info = paginate(rows, page, page_size)
            as_of = max((r.as_of for r in rows), default=None)
            return PredictionsPage(
                game_date=game_date, system_id=system_id, as_of=as_of, items=chunk, page=info
            )

        return await answer(request, ("predictions", game_date, system_id, page, page_size), build)

    @router.get("/picks/{game_date}", response_model=PicksPage, summary="Picks of a date")
    async def picks(
        request: Request,
        game_date: GameDate,
        system_id: Annotated[
            str, Query(pattern=SYSTEM_PATTERN, max_length=40, description="The system whose picks.")
        ] = "ensemble",
        page: PageNumber = 1,
        page_size: PageSize = 50,
    ) -> Response:
        """One system's OVER/UNDER picks of a date, best expected value first."""

        def build() -> PicksPage:
            rows = source.picks(game_date, system_id)
            chunk, info = paginate(rows, page, page_size)
            as_of = max((r.as_of for r in rows), default=None)
            return PicksPage(game_date=game_date, system_id=system_id, as_of=as_of, items=chunk, page=info)

        return await answer(request, ("picks", game_date, system_id, page, page_size), build)

    @router.get(
        "/players/{player_id}",
        response_model=Player,
        summary="A player",
        responses={404: {"model": Problem, "description": "No such player."}},
    )
    async def player(
        request: Request,
        player_id: Annotated[int, Path(ge=1, le=2**53, description="NBA.com person id.")],
        system_id: Annotated[
            str, Query(pattern=SYSTEM_PATTERN, max_length=40, description="The system shown.")
        ] = "ensemble",
    ) -> Response:
        """A player's last 20 graded games (prediction, line, result) and upcoming predictions."""
        from nbaprops.services.app import ProblemError

        def build() -> Player:
            doc = source.player(player_id, system_id)
            if doc is None:
                raise ProblemError(404, "Not found", "no such player")
            return doc

        return await answer(request, ("player", player_id, system_id), build)

    @router.get("/results/{game_date}", response_model=ResultsPage, summary="Results of a date")
    async def results(
        request: Request,
        game_date: GameDate,
        system_id: SystemFilter = None,
        page: PageNumber = 1,
        page_size: PageSize = 100,
    ) -> Response:
        """Every graded prediction of a date, with the totals of its picks."""

        def build() -> ResultsPage:
            rows, totals = source.results(game_date, system_id)
            chunk, info = paginate(rows, page, page_size)
            return ResultsPage(
                game_date=game_date, system_id=system_id, totals=totals, items=chunk, page=info
            )

        return await answer(request, ("results", game_date, system_id, page, page_size), build)

    @router.get("/performance", response_model=Performance, summary="Performance per system")
    async def performance(
        request: Request,
        window: Annotated[Window, Query(description="Last 7 or 30 graded days, or the season.")] = "30",
    ) -> Response:
        """Per system: N, MAE, bias, hit rate with its N, ROI, Brier, log loss, ECE."""
        return await answer(request, ("performance", window), lambda: source.performance(window))

    @router.get("/status", response_model=Status, summary="Pipeline health")
    async def status(request: Request) -> Response:
        """The last run of every step, the week's alerts by severity, quarantined payloads."""
        return await answer(request, ("status",), lambda: source.status(now_utc()))

    return router


PUBLISH_PREFIX = "publish"
_PUBLISHED_ROUTES: dict[str, str] = {
    "index": "index.json",
    "performance": "performance.json",
    "status": "status.json",
}


def _published_responses(kind: str) -> dict[int | str, dict[str, Any]]:
    from nbaprops.publish.schemas import schema

    body = {k: v for k, v in schema(kind).items() if k not in ("$schema", "$id")}
    return {
        200: {
            "description": f"The published {kind} document, as written.",
            "content": {"application/json": {"schema": body}},
        },
        404: {"model": Problem, "description": "Not published (yet) for this key."},
    }


def published_router(lake: Lake, settings: Settings) -> APIRouter:
    """``/v1/published/...``: the files ``nbaprops publish`` wrote under the lake's ``publish/``.

    Served byte for byte (the same document the dashboard reads, valid against its JSON Schema,
    which the OpenAPI document embeds), with the same ETag, ``Cache-Control`` and 304 handling
    as the other read routes; 404 when the file is not published.
    """
    cache = ResponseCache(settings.api_cache_max_age_s)
    cache_control = f"private, max-age={settings.api_cache_max_age_s}"
    router = APIRouter(prefix="/v1/published", tags=["published"], responses=_READ_RESPONSES)

    async def answer(request: Request, name: str) -> Response:
        from nbaprops.errors import PayloadError
        from nbaprops.services.app import ProblemError

        entry = cache.get(name)
        if entry is None:
            try:
                body = await run_in_threadpool(lake.get_file, f"{PUBLISH_PREFIX}/{name}")
            except PayloadError:
                raise ProblemError(404, "Not found", "not published") from None
            entry = cache.put(name, body)
        headers = {"ETag": entry.etag, "Cache-Control": cache_control}
        if _etag_matches(request.headers.get("if-none-match"), entry.etag):
            return Response(status_code=304, headers=headers)
        return Response(entry.body, media_type="application/json", headers=headers)

    def dated_endpoint(folder: str) -> Callable[[Request, date], Awaitable[Response]]:
        async def dated(request: Request, game_date: GameDate) -> Response:
            return await answer(request, f"{folder}/{game_date.isoformat()}.json")

        dated.__doc__ = f"The {folder} file of a game date, as published."
        return dated

    for kind in ("tonight", "picks", "results"):
        router.add_api_route(
            f"/{kind}/{{game_date}}",
            dated_endpoint(kind),
            methods=["GET"],
            summary=f"Published {kind} of a date",
            responses=_published_responses(kind),
            name=f"published_{kind}",
        )

    @router.get("/players/{player_id}", summary="Published player", responses=_published_responses("player"))
    async def player(
        request: Request, player_id: Annotated[int, Path(ge=1, le=2**53, description="NBA.com person id.")]
    ) -> Response:
        """A player's published page (the latest date that published it)."""
        return await answer(request, f"players/{player_id}.json")

    def undated_endpoint(name: str) -> Callable[[Request], Awaitable[Response]]:
        async def undated(request: Request) -> Response:
            return await answer(request, name)

        undated.__doc__ = f"{name}, as published."
        return undated

    for kind, name in _PUBLISHED_ROUTES.items():
        router.add_api_route(
            f"/{kind}",
            undated_endpoint(name),
            methods=["GET"],
            summary=f"Published {kind}",
            responses=_published_responses(kind),
            name=f"published_{kind}",
        )
    return router
