"""Session-wide loopback receivers for alert delivery (started once, stopped at the end)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alert_receivers import HttpReceiver, self_signed, start_smtp
from ops_support import SMTP_PASSWORD, SMTP_USER, BuiltSeason, Receivers


@pytest.fixture(scope="session")
def receivers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Receivers]:
    cert, key = self_signed(tmp_path_factory.mktemp("tls"))
    starttls = start_smtp(cert, key, implicit_tls=False, user=SMTP_USER, password=SMTP_PASSWORD)
    smtps = start_smtp(cert, key, implicit_tls=True, user=SMTP_USER, password=SMTP_PASSWORD)
    http = HttpReceiver()
    try:
        yield Receivers(cert, starttls, smtps, http)
    finally:
        starttls.controller.stop()
        smtps.controller.stop()
        http.close()


@pytest.fixture
def fresh(receivers: Receivers) -> Receivers:
    """The receivers with nothing received yet and every endpoint up."""
    receivers.starttls.mailbox.messages.clear()
    receivers.smtps.mailbox.messages.clear()
    receivers.http.posts.clear()
    receivers.http.fail_paths.clear()
    return receivers


@pytest.fixture(scope="session")
def built_season(tmp_path_factory: pytest.TempPathFactory) -> BuiltSeason:
    """Raw tables (tests/factories.py, shared with the suite) plus analytics and features, built once."""
    from factories import open_season_copy, season_warehouse
    from nbaprops.pipeline.build import build_range
    from nbaprops.settings import load_settings

    folder = tmp_path_factory.mktemp("built-season")
    source = season_warehouse()
    warehouse = open_season_copy(folder)
    try:
        build_range(warehouse, source.start, source.end, settings=load_settings(data_dir=folder))
    finally:
        warehouse.close()
    return BuiltSeason(folder / "season.duckdb", source.lake_root, source.start, source.end)
