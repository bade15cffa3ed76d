"""Session fixtures of the orchestration tests: the Pub/Sub and Firestore emulators."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from emulators import emulator


@pytest.fixture(scope="session")
def pubsub_emulator() -> Iterator[str]:
    """``host:port`` of a Pub/Sub emulator started for this session."""
    with emulator("pubsub") as host:
        yield host


@pytest.fixture(scope="session")
def firestore_emulator() -> Iterator[str]:
    """``host:port`` of a Firestore emulator started for this session."""
    with emulator("firestore") as host:
        yield host
