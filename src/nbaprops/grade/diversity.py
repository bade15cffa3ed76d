"""Do the systems disagree? The correlation of their edges (prediction minus line) on the same rows.

An ensemble can only add information when its members make different mistakes. The edge
``predicted - line`` is what each system says the book got wrong; if two systems' edges correlate
at 0.95 they are one opinion twice. ``edge_diversity`` takes rows where every system predicted the
same player-games (the backtest's comparison rows) and returns the Pearson correlation of every
pair of systems' edges, each system's edge standard deviation, and the mean correlation of each
system with the others. Pure: arrays in, a report out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray


@dataclass(frozen=True)
class DiversityReport:
    """Edge correlations between systems over ``n`` shared rows (``corr[i][j]`` for systems i, j)."""

    systems: tuple[str, ...]
    n: int
    corr: tuple[tuple[float, ...], ...]
    edge_sd: tuple[float, ...]

    def mean_corr_with_others(self) -> dict[str, float]:
        """Each system's average edge correlation with the other systems (lower: more its own view)."""
        k = len(self.systems)
        if k < 2:
            return {}
        return {
            s: sum(self.corr[i][j] for j in range(k) if j != i) / (k - 1) for i, s in enumerate(self.systems)
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "n": self.n,
            "systems": list(self.systems),
            "edge_corr": {
                a: {b: round(self.corr[i][j], 4) for j, b in enumerate(self.systems)}
                for i, a in enumerate(self.systems)
            },
            "edge_sd": {s: round(sd, 4) for s, sd in zip(self.systems, self.edge_sd, strict=True)},
            "mean_corr_with_others": {s: round(v, 4) for s, v in self.mean_corr_with_others().items()},
        }


def edge_diversity(
    keys: NDArray[Any], system_ids: NDArray[Any], predicted: NDArray[np.float64], line: NDArray[np.float64]
) -> DiversityReport:
    """Edge correlations over the rows (``keys``: one id per player-game) that every system predicted.

    Rows without a finite prediction or line are dropped first; a key missing for any system is
    left out for all, so every correlation is computed on the same rows.
    """
    import numpy as np

    ok = np.isfinite(predicted) & np.isfinite(line)
    keys, system_ids, edge = keys[ok].astype(str), system_ids[ok].astype(str), (predicted - line)[ok]
    systems = tuple(sorted(set(system_ids.tolist())))
    if not systems:
        return DiversityReport((), 0, (), ())
    per_system = {}
    for sid in systems:
        mine = system_ids == sid
        per_system[sid] = dict(zip(keys[mine].tolist(), edge[mine].tolist(), strict=True))
    shared = sorted(set.intersection(*(set(v) for v in per_system.values())))
    matrix = np.array([[per_system[s][k] for k in shared] for s in systems], dtype=np.float64)
    sd = matrix.std(axis=1) if shared else np.zeros(len(systems))
    corr = np.full((len(systems), len(systems)), np.nan)
    if len(shared) >= 2:
        with np.errstate(invalid="ignore", divide="ignore"):
            corr[:, :] = np.corrcoef(matrix)
    return DiversityReport(
        systems=systems,
        n=len(shared),
        corr=tuple(tuple(float(v) for v in row) for row in corr),
        edge_sd=tuple(float(v) for v in sd),
    )


def render_diversity(report: DiversityReport) -> str:
    """The correlation matrix as fixed-width text (for the backtest's console report)."""
    names = report.systems
    width = max([len(s) for s in names] + [6])
    lines = [f"edge correlation (prediction - line) between systems, N = {report.n:,} shared rows"]
    lines.append(" " * (width + 1) + " ".join(f"{s[:8]:>8}" for s in names))
    for i, s in enumerate(names):
        cells = " ".join(f"{report.corr[i][j]:8.2f}" for j in range(len(names)))
        lines.append(f"{s:<{width}} {cells}")
    sds = ", ".join(f"{s} {sd:.2f}" for s, sd in zip(names, report.edge_sd, strict=True))
    lines.append(f"edge sd (points): {sds}")
    return "\n".join(lines)
