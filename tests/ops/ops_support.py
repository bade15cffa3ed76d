"""Shared pieces of the operations tests (imported by name: a `conftest` import is ambiguous)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from alert_receivers import HttpReceiver, SmtpServer

SMTP_USER = "alerts@nbaprops.test"
SMTP_PASSWORD = "smtp-pass-Q7v9ZxLm"


@dataclass
class Receivers:
    ca_file: Path
    starttls: SmtpServer
    smtps: SmtpServer
    http: HttpReceiver


@dataclass(frozen=True)
class BuiltSeason:
    """A demo-like warehouse: the shared sandbox raw tables of the first days, built through phase 4."""

    path: Path
    lake_root: Path
    start: date
    end: date
