"""The operations commands: ``health``, ``quality``, ``report``, ``backup``, ``restore``.

Kept light at import: the warehouse, pyarrow and the checks are imported when a command runs.
"""

from __future__ import annotations

import json
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import typer

from nbaprops.errors import ConfigError

if TYPE_CHECKING:
    from nbaprops.settings import Settings
    from nbaprops.warehouse.protocol import Warehouse

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of text.")]


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"{option} must be YYYY-MM-DD, got {text!r}") from None


def _open() -> tuple[Settings, Warehouse]:
    from nbaprops.logs import configure_logging
    from nbaprops.settings import load_settings
    from nbaprops.warehouse import create_schema, open_warehouse

    settings = load_settings()
    configure_logging(settings)
    warehouse = open_warehouse(settings)
    try:
        create_schema(warehouse)
    except BaseException:
        warehouse.close()
        raise
    return settings, warehouse


def _emit(document: dict[str, Any], text: str, json_out: bool) -> None:
    typer.echo(json.dumps(document, sort_keys=True, default=str) if json_out else text)


def backup_command(
    to: Annotated[
        str | None,
        typer.Option("--to", help="Backup root URL (folder, lake prefix, gs://…); default: backup_url."),
    ] = None,
    verify: Annotated[
        bool, typer.Option("--verify", help="Re-read every file of the new snapshot against its sha256.")
    ] = False,
    json_out: JsonOption = False,
) -> None:
    """Write every warehouse table as Parquet plus a manifest (rows, sha256), incremental by partition."""
    from nbaprops.errors import QualityGateError
    from nbaprops.ops.backup import BackupStore, backup, backup_root, mark_verified, verify_files

    settings, warehouse = _open()
    try:
        store = BackupStore(to or backup_root(settings), settings=settings)
        snapshot = backup(warehouse, store, backend=settings.warehouse_backend)
        problems = verify_files(store, snapshot) if verify else []
        if problems:
            raise QualityGateError(f"backup {snapshot.snapshot_id} failed verification: {problems[0]}")
        if verify:
            mark_verified(warehouse, snapshot.snapshot_id)
    finally:
        warehouse.close()
    document = {
        "snapshot_id": snapshot.snapshot_id,
        "url": f"{store.url.rstrip('/')}/{snapshot.snapshot_id}",
        "tables": len(snapshot.tables),
        "rows": snapshot.rows,
        "bytes": snapshot.bytes,
        "bytes_written": snapshot.bytes_written,
        "files_written": snapshot.files_written,
        "seconds": snapshot.seconds,
        "verified": verify,
    }
    text = (
        f"backup {snapshot.snapshot_id}: {len(snapshot.tables)} tables, {snapshot.rows} rows, "
        f"{snapshot.bytes / 1e6:.1f} MB ({snapshot.files_written} files written, "
        f"{snapshot.bytes_written / 1e6:.1f} MB new) in {snapshot.seconds:.1f} s"
        + ("; verified" if verify else "")
        + f" -> {document['url']}"
    )
    _emit(document, text, json_out)


def restore_command(
    snapshot: Annotated[
        str | None, typer.Argument(help="Snapshot id under the backup root, or 'latest'.")
    ] = None,
    source: Annotated[
        str | None, typer.Option("--from", help="Backup root URL holding the snapshot; default: backup_url.")
    ] = None,
    verify: Annotated[
        bool, typer.Option("--verify", help="Compare every restored table with the manifest (rows, sha256).")
    ] = False,
    from_lake: Annotated[
        bool, typer.Option("--from-lake", help="Rebuild by replaying the lake instead (ingest + build).")
    ] = False,
    json_out: JsonOption = False,
) -> None:
    """Rebuild an empty warehouse from a snapshot (or, with --from-lake, from the raw lake)."""
    from nbaprops.ops.backup import BackupStore, backup_root, restore, restore_from_lake

    if from_lake == (snapshot is not None):
        raise ConfigError("give a SNAPSHOT (or 'latest'), or --from-lake")
    settings, warehouse = _open()
    try:
        if from_lake:
            outcome = restore_from_lake(settings, warehouse)
            _emit(outcome, f"restore from the lake: {json.dumps(outcome, sort_keys=True)}", json_out)
            return
        store = BackupStore(source or backup_root(settings), settings=settings)
        report = restore(warehouse, store, str(snapshot), verify=verify)
    finally:
        warehouse.close()
    text = (
        f"restore {report.snapshot_id}: {report.tables} tables, {report.rows} rows, "
        f"{report.bytes_read / 1e6:.1f} MB in {report.seconds:.1f} s"
        + ("; every table matches the manifest" if verify else "")
    )
    _emit(report.to_dict(), text, json_out)


