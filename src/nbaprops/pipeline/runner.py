"""``nbaprops run --date D``: the game day per ``SCHEDULE``, through the bus, gated by the ledger.

The runner walks D's timed occurrences (clock steps, and one ``tip`` occurrence per tip window
once the schedule is loaded) in due order. For each it waits on the ``Clock`` (the wall clock
live; the sandbox's clock, moved instantly, in tests and the benchmark) and publishes a
*step request* on the step's topic (``run-<step>``). The handler of that topic, ``execute``, is
the same in-process and in a service behind a Pub/Sub push subscription:

1. a request for an occurrence already finished (``success``/``degraded``/``skipped`` in
   ``run_ledger``) is acknowledged and does nothing: duplicates and redeliveries are harmless;
2. **gate**: every step in ``after`` must have finished for D, and every earlier-due timed
   occurrence of the day too (a refresh never overtakes the one before it). A dependency that
   failed or was blocked blocks this step (``blocked`` in the ledger, with the reason). One still
   missing or running is waited for: in-process for up to ``run_gate_wait_s``, then ``blocked``;
   as a bus service (``wait_mode="retry"``) by asking for redelivery (``NotReady``);
3. **lock**: one lease per (step, date) in the ``LockStore``; a request whose lock another holder
   has is blocked (in-process) or redelivered (service);
4. the step's action runs as of its due time (``at``), retried on ``TransientError`` up to the
   row's ``retries`` with capped, jittered backoff, inside one ledger row ``day.<step>``;
5. on success, requests for the event steps that follow it are published (same run id, ``at``).

Every request carries attributes ``run_id``, ``game_date``, ``attempt`` and an ``event_id``
(``<date>/<occurrence>/<run id>``), which the delivery layer uses to handle it once.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, Protocol

import structlog

from nbaprops.dates import now_utc
from nbaprops.errors import TransientError
from nbaprops.pipeline.bus import Bus, Message, decode_message, encode_message
from nbaprops.pipeline.day_actions import ACTIONS, Action, DayServices
from nbaprops.pipeline.delivery import NotReady
from nbaprops.pipeline.locks import LockHeld, LockStore, hold
from nbaprops.pipeline.schedule import (
    FANOUT_TOPIC,
    LEDGER_PREFIX,
    TIP_REFRESH_MIN_GAP,
    ScheduledStep,
    StepBlocked,
    dependents,
    fanout_roles,
    schedule_by_name,
    schedule_for,
)
from nbaprops.warehouse.ledger import RunLedger, this_process

if TYPE_CHECKING:
    from nbaprops.sandbox.server import SandboxClock
    from nbaprops.warehouse.protocol import Warehouse

log = structlog.get_logger(__name__)

KIND = "step-request"
DONE = ("success", "degraded", "skipped")
STOPPED = ("failed", "blocked", "abandoned")
WaitMode = Literal["block", "retry"]


class Clock(Protocol):
    """When it is, and waiting for a moment to come."""

    def now(self) -> datetime:
        """The current time (aware UTC)."""
        ...

    def arrive(self, moment: datetime) -> None:
        """Return once ``moment`` has come (at once when it is past)."""
        ...


@dataclass
class WallClock:
    """The real clock: sleeps until a step is due (in chunks, so a signal is seen promptly)."""

    chunk_s: float = 30.0

    def now(self) -> datetime:
        """The wall clock."""
        return now_utc()

    def arrive(self, moment: datetime) -> None:
        """Sleep until ``moment``."""
        while (left := (moment - now_utc()).total_seconds()) > 0:
            time.sleep(min(left, self.chunk_s))


@dataclass
class SandboxDayClock:
    """The sandbox league's clock: ``arrive`` jumps it to the moment, so a day runs in seconds."""

    clock: SandboxClock

    def now(self) -> datetime:
        """The sandbox's time."""
        return self.clock.now()

    def arrive(self, moment: datetime) -> None:
        """Set the sandbox's time to ``moment`` (backwards too: a redelivered request replays)."""
        self.clock.set(moment)


