"""Progress on a terminal: the one display every long command shares.

A command that may run for a while opens ``display(on_terminal(json_out))`` around its work; the
library code underneath marks its long loops with ``track(items, "what")`` (or ``task`` where there
is no loop to wrap). With no display open (piped output, ``--json``, tests, a library caller) both
are plain pass-throughs, so the loops' code reads the same either way and nothing is printed.

The display is rich's, on stderr (stdout stays for results and ``--json``): one line per task with
a bar, done/total, the item at hand and the elapsed time; finished tasks stay on screen with their
final count and time. Log lines that reach stderr meanwhile print above the display.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator, Sized
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from rich.progress import Progress

T = TypeVar("T")
Advance = Callable[..., None]
"""``advance(note="", steps=1)``: move a task on, optionally saying what it is working on."""

_active: ContextVar[Progress | None] = ContextVar("nbaprops_progress", default=None)


def on_terminal(json_out: bool = False) -> bool:
    """Whether a display is wanted: stderr is a terminal and the output is not machine-readable."""
    return not json_out and sys.stderr.isatty()


@contextmanager
def display(enabled: bool) -> Iterator[None]:
    """Show the tasks started inside this block on stderr (nothing when ``enabled`` is false).

    A display opened inside another is the same display: the outer one keeps showing.
    """
    if not enabled or _active.get() is not None:
        yield
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(
        SpinnerColumn(finished_text="[green]✓[/green]"),
        TextColumn("{task.description}"),
        BarColumn(bar_width=20),
        _count_column(),
        TimeElapsedColumn(),
        TextColumn("[dim]{task.fields[note]}[/dim]"),
        console=Console(file=sys.stderr),
        transient=False,
    ) as bar:
        token = _active.set(bar)
        try:
            yield
        finally:
            _active.reset(token)


@contextmanager
def task(description: str, total: int | None = None) -> Iterator[Advance]:
    """One task on the open display; yields ``advance``. ``total=None`` shows a spinner only.

    On a normal exit the task is marked complete (its bar full, its clock stopped); on an error it
    stops where it was, so the screen shows how far the work got.
    """
    bar = _active.get()
    if bar is None:
        yield _ignore
        return
    task_id = bar.add_task(description, total=total, note="")

    def advance(note: str = "", steps: int = 1) -> None:
        bar.update(task_id, advance=steps, note=note)

    try:
        yield advance
        done = next(t.completed for t in bar.tasks if t.id == task_id) if total is None else total
        bar.update(task_id, total=max(done, 1), completed=max(done, 1), note="")
    finally:
        bar.stop_task(task_id)


def track(
    items: Iterable[T],
    description: str,
    *,
    total: int | None = None,
    weight: Callable[[T], int] | None = None,
    note: Callable[[T], str] | None = None,
) -> Iterator[T]:
    """Yield ``items``, moving a task on after each (by ``weight(item)``, default 1).

    ``total`` defaults to ``len(items)`` when it has one; ``note(item)`` names the item at hand.
    """
    if _active.get() is None:
        yield from items
        return
    size = total if total is not None else (len(items) if isinstance(items, Sized) else None)
    with task(description, size) as advance:
        for item in items:
            if note is not None:
                advance(note(item), steps=0)
            yield item
            advance(steps=weight(item) if weight is not None else 1)


@contextmanager
def stage(description: str) -> Iterator[Callable[[str], None]]:
    """One stage of a multi-stage job (the demo): its tasks while it runs, then one line for it.

    Yields ``summarize(text)``; when the stage ends, its tasks leave the display and one line
    ``✓ text (12.3 s)`` is printed on stderr in their place (also when no display is open, so a
    piped run still says what it did). A stage that fails prints nothing: the error says why.
    """
    import time

    summary = [description]
    began = time.perf_counter()
    bar = _active.get()
    before = set(bar.task_ids) if bar is not None else set()
    with task(description):
        yield lambda text: summary.__setitem__(0, text)
    seconds = f"({time.perf_counter() - began:.1f} s)"
    if bar is None:
        print(f"✓ {summary[0]} {seconds}", file=sys.stderr, flush=True)  # noqa: T201 - for a person
        return
    for task_id in [t for t in bar.task_ids if t not in before]:
        bar.remove_task(task_id)
    bar.console.print(f"[green]✓[/green] {summary[0]} [dim]{seconds}[/dim]", highlight=False)


def _count_column() -> Any:
    """``done/total`` for a task with a total; nothing for a spinner-only one (not rich's ``0/?``)."""
    from rich.progress import ProgressColumn, Task
    from rich.text import Text

    class Count(ProgressColumn):
        def render(self, task: Task) -> Text:
            if task.total is None:
                return Text("")
            return Text(f"{int(task.completed)}/{int(task.total)}", style="progress.download")

    return Count()


def _ignore(*_args: Any, **_kwargs: Any) -> None:
    """``advance`` when no display is open."""
