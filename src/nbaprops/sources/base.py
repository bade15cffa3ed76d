"""What every source module shares: endpoint declarations and the fetch-and-store step.

An ``Endpoint`` is data: which base URL setting it hangs off, its path, the parser kind of its
payload, how it authenticates. ``Fetcher.fetch`` is the one way a payload enters the platform:
GET through ``HttpClient`` (bounded, retried, redacted), then the exact bytes into the lake, once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal

import structlog

from nbaprops.dates import now_utc
from nbaprops.errors import ConfigError, PayloadError, QualityGateError

if TYPE_CHECKING:
    from nbaprops.http import HttpClient, Response
    from nbaprops.lake import Lake, LakeObject
    from nbaprops.settings import Settings

log = structlog.get_logger(__name__)

Auth = Literal["none", "bdl_header", "odds_query"]
BaseSetting = Literal[
    "nbacom_stats_base_url",
    "nbacom_cdn_base_url",
    "nbacom_injury_base_url",
    "bdl_base_url",
    "odds_base_url",
    "espn_base_url",
]

# stats.nba.com answers only requests that look like they come from its own site.
NBA_STATS_HEADERS = {
    "User-Agent": (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"
    ),
    "Referer": "https://www.nba.com/",
    "Origin": "https://www.nba.com",
    "Accept": "application/json, text/plain, */*",
    "x-nba-stats-origin": "stats",
    "x-nba-stats-token": "true",
}


PATH_ARG_PATTERNS = {
    "game_id": re.compile(r"\d{10}"),  # NBA.com: 00 + season type + season year + game number
    "event_id": re.compile(r"[0-9a-f]{32}"),  # The Odds API's event ids
    "filename": re.compile(r"Injury-Report_\d{4}-\d{2}-\d{2}_\d{2}(?:_\d{2})?[AP]M\.pdf"),  # both namings
}
"""What each URL path placeholder may hold; values are matched in full before they enter a path."""


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One source endpoint: where it lives, what it returns, how it authenticates."""

    source: str  # lake folder of the source: nbacom, bdl, oddsapi, espn
    name: str  # lake folder of the endpoint
    kind: str  # parser kind of its payloads (nbaprops.raw.parsers)
    base_setting: BaseSetting
    path: str  # may hold {placeholders} filled from path_args
    content_type: str = "application/json"
    auth: Auth = "none"
    headers: Mapping[str, str] = field(default_factory=dict)

    def url(self, settings: Settings, **path_args: str) -> str:
        """The full URL (without query) for these settings; every path value is checked first.

        Path values come from payloads (a game id from the schedule, an event id from the events
        list), so a hostile or broken answer could otherwise steer the request, with its key, to
        another path (``../../..``). Each placeholder has a pattern; a value that does not match is
        a ``PayloadError`` naming the placeholder.
        """
        base: str = getattr(settings, self.base_setting)
        for name, value in path_args.items():
            pattern = PATH_ARG_PATTERNS.get(name)
            if pattern is None:
                raise ConfigError(f"{self.source}/{self.name}: no pattern declared for path value {name!r}")
            if not isinstance(value, str) or not pattern.fullmatch(value):
                shown = repr(value)[:60]
                raise PayloadError(
                    f"{self.source}/{self.name}: {name} {shown} is not a valid {name}; not requested"
                )
        return base + self.path.format(**path_args)


@dataclass(frozen=True, slots=True)
class Fetched:
    """A stored payload and the answer it came from."""

    endpoint: Endpoint
    obj: LakeObject
    response: Response


class Fetcher:
    """GET an endpoint through the bounded client and keep the exact bytes in the lake."""

    def __init__(
        self,
        settings: Settings,
        http: HttpClient,
        lake: Lake,
        *,
        clock: Callable[[], datetime] = now_utc,
        season_docs: dict[str, Fetched] | None = None,
    ) -> None:
        self.settings = settings
        self.http = http
        self.lake = lake
        # When the payload was fetched; live odds and reports are snapshots as of this moment. A
        # sandbox or a replay passes its own clock so snapshots line up with the simulated time.
        self.clock = clock
        # Undated, season-wide documents (the schedule, the player index) fetched once per run: a
        # backfill shares this across its dates instead of downloading the same season every date.
        self.season_docs = season_docs

    def _auth(self, endpoint: Endpoint, params: dict[str, Any], headers: dict[str, str]) -> None:
        if endpoint.auth == "bdl_header":
            if self.settings.bdl_api_key is None:
                raise ConfigError("NBAPROPS_BDL_API_KEY is not set (Ball Don't Lie needs a key)")
            headers["Authorization"] = self.settings.bdl_api_key.get_secret_value()
        elif endpoint.auth == "odds_query":
            if self.settings.odds_api_key is None:
                raise ConfigError("NBAPROPS_ODDS_API_KEY is not set (The Odds API needs a key)")
            params["apiKey"] = self.settings.odds_api_key.get_secret_value()

    def fetch(
        self,
        endpoint: Endpoint,
        *,
        game_date: date | None,
        params: Mapping[str, Any] | None = None,
        path_args: Mapping[str, str] | None = None,
        fetched_at: datetime | None = None,
    ) -> Fetched:
        """Fetch once (with the client's retries) and store the bytes; returns the lake object.

        An empty body on a 2xx answer is a ``QualityGateError``: a source that says nothing is
        never recorded as a success.
        """
        query: dict[str, Any] = dict(params or {})
        headers: dict[str, str] = dict(endpoint.headers)
        url = endpoint.url(self.settings, **dict(path_args or {}))
        shared = self.season_docs if game_date is None and endpoint.auth == "none" else None
        key = f"{url}?{sorted(query.items())}"
        if shared is not None and key in shared:
            return shared[key]
        self._auth(endpoint, query, headers)
        response = self.http.get(url, params=query, headers=headers, source=endpoint.source)
        if not response.content.strip():
            raise QualityGateError(
                f"{endpoint.source}/{endpoint.name}: empty body from {response.url_redacted}"
            )
        obj = self.lake.put(
            endpoint.source,
            endpoint.name,
            game_date,
            response.content,
            fetched_at=fetched_at or self.clock(),
            content_type=endpoint.content_type,
            meta={"url": response.url_redacted, "kind": endpoint.kind, "status": str(response.status)},
        )
        log.info(
            "scrape.stored",
            source=endpoint.source,
            endpoint=endpoint.name,
            path=obj.path,
            bytes=obj.size,
            attempts=response.attempts,
        )
        fetched = Fetched(endpoint, obj, response)
        if shared is not None:
            shared[key] = fetched
        return fetched
