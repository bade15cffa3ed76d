"""The diversity report: correlation of systems' edges (prediction - line) on shared rows."""

from __future__ import annotations

import numpy as np
import pytest

from nbaprops.grade.diversity import edge_diversity, render_diversity


def _rows(edges: dict[str, np.ndarray], line: np.ndarray) -> tuple[np.ndarray, ...]:
    keys = np.concatenate([np.arange(line.size).astype(str) for _ in edges])
    systems = np.concatenate([np.full(line.size, sid) for sid in edges])
    predicted = np.concatenate([line + e for e in edges.values()])
    return keys, systems, predicted, np.concatenate([line] * len(edges))


def test_edges_that_move_together_correlate_and_independent_ones_do_not() -> None:
    rng = np.random.default_rng(1)
    line = rng.uniform(5, 30, 4000)
    base = rng.normal(0, 2, line.size)
    edges = {
        "a": base,
        "b": base * 0.5 + rng.normal(0, 0.01, line.size),  # the same opinion, smaller
        "c": rng.normal(0, 2, line.size),  # its own
    }
    report = edge_diversity(*_rows(edges, line))
    assert report.systems == ("a", "b", "c")
    assert report.n == line.size
    corr = np.array(report.corr)
    assert corr[0, 1] > 0.99
    assert abs(corr[0, 2]) < 0.05
    np.testing.assert_allclose(np.diag(corr), 1.0)
    assert report.edge_sd[0] == pytest.approx(2.0, rel=0.05)
    others = report.mean_corr_with_others()
    assert others["c"] < others["a"]
    doc = report.to_dict()
    assert doc["edge_corr"]["a"]["b"] == pytest.approx(corr[0, 1], abs=1e-4)
    assert "N = 4,000 shared rows" in render_diversity(report)


def test_only_rows_every_system_predicted_with_a_line_are_compared() -> None:
    line = np.array([10.0, 12.0, np.nan, 8.0])
    keys, systems, predicted, lines = _rows({"a": np.array([1.0, -1.0, 0.0, 2.0]), "b": np.ones(4)}, line)
    predicted[(systems == "b") & (keys == "3")] = np.nan  # b has no prediction for row 3
    report = edge_diversity(keys, systems, predicted, lines)
    assert report.n == 2  # row 2 has no line, row 3 no prediction from b
