"""The published documents, built from rows: pure functions, no database, no file system.

Each document is a JSON object with the same head: ``schema_version`` (of its JSON Schema in
``schemas/``), ``kind``, ``generated_at`` and ``as_of``:

* ``as_of`` is the data's point in time: the prediction time for tonight's predictions and picks,
  the last game date graded (end of that day's grading) for results and performance, the newest
  finished step for the status;
* ``generated_at`` is when the newest row the document shows was *written* (predictions'
  ``created_at``, grades' ``graded_at``, the ledger's ``finished_at``), never the wall clock of the
  publish run. Publishing the same data twice therefore gives byte-identical files; the publish
  run's own time is in the run ledger (step ``publish``).

Lists are ``[]`` when empty, never missing; a missing number is ``null``; floats are rounded
(``ROUND_DIGITS``) so the files stay small and stable.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

SCHEMA_VERSION = 1
ROUND_DIGITS = 4
PICKED = ("OVER", "UNDER")


_PLAIN = frozenset({str, int, bool, type(None)})


def clean(value: Any) -> Any:
    """``value`` made JSON-ready: floats rounded (NaN and inf to None), dates and times ISO 8601 UTC."""
    kind = type(value)  # the exact built-in types first: a document holds ~170k values per publish
    if kind in _PLAIN:
        return value
    if kind is float:
        return _float(value)
    if kind is dict:
        return _dict(value)
    if kind is list:
        return _list(value)
    if kind is date:
        return value.isoformat()
    if isinstance(value, bool) or value is None or isinstance(value, str | int):
        return value
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    if hasattr(value, "item"):  # a numpy scalar
        return clean(value.item())
    raise TypeError(f"cannot publish a {type(value).__name__}")


def _float(value: float) -> float | None:
    if not math.isfinite(value):
        return None
    rounded = round(value, ROUND_DIGITS)
    return 0.0 if rounded == 0 else rounded


def _dict(value: dict[Any, Any]) -> dict[str, Any]:
    """A dict's entries cleaned, the plain values and floats without a call each (most of them)."""
    out: dict[str, Any] = {}
    for key, item in value.items():
        name = key if type(key) is str else str(key)
        kind = type(item)
        out[name] = item if kind in _PLAIN else _float(item) if kind is float else clean(item)
    return out


def _list(value: list[Any]) -> list[Any]:
    plain = _PLAIN
    return [i if type(i) in plain else _float(i) if type(i) is float else clean(i) for i in value]


def iso(moment: datetime | None) -> str | None:
    """A timestamp as ISO 8601 in UTC with a ``Z`` (None stays None)."""
    if moment is None:
        return None
    from datetime import UTC

    if moment.tzinfo is None:
        raise ValueError("published timestamps must carry a time zone")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def encode(document: Mapping[str, Any], *, cleaned: bool = False) -> bytes:
    """The file's bytes: sorted keys, compact, UTF-8, a final newline (the same data, the same bytes).

    ``cleaned``: the document already went through ``clean`` (not done twice).
    """
    text = json.dumps(
        document if cleaned else clean(document),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )
    return (text + "\n").encode("utf-8")


def head(kind: str, *, generated_at: datetime | None, as_of: datetime | None) -> dict[str, Any]:
    """The fields every document starts with."""
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": kind,
        "generated_at": iso(generated_at),
        "as_of": iso(as_of),
    }


def _latest(rows: Iterable[Mapping[str, Any]], key: str) -> datetime | None:
    moments = [r[key] for r in rows if r.get(key) is not None]
    return max(moments) if moments else None


def _system(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "system_id": row["system_id"],
        "model_version": row["model_version"],
        "mean": row["predicted_points"],
        "sd": row["predicted_sd"],
        "q10": row["q10"],
        "q50": row["q50"],
        "q90": row["q90"],
        "p_over": row["p_over"],
        "p_push": row["p_push"],
        "edge": row["edge"],
        "pick": row["recommendation"],
        "ev": row["expected_value"],
        "stake": row["stake"],
        "reasons": _reasons(row["reasons"]),
        "top_features": top_features(row.get("top_features")),
    }


def _reasons(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(";") if part.strip()]


def top_features(stored: str | Sequence[Mapping[str, Any]] | None) -> list[dict[str, Any]]:
    """The prediction's stored ``top_features`` (JSON text, or already parsed) as a list of
    ``{feature, contribution_points, value}``; ``[]`` for rows written before they existed."""
    if stored is None:
        return []
    items = json.loads(stored) if isinstance(stored, str) else stored
    if not isinstance(items, list):
        raise TypeError(f"top_features must be a JSON list, got {type(items).__name__}")
    return [
        {
            "feature": str(item["feature"]),
            "contribution_points": float(item["contribution_points"]),
            "value": None if item.get("value") is None else float(item["value"]),
        }
        for item in items
    ]


def _line(row: Mapping[str, Any]) -> dict[str, Any] | None:
    if row["line"] is None:
        return None
    return {
        "value": row["line"],
        "book": row["line_book"],
        "snapshot_at": row["line_snapshot_at"],
        "over_price": row["over_price"],
        "under_price": row["under_price"],
    }