@dataclass(frozen=True)
class Occurrence:
    """One due run of a step on a date (a ``tip`` step has one per tip window)."""

    step: ScheduledStep
    due: datetime | None  # None: an event step, due when its inputs are

    @property
    def name(self) -> str:
        """``<step>`` or, for a tip occurrence, ``<step>@HH:MM`` (ET)."""
        if self.step.trigger != "tip" or self.due is None:
            return self.step.step
        from zoneinfo import ZoneInfo

        return f"{self.step.step}@{self.due.astimezone(ZoneInfo('America/New_York')):%H:%M}"

    @property
    def ledger_step(self) -> str:
        """The occurrence's ``run_ledger`` step."""
        return f"{LEDGER_PREFIX}{self.name}"


@dataclass
class OccurrenceOutcome:
    """How one occurrence ended (the ledger row, summarized)."""

    occurrence: str
    status: str
    rows: int | None = None
    reason: str | None = None


@dataclass
class DayReport:
    """What ``run_day`` did."""

    game_date: date
    run_id: str
    outcomes: list[OccurrenceOutcome] = field(default_factory=list)
    messages: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """Every occurrence finished (none failed or blocked)."""
        return all(o.status in DONE for o in self.outcomes)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "game_date": self.game_date.isoformat(),
            "run_id": self.run_id,
            "ok": self.ok,
            "messages": self.messages,
            "seconds": round(self.seconds, 2),
            "steps": [vars(o) for o in self.outcomes],
        }


