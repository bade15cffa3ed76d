"""The dashboard: installed next to the JSON, served over loopback, driven in headless chromium.

Every page loads from a real local server over the demo's published files with no console error
and no failed request; the numbers shown equal the JSON's (at the precision shown); the filters,
the sort buttons and the selectors work; a screenshot of every page, at desktop and phone width,
goes to a folder the test prints.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from nbaprops.publish.site import PAGES, site_files
from published_demo import Published

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def _load(published: Published, name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((published.folder / name).read_text(encoding="utf-8"))
    return loaded


def _number(text: str) -> float:
    """A shown number back as a float ('+0.113' -> 0.113, '0.90%' -> 0.009, '-105' -> -105)."""
    cleaned = text.replace("−", "-").replace("+", "").strip()
    if cleaned.endswith("%"):
        return float(cleaned[:-1]) / 100
    return float(cleaned)


def _drivers(top: list[dict[str, Any]]) -> str:
    """How the dashboard writes a prediction's top features: ``feature +1.23, other -0.45``
    (JavaScript's ``toFixed`` rounds an exact tie away from zero, Python's format to even)."""

    def signed(value: float) -> str:
        text = str(Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
        return ("+" if value > 0 else "") + text

    return ", ".join(f"{f['feature']} {signed(f['contribution_points'])}" for f in top)


def _shown_equals(text: str, value: float, decimals: int, *, percent: bool = False) -> bool:
    """Whether ``text`` is ``value`` shown with ``decimals`` decimals (half a unit of the last place)."""
    unit = 10.0**-decimals / (100 if percent else 1)
    return abs(_number(text) - value) <= unit / 2 + 1e-9


class Tab:
    """A page with every console error, page error and failed request recorded."""

    def __init__(self, browser: Browser, base: str, viewport: dict[str, int]) -> None:
        self.base = base
        self.context = browser.new_context(viewport=viewport)  # type: ignore[arg-type]
        self.page: Page = self.context.new_page()
        self.problems: list[str] = []
        self.page.on(
            "console",
            lambda m: self.problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None,
        )
        self.page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        self.page.on("requestfailed", lambda r: self.problems.append(f"request failed: {r.url}"))
        self.page.on(
            "response",
            lambda r: self.problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None,
        )

    def open(self, path: str) -> Page:
        self.page.goto(self.base + path)
        self.page.wait_for_selector("body[data-ready='true']", timeout=20_000)
        assert self.page.locator(".error").is_hidden()
        return self.page

    def cells(self, table: str, column: str) -> list[str]:
        return self.page.locator(f"#{table} tbody td[data-col='{column}']").all_inner_texts()

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def tab(browser: Browser, dashboard: str) -> Iterator[Tab]:
    opened = Tab(browser, dashboard, DESKTOP)
    yield opened
    problems = opened.problems
    opened.close()
    assert problems == []


def test_the_site_is_installed_next_to_the_json_with_plotly_from_its_package(published: Published) -> None:
    for name, source in site_files().items():
        assert (published.folder / name).read_bytes() == source.read_bytes(), name
    assert set(PAGES) <= {p.name for p in published.folder.glob("*.html")}
    assert (published.folder / "assets" / "plotly.min.js").stat().st_size > 1_000_000


def test_the_server_sends_the_files_with_cache_control(published: Published, dashboard: str) -> None:
    with httpx.Client(base_url=dashboard, timeout=10) as client:
        page = client.get("/")
        status = client.get("/status.json")
        missing = client.get("/players/1.json")
        health = client.get("/api/health")
        unauthenticated = client.get("/api/v1/status")
    assert health.status_code == 200, "the read API is mounted under /api of the same server"
    assert unauthenticated.status_code == 401
    assert page.status_code == 200
    assert "<title>Tonight's picks" in page.text
    assert page.headers["cache-control"] == f"public, max-age={published.settings.publish_live_max_age_s}"
    assert status.json() == _load(published, "status.json")
    assert missing.status_code == 404


def test_every_page_loads_cleanly_and_is_screenshotted(
    published: Published,
    browser: Browser,
    dashboard: str,
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = tmp_path_factory.mktemp("dashboard-screenshots")
    player = _load(published, f"picks/{published.day}.json")["picks"][0]["player_id"]
    pages = {
        "tonight": "index.html",
        "tonight-graded-day": f"index.html?date={published.graded_day}",
        "player": f"player.html?id={player}",
        "performance": "performance.html",
        "calibration": "calibration.html",
        "health": "health.html",
    }
    for width, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        tab = Tab(browser, dashboard, viewport)
        try:
            for name, path in pages.items():
                page = tab.open(path)
                assert page.locator("h1").inner_text().strip()
                if width == "phone":
                    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                    assert overflow <= 0, f"{name} is wider than a phone"
                page.screenshot(path=str(folder / f"{name}-{width}.png"), full_page=True)
        finally:
            tab.close()
        assert tab.problems == [], tab.problems
    assert len(list(folder.glob("*.png"))) == 2 * len(pages)
    with capsys.disabled():
        sys.stdout.write(f"\ndashboard screenshots: {folder}\n")


def test_tonight_shows_the_published_picks_and_predictions(published: Published, tab: Tab) -> None:
    picks = _load(published, f"picks/{published.day}.json")
    tonight = _load(published, f"tonight/{published.day}.json")
    tab.open("index.html")
    best = picks["picks"]
    assert tab.cells("best", "player_name") == [p["player_name"] for p in best]
    assert tab.cells("best", "pick") == [p["pick"] for p in best]
    for shown, pick in zip(tab.cells("best", "line"), best, strict=True):
        assert _shown_equals(shown, pick["line"], 1)
    for shown, pick in zip(tab.cells("best", "ev"), best, strict=True):
        assert _shown_equals(shown, pick["ev"], 3)
    for shown, pick in zip(tab.cells("best", "stake"), best, strict=True):
        assert _shown_equals(shown, pick["stake"], 2, percent=True)
    # Each pick shows what drove its system's prediction: the tonight file's top features, in order.
    tops = {
        (p["player_id"], s["system_id"]): s["top_features"]
        for p in tonight["predictions"]
        for s in p["systems"]
    }
    for shown, pick in zip(tab.cells("best", "drivers"), best, strict=True):
        assert shown == _drivers(tops[(pick["player_id"], picks["system_id"])])
        assert shown, "a pick without drivers"

    system = picks["system_id"]
    picked = [
        (p, s)
        for p in tonight["predictions"]
        for s in p["systems"]
        if s["system_id"] == system and s["pick"] in ("OVER", "UNDER")
    ]
    names = tab.cells("all", "player_name")
    assert sorted(names) == sorted(p["player_name"] for p, _ in picked)
    shown = dict(zip(names, tab.cells("all", "mean"), strict=True))
    for prediction, chosen in picked:
        assert _shown_equals(shown[prediction["player_name"]], chosen["mean"], 1)
    evs = [_number(t) for t in tab.cells("all", "ev")]
    assert evs == sorted(evs, reverse=True), "sorted by EV, highest first"


def test_the_filters_and_the_sort_buttons_work(published: Published, tab: Tab) -> None:
    tonight = _load(published, f"tonight/{published.day}.json")
    rows = [(p, s) for p in tonight["predictions"] for s in p["systems"]]
    page = tab.open("index.html")

    page.select_option("#f-system", "")
    page.check("#f-pass")
    assert len(tab.cells("all", "player_name")) == len(rows)
    # Every row says why: the pick's thresholds, or the PASS reason; and what drove its prediction.
    assert sorted(tab.cells("all", "reasons")) == sorted("; ".join(s["reasons"]) for _, s in rows)
    assert sorted(tab.cells("all", "drivers")) == sorted(_drivers(s["top_features"]) for _, s in rows)

    team = sorted({p["team"] for p, _ in rows})[0]
    page.select_option("#f-team", team)
    assert set(tab.cells("all", "team")) == {team}
    assert len(tab.cells("all", "team")) == sum(p["team"] == team for p, _ in rows)

    page.select_option("#f-team", "")
    page.fill("#f-edge", "2")
    edges = [_number(t) for t in tab.cells("all", "edge")]
    expected = [s for _, s in rows if s["edge"] is not None and abs(s["edge"]) >= 2]
    assert len(edges) == len(expected) > 0
    assert all(abs(e) >= 1.95 for e in edges)

    page.uncheck("#f-pass")
    page.select_option("#f-system", "gbm")
    assert set(tab.cells("all", "system_id")) <= {"gbm"}
    assert set(tab.cells("all", "pick")) <= {"OVER", "UNDER"}

    page.fill("#f-edge", "0")
    line_header = page.locator("#all thead th", has_text="Line")
    line_header.locator("button").focus()
    page.keyboard.press("Enter")  # the sort buttons work from the keyboard
    assert line_header.get_attribute("aria-sort") == "descending"
    lines = [_number(t) for t in tab.cells("all", "line") if t != "–"]
    assert lines == sorted(lines, reverse=True)
    page.locator("#all thead th", has_text="Line").locator("button").click()
    lines = [_number(t) for t in tab.cells("all", "line") if t != "–"]
    assert lines == sorted(lines)


def test_the_player_page_shows_recent_games_and_the_distribution(published: Published, tab: Tab) -> None:
    pick = _load(published, f"picks/{published.day}.json")["picks"][0]
    player = _load(published, f"players/{pick['player_id']}.json")
    page = tab.open(f"player.html?id={pick['player_id']}")
    assert page.locator("h1").inner_text() == player["player_name"]
    recent = list(reversed(player["recent"]))
    assert tab.cells("recent", "game_date") == [g["game_date"] for g in recent]
    for shown, game in zip(tab.cells("recent", "line"), recent, strict=True):
        assert shown == "–" if game["line"] is None else _shown_equals(shown, game["line"], 1)
    plotted = page.evaluate("document.getElementById('chart-dist').data[0]")
    distribution = player["upcoming"][0]["distribution"]
    assert plotted["x"] == distribution["points"]
    assert plotted["y"] == pytest.approx(distribution["probability"])
    bars = page.evaluate("document.getElementById('chart-recent').data[0].y")
    assert bars == [g["points"] if g["played"] else 0 for g in player["recent"]]
    assert page.locator("#chart-recent .main-svg").count() > 0
    assert tab.cells("systems", "system_id") == [s["system_id"] for s in player["upcoming"][0]["systems"]]
    assert tab.cells("systems", "drivers") == [
        _drivers(s["top_features"]) for s in player["upcoming"][0]["systems"]
    ]


def test_performance_and_calibration_show_the_published_scores(published: Published, tab: Tab) -> None:
    performance = _load(published, "performance.json")
    page = tab.open("performance.html")
    for window in performance["windows"]:
        page.select_option("#window", window["window"])
        systems = window["systems"]
        assert tab.cells("systems", "n") == [str(s["n"]) for s in systems]
        for shown, system in zip(tab.cells("systems", "mae"), systems, strict=True):
            assert _shown_equals(shown, system["mae"], 3)
    traces = page.evaluate("document.getElementById('chart-mae').data.map(t => t.name)")
    assert traces == [d["system_id"] for d in performance["daily"]]

    page = tab.open("calibration.html")
    for table in performance["calibration"]:
        page.select_option("#system", table["system_id"])
        assert tab.cells("bins", "n") == [str(b["n"]) for b in table["bins"]]
        for shown, row in zip(tab.cells("bins", "realized"), table["bins"], strict=True):
            assert _shown_equals(shown, row["realized"], 3)


def test_the_health_panel_shows_the_status_file(published: Published, tab: Tab) -> None:
    status = _load(published, "status.json")
    page = tab.open("health.html")
    assert page.locator(".badge").inner_text() == ("Healthy" if status["healthy"] else "Needs attention")
    assert tab.cells("steps", "step") == [s["step"] for s in status["steps"]]
    assert tab.cells("steps", "status") == [s["status"] for s in status["steps"]]
    assert tab.cells("sources", "source") == [s["source"] for s in status["sources"]]


def test_the_skip_link_comes_first_from_the_keyboard(tab: Tab) -> None:
    page = tab.open("health.html")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"


def test_a_missing_player_shows_an_error_line(browser: Browser, dashboard: str) -> None:
    missing = Tab(browser, dashboard, DESKTOP)
    try:
        missing.page.goto(dashboard + "player.html?id=1")
        missing.page.wait_for_selector(".error:not([hidden])", timeout=20_000)
        assert "players/1.json: HTTP 404" in missing.page.locator(".error").inner_text()
    finally:
        missing.close()
    assert any("404" in p for p in missing.problems), "the failed load is visible, not silent"


def test_the_dashboard_command_refuses_a_lake_with_nothing_published(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from nbaprops.cli import app
    from nbaprops.errors import ConfigError

    empty = CliRunner().invoke(app, ["dashboard"], env={"NBAPROPS_DATA_DIR": str(tmp_path)})
    assert isinstance(empty.exception, ConfigError)
    assert "nothing published" in str(empty.exception)
    bucket = CliRunner().invoke(
        app, ["dashboard"], env={"NBAPROPS_DATA_DIR": str(tmp_path), "NBAPROPS_LAKE_URL": "gs://b/x"}
    )
    assert isinstance(bucket.exception, ConfigError)
    assert "not a local folder" in str(bucket.exception)
