"""The game day as a declarative table: what runs when, after what, how often retried, writing what.

``SCHEDULE`` is the one source of truth for ``nbaprops run`` (the whole day on one machine),
``nbaprops schedule export`` (the same table as Cloud Scheduler jobs and Pub/Sub topics) and
``nbaprops gaps`` (every step's required outputs per date, reconciled with the ledger).

``at`` is when a step is due, in US/Eastern on the game date D:

* ``"HH:MM"``: that time on D; ``"+1d HH:MM"``: that time the next morning (box scores of D);
* ``"tip-45m"``: once per tip window (tips within 90 minutes of its first tip share it), that long
  before its first tip, and at least 30 minutes after the clock step it follows;
* ``"after"``: as soon as every step of ``after`` has finished (an event, no clock).

A step starts only when every step it names in ``after`` has finished for D (``success``,
``degraded`` or ``skipped`` in the ledger), and after every earlier-due occurrence of itself:
a pre-game refresh never overtakes the one before it, whatever order its messages arrive in.
``retries`` are further attempts after a transient failure. ``outputs`` are the tables that must
hold rows for D once the step succeeded on a day with games (``nbaprops gaps`` checks them).
``fanout`` names the role that predicts a predicting step's batches: the coordinator (or a refresh)
splits the slate into batches and publishes them on ``predict-batches``, the workers predict them
and stage the results, the coordinator merges them. ``scrape`` is what a scraping step asks the
sources for: a pre-game refresh takes the injury
report and the odds (and the box scores of games already over, which the build's completeness
gate wants), not the play-by-play, scoreboards and rosters the morning scrape took.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from nbaprops.dates import et_datetime
from nbaprops.errors import ConfigError, PermanentError

if TYPE_CHECKING:
    from nbaprops.settings import Settings

Trigger = Literal["clock", "tip", "event"]
LEDGER_PREFIX = "day."
"""Ledger step names of scheduled steps: ``day.<step>`` (the inner phases keep their own names)."""

_CLOCK = re.compile(r"^(?:\+(\d)d )?([01]\d|2[0-3]):([0-5]\d)$")
_TIP = re.compile(r"^tip-(\d{1,3})m$")


class StepBlocked(PermanentError):
    """A step could not start: an input is missing, a dependency failed, or it is not available."""


@dataclass(frozen=True)
class ScheduledStep:
    """One row of the schedule."""

    step: str
    at: str
    after: tuple[str, ...]
    retries: int
    outputs: tuple[str, ...]
    action: str
    """What runs (a key of ``pipeline.day.ACTIONS``)."""
    role: str
    """The service (``nbaprops serve ROLE``) that runs it in production."""
    description: str
    scrape: tuple[str, ...] = ()
    """For a scraping action: the parts of the sources it asks for (``sources.daily.PARTS``, after
    the schedule); empty: every part."""
    fanout: str | None = None
    """For a predicting action: the role that predicts its batches (topic ``predict-batches``)."""

    @property
    def trigger(self) -> Trigger:
        """``clock`` (a fixed time), ``tip`` (per tip window) or ``event`` (after its inputs)."""
        if self.at == "after":
            return "event"
        return "tip" if _TIP.match(self.at) else "clock"

    @property
    def ledger_step(self) -> str:
        """The step's name in ``run_ledger``."""
        return f"{LEDGER_PREFIX}{self.step}"

    @property
    def topic(self) -> str:
        """The bus topic that carries requests to run this step (``run-<step>``)."""
        return f"run-{self.step}"

    def due(self, day: date, tips: tuple[datetime, ...] = ()) -> list[datetime]:
        """The moments (aware UTC) this step is due for game date ``day`` (none for an event step)."""
        clock = _CLOCK.match(self.at)
        if clock:
            plus, hour, minute = clock.groups()
            return [et_datetime(day + timedelta(days=int(plus or 0)), int(hour), int(minute))]
        tip = _TIP.match(self.at)
        if tip:
            lead = timedelta(minutes=int(tip.group(1)))
            return [start - lead for start in tip_windows(tips)]
        return []


