"""The NBA's official injury report (a PDF published several times a day).

There is no index of reports: each one sits at a URL named after its ET publication time. Since
2025-12-23 the name carries minutes (``Injury-Report_2025-12-23_05_30PM.pdf``); before, only the
hour (``Injury-Report_2024-01-04_12PM.pdf``). A production system was blind for eight days when
that changed, so the fetcher probes the current pattern, walks back from "now" over a bounded grid
of candidate times, and says so plainly when nothing is there.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from nbaprops.dates import EASTERN
from nbaprops.errors import SourceError
from nbaprops.sources.base import Endpoint, Fetched, Fetcher

if TYPE_CHECKING:
    from datetime import date

REPORT = Endpoint(
    "nbacom",
    "injury_report",
    "nbac_injury_report",
    "nbacom_injury_base_url",
    "/referee/injury/{filename}",
    content_type="application/pdf",
)
ENDPOINTS = (REPORT,)
PROBE_STEP = timedelta(minutes=15)
MAX_PROBES = 64  # 16 hours of quarter-hours: a whole game day back from the evening


class ReportNotFound(SourceError):
    """No report was published at any candidate time (pattern change, or none published yet)."""


def report_filename(published: datetime) -> str:
    """The current URL file name for a report published at ``published`` (aware)."""
    et = published.astimezone(EASTERN)
    return f"Injury-Report_{et:%Y-%m-%d}_{et:%I_%M%p}.pdf"


def candidate_times(day: date, now: datetime) -> list[datetime]:
    """Quarter-hours on ``day`` (ET) at or before ``now``, newest first, at most MAX_PROBES."""
    end_of_day = datetime(day.year, day.month, day.day, 23, 45, tzinfo=EASTERN)
    start = min(now.astimezone(EASTERN), end_of_day)
    start = start.replace(minute=start.minute - start.minute % 15, second=0, microsecond=0)
    first = datetime(day.year, day.month, day.day, tzinfo=EASTERN)
    times: list[datetime] = []
    moment = start
    while moment >= first and len(times) < MAX_PROBES:
        times.append(moment)
        moment -= PROBE_STEP
    return times


def fetch_latest_report(fetcher: Fetcher, day: date, now: datetime) -> Fetched:
    """The newest report for ``day`` published at or before ``now``.

    A 403/404 at a candidate time means "no report at that minute" and the probe moves on; any
    other failure (timeouts, 5xx past the retry budget, an open breaker) propagates.
    """
    probes = candidate_times(day, now)
    for moment in probes:
        try:
            return fetcher.fetch(REPORT, game_date=day, path_args={"filename": report_filename(moment)})
        except SourceError as exc:
            if exc.status_code not in (403, 404):
                raise
    raise ReportNotFound(
        f"no injury report for {day} at any of {len(probes)} candidate times up to {now:%H:%M}Z"
    )
