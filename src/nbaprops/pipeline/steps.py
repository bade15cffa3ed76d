"""The registry of pipeline steps: each declares its phase, input tables, output tables and run function.

A phase's module registers its steps when imported (``nbaprops.analytics.models``,
``nbaprops.features.models``); ``load_registry()`` imports them and returns the registry.
Duplicate names and tables with two producers are refused at registration; ``check()`` reports
inputs nobody produces and cycles; ``order()`` is a topological order (ties by phase, then name),
so the team summary always runs before anything that reads it.

Phase 2's raw tables are produced by the ``ingest`` step registered here (``run`` is None: the
build never runs it, ``nbaprops ingest`` does).

Most steps are SQL models: ``sql_step(...)`` builds one from a ``.sql`` file whose rows replace
the output table's rows for the build range (see ``warehouse.sqlmodel.materialize``).
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from nbaprops.ops.alerts import Alerter
    from nbaprops.settings import Settings
    from nbaprops.warehouse.protocol import Warehouse

RowsDue = Literal["final_games", "scheduled_games", "never"]
"""When a step must write rows: for dates with completed games, with any scheduled game, or never."""

STEP_MODULES = ("nbaprops.analytics.models", "nbaprops.features.models", "nbaprops.ops.quality")
"""Modules whose import registers the build's steps (a module not yet written is skipped)."""


@dataclass(frozen=True)
class StepContext:
    """What a step's run function gets: where to read and write, the date range, and who to alert."""

    warehouse: Warehouse
    start: date
    end: date
    alerter: Alerter
    settings: Settings | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    steps: frozenset[str] | None = None
    """The steps this build runs (None: every registered step); a pre-game refresh runs a subset."""


@dataclass(frozen=True)
class Step:
    """One registered step."""

    name: str
    phase: int
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    run: Callable[[StepContext], int] | None
    """Writes the outputs for ``ctx.start..ctx.end`` and returns the rows written (None: not a build step)."""
    rows_due: RowsDue = "final_games"
    description: str = ""


class StepRegistry:
    """Steps by name, with one producer per table."""

    def __init__(self) -> None:
        self._steps: dict[str, Step] = {}
        self._producers: dict[str, str] = {}

    def register(self, step: Step) -> Step:
        """Add a step; a repeated name, or a table another step already produces, is refused."""
        if step.name in self._steps:
            raise ValueError(f"step {step.name!r} is registered twice")
        taken = [t for t in step.outputs if t in self._producers]
        if taken:
            raise ValueError(f"step {step.name!r}: table(s) {taken} already produced by another step")
        self._steps[step.name] = step
        for table in step.outputs:
            self._producers[table] = step.name
        return step

    def __contains__(self, name: object) -> bool:
        return name in self._steps

    def get(self, name: str) -> Step:
        """The step called ``name``."""
        return self._steps[name]

    def steps(self) -> list[Step]:
        """Every registered step, in registration order."""
        return list(self._steps.values())

    def producer_of(self, table: str) -> str | None:
        """The name of the step that writes ``table``, if any."""
        return self._producers.get(table)

    def check(self) -> list[str]:
        """Problems with the graph: inputs without a producer, and cycles (empty: all good)."""
        problems = [
            f"step {s.name} reads {t}, which no step produces"
            for s in self._steps.values()
            for t in s.inputs
            if t not in self._producers
        ]
        try:
            self.order()
        except ValueError as exc:
            problems.append(str(exc))
        return problems

    def order(self, phases: Iterable[int] | None = None) -> list[Step]:
        """Steps in dependency order (Kahn's algorithm; ties by phase then name), optionally filtered."""
        deps = {
            s.name: {p for t in s.inputs if (p := self._producers.get(t)) is not None and p != s.name}
            for s in self._steps.values()
        }
        done: list[str] = []
        ready = sorted((n for n, d in deps.items() if not d), key=self._rank)
        while ready:
            name = ready.pop(0)
            done.append(name)
            for other, d in deps.items():
                if name in d:
                    d.discard(name)
                    if not d and other not in done and other not in ready:
                        ready.append(other)
            ready.sort(key=self._rank)
        if len(done) != len(deps):
            stuck = sorted(set(deps) - set(done))
            raise ValueError(f"steps {stuck} form a cycle")
        wanted = set(phases) if phases is not None else None
        return [self._steps[n] for n in done if wanted is None or self._steps[n].phase in wanted]

    def _rank(self, name: str) -> tuple[int, str]:
        return (self._steps[name].phase, name)


REGISTRY = StepRegistry()


def register(step: Step) -> Step:
    """Add ``step`` to the global registry (called by phase modules at import)."""
    return REGISTRY.register(step)


def sql_step(
    name: str,
    *,
    phase: int,
    sql_file: Path,
    inputs: tuple[str, ...],
    output: str | None = None,
    rows_due: RowsDue = "final_games",
    date_column: str = "game_date",
    params: Callable[[StepContext], Mapping[str, Any]] | None = None,
    description: str = "",
) -> Step:
    """Register a step that materialises one SQL model into one table for the build range."""
    table = output or name

    def run(ctx: StepContext) -> int:
        from nbaprops.warehouse.sqlmodel import load_model, materialize

        extra = params(ctx) if params is not None else {}
        return materialize(
            ctx.warehouse,
            table,
            load_model(sql_file),
            start=ctx.start,
            end=ctx.end,
            params=extra,
            date_column=date_column,
        )

    described = description or f"SQL model {sql_file.name}"
    return register(Step(name, phase, inputs, (table,), run, rows_due, described))


def _register_ingest() -> None:
    # The schema first: importing raw.tables on its own would enter the warehouse package mid-way.
    import nbaprops.warehouse.schema  # noqa: F401
    from nbaprops.raw.tables import RAW_TABLES

    register(
        Step(
            "ingest",
            2,
            (),
            tuple(t.name for t in RAW_TABLES),
            None,
            "never",
            "phase 2: lake payloads -> raw tables (run by `nbaprops ingest`)",
        )
    )


_register_ingest()


def load_registry() -> StepRegistry:
    """Import every phase module that registers steps and return the global registry."""
    for module in STEP_MODULES:
        # A phase whose module is not written yet has no steps; an import error inside one is raised.
        if importlib.util.find_spec(module) is not None:
            importlib.import_module(module)
    return REGISTRY