TIP_REFRESH_MIN_GAP = timedelta(minutes=30)
"""A tip refresh due less than this after the step it follows (the 11:00 prediction) is dropped:
that step has just read the same lines and injury report."""
TIP_WINDOW_GAP = timedelta(minutes=90)
"""Tips less than this after a window's first tip belong to it (one refresh serves them all)."""


def tip_windows(tips: tuple[datetime, ...]) -> list[datetime]:
    """The first tip of each window: a window holds the tips less than 90 minutes after its first."""
    starts: list[datetime] = []
    for tip in sorted(set(tips)):
        if not starts or tip - starts[-1] >= TIP_WINDOW_GAP:
            starts.append(tip)
    return starts


FANOUT_TOPIC = "predict-batches"
"""The topic a predicting step's batches travel on to its ``fanout`` role (``predict.coordinator.TOPIC``)."""

REFRESH_SCRAPE = ("box_scores", "injuries", "odds")
"""What a pre-game refresh scrapes (box scores only where a game is already over)."""

SCHEDULE: tuple[ScheduledStep, ...] = (
    # step              at           after                            retries outputs
    ScheduledStep(
        "morning-scrape", "10:30", (), 2,
        ("raw_nbac_schedule", "raw_oddsa_player_props"),
        "scrape_all", "scrapers",
        "every source for D: schedule, rosters, injuries, lines, props (books open at 10:00 ET)",
    ),
    ScheduledStep(
        "morning-load", "after", ("morning-scrape",), 2,
        ("upcoming_player_game_context", "feature_store"),
        "load", "processors",
        "ingest D's payloads into raw tables, build analytics and features as of now",
    ),
    ScheduledStep(
        "predict", "11:00", ("morning-load",), 1,
        ("predictions", "prediction_history"),
        "predict", "coordinator",
        "every system for every eligible player once lines exist (the slate split into batches, "
        "predicted by the workers), then publish tonight's files",
        fanout="worker",
    ),
    ScheduledStep(
        "refresh-15", "15:00", ("predict",), 2,
        (),
        "refresh", "scrapers",
        "injury report and lines; rebuild D's pre-game tables; predict (and publish) again if a line "
        "or an injury status changed",
        REFRESH_SCRAPE,
        fanout="worker",
    ),
    ScheduledStep(
        "refresh-tip", "tip-45m", ("predict",), 2,
        (),
        "refresh", "scrapers",
        "before each tip window: injury report and lines; predict again on a change",
        REFRESH_SCRAPE,
        fanout="worker",
    ),
    ScheduledStep(
        "box-scores", "+1d 03:00", ("morning-load",), 3,
        ("player_game_summary",),
        "box_scores", "scrapers",
        "after the games: every source for D again (box scores), ingest, build",
    ),
    ScheduledStep(
        "grade", "after", ("box-scores",), 2,
        ("prediction_grades",),
        "grade", "processors",
        "grade D's predictions against the box scores",
    ),
    ScheduledStep(
        "publish", "after", ("grade",), 2,
        (),
        "publish", "api",
        "publish D's predictions and grades (nbaprops publish)",
    ),
    ScheduledStep(
        "health", "+1d 06:00", (), 1,
        (),
        "health", "api",
        "nbaprops health --alert once the night's steps are due: stale sources, slow or failed steps, "
        "cost, credits, backups; alerts what holds (a clock step: it runs whatever failed before it)",
    ),
)  # fmt: skip


MORNING_SCRAPE_LEAD = timedelta(minutes=30)
"""How long before the daily prediction time the morning scrape starts (10:30 for 11:00)."""


