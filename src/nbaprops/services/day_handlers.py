"""The push topics a role handles: the schedule's steps of that role, run by the day runner, and
the prediction batches for the role the schedule's ``fanout`` names (the worker).

``pipeline.schedule.SCHEDULE`` names, for every step of the game day, the role that runs it in
production and its topic (``run-<step>``); ``pipeline.runner.DayRunner.handle`` is the handler of
those topics, the same one ``nbaprops run`` subscribes in-process. A service of role R answers
pushes on the topics of R's steps with that handler, in ``retry`` mode: a step whose inputs are
not complete yet raises ``NotReady`` and the push route answers 503, so Pub/Sub redelivers it
later; a finished occurrence is acknowledged and does nothing.

The runner (warehouse, lake, HTTP client, lock store, bus) is opened on the first push and kept
until the app shuts down (``close``). With the Pub/Sub bus it only publishes (the follow-up step
requests); its deliveries come by push, never by pulling, so its ``subscribe`` is a no-op here.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from contextlib import ExitStack
from typing import TYPE_CHECKING

from nbaprops.pipeline.bus import Bus, Handler, Message

if TYPE_CHECKING:
    from nbaprops.pipeline.runner import DayRunner
    from nbaprops.settings import Settings


class PublishOnlyBus:
    """A ``Bus`` that publishes through ``inner`` and ignores subscriptions (push delivers here)."""

    def __init__(self, inner: Bus) -> None:
        self.inner = inner

    def publish(self, topic: str, message: bytes, attributes: Mapping[str, str] | None = None) -> str:
        """Publish through the real bus."""
        return self.inner.publish(topic, message, attributes)

    def subscribe(self, topic: str, handler: Handler) -> None:
        """Nothing: Pub/Sub pushes this topic's messages to the service's ``/pubsub/push``."""

    def flush(self) -> None:
        """Flush the real bus."""
        self.inner.flush()


class DayHandlers:
    """The day runner of one service, opened lazily, shared by every topic of its role."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._stack = ExitStack()
        self._runner: DayRunner | None = None
        self._lock = threading.Lock()

    def runner(self) -> DayRunner:
        """The runner, opened on first use (schema created)."""
        with self._lock:
            if self._runner is None:
                from nbaprops.pipeline.run_commands import open_bus, open_day

                bus: Bus | None = None
                if self.settings.bus_backend == "pubsub":
                    inner = open_bus(self.settings)
                    closer = getattr(inner, "close", None)
                    if closer is not None:
                        self._stack.callback(closer)
                    bus = PublishOnlyBus(inner)
                self._runner = self._stack.enter_context(open_day(self.settings, wait_mode="retry", bus=bus))
            return self._runner

    def handle(self, message: Message) -> None:
        """Run the step request on the runner (``NotReady``/``TransientError``: redeliver)."""
        self.runner().handle(message)

    def handle_batch(self, message: Message) -> None:
        """Predict one batch of a coordinator's run and stage its result (the worker role)."""
        self.runner().batches.handle(message)

    def close(self) -> None:
        """Close what the runner opened."""
        with self._lock:
            self._runner = None
            self._stack.close()


def role_topics(role: str) -> list[str]:
    """The topics of the schedule's steps that ``role`` runs, and ``predict-batches`` for the role
    that predicts the batches of the predicting steps (the schedule's ``fanout``)."""
    from nbaprops.pipeline.schedule import FANOUT_TOPIC, SCHEDULE, fanout_roles

    topics = {step.topic for step in SCHEDULE if step.role == role}
    return sorted(topics | ({FANOUT_TOPIC} if role in fanout_roles() else set()))


def role_handlers(settings: Settings, role: str) -> tuple[dict[str, list[Handler]], DayHandlers]:
    """The push handlers of ``role`` (topic -> [DayRunner.handle], or the batch worker's) and their
    closer."""
    from nbaprops.pipeline.schedule import FANOUT_TOPIC

    day = DayHandlers(settings)
    return {
        topic: [day.handle_batch if topic == FANOUT_TOPIC else day.handle] for topic in role_topics(role)
    }, day
