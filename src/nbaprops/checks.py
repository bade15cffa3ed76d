"""What ``nbaprops doctor`` reports: one finding per line, ``ok`` or ``missing`` with what to do.

Each backend checks itself (``Warehouse.doctor``, ``FsspecLake.doctor``), so the command names
no backend: it prints what the configured ones found.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal


@dataclass(frozen=True)
class Check:
    """One finding: which part, whether it is fine, and the one line to print."""

    component: Literal["warehouse", "lake"]
    name: str  # reach | dataset | tables | permissions | quota | bucket | folder | …
    ok: bool
    detail: str

    def line(self) -> str:
        """``ok      warehouse tables     48 tables present`` (status, component, name, detail)."""
        return f"{'ok' if self.ok else 'MISSING':<8}{self.component:<10}{self.name:<12}{self.detail}"

    def to_dict(self) -> dict[str, Any]:
        """The finding as JSON-ready fields."""
        return asdict(self)


def tables_check(missing: list[str], total: int) -> Check:
    """The warehouse's tables: all present, or which are missing and how to create them."""
    if not missing:
        return Check("warehouse", "tables", True, f"all {total} tables present")
    shown = ", ".join(missing[:4]) + (" …" if len(missing) > 4 else "")
    return Check(
        "warehouse",
        "tables",
        False,
        f"{len(missing)} of {total} tables missing ({shown}): any command creates them (nbaprops ingest)",
    )
