"""Push deliveries: the envelope decoded once, outcomes mapped onto ack, redelivery, dead letter."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from service_world import Exchanges, Keys, Services

from nbaprops.errors import PayloadError, TransientError
from nbaprops.pipeline.bus import DeadLetter, Message, encode_message
from nbaprops.pipeline.push import PushEnvelope, dispatch_push, encode_push, topic_of_subscription


@pytest.mark.parametrize(
    ("subscription", "topic"),
    [
        ("projects/nbaprops-prod/subscriptions/nbaprops-predict-batches.worker", "predict-batches"),
        ("projects/nbaprops-prod/subscriptions/nbaprops-run-grade", "run-grade"),
        ("projects/nbaprops-prod/subscriptions/other-run-grade", None),
        ("projects/nbaprops-prod/topics/nbaprops-run-grade", None),
        ("projects/x/subscriptions/nbaprops-run-grade", None),  # not a project id
        ("nbaprops-run-grade", None),
        ("projects/nbaprops-prod/subscriptions/nbaprops-Run_Grade", None),
    ],
)
def test_the_topic_comes_from_the_subscription_name(subscription: str, topic: str | None) -> None:
    assert topic_of_subscription(subscription) == topic


def _envelope(topic: str, data: bytes = b"{}", **kwargs: Any) -> PushEnvelope:
    return PushEnvelope.model_validate(encode_push(topic, data, message_id="m-1", **kwargs))


def test_a_handled_message_is_acked_with_the_bus_message_the_handler_expects() -> None:
    seen: list[Message] = []
    body = encode_message("run_step", {"game_date": "2026-01-15"})
    outcome = dispatch_push(
        _envelope("run-grade", body, attributes={"run_id": "r1"}, delivery_attempt=3),
        {"run-grade": [seen.append]},
    )
    assert (outcome.status, outcome.http_status) == ("acked", 204)
    assert seen == [Message("run-grade", "m-1", body, {"run_id": "r1"}, 3)]


def test_every_subscriber_of_the_topic_gets_the_message() -> None:
    first: list[Message] = []
    second: list[Message] = []
    outcome = dispatch_push(_envelope("fan"), {"fan": [first.append, second.append]})
    assert outcome.status == "acked"
    assert len(first) == len(second) == 1


def test_a_transient_failure_asks_for_redelivery_without_a_dead_letter() -> None:
    letters: list[DeadLetter] = []

    def busy(_message: Message) -> None:
        raise TransientError("warehouse busy")

    outcome = dispatch_push(_envelope("t"), {"t": [busy]}, on_dead_letter=letters.append)
    assert (outcome.status, outcome.http_status) == ("retry", 503)
    assert letters == []


@pytest.mark.parametrize(
    ("envelope", "handlers", "reason"),
    [
        (_envelope("t", b"x"), {"t": ["poison"]}, "PayloadError: not a batch"),
        (_envelope("elsewhere"), {"t": ["ok"]}, "no handler here for subscription"),
        (
            PushEnvelope.model_validate(
                {
                    "message": {"data": "***not base64***", "messageId": "m-1"},
                    "subscription": "projects/nbaprops-prod/subscriptions/nbaprops-t",
                }
            ),
            {"t": ["ok"]},
            "data is not base64",
        ),
    ],
)
def test_what_retrying_cannot_fix_is_acked_and_dead_lettered_with_its_reason(
    envelope: PushEnvelope, handlers: dict[str, list[str]], reason: str
) -> None:
    def poison(_message: Message) -> None:
        raise PayloadError("not a batch")

    seen: list[Message] = []
    real = {"poison": poison, "ok": seen.append}
    letters: list[DeadLetter] = []
    outcome = dispatch_push(
        envelope, {t: [real[h] for h in hs] for t, hs in handlers.items()}, on_dead_letter=letters.append
    )
    assert (outcome.status, outcome.http_status) == ("dead_letter", 200)
    assert len(letters) == 1
    assert letters[0].message_id == "m-1"
    assert reason in letters[0].error
    assert seen == []


def test_a_crash_is_redelivered_until_the_last_attempt_then_dead_lettered() -> None:
    letters: list[DeadLetter] = []

    def crash(_message: Message) -> None:
        raise KeyError("a bug")

    early = dispatch_push(_envelope("t", delivery_attempt=4), {"t": [crash]}, on_dead_letter=letters.append)
    assert (early.status, early.http_status) == ("retry", 503)
    assert letters == []
    last = dispatch_push(_envelope("t", delivery_attempt=5), {"t": [crash]}, on_dead_letter=letters.append)
    assert (last.status, last.http_status) == ("dead_letter", 200)
    assert [(d.attempts, d.error) for d in letters] == [(5, "KeyError: 'a bug'")]


def test_inputs_not_ready_are_asked_for_again_whatever_the_attempt() -> None:
    from nbaprops.pipeline.delivery import NotReady

    letters: list[DeadLetter] = []

    def waiting(_message: Message) -> None:
        raise NotReady("morning-load has not finished")

    outcome = dispatch_push(
        _envelope("t", delivery_attempt=40), {"t": [waiting]}, on_dead_letter=letters.append
    )
    assert outcome.status == "retry"
    assert letters == []


def test_the_attempt_limit_can_be_the_subscriptions_per_topic() -> None:
    def crash(_message: Message) -> None:
        raise KeyError("a bug")

    limits = {"t": 15}
    assert (
        dispatch_push(_envelope("t", delivery_attempt=14), {"t": [crash]}, max_attempts=limits).status
        == "retry"
    )
    last = dispatch_push(_envelope("t", delivery_attempt=15), {"t": [crash]}, max_attempts=limits)
    assert last.status == "dead_letter"


def test_a_dead_letter_nobody_could_record_is_redelivered_instead_of_lost() -> None:
    def poison(_message: Message) -> None:
        raise PayloadError("bad")

    def broken_record(_letter: DeadLetter) -> None:
        raise OSError("alerts table unreachable")

    outcome = dispatch_push(_envelope("t"), {"t": [poison]}, on_dead_letter=broken_record)
    assert outcome.status == "retry"


def test_the_envelope_refuses_an_oversized_or_malformed_message_id() -> None:
    from pydantic import ValidationError

    good = encode_push("t", b"{}", message_id="m-1")
    for bad_id in ["", "x" * 129, "id with spaces", "../../etc/passwd"]:
        doc: dict[str, Any] = {**good, "message": {**good["message"], "messageId": bad_id}}  # type: ignore[dict-item]
        with pytest.raises(ValidationError):
            PushEnvelope.model_validate(doc)


# --- over HTTP, on the worker's real push route ---------------------------------------------------


def _push(services: Services, keys: Keys, exchanges: Exchanges, topic: str, message_id: str) -> Any:
    url = services.push_url("worker")
    return exchanges.call(
        "POST",
        url,
        json=encode_push(topic, b'{"n": 1}', message_id=message_id, role="worker"),
        headers={"Authorization": "Bearer " + keys.token(url)},
    )


def test_a_push_is_handled_and_acked_with_204(services: Services, keys: Keys, exchanges: Exchanges) -> None:
    response = _push(services, keys, exchanges, "echo", "http-ok-1")
    assert response.status_code == 204
    assert services.received[-1].message_id == "http-ok-1"
    assert base64.b64encode(services.received[-1].data) == base64.b64encode(b'{"n": 1}')


def test_a_crashing_handler_is_redelivered_and_then_succeeds(
    services: Services, keys: Keys, exchanges: Exchanges
) -> None:
    first = _push(services, keys, exchanges, "flaky", "http-flaky-1")
    assert first.status_code == 503
    assert first.headers["content-type"] == "application/problem+json"
    assert "retry-after" in first.headers
    second = _push(services, keys, exchanges, "flaky", "http-flaky-1")  # Pub/Sub redelivers it
    assert second.status_code == 204
    assert services.received[-1].message_id == "http-flaky-1"


def test_a_poison_push_is_acked_and_dead_lettered(
    services: Services, keys: Keys, exchanges: Exchanges
) -> None:
    response = _push(services, keys, exchanges, "poison", "http-poison-1")
    assert response.status_code == 200
    assert response.json() == {"status": "dead_lettered", "message_id": "http-poison-1"}
    assert "PayloadError" not in response.text  # the reason is recorded, not returned
    [letter] = [d for d in services.dead_letters if d.message_id == "http-poison-1"]
    assert "PayloadError: cannot decode" in letter.error


def test_an_invalid_envelope_is_a_422_problem_after_authentication(
    services: Services, keys: Keys, exchanges: Exchanges
) -> None:
    url = services.push_url("worker")
    token = {"Authorization": "Bearer " + keys.token(url)}
    for body in [b"{not json", b'{"message": {}}', b"[]"]:
        response = exchanges.call(
            "POST", url, content=body, headers={**token, "Content-Type": "application/json"}
        )
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["title"] == "Invalid request"
    unauthenticated = exchanges.call(
        "POST", url, content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert unauthenticated.status_code == 401
