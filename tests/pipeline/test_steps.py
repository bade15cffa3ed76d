"""The step registry: every input has a producer, no cycles, order follows dependencies."""

from __future__ import annotations

import pytest

from nbaprops.pipeline.steps import Step, StepRegistry, load_registry
from nbaprops.raw.tables import RAW_TABLES
from nbaprops.warehouse.schema import TABLES


def _step(name: str, inputs: tuple[str, ...], outputs: tuple[str, ...], phase: int = 3) -> Step:
    return Step(name, phase, inputs, outputs, lambda ctx: 0)


def test_every_registered_input_has_a_producer_and_the_graph_has_no_cycle() -> None:
    registry = load_registry()
    assert registry.check() == []
    assert {t.name for t in RAW_TABLES} <= {t for s in registry.steps() for t in s.outputs}


def test_every_output_is_a_declared_table() -> None:
    for step in load_registry().steps():
        assert set(step.outputs) <= set(TABLES), step.name


def test_order_runs_producers_before_readers() -> None:
    order = [s.name for s in load_registry().order()]
    assert order.index("player_game_summary") < order.index("team_offense_game_summary")
    assert order.index("team_offense_game_summary") < order.index("team_defense_game_summary")
    assert order.index("upcoming_team_game_context") < order.index("upcoming_player_game_context")
    assert order[0] == "ingest"


def test_duplicate_step_names_and_second_producers_are_refused() -> None:
    registry = StepRegistry()
    registry.register(_step("a", (), ("t1",)))
    with pytest.raises(ValueError, match="registered twice"):
        registry.register(_step("a", (), ("t2",)))
    with pytest.raises(ValueError, match="already produced"):
        registry.register(_step("b", (), ("t1",)))


def test_check_reports_missing_producers_and_cycles() -> None:
    registry = StepRegistry()
    registry.register(_step("a", ("t2", "nowhere"), ("t1",)))
    registry.register(_step("b", ("t1",), ("t2",)))
    problems = registry.check()
    assert any("nowhere" in p for p in problems)
    assert any("cycle" in p for p in problems)


def test_order_filters_by_phase() -> None:
    assert all(s.phase == 3 for s in load_registry().order([3]))
