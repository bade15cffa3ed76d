"""The NBA's official injury report (a PDF published several times a day).

There is no index of reports: each one sits at a URL named after its ET publication time, and the
name changed on 2025-12-23. Since then reports come every 15 minutes and the name carries minutes
(``Injury-Report_2025-12-23_05_30PM.pdf``); before, they came about hourly and the name carried
only the hour (``Injury-Report_2024-01-04_12PM.pdf`` is the report issued at 12:30 PM). A
production system was blind for eight days when that changed, so the fetcher names each date in
its own era, and probes at most ``MAX_PROBES`` times per date, newest first, back from the moment
that matters: the latest report a prediction made at ``target`` could have read.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from nbaprops.dates import EASTERN
from nbaprops.errors import SourceError
from nbaprops.sources.base import Endpoint, Fetched, Fetcher

REPORT = Endpoint(
    "nbacom",
    "injury_report",
    "nbac_injury_report",
    "nbacom_injury_base_url",
    "/referee/injury/{filename}",
    content_type="application/pdf",
)
ENDPOINTS = (REPORT,)
MINUTE_NAMES_FROM = date(2025, 12, 23)  # first date whose report names carry minutes
QUARTER_HOUR = timedelta(minutes=15)
HOUR = timedelta(hours=1)
MAX_PROBES = 6  # 90 minutes of quarter-hours, or six hours of hourly names

if TYPE_CHECKING:
    from collections.abc import Sequence


class ReportNotFound(SourceError):
    """No report was published at any candidate time (pattern change, or none published yet)."""


def minute_names(day: date) -> bool:
    """Whether reports for ``day`` are named with minutes (the era from 2025-12-23 on)."""
    return day >= MINUTE_NAMES_FROM


def report_filename(published: datetime) -> str:
    """The URL file name of the report published at ``published`` (aware), in its era's pattern."""
    et = published.astimezone(EASTERN)
    if minute_names(et.date()):
        return f"Injury-Report_{et:%Y-%m-%d}_{et:%I_%M%p}.pdf"
    return f"Injury-Report_{et:%Y-%m-%d}_{et:%I%p}.pdf"


def candidate_times(day: date, target: datetime) -> list[datetime]:
    """Names to try for ``day``, newest first: only reports published at or before ``target``.

    Minute era: the quarter-hours at or before ``target``. Hour era: a name covers a whole hour
    (the 12PM report came out at 12:30), so the first hour tried is the last one that ended by
    ``target``. Never before midnight ET of ``day``, at most ``MAX_PROBES``.
    """
    first = datetime(day.year, day.month, day.day, tzinfo=EASTERN)
    end = min(target.astimezone(EASTERN), first + timedelta(days=1) - timedelta(minutes=1))
    if minute_names(day):
        step = QUARTER_HOUR
        moment = end.replace(minute=end.minute - end.minute % 15, second=0, microsecond=0)
    else:
        step = HOUR
        moment = (end - HOUR + timedelta(minutes=1)).replace(minute=0, second=0, microsecond=0)
    times: list[datetime] = []
    while moment >= first and len(times) < MAX_PROBES:
        times.append(moment)
        moment -= step
    return times


def _shown(times: Sequence[datetime], hourly: bool) -> str:
    return ", ".join(t.astimezone(EASTERN).strftime("%H" if hourly else "%H:%M") for t in times)


def fetch_latest_report(fetcher: Fetcher, day: date, target: datetime) -> Fetched:
    """The newest report for ``day`` published at or before ``target``.

    A 403/404 at a candidate name means "no report there" and the probe moves on; any other
    failure (timeouts, 5xx past the retry budget, an open breaker) propagates.
    """
    probes = candidate_times(day, target)
    for moment in probes:
        try:
            return fetcher.fetch(REPORT, game_date=day, path_args={"filename": report_filename(moment)})
        except SourceError as exc:
            if exc.status_code not in (403, 404):
                raise
    era = "minute" if minute_names(day) else "hour-only"
    raise ReportNotFound(
        f"no injury report for {day} ({era} names) at any of the {len(probes)} times tried (ET): "
        + (_shown(probes, not minute_names(day)) or "none before the as-of")
    )