def _player_games(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Predictions rows (one per player-game and system) grouped per player-game, systems sorted."""
    games: dict[tuple[str, int], dict[str, Any]] = {}
    for row in rows:
        key = (row["game_id"], row["player_id"])
        entry = games.get(key)
        if entry is None:
            entry = games[key] = {
                "game_id": row["game_id"],
                "player_id": row["player_id"],
                "player_name": row["player_name"],
                "team": row["team"],
                "opponent": row["opponent"],
                "is_home": row["is_home"],
                "tip_utc": row["tip_utc"],
                "line": _line(row),
                "injury": {
                    "status": row["injury_status"],
                    "reason": row["injury_reason"],
                    "reported_at": row["injury_report_at"],
                },
                "teammates_out": row["teammates_out"],
                "feature_quality": row["feature_quality"],
                "feature_version": row["feature_version"],
                "as_of": row["as_of"],
                "systems": [],
            }
        entry["systems"].append(_system(row))
    for entry in games.values():
        entry["systems"].sort(key=lambda s: s["system_id"])
    return list(games.values())


def tonight(day: date, rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """``tonight/{date}.json``: every prediction of the date, one entry per player-game, every system."""
    games: dict[str, dict[str, Any]] = {}
    for row in rows:
        home, away = (row["team"], row["opponent"]) if row["is_home"] else (row["opponent"], row["team"])
        games.setdefault(
            row["game_id"], {"game_id": row["game_id"], "tip_utc": row["tip_utc"], "home": home, "away": away}
        )
    return {
        **head("tonight", generated_at=_latest(rows, "created_at"), as_of=_latest(rows, "as_of")),
        "game_date": day,
        "systems": sorted({r["system_id"] for r in rows}),
        "games": sorted(games.values(), key=lambda g: (iso(g["tip_utc"]) or "~", g["game_id"])),
        "predictions": _player_games(rows),
    }


def picks(
    day: date,
    rows: Sequence[Mapping[str, Any]],
    adjusted_ev: Sequence[float],
    *,
    system_id: str,
    max_picks: int,
    max_per_team: int,
) -> dict[str, Any]:
    """``picks/{date}.json``: one system's OVER/UNDER picks by edge-adjusted EV under the caps, and why
    every other prediction of the date is not a pick (its PASS reason, or the cap that dropped it).

    ``rows`` are the system's prediction rows of the date and ``adjusted_ev`` their edge-adjusted EV
    (``predict.recommend.edge_adjusted_ev``, the key the stakes were sized by), aligned.
    """
    ranked = sorted(
        (i for i, r in enumerate(rows) if r["recommendation"] in PICKED),
        key=lambda i: (-adjusted_ev[i], rows[i]["player_id"]),
    )
    chosen: list[dict[str, Any]] = []
    passes: list[dict[str, Any]] = []
    per_team: dict[str, int] = {}
    for i in ranked:
        row = rows[i]
        team = str(row["team"])
        if per_team.get(team, 0) >= max_per_team:
            reason = f"cap: already {max_per_team} pick(s) on {team}"
        elif len(chosen) >= max_picks:
            reason = f"cap: the day's {max_picks} best picks are listed"
        else:
            per_team[team] = per_team.get(team, 0) + 1
            chosen.append(_pick(row, adjusted_ev[i], rank=len(chosen) + 1))
            continue
        passes.append(_pass(row, "CAPPED", reason))
    for row in rows:
        if row["recommendation"] not in PICKED:
            passes.append(
                _pass(
                    row, row["recommendation"], "; ".join(_reasons(row["reasons"])) or row["recommendation"]
                )
            )
    passes.sort(key=lambda p: (p["game_id"], p["team"] or "", p["player_id"]))
    kinds: dict[str, int] = {}
    for entry in passes:
        kind = _reason_kind(entry["reason"])
        kinds[kind] = kinds.get(kind, 0) + 1
    return {
        **head("picks", generated_at=_latest(rows, "created_at"), as_of=_latest(rows, "as_of")),
        "game_date": day,
        "system_id": system_id,
        "caps": {"max_picks": max_picks, "max_per_team": max_per_team},
        "picks": chosen,
        "total_stake": sum(float(p["stake"] or 0.0) for p in chosen),
        "passes": passes,
        "pass_reasons": [{"reason": k, "count": v} for k, v in sorted(kinds.items())],
    }


def _reason_kind(reason: str) -> str:
    """The kind of a PASS reason, without its numbers: ``edge below threshold``, ``no line``, ``cap``…"""
    return reason.split(":", 1)[0].strip() or "unknown"


def _pick(row: Mapping[str, Any], adjusted_ev: float, *, rank: int) -> dict[str, Any]:
    over = row["recommendation"] == "OVER"
    return {
        "rank": rank,
        "game_id": row["game_id"],
        "player_id": row["player_id"],
        "player_name": row["player_name"],
        "team": row["team"],
        "opponent": row["opponent"],
        "tip_utc": row["tip_utc"],
        "pick": row["recommendation"],
        "line": row["line"],
        "book": row["line_book"],
        "price": row["over_price"] if over else row["under_price"],
        "mean": row["predicted_points"],
        "p_over": row["p_over"],
        "p_pick": row["p_over"] if over else 1.0 - row["p_over"] - (row["p_push"] or 0.0),
        "ev": row["expected_value"],
        "adjusted_ev": adjusted_ev,
        "stake": row["stake"],
        "reasons": _reasons(row["reasons"]),
    }


def _pass(row: Mapping[str, Any], recommendation: str, reason: str) -> dict[str, Any]:
    return {
        "game_id": row["game_id"],
        "player_id": row["player_id"],
        "player_name": row["player_name"],
        "team": row["team"],
        "opponent": row["opponent"],
        "recommendation": recommendation,
        "line": row["line"],
        "reason": reason,
    }


def results(
    day: date, rows: Sequence[Mapping[str, Any]], daily: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """``results/{date}.json``: every graded pick of the date (all systems) and each system's day.

    ``daily`` are the date's ``system_daily_performance`` rows (MAE, hit rate, ROI... as grading
    computed them); the pick counts, units won and mean CLV are summed here from the picks.
    """
    totals = []
    for perf in sorted(daily, key=lambda r: r["system_id"]):
        mine = [r for r in rows if r["system_id"] == perf["system_id"]]
        clv = [
            r["clv_points"] for r in mine if r["clv_points"] is not None and r["result"] in ("WIN", "LOSS")
        ]
        totals.append(
            {
                "system_id": perf["system_id"],
                "n": perf["n"],
                "mae": perf["mae"],
                "bias": perf["bias"],
                "n_picks": perf["n_picks"],
                "wins": sum(r["result"] == "WIN" for r in mine),
                "losses": sum(r["result"] == "LOSS" for r in mine),
                "pushes": sum(r["result"] == "PUSH" for r in mine),
                "voids": sum(r["result"] == "VOID" for r in mine),
                "hit_rate": perf["hit_rate"],
                "roi": perf["roi"],
                "units": sum(
                    float(r["profit"] or 0.0) for r in mine if r["result"] in ("WIN", "LOSS", "PUSH")
                ),
                "staked_units": sum(
                    float(r["profit"] or 0.0) * float(r["stake"] or 0.0)
                    for r in mine
                    if r["result"] in ("WIN", "LOSS")
                ),
                "clv_points": sum(clv) / len(clv) if clv else None,
                "brier": perf["brier"],
                "ece": perf["ece"],
            }
        )
    graded = [*rows, *daily]
    return {
        **head("results", generated_at=_latest(graded, "graded_at"), as_of=_latest(graded, "graded_at")),
        "game_date": day,
        "picks": [
            {
                k: r[k]
                for k in (
                    "system_id",
                    "game_id",
                    "player_id",
                    "player_name",
                    "team",
                    "opponent",
                    "recommendation",
                    "line",
                    "line_book",
                    "price",
                    "p_over",
                    "expected_value",
                    "stake",
                    "predicted_points",
                    "actual_points",
                    "minutes",
                    "result",
                    "void_reason",
                    "profit",
                    "closing_line",
                    "clv_points",
                    "clv_probability",
                )
            }
            for r in rows
        ],
        "totals": totals,
    }


def player(
    day: date,
    player_id: int,
    recent: Sequence[Mapping[str, Any]],
    upcoming: Sequence[Mapping[str, Any]],
    distributions: Mapping[str, Mapping[str, Any]],
) -> dict[str, Any]:
    """``players/{player_id}.json``: the last games before ``day`` (points, minutes, line, result vs
    the line) and the upcoming game(s) of ``day`` with every system's prediction.

    ``distributions`` maps a game id to the predictive distribution shown for it (whole points and
    their probabilities, from the published system's mean and sd).
    """
    games = []
    for row in recent:
        line, points = row["line"], row["points"]
        versus = None
        if line is not None and points is not None and row["played"]:
            versus = "OVER" if points > line else "UNDER" if points < line else "PUSH"
        games.append(
            {
                "game_date": row["game_date"],
                "game_id": row["game_id"],
                "team": row["team"],
                "opponent": row["opponent"],
                "played": bool(row["played"]),
                "dnp_reason": row["dnp_reason"],
                "points": points,
                "minutes": row["minutes"],
                "line": line,
                "book": row["line_book"],
                "result_vs_line": versus,
            }
        )
    ahead = _player_games(upcoming)
    for entry in ahead:
        entry["game_date"] = day
        entry["distribution"] = distributions.get(entry["game_id"])
    names = [r["player_name"] for r in (*upcoming, *recent) if r.get("player_name")]
    teams = [r["team"] for r in (*upcoming, *reversed(recent)) if r.get("team")]
    return {
        **head(
            "player",
            generated_at=_latest(upcoming, "created_at"),
            as_of=_latest(upcoming, "as_of"),
        ),
        "player_id": player_id,
        "player_name": names[0] if names else None,
        "team": teams[0] if teams else None,
        "game_date": day,
        "recent": games,
        "upcoming": ahead,
    }
