"""The exception tree.

Every failure the platform raises on purpose is one of these. Driver, HTTP and parser errors are
translated at the edge, so callers only ever decide between "try again" and "stop, record, alert"::

    NbaPropsError
    ├── TransientError                 retrying may help (bounded, with backoff)
    │   ├── SourceUnavailable          connect error, timeout, 5xx, a hang past the deadline
    │   │   └── RateLimited            429, with the server's Retry-After when it gave one
    │   ├── WarehouseBusy              the warehouse file is locked by another writer
    │   ├── LakeUnavailable            the lake did not answer in time or dropped the connection
    │   └── DeadlineExceeded           a bounded wait ran out (the parser pool, a bus delivery)
    └── PermanentError                 retrying will not help: fail, quarantine, alert
        ├── ConfigError                a setting is missing, malformed or contradictory
        ├── SourceError                a source refused us for good (401/403/404, other 4xx)
        │   ├── AuthError              missing or rejected credentials
        │   ├── CircuitOpen            the host's breaker is open; calls fail fast
        │   └── BudgetExceeded         the run would spend more API credits than allowed
        ├── PayloadError               bytes that cannot be parsed (truncated, not JSON, damaged PDF)
        │   └── SchemaDrift            parsed, but fields are missing, renamed or of the wrong type
        ├── WarehouseError             a query failed, timed out or broke a constraint
        │   └── SchemaMismatch         a stored column's type differs from its declared one
        ├── LakeError                  the lake refused a read or write (permission, full disk)
        ├── QualityGateError           data is present but fails a completeness or sanity check
        └── LeakageError               a computation saw data from at or after the tip it predicts

Messages never contain secret values: anything that may carry a URL or header is redacted
before it is placed into an exception (see ``nbaprops.secrets``).
"""

from __future__ import annotations


class NbaPropsError(Exception):
    """Root of every error the platform raises on purpose."""


class TransientError(NbaPropsError):
    """A failure that may go away if the same call is tried again later."""


class PermanentError(NbaPropsError):
    """A failure that the same call will hit again; record it and move on or stop."""


class SourceUnavailable(TransientError):
    """The source did not answer usefully in time (connect error, timeout, 5xx, hang)."""

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class RateLimited(SourceUnavailable):
    """The source answered 429; ``retry_after`` is its requested wait in seconds, if given."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message, status_code=429)
        self.retry_after = retry_after


class WarehouseBusy(TransientError):
    """Another process holds the warehouse's write lock."""


class LakeUnavailable(TransientError):
    """The lake's file system or bucket did not answer within its deadline, or dropped the link."""


class DeadlineExceeded(TransientError):
    """Work handed to another thread or process did not finish within its deadline."""


class LakeError(PermanentError):
    """The lake refused a read or write for good: permission, a full disk, a path that is a file."""


class ConfigError(PermanentError):
    """A setting is missing, malformed or contradictory."""


class SourceError(PermanentError):
    """A source refused the request in a way retrying cannot fix."""

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class AuthError(SourceError):
    """Credentials were missing or rejected (401/403)."""


class CircuitOpen(SourceError):
    """The circuit breaker for a host is open: calls fail fast until it half-opens."""


class BudgetExceeded(SourceError):
    """A call would exceed the run's API credit budget, so it was not made."""


class PayloadError(PermanentError):
    """Bytes that cannot be parsed at all: truncated, not JSON, an HTML error page, a damaged PDF."""


class SchemaDrift(PayloadError):
    """The payload parsed, but its fields are missing, renamed, of the wrong type or absurd."""


class WarehouseError(PermanentError):
    """A warehouse statement failed, timed out, or broke a constraint."""


class SchemaMismatch(WarehouseError):
    """An existing table has a column whose type differs from the one its ``TableSpec`` declares.

    The schema is only ever extended (nullable columns added); a retyped column needs a deliberate
    data migration, so ``create_schema`` stops instead of guessing one.
    """


class QualityGateError(PermanentError):
    """Data is present but fails a completeness or sanity gate (e.g. zero rows where rows were due)."""


class LeakageError(PermanentError):
    """A point-in-time computation read data from at or after the tip-off it is computed for."""