def schedule_for(
    settings: Settings, schedule: tuple[ScheduledStep, ...] = SCHEDULE
) -> tuple[ScheduledStep, ...]:
    """``schedule`` with the daily prediction at ``settings.prediction_time_et`` (the as-of every
    feature, line and backtest uses) and the morning scrape ``MORNING_SCRAPE_LEAD`` before it."""
    hour, minute = (int(part) for part in settings.prediction_time_et.split(":"))
    predict_min = hour * 60 + minute
    scrape_min = predict_min - int(MORNING_SCRAPE_LEAD.total_seconds() // 60)
    if scrape_min < 0:
        raise ConfigError(
            f"prediction_time_et {settings.prediction_time_et} leaves no room for the morning scrape "
            f"{int(MORNING_SCRAPE_LEAD.total_seconds() // 60)} minutes before it on the same day"
        )
    times = {
        "predict": f"{predict_min // 60:02d}:{predict_min % 60:02d}",
        "morning-scrape": f"{scrape_min // 60:02d}:{scrape_min % 60:02d}",
    }
    return tuple(replace(s, at=times[s.step]) if s.step in times else s for s in schedule)


def schedule_by_name(schedule: tuple[ScheduledStep, ...] = SCHEDULE) -> dict[str, ScheduledStep]:
    """The schedule's rows by step name, checked (see ``check_schedule``)."""
    problems = check_schedule(schedule)
    if problems:
        raise ConfigError("schedule: " + "; ".join(problems))
    return {s.step: s for s in schedule}


def check_schedule(schedule: tuple[ScheduledStep, ...]) -> list[str]:
    """What is wrong with a schedule table (empty: nothing): names, times, dependencies, cycles."""
    names = [s.step for s in schedule]
    problems = [f"step {n!r} appears twice" for n in sorted({n for n in names if names.count(n) > 1})]
    known = set(names)
    for s in schedule:
        if s.at != "after" and not (_CLOCK.match(s.at) or _TIP.match(s.at)):
            problems.append(f"{s.step}: 'at' must be HH:MM, +1d HH:MM, tip-NNm or after; got {s.at!r}")
        if s.trigger == "event" and not s.after:
            problems.append(f"{s.step}: an 'after' step needs at least one step to follow")
        problems += [f"{s.step}: depends on unknown step {d!r}" for d in s.after if d not in known]
        if s.retries < 0:
            problems.append(f"{s.step}: retries must be >= 0")
        problems += [f"{s.step}: unknown scrape part {part!r}" for part in s.scrape if part not in _parts()]
    if not problems:
        problems += _cycles(schedule)
    return problems


def _parts() -> tuple[str, ...]:
    from nbaprops.sources.daily import PARTS

    return PARTS


def _cycles(schedule: tuple[ScheduledStep, ...]) -> list[str]:
    deps = {s.step: set(s.after) for s in schedule}
    done: set[str] = set()
    while True:
        ready = {n for n, d in deps.items() if n not in done and d <= done}
        if not ready:
            break
        done |= ready
    stuck = sorted(set(deps) - done)
    return [f"steps {stuck} form a cycle"] if stuck else []


def fanout_roles(schedule: tuple[ScheduledStep, ...] = SCHEDULE) -> list[str]:
    """The roles that predict batches for some step (they subscribe ``FANOUT_TOPIC``)."""
    return sorted({s.fanout for s in schedule if s.fanout})


def dependents(step: str, schedule: tuple[ScheduledStep, ...] = SCHEDULE) -> list[ScheduledStep]:
    """The event steps that follow ``step`` directly (requested when it finishes)."""
    return [s for s in schedule if s.trigger == "event" and step in s.after]


def as_rows(schedule: tuple[ScheduledStep, ...] = SCHEDULE) -> list[dict[str, Any]]:
    """The table as plain rows (for ``nbaprops schedule show`` and the docs)."""
    return [
        {
            "step": s.step,
            "at_et": s.at,
            "after": list(s.after),
            "retries": s.retries,
            "outputs": list(s.outputs),
            "scrape": list(s.scrape) or ["all"],
            "fanout": s.fanout,
            "role": s.role,
            "description": s.description,
        }
        for s in schedule
    ]