def quality_command(
    date_text: Annotated[str, typer.Option("--date", help="Game date to check (YYYY-MM-DD).")],
    json_out: JsonOption = False,
) -> None:
    """Run every data-quality rule for a date, record quality_results; exit 2 when an error rule fails."""
    from nbaprops.errors import QualityGateError
    from nbaprops.ops.alerts import Alerter
    from nbaprops.ops.quality import run_checks

    day = _day(date_text, "--date")
    _, warehouse = _open()
    try:
        report = run_checks(warehouse, day, Alerter(warehouse))
    finally:
        warehouse.close()
    lines = [
        f"{'ok  ' if r.passed else 'FAIL'} {r.severity:<7} {r.rule}: {r.message}"
        for r in sorted(report.results, key=lambda r: (r.passed, r.severity != "error", r.rule))
    ]
    summary = (
        f"quality {day}: {len(report.results)} rules, {len(report.failed_errors)} error(s), "
        f"{len(report.failed_warnings)} warning(s) in {report.seconds:.2f} s (check {report.check_id})"
    )
    _emit(report.to_dict(), "\n".join([*lines, summary]), json_out)
    if report.failed_errors:
        first, count = report.failed_errors[0], len(report.failed_errors)
        raise QualityGateError(
            f"quality {day}: {count} error rule(s) failed, first {first.rule}: {first.message}"
        )


def health_command(
    alert: Annotated[
        bool,
        typer.Option(
            "--alert", help="Also raise the monitoring alerts (stale source, slow run, credits, …)."
        ),
    ] = False,
    json_out: JsonOption = False,
) -> None:
    """Per source and phase: ok / degraded / failing, why, last success. Exit 0 ok, 1 degraded, 2 failing."""
    from nbaprops.ops.alerts import Alerter
    from nbaprops.ops.health import health_report, render, to_json
    from nbaprops.ops.monitor import watch

    settings, warehouse = _open()
    try:
        if alert:
            watch(warehouse, settings, Alerter(warehouse))
        report = health_report(warehouse, settings)
    finally:
        warehouse.close()
    typer.echo(to_json(report) if json_out else render(report))
    raise typer.Exit(report.exit_code)


def report_command(
    kind: Annotated[str, typer.Argument(help="cost | perf | quality")],
    start: Annotated[str, typer.Option("--from", help="First day (YYYY-MM-DD).")],
    end: Annotated[str, typer.Option("--to", help="Last day (YYYY-MM-DD), inclusive.")],
    json_out: JsonOption = False,
) -> None:
    """Cost (query_log per step and day, Odds API credits, forecast), perf (timings, slow steps), quality."""
    from nbaprops.dates import check_date_range, now_utc
    from nbaprops.ops import report

    if kind not in ("cost", "perf", "quality"):
        raise ConfigError(f"report kind must be cost, perf or quality, got {kind!r}")
    first, last = _day(start, "--from"), _day(end, "--to")
    check_date_range(first, last)
    settings, warehouse = _open()
    try:
        if kind == "cost":
            document = report.cost_report(warehouse, first, last, now_utc().date())
        elif kind == "perf":
            document = report.perf_report(warehouse, settings, first, last)
        else:
            document = report.quality_report(warehouse, first, last)
    finally:
        warehouse.close()
    _emit(document, report.render(kind, document), json_out)


def register(app: typer.Typer) -> None:
    """Add the operations commands to the CLI."""
    app.command("backup", help="Back up every warehouse table as Parquet + manifest (rows, sha256).")(
        backup_command
    )
    app.command("restore", help="Restore an empty warehouse from a snapshot (--verify), or --from-lake.")(
        restore_command
    )
    app.command("health", help="Health per source and phase (exit 0 ok, 1 degraded, 2 failing); --json.")(
        health_command
    )
    app.command("report", help="Monitoring: report cost|perf|quality --from A --to B [--json].")(
        report_command
    )
    app.command("quality", help="Data-quality rules for a date -> quality_results; exit 2 on an error rule.")(
        quality_command
    )
