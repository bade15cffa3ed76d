"""The schedule table as Google Cloud resources: topics, push subscriptions, Scheduler jobs.

One topic per step (``<prefix>run-<step>``) carries requests to run it, and ``predict-batches``
the prediction batches of the predicting steps to their ``fanout`` role (the worker); one push
subscription per topic (``<prefix>run-<step>.<role>``, the name ``pipeline.push`` maps back to the topic)
delivers them to the step's role (``<service-url>/pubsub/push`` with ROLE replaced),
authenticated by an OIDC token of ``service_account``, with a retry policy and the dead-letter
topic ``<prefix>dead-letter``. Clock steps get one Scheduler job each at their ET time; ``+1d``
steps name ``yesterday`` as the game date; tip steps get a job every 15 minutes through the
afternoon and evening (``tick``): the handler runs the tip windows due by then, each once.
"""

from __future__ import annotations

import base64
import json
import re
from typing import TYPE_CHECKING, Any

from nbaprops.pipeline.schedule import FANOUT_TOPIC, ScheduledStep, fanout_roles, schedule_for

if TYPE_CHECKING:
    from nbaprops.settings import Settings

TIME_ZONE = "America/New_York"
TICK_CRON = "*/15 11-23 * * *"
DEAD_LETTER = "dead-letter"
_CLOCK = re.compile(r"^(?:\+(\d)d )?(\d\d):(\d\d)$")


def export_schedule(
    settings: Settings,
    *,
    service_url: str,
    service_account: str,
    schedule: tuple[ScheduledStep, ...] | None = None,
) -> dict[str, Any]:
    """Topics, subscriptions and jobs, as the Pub/Sub and Cloud Scheduler REST APIs spell them."""
    schedule = schedule_for(settings) if schedule is None else schedule
    project, prefix = settings.pubsub_project, settings.pubsub_prefix

    def endpoint(role: str) -> str:
        return f"{service_url.replace('ROLE', role).rstrip('/')}/pubsub/push"

    topic = f"projects/{project}/topics/{prefix}" + "{}"
    dead = topic.format(DEAD_LETTER)
    # Each step's requests go to its role; the batches of the predicting steps to the fan-out role.
    routes = [(s.topic, s.role, s.retries) for s in schedule]
    routes += [(FANOUT_TOPIC, role, 0) for role in fanout_roles(schedule)]
    topics = [topic.format(name) for name, _, _ in routes] + [dead]
    subscriptions = [
        {
            "name": f"projects/{project}/subscriptions/{prefix}{name}.{role}",
            "topic": topic.format(name),
            "pushConfig": {
                "pushEndpoint": endpoint(role),
                # the audience is the push URL itself: the services' NBAPROPS_SERVICE_URL (docs/deploy.md)
                "oidcToken": {"serviceAccountEmail": service_account, "audience": endpoint(role)},
            },
            "ackDeadlineSeconds": 600,
            "retryPolicy": {"minimumBackoff": "10s", "maximumBackoff": "600s"},
            "deadLetterPolicy": {"deadLetterTopic": dead, "maxDeliveryAttempts": max(5, 5 * (retries + 1))},
        }
        for name, role, retries in routes
    ] + [
        {
            "name": f"projects/{project}/subscriptions/{prefix}{DEAD_LETTER}.hold",
            "topic": dead,
            "ackDeadlineSeconds": 60,
            "messageRetentionDuration": "604800s",
        }
    ]
    jobs = [_job(s, project, prefix, topic.format(s.topic)) for s in schedule if s.trigger != "event"]
    return {"time_zone": TIME_ZONE, "topics": topics, "subscriptions": subscriptions, "jobs": jobs}


def _job(step: ScheduledStep, project: str, prefix: str, topic_name: str) -> dict[str, Any]:
    clock = _CLOCK.match(step.at)
    if clock:
        plus, hour, minute = clock.groups()
        cron, game_date = f"{int(minute)} {int(hour)} * * *", "yesterday" if plus else "today"
    else:
        cron, game_date = TICK_CRON, "today"
    request = {
        "schema_version": 1,
        "kind": "step-request",
        "payload": {"step": step.step, "game_date": game_date, "trigger": "scheduler"},
    }
    return {
        "name": f"projects/{project}/locations/REGION/jobs/{prefix}{step.step}",
        "description": step.description,
        "schedule": cron,
        "timeZone": TIME_ZONE,
        "retryConfig": {
            "retryCount": step.retries,
            "minBackoffDuration": "30s",
            "maxBackoffDuration": "600s",
        },
        "pubsubTarget": {
            "topicName": topic_name,
            "data": base64.b64encode(json.dumps(request, separators=(",", ":")).encode()).decode(),
            "attributes": {
                "topic": step.topic,
                "game_date": game_date,
                "attempt": "1",
                "run_id": "scheduler",
            },
        },
    }
