"""The schedule table: well-formed, due times in ET, tip windows, and its Cloud export."""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from nbaprops.pipeline.export import export_schedule
from nbaprops.pipeline.schedule import (
    FANOUT_TOPIC,
    SCHEDULE,
    ScheduledStep,
    check_schedule,
    dependents,
    fanout_roles,
    tip_windows,
)
from nbaprops.services.steps import ROLES
from nbaprops.settings import load_settings
from nbaprops.warehouse.schema import TABLES

DAY = date(2026, 1, 31)


def _step(name: str, at: str, after: tuple[str, ...] = ()) -> ScheduledStep:
    return ScheduledStep(name, at, after, 0, (), "grade", "processors", "")


def test_the_schedule_is_well_formed_and_its_outputs_are_known_tables() -> None:
    assert check_schedule(SCHEDULE) == []
    assert {t for s in SCHEDULE for t in s.outputs} <= set(TABLES)
    assert [s.step for s in dependents("box-scores")] == ["grade"]


def test_broken_schedules_are_reported() -> None:
    problems = check_schedule(
        (_step("a", "25:00"), _step("b", "after"), _step("c", "after", ("nope",)), _step("a", "10:00"))
    )
    assert "step 'a' appears twice" in problems
    assert any("a: 'at' must be" in p for p in problems)
    assert any("b: an 'after' step needs" in p for p in problems)
    assert any("unknown step 'nope'" in p for p in problems)
    assert check_schedule((_step("x", "after", ("y",)), _step("y", "after", ("x",)))) == [
        "steps ['x', 'y'] form a cycle"
    ]


def test_due_times_are_eastern_including_the_next_morning() -> None:
    steps = {s.step: s for s in SCHEDULE}
    assert steps["predict"].due(DAY) == [datetime(2026, 1, 31, 16, 0, tzinfo=UTC)]  # 11:00 EST
    assert steps["box-scores"].due(DAY) == [datetime(2026, 2, 1, 8, 0, tzinfo=UTC)]  # +1d 03:00 EST
    assert steps["grade"].due(DAY) == []


def test_tips_within_ninety_minutes_of_a_windows_first_tip_share_its_refresh() -> None:
    tips = tuple(
        datetime(2026, 2, 1, h, m, tzinfo=UTC) for h, m in ((0, 0), (0, 30), (1, 0), (1, 30), (3, 0))
    )
    assert tip_windows(tips) == [tips[0], tips[3], tips[4]]
    refresh = next(s for s in SCHEDULE if s.step == "refresh-tip")
    assert refresh.due(DAY, tips)[0] == datetime(2026, 1, 31, 23, 15, tzinfo=UTC)


def test_export_has_a_topic_and_push_subscription_per_step_and_a_job_per_timed_step() -> None:
    doc = export_schedule(
        load_settings(pubsub_project="p1"),
        service_url="https://nbaprops-ROLE.example",
        service_account="sa@p1",
    )
    assert len(doc["topics"]) == len(SCHEDULE) + 2  # and predict-batches, dead-letter
    assert doc["topics"][-1].endswith("nbaprops-dead-letter")
    pushed = [s for s in doc["subscriptions"] if "pushConfig" in s]
    assert {s["pushConfig"]["pushEndpoint"] for s in pushed} == {
        f"https://nbaprops-{role}.example/pubsub/push" for role in ROLES
    }  # every role is pushed work
    batches = next(s for s in pushed if s["name"].endswith("/nbaprops-predict-batches.worker"))
    assert batches["topic"] == "projects/p1/topics/nbaprops-predict-batches"
    assert all(s["deadLetterPolicy"]["deadLetterTopic"] == doc["topics"][-1] for s in pushed)
    jobs = {j["name"].rsplit("/", 1)[-1]: j for j in doc["jobs"]}
    assert set(jobs) == {f"nbaprops-{s.step}" for s in SCHEDULE if s.trigger != "event"}
    assert jobs["nbaprops-predict"]["schedule"] == "0 11 * * *"
    assert jobs["nbaprops-predict"]["timeZone"] == "America/New_York"
    request = json.loads(base64.b64decode(jobs["nbaprops-box-scores"]["pubsubTarget"]["data"]))
    assert request["payload"] == {"step": "box-scores", "game_date": "yesterday", "trigger": "scheduler"}


def test_every_role_service_handles_the_topics_of_its_schedule_steps() -> None:
    from nbaprops.predict.coordinator import TOPIC
    from nbaprops.services.day_handlers import role_handlers

    assert FANOUT_TOPIC == TOPIC
    assert fanout_roles() == ["worker"]
    settings = load_settings()
    for role in ROLES:
        handlers, day = role_handlers(settings, role)
        fanned = {FANOUT_TOPIC} if role == "worker" else set()
        assert set(handlers) == {s.topic for s in SCHEDULE if s.role == role} | fanned
        assert handlers, f"{role} handles no scheduled step"
        day.close()


def test_the_daily_prediction_follows_the_prediction_time_setting(tmp_path: Path) -> None:
    from nbaprops.errors import ConfigError
    from nbaprops.pipeline.schedule import schedule_for

    default = {s.step: s.at for s in schedule_for(load_settings(data_dir=tmp_path))}
    assert (default["morning-scrape"], default["predict"]) == ("10:30", "11:00")
    early = {s.step: s for s in schedule_for(load_settings(data_dir=tmp_path, prediction_time_et="09:15"))}
    assert (early["morning-scrape"].at, early["predict"].at) == ("08:45", "09:15")
    assert early["predict"].due(DAY)[0] == datetime(2026, 1, 31, 14, 15, tzinfo=UTC)  # 09:15 EST
    exported = export_schedule(
        load_settings(data_dir=tmp_path, prediction_time_et="09:15"),
        service_url="https://ROLE.example.run.app",
        service_account="sa@p.iam.gserviceaccount.com",
    )
    assert "15 9 * * *" in json.dumps(exported)
    with pytest.raises(ConfigError, match="no room for the morning scrape"):
        schedule_for(load_settings(data_dir=tmp_path, prediction_time_et="00:10"))