class DayRunner:
    """Runs scheduled steps for dates; subscribes ``execute`` to every step's topic on ``bus``."""

    def __init__(
        self,
        services: DayServices,
        bus: Bus,
        locks: LockStore,
        clock: Clock,
        *,
        schedule: tuple[ScheduledStep, ...] | None = None,
        actions: Mapping[str, Action] = ACTIONS,
        wait_mode: WaitMode = "block",
        gate_wait_s: float = 0.0,
        lock_ttl_s: float = 900.0,
        backoff_s: float = 0.5,
        subscribe: bool = True,
    ) -> None:
        self.services = services
        self.warehouse: Warehouse = services.warehouse
        self.bus = bus
        self.locks = locks
        self.clock = clock
        # Default: the repo's table with the daily prediction at settings.prediction_time_et.
        schedule = schedule_for(services.settings) if schedule is None else schedule
        self.schedule = schedule
        self.steps = schedule_by_name(schedule)
        unknown = sorted({s.action for s in schedule} - set(actions))
        if unknown:
            raise ValueError(f"schedule names unknown action(s): {unknown}")
        self.actions = actions
        self.wait_mode = wait_mode
        self.gate_wait_s = gate_wait_s
        self.lock_ttl_s = lock_ttl_s
        self.backoff_s = backoff_s
        self.ledger = RunLedger(self.warehouse)
        self.published = 0
        self.rerun: set[tuple[date, str]] = set()
        """(date, ledger step) to run again although the ledger says done (``gaps --fix``)."""
        from nbaprops.predict.coordinator import BatchWorker

        self.batches = BatchWorker(self.warehouse, services.settings, services.alerter)
        """The worker role's batch handler (``predict-batches``)."""
        if subscribe:
            for step in schedule:
                bus.subscribe(step.topic, self.handle)
            if fanout_roles(schedule) and getattr(bus, "delivers_during_handler", True):
                bus.subscribe(FANOUT_TOPIC, self.batches.handle)

    # --- the day, in order ----------------------------------------------------------------------

    def run_day(self, day: date, *, run_id: str | None = None) -> DayReport:
        """Request every occurrence of ``day`` at its due time; event steps follow their inputs."""
        report = DayReport(day, run_id or uuid.uuid4().hex)
        began = time.perf_counter()
        requested: set[str] = set()
        while True:
            pending = [o for o in self.timed_occurrences(day) if o.name not in requested]
            if not pending:
                break
            occurrence = pending[0]
            requested.add(occurrence.name)
            due = occurrence.due or self.clock.now()  # timed occurrences always have one
            self.clock.arrive(due)
            self.request(occurrence, day, due, report.run_id)
            self.bus.flush()
        self._catch_up(day, report.run_id)
        self.bus.flush()
        report.outcomes = self.outcomes(day)
        report.messages = self.published
        report.seconds = time.perf_counter() - began
        log.info(
            "run.day_finished", game_date=day.isoformat(), ok=report.ok, seconds=round(report.seconds, 2)
        )
        return report

    def _catch_up(self, day: date, run_id: str) -> None:
        """Request the event steps whose inputs finished earlier but which themselves did not.

        Their requests went out when the inputs finished (an earlier run, or this one before a
        failure was fixed); a step blocked then, or marked for a re-run, gets a new one here.
        """
        for step in self.schedule:
            if step.trigger != "event":
                continue
            statuses = self.latest_statuses(day)
            ledger_step = f"{LEDGER_PREFIX}{step.step}"
            done = statuses.get(ledger_step, ("missing", None, None))[0] in DONE
            if done and (day, ledger_step) not in self.rerun:
                continue
            inputs = [statuses.get(f"{LEDGER_PREFIX}{d}", ("missing", None, None))[0] for d in step.after]
            if all(status in DONE for status in inputs):
                at = self._input_time(day, step)
                if at is not None:
                    self.request(Occurrence(step, None), day, at, run_id)
                    self.bus.flush()

    def _input_time(self, day: date, step: ScheduledStep) -> datetime | None:
        """The ``at`` of the latest finished input of an event step (it runs as of then)."""
        import json

        rows = self.warehouse.query_rows(
            "SELECT step, details FROM run_ledger WHERE game_date = ? AND status IN "
            "('success', 'degraded', 'skipped') AND starts_with(step, ?) ORDER BY finished_at",
            [day, LEDGER_PREFIX],
        )
        names = {f"{LEDGER_PREFIX}{d}" for d in step.after}
        found = [json.loads(d).get("at") for name, d in rows if name in names and d]
        moments = [datetime.fromisoformat(a) for a in found if a]
        return max(moments) if moments else None

    def timed_occurrences(self, day: date) -> list[Occurrence]:
        """The day's clock and tip occurrences in due order (tips once the schedule is loaded)."""
        tips = self.tips(day)
        found: list[Occurrence] = []
        for step in self.schedule:
            floor = self._floor(step, day)
            found += [Occurrence(step, due) for due in step.due(day, tips) if floor is None or due >= floor]
        return sorted(found, key=lambda o: (o.due or datetime.min.replace(tzinfo=UTC), o.name))

    def all_occurrences(self, day: date) -> list[Occurrence]:
        """Every occurrence of ``day``: the timed ones, then the event steps."""
        events = [Occurrence(s, None) for s in self.schedule if s.trigger == "event"]
        return [*self.timed_occurrences(day), *events]

    def _floor(self, step: ScheduledStep, day: date) -> datetime | None:
        """The earliest a tip occurrence may be due: ``TIP_REFRESH_MIN_GAP`` after the latest clock
        step it depends on (transitively); a window tipping sooner is served by that step."""
        if step.trigger != "tip":
            return None
        seen, todo, latest = set(), list(step.after), None
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            dep = self.steps[name]
            todo += list(dep.after)
            for due in dep.due(day):
                latest = due if latest is None or due > latest else latest
        return None if latest is None else latest + TIP_REFRESH_MIN_GAP

    def tips(self, day: date) -> tuple[datetime, ...]:
        """The distinct tip times of ``day``'s games in the warehouse (empty before the schedule is in)."""
        rows = self.warehouse.query_rows(
            "SELECT DISTINCT tip_utc FROM raw_nbac_schedule WHERE game_date = ? AND tip_utc IS NOT NULL "
            "ORDER BY tip_utc",
            [day],
        )
        return tuple(r[0] if r[0].tzinfo else r[0].replace(tzinfo=UTC) for r in rows)

    def outcomes(self, day: date) -> list[OccurrenceOutcome]:
        """The latest ledger outcome of every occurrence of ``day`` (``missing`` when none)."""
        latest = self.latest_statuses(day)
        found = []
        for occurrence in self.all_occurrences(day):
            status, rows, error = latest.get(occurrence.ledger_step, ("missing", None, None))
            found.append(OccurrenceOutcome(occurrence.name, status, rows, error))
        return found

    def latest_statuses(self, day: date) -> dict[str, tuple[str, int | None, str | None]]:
        """Per ``day.*`` ledger step of ``day``: its latest status, rows out and error."""
        rows = self.warehouse.query_rows(
            "SELECT step, status, rows_out, error FROM run_ledger WHERE game_date = ? "
            "AND starts_with(step, ?) ORDER BY started_at, run_id",
            [day, LEDGER_PREFIX],
        )
        return {str(step): (str(status), out, err) for step, status, out, err in rows}

    # --- one request ----------------------------------------------------------------------------

    def request(self, occurrence: Occurrence, day: date, at: datetime, run_id: str, attempt: int = 1) -> str:
        """Publish a request to run ``occurrence`` for ``day`` as of ``at``."""
        payload = {
            "step": occurrence.step.step,
            "occurrence": occurrence.name,
            "game_date": day.isoformat(),
            "due": (occurrence.due or at).isoformat(),
            "at": at.isoformat(),
        }
        attributes = {
            "run_id": run_id,
            "game_date": day.isoformat(),
            "attempt": str(attempt),
            "event_id": f"{day.isoformat()}/{occurrence.name}/{run_id}",
        }
        self.published += 1
        return self.bus.publish(occurrence.step.topic, encode_message(KIND, payload), attributes)

    def handle(self, message: Message) -> None:
        """The bus handler of every step topic: decode the request and ``execute`` it.

        A request from Cloud Scheduler names the step and ``today``/``yesterday`` (ET, by the
        clock) and no due time: it runs the step's occurrences of that date due by now.
        """
        from nbaprops.dates import today_et
        from nbaprops.errors import PayloadError

        payload = decode_message(message.data, KIND)
        run_id = message.attributes.get("run_id", "unknown")
        try:
            step = self.steps[str(payload["step"])]
            named = str(payload["game_date"])
            today = today_et(self.clock.now())
            day = {"today": today, "yesterday": today - timedelta(days=1)}.get(named) or date.fromisoformat(
                named
            )
            scheduled = payload.get("trigger") == "scheduler"
            due = None if scheduled else datetime.fromisoformat(str(payload["due"]))
            at = None if scheduled else datetime.fromisoformat(str(payload["at"]))
        except (KeyError, ValueError) as exc:
            raise PayloadError(f"step request is malformed: {type(exc).__name__}: {exc}") from None
        if due is None or at is None:
            now = self.clock.now()
            for occurrence in [o for o in self.timed_occurrences(day) if o.step == step]:
                if occurrence.due is not None and occurrence.due <= now:
                    self.execute(occurrence, day, occurrence.due, run_id=run_id)
            return
        occurrence = Occurrence(step, due if step.trigger != "event" else None)
        self.execute(occurrence, day, at, run_id=run_id)

    def execute(self, occurrence: Occurrence, day: date, at: datetime, *, run_id: str) -> str:
        """Gate, lock, run and record one occurrence; returns its ledger status."""
        statuses = self.latest_statuses(day)
        current = statuses.get(occurrence.ledger_step, (None, None, None))[0]
        forced = (day, occurrence.ledger_step) in self.rerun
        if current in DONE and not forced:
            return str(current)
        problem, waiting = self._gate(occurrence, day, statuses)
        deadline = time.monotonic() + self.gate_wait_s
        while waiting and self.wait_mode == "block" and time.monotonic() < deadline:
            time.sleep(min(0.5, self.gate_wait_s))
            statuses = self.latest_statuses(day)
            problem, waiting = self._gate(occurrence, day, statuses)
        if waiting and self.wait_mode == "retry":
            raise NotReady(f"{occurrence.name} {day}: {problem}")
        if problem is not None:
            return self._blocked(occurrence, day, run_id, problem)
        key = f"{occurrence.ledger_step}:{day.isoformat()}"
        try:
            with hold(self.locks, key, f"{this_process()}:{run_id}", self.lock_ttl_s):
                current = self.latest_statuses(day).get(occurrence.ledger_step, (None, None, None))[0]
                if current in DONE and not forced:  # finished by another holder meanwhile
                    return str(current)
                self.rerun.discard((day, occurrence.ledger_step))
                status = self._run(occurrence, day, at, run_id)
        except LockHeld as exc:
            if self.wait_mode == "retry":
                raise NotReady(str(exc)) from None
            return self._blocked(occurrence, day, run_id, str(exc))
        if status in ("success", "degraded"):
            for follower in dependents(occurrence.step.step, self.schedule):
                self.request(Occurrence(follower, None), day, at, run_id)
        return status

    def _gate(
        self, occurrence: Occurrence, day: date, statuses: Mapping[str, tuple[str, Any, Any]]
    ) -> tuple[str | None, bool]:
        """Why ``occurrence`` cannot start yet (None: it can) and whether waiting could help."""
        needed = [f"{LEDGER_PREFIX}{d}" for d in occurrence.step.after]
        earlier = []
        if occurrence.due is not None:
            earlier = [
                o.ledger_step
                for o in self.timed_occurrences(day)
                if o.due is not None and o.due < occurrence.due and o.ledger_step not in needed
            ]
        for ledger_step in needed + earlier:
            status = statuses.get(ledger_step, ("missing", None, None))[0]
            name = ledger_step.removeprefix(LEDGER_PREFIX)
            if status in STOPPED and ledger_step in needed:
                return f"input step {name} {status}", False
            if status not in DONE and status not in STOPPED:
                return f"waiting on {name} ({status})", True
        return None, False

    def _blocked(self, occurrence: Occurrence, day: date, run_id: str, reason: str) -> str:
        with self.ledger.step(occurrence.ledger_step, game_date=day, details={"run_id": run_id}) as run:
            run.block(reason)
        return "blocked"

    def _run(self, occurrence: Occurrence, day: date, at: datetime, run_id: str) -> str:
        action = self.actions[occurrence.step.action]
        details = {"run_id": run_id, "at": at.isoformat(), "step": occurrence.step.step}
        self.clock.arrive(at)
        # A prediction's batches go out on the day's bus (``self.bus``, whatever it is by now) to
        # the worker role, unless the bus delivers nothing while a handler runs (a pull
        # subscriber in this process that handles one message at a time): then they are
        # predicted here, as ``nbaprops predict`` does.
        fanout = self.bus if getattr(self.bus, "delivers_during_handler", True) else None
        services = replace(self.services, scrape_parts=occurrence.step.scrape, bus=fanout)
        with self.ledger.step(occurrence.ledger_step, game_date=day, details=details) as run:
            for attempt in range(1, occurrence.step.retries + 2):
                try:
                    result = action(services, day, at)
                    break
                except StepBlocked as exc:
                    run.block(str(exc))
                    return "blocked"
                except TransientError as exc:
                    if attempt > occurrence.step.retries:
                        raise
                    wait = min(self.backoff_s * 2 ** (attempt - 1), 30.0) * random.uniform(0.5, 1.0)  # noqa: S311 - jitter
                    log.warning(
                        "run.retry",
                        step=occurrence.name,
                        attempt=attempt,
                        wait_s=round(wait, 2),
                        error=str(exc),
                    )
                    time.sleep(wait)
            run.rows_out = result.rows
            run.details.update(result.details, attempts=attempt)
            if result.status == "skipped":
                run.skip(result.reason or "nothing to do")
                return "skipped"
            if result.status == "degraded":
                run.degrade(result.reason or "degraded")
                return "degraded"
            return "success"
