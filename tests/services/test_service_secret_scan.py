"""Last of the service tests: the marker API keys appear in nothing the services produced.

Every answer the tests received (status, headers, body: successes, problem details, 304s), every
line of the session's log file (uvicorn's and the apps' events, JSON), and every text column of
the tables the services wrote are searched for both marker keys, as written and in their
percent-encoded, JSON-escaped and hex spellings. The tests sent the keys on purpose, in good and
in mangled forms; none may come back.
"""

from __future__ import annotations

import json
from urllib.parse import quote

from service_world import MARKERS, Exchanges, Services


def _spellings(marker: str) -> list[str]:
    return [marker, quote(marker), json.dumps(marker)[1:-1], marker.encode().hex(), marker.lower()]


def test_no_marker_key_in_any_answer_log_line_or_table(services: Services, exchanges: Exchanges) -> None:
    from nbaprops.warehouse import open_warehouse

    assert len(exchanges.texts) > 100, "run with the other service tests: the scan reads what they made"
    logs = services.log_file.read_text(encoding="utf-8")
    assert logs.count('"http.request"') > 100
    texts = [*exchanges.texts, logs]
    warehouse = open_warehouse(services.settings["api"])
    try:
        for sql in (
            "SELECT message || ' ' || coalesce(CAST(context AS VARCHAR), '') FROM alerts",
            "SELECT coalesce(error, '') || ' ' || coalesce(CAST(details AS VARCHAR), '') FROM run_ledger",
        ):
            texts += [str(row[0]) for row in warehouse.query_rows(sql)]
    finally:
        warehouse.close()
    lowered = [t.lower() for t in texts]
    hits = [
        f"text {i}: {spelling[:6]}…"
        for marker in MARKERS
        for spelling in _spellings(marker)
        for i, text in enumerate(lowered)
        if spelling.lower() in text
    ]
    assert hits == []
