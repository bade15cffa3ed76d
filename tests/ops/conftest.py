"""Session-wide loopback receivers for alert delivery (started once, stopped at the end)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from alert_receivers import HttpReceiver, SmtpServer, self_signed, start_smtp

SMTP_USER = "alerts@nbaprops.test"
SMTP_PASSWORD = "smtp-pass-Q7v9ZxLm"


@dataclass
class Receivers:
    ca_file: Path
    starttls: SmtpServer
    smtps: SmtpServer
    http: HttpReceiver


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
