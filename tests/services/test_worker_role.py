"""The worker role through the services on loopback: the prediction fan-out of the schedule.

A coordinator splits a sandbox day's slate into batches and publishes them on ``predict-batches``;
here every message is pushed, as Pub/Sub would push it (a signed OIDC token, the push envelope),
to ``nbaprops serve worker``'s app under uvicorn on loopback. The worker predicts each batch with
the registry's models and stages the result; the coordinator merges the staged results. The rows
must be the ones the coordinator makes when it predicts the batches itself.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from service_world import ISSUER, MARKER_KEY, PUSH_ACCOUNT, Exchanges, Keys, LiveServer, free_socket

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pipeline"))  # the sandbox day's helpers
from day_support import VOLATILE, open_runner, shared_prepared_day

from nbaprops.pipeline.push import encode_push
from nbaprops.warehouse.schema import table_spec


class LoopbackPush:
    """A ``Bus`` whose every message is a Pub/Sub push to one service's ``/pubsub/push``."""

    def __init__(self, url: str, keys: Keys, exchanges: Exchanges) -> None:
        self.url, self.keys, self.exchanges = url, keys, exchanges
        self.answers: list[int] = []
        self._ids = itertools.count(1)

    def publish(self, topic: str, message: bytes, attributes: Mapping[str, str] | None = None) -> str:
        message_id = f"fanout-{next(self._ids)}"
        body = encode_push(topic, message, message_id=message_id, attributes=attributes, role="worker")
        headers = {"Authorization": "Bearer " + self.keys.token(self.url)}
        self.answers.append(self.exchanges.call("POST", self.url, json=body, headers=headers).status_code)
        return message_id

    def subscribe(self, topic: str, handler: Any) -> None:
        raise AssertionError(f"the coordinator must not handle {topic} itself here")

    def flush(self) -> None:
        """Each push was answered before ``publish`` returned."""


def _predictions(warehouse: Any) -> list[tuple[Any, ...]]:
    columns = [c.name for c in table_spec("predictions").columns if c.name not in VOLATILE]
    return sorted(warehouse.query_rows(f"SELECT {', '.join(columns)} FROM predictions"), key=repr)  # noqa: S608


def test_the_worker_service_predicts_the_batches_the_coordinator_pushes(
    tmp_path: Path, keys: Keys, jwks_url: str, exchanges: Exchanges
) -> None:
    from nbaprops.dates import et_datetime
    from nbaprops.pipeline.day_actions import load, scrape_all
    from nbaprops.predict.commands import predict_date
    from nbaprops.services.app import create_app
    from nbaprops.settings import Settings

    prepared = shared_prepared_day()
    with open_runner(prepared, tmp_path, subscribe=False) as runner:
        services, day = runner.services, prepared.day
        at = et_datetime(day, 11)
        runner.clock.arrive(at)
        scrape_all(services, day, at)
        load(services, day, at)  # the morning's features of the day

        sock = free_socket()
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/pubsub/push"
        settings = Settings(
            data_dir=tmp_path,
            warehouse_path=tmp_path / "season.duckdb",
            log_level="ERROR",
            api_keys=MARKER_KEY,
            service_url=url,
            pubsub_push_service_account=PUSH_ACCOUNT,
            oidc_jwks_url=jwks_url,
            oidc_issuers=ISSUER,
            oidc_leeway_s=0,
        )
        worker = LiveServer(create_app(settings, "worker"), sock)
        try:
            bus = LoopbackPush(url, keys, exchanges)
            wh = services.warehouse
            remote = predict_date(wh, services.settings, day, alerter=services.alerter, as_of=at, bus=bus)
            pushed = _predictions(wh)
            batches = wh.query_rows(
                "SELECT status, attempts FROM prediction_batches WHERE run_id = ?", [remote.run_id]
            )
            staged_left = wh.query_rows("SELECT count(*) FROM prediction_batch_results")[0][0]
            local = predict_date(wh, services.settings, day, alerter=services.alerter, as_of=at)
            here = _predictions(wh)
        finally:
            worker.stop()
    assert remote.batches > 1
    assert bus.answers == [204] * remote.batches  # every batch acked by the worker service
    assert batches == [("completed", 1)] * remote.batches
    assert staged_left == 0  # merged, then dropped
    assert remote.prediction_rows == local.prediction_rows > 0
    assert pushed == here  # the worker's rows are the ones made in one process
