"""Response models of the read API (``/v1/...``): the contract its OpenAPI document publishes.

Separate from the warehouse tables on purpose: a column can be renamed or added there without the
API changing shape. Every list is present (``[]`` when empty); numbers a row may lack are ``null``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Recommendation = Literal["OVER", "UNDER", "PASS", "NO_LINE"]
Window = Literal["7", "30", "season"]
SystemId = str


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PageInfo(_Model):
    """Where a page lies in its collection."""

    page: int = Field(ge=1)
    page_size: int = Field(ge=1)
    total: int = Field(ge=0, description="Items in the whole collection.")
    next_page: int | None = Field(None, ge=2, description="The next page's number; null on the last.")


class TopFeature(_Model):
    """One term that moved a system's predicted mean (docs/model.md, "Why a prediction")."""

    feature: str = Field(description="A contract feature, or the system's own term name.")
    contribution_points: float = Field(description="Points it added to (or took from) the system's baseline.")
    value: float | None = Field(description="The input the term read; null where no single value applies.")


class Prediction(_Model):
    """One system's prediction for one player-game, with the line it was made against."""

    game_date: date
    game_id: str
    player_id: int
    player_name: str | None
    team: str | None
    opponent: str | None
    system_id: SystemId
    model_version: str
    predicted_points: float
    predicted_sd: float
    q10: float | None
    q50: float | None
    q90: float | None
    p_over: float | None = Field(description="Calibrated P(points > line).")
    line: float | None
    line_book: str | None
    line_snapshot_at: datetime | None
    over_price: int | None = Field(description="American odds of the over.")
    under_price: int | None
    edge: float | None = Field(description="predicted_points - line.")
    expected_value: float | None = Field(description="EV per unit staked on the recommended side.")
    recommendation: Recommendation
    stake: float | None = Field(description="Share of bankroll (fractional Kelly, capped).")
    reasons: str | None = Field(description="The recommendation's reasons: why a pick, or why PASS.")
    top_features: list[TopFeature] = Field(
        description="What drove predicted_points: the largest contributions first (at most 5); "
        "[] for predictions made before they were stored."
    )
    feature_quality: float | None
    as_of: datetime = Field(description="Nothing published after this moment was used.")


class PredictionsPage(_Model):
    """Every prediction of a game date (optionally one system), a page at a time."""

    game_date: date
    system_id: SystemId | None
    as_of: datetime | None = Field(description="Latest as-of among the date's predictions.")
    items: list[Prediction]
    page: PageInfo


class PicksPage(_Model):
    """The OVER/UNDER picks of a game date for one system, best expected value first."""

    game_date: date
    system_id: SystemId
    as_of: datetime | None
    items: list[Prediction]
    page: PageInfo


class PlayerGame(_Model):
    """One graded game of a player (the chosen system's prediction beside the result)."""

    game_date: date
    game_id: str
    system_id: SystemId
    predicted_points: float
    actual_points: float | None
    minutes: float | None
    line: float | None
    recommendation: Recommendation
    result: Literal["WIN", "LOSS", "PUSH", "VOID"] | None
    went_over: bool | None


class Player(_Model):
    """A player's last games against the line, and the predictions not graded yet."""

    player_id: int
    player_name: str | None
    team: str | None
    system_id: SystemId
    recent: list[PlayerGame] = Field(description="Up to 20 latest graded games, newest first.")
    upcoming: list[Prediction] = Field(description="Predictions of games not graded yet.")


class Result(_Model):
    """One graded prediction."""

    game_id: str
    player_id: int
    player_name: str | None
    system_id: SystemId
    recommendation: Recommendation
    line: float | None
    predicted_points: float
    actual_points: float | None
    result: Literal["WIN", "LOSS", "PUSH", "VOID"] | None
    profit: float | None = Field(description="Per unit staked at the posted price.")
    clv_points: float | None = Field(description="Closing line value, in points.")


class ResultTotals(_Model):
    """The day's picks summed per outcome (every system together, or the one asked for)."""

    picks: int = Field(ge=0)
    wins: int = Field(ge=0)
    losses: int = Field(ge=0)
    pushes: int = Field(ge=0)
    voids: int = Field(ge=0)
    profit: float = Field(description="Units won over the picks, one unit each.")


class ResultsPage(_Model):
    """Every graded prediction of a game date, with the day's totals."""

    game_date: date
    system_id: SystemId | None
    totals: ResultTotals
    items: list[Result]
    page: PageInfo


class SystemPerformance(_Model):
    """One system over a window of graded days; every rate beside its N."""

    system_id: SystemId
    days: int = Field(ge=0)
    n: int = Field(ge=0)
    mae: float | None
    bias: float | None
    n_picks: int = Field(ge=0)
    wins: int = Field(ge=0)
    hit_rate: float | None
    roi: float | None = Field(description="Daily ROI weighted by each day's picks.")
    n_scored: int = Field(ge=0)
    brier: float | None
    log_loss: float | None
    ece: float | None


class Performance(_Model):
    """Per system over the last 7 or 30 graded days, or the season so far."""

    window: Window
    start: date | None
    end: date | None
    systems: list[SystemPerformance]


class StepStatus(_Model):
    """The latest run of one pipeline step."""

    step: str
    game_date: date | None
    status: str
    started_at: datetime
    finished_at: datetime | None
    rows_out: int | None


class Status(_Model):
    """The pipeline's health: the last run of every step, recent alerts, quarantined payloads."""

    steps: list[StepStatus]
    alerts_last_7_days: dict[str, int] = Field(description="Alert count per severity.")
    quarantined: int = Field(ge=0)
    latest_prediction_date: date | None
    latest_graded_date: date | None


class Health(_Model):
    """``/health``: the process answers."""

    status: Literal["ok"]
    role: str


HealthStatus = Literal["ok", "degraded", "failing"]


class HealthComponent(_Model):
    """One source, phase or concern of ``nbaprops health``."""

    name: str
    status: HealthStatus
    reason: str
    last_success: str | None
    stale: bool
    steps: dict[str, str] = Field(description="Each step of the component and its latest status.")


class HealthDetail(_Model):
    """``/health/detail``: ``nbaprops health`` per source, phase and check (needs a key)."""

    status: HealthStatus
    checked_at: str
    sources: list[HealthComponent]
    phases: list[HealthComponent]
    checks: list[HealthComponent]


class Problem(BaseModel):
    """RFC 9457 problem details: what went wrong, never how the server is built."""

    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str
    status: int = Field(ge=100, le=599)
    detail: str | None = None
    instance: str | None = None
    request_id: str | None = None
