"""One typed settings object, read once at the entry point and passed down.

Values come, highest priority first, from: keyword arguments, ``NBAPROPS_*`` environment
variables, a secrets file (``NBAPROPS_SECRETS_FILE``: ``KEY=value`` lines, must be mode 0600),
and the defaults below. The defaults describe the embedded deployment: a DuckDB file and a lake
folder under ``data_dir``, every source pointed at its real public host.

Secrets (API keys) must be printable ASCII without spaces: a key with a control character (the
trailing CR a CRLF file leaves) or a non-ASCII letter cannot go into an HTTP header or query and
would otherwise fail, or leak, at the first request. Such a key is refused up front with one line
naming the setting, never the value. The secrets file's lines are stripped of surrounding
whitespace (CR included) before parsing, so a CRLF secrets file works; an environment variable is
taken as given, so a stray CR there is refused rather than silently repaired.
"""

from __future__ import annotations

import os
import stat
from datetime import date, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from nbaprops.dates import et_datetime
from nbaprops.errors import ConfigError

ENV_PREFIX = "NBAPROPS_"
ODDS_SNAPSHOTS = ("opening", "prediction", "pretip")


class Settings(BaseSettings):
    """Every knob of the platform. Unknown ``NBAPROPS_*`` variables are rejected, not ignored."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        extra="forbid",
        frozen=True,
        validate_default=True,
        hide_input_in_errors=True,  # a rejected secret must not be echoed by a validation error
    )

    # --- where things live -------------------------------------------------------------------
    data_dir: Path = Field(Path("data"), description="Root folder for the warehouse file and the lake.")
    warehouse_backend: Literal["duckdb", "bigquery"] = Field(
        "duckdb", description="Warehouse implementation: an embedded DuckDB file, or BigQuery."
    )
    warehouse_path: Path | None = Field(
        None, description="DuckDB file; default <data_dir>/warehouse.duckdb. ':memory:' for tests."
    )
    lake_url: str | None = Field(
        None, description="fsspec URL of the raw-payload lake; default <data_dir>/lake (gs://… in prod)."
    )
    secrets_file: Path | None = Field(
        None, description="Optional KEY=value file holding secrets; refused unless its mode is 0600."
    )

    # --- sources -----------------------------------------------------------------------------
    nbacom_stats_base_url: str = Field("https://stats.nba.com", description="stats.nba.com API host.")
    nbacom_cdn_base_url: str = Field("https://cdn.nba.com", description="NBA.com CDN (schedule, PBP).")
    nbacom_injury_base_url: str = Field(
        "https://ak-static.cms.nba.com", description="Host of the official injury-report PDFs."
    )
    bdl_base_url: str = Field("https://api.balldontlie.io", description="Ball Don't Lie API host.")
    bdl_api_key: SecretStr | None = Field(None, description="Ball Don't Lie key (Authorization header).")
    odds_base_url: str = Field("https://api.the-odds-api.com", description="The Odds API host.")
    odds_api_key: SecretStr | None = Field(None, description="The Odds API key (apiKey query parameter).")
    odds_credit_budget: int = Field(
        1500,
        ge=0,
        description="Most Odds API credits one scrape of one date may spend; calls beyond it are refused "
        "(a busy date of history: 15 games x 3 snapshots x 30 = 1,350).",
    )
    odds_bookmakers: str = Field(
        "draftkings,fanduel,betmgm", description="Books to request, in priority order for line choice."
    )
    odds_snapshots: str = Field(
        "opening,prediction,pretip",
        description="Historical odds snapshots bought per played game, each once: 'opening' (at "
        "NBAPROPS_ODDS_OPENING_TIME_ET), 'prediction' (at NBAPROPS_PREDICTION_TIME_ET), 'pretip' "
        "(NBAPROPS_ODDS_PRETIP_MINUTES before tip). Times at or after tip are dropped.",
    )
    odds_opening_time_et: str = Field(
        "10:00",
        pattern=r"^([01]\d|2[0-3]):[0-5]\d$",
        description="ET wall-clock time (HH:MM) on the game date of the 'opening' odds snapshot.",
    )
    odds_pretip_minutes: int = Field(
        30, ge=1, le=600, description="Minutes before tip of the 'pretip' odds snapshot (the closing line)."
    )
    espn_base_url: str = Field("https://site.api.espn.com", description="ESPN site API host.")
    box_score_sources: str = Field(
        "nbacom,bdl", description="Sources of player box scores, most preferred first (fallback order)."
    )
    injury_sources: str = Field(
        "nbacom,bdl", description="Sources of injury status (the official PDF, then Ball Don't Lie)."
    )
    schedule_sources: str = Field(
        "nbacom,bdl,espn", description="Sources of the schedule, in fallback order."
    )

    # --- HTTP bounds -------------------------------------------------------------------------
    http_connect_timeout_s: float = Field(5.0, gt=0, description="TCP/TLS connect timeout per attempt.")
    http_read_timeout_s: float = Field(20.0, gt=0, description="Longest wait for the next byte.")
    http_write_timeout_s: float = Field(10.0, gt=0, description="Longest wait to send the request.")
    http_pool_timeout_s: float = Field(5.0, gt=0, description="Longest wait for a pooled connection.")
    http_deadline_s: float = Field(
        30.0, gt=0, description="Overall limit for one attempt, however slowly the server trickles."
    )
    http_max_attempts: int = Field(4, ge=1, le=10, description="Attempts per call, first one included.")
    http_backoff_base_s: float = Field(0.5, gt=0, description="First backoff ceiling (full jitter).")
    http_backoff_cap_s: float = Field(20.0, gt=0, description="Largest single backoff wait.")
    http_retry_budget_s: float = Field(
        90.0, gt=0, description="Total time one call may spend across all its attempts and waits."
    )
    http_max_response_bytes: int = Field(
        64 * 1024 * 1024,
        gt=0,
        description="Largest body one answer may stream before it is cut off as a PayloadError "
        "(NBA.com's season schedule, the biggest real payload, is ~9 MB).",
    )
    breaker_failure_threshold: int = Field(5, ge=1, description="Consecutive failures that open a breaker.")
    breaker_cooldown_s: float = Field(60.0, gt=0, description="Open time before a breaker half-opens.")
    nbacom_min_spacing_s: float = Field(0.6, ge=0, description="Minimum gap between calls to NBA.com hosts.")
    bdl_min_spacing_s: float = Field(
        1.0,
        ge=0,
        description="Minimum gap between Ball Don't Lie calls (1.0 s = its 60/min tier; 0.1 for 600/min).",
    )
    default_min_spacing_s: float = Field(0.0, ge=0, description="Minimum gap between calls to other hosts.")

    # --- lake bounds ---------------------------------------------------------------------------
    lake_timeout_s: float = Field(
        60.0, gt=0, description="Longest one lake call (read, list, upload) may take before it is retried."
    )
    lake_max_attempts: int = Field(
        3, ge=1, le=10, description="Attempts per lake call when it times out or the bucket answers 5xx/429."
    )

    # --- warehouse bounds --------------------------------------------------------------------
    query_timeout_s: float = Field(120.0, gt=0, description="Longest a single warehouse statement may run.")
    warehouse_lock_wait_s: float = Field(
        30.0,
        ge=0,
        description="How long opening a warehouse file that another process holds keeps retrying "
        "(capped backoff with jitter) before failing with WarehouseBusy.",
    )

    # --- production backends: BigQuery warehouse, GCS lake, query log (issue 13) --------------
    gcp_project: str | None = Field(
        None, description="Google Cloud project of the BigQuery jobs and the lake bucket (required for them)."
    )
    deploy_env: str = Field(
        "dev",
        pattern=r"^[a-z][a-z0-9]{0,15}$",
        description="Environment name (dev, staging, prod); BigQuery datasets are "
        "'<deploy_env>_<bq_dataset>'.",
    )
    bq_dataset: str = Field(
        "nbaprops",
        pattern=r"^[a-z][a-z0-9_]{0,63}$",
        description="BigQuery dataset name, after the env prefix.",
    )
    bq_location: str = Field("US", description="BigQuery location of the dataset and its jobs.")
    bq_api_endpoint: str | None = Field(
        None,
        description="BigQuery API root (client_options.api_endpoint); an http:// one is a local fake "
        "reached without credentials. Default: Google's.",
    )
    bq_max_bytes: int = Field(
        10 * 2**30,
        gt=0,
        description="Most bytes one BigQuery query may scan: its dry run refuses more, and it is the job's "
        "maximum_bytes_billed.",
    )
    bq_retry_deadline_s: float = Field(
        120.0, gt=0, description="Total time one BigQuery API call may spend retrying transient errors."
    )
    bq_usd_per_tib: float = Field(
        6.25, ge=0, description="On-demand price per TiB billed, for the query log's estimated dollars."
    )
    gcs_endpoint_url: str | None = Field(
        None, description="Cloud Storage API root for a gs:// lake (an emulator in tests). Default: Google's."
    )
    query_log_enabled: bool = Field(
        True, description="Record every warehouse statement in the query_log table (batched writes)."
    )
    query_log_batch: int = Field(
        500, ge=1, description="Statements buffered before the query log is written (also written at close)."
    )

    # --- prediction time -----------------------------------------------------------------------
    prediction_time_et: str = Field(
        "11:00",
        pattern=r"^([01]\d|2[0-3]):[0-5]\d$",
        description="Wall-clock ET time (HH:MM) of the daily prediction: its as-of, the same in live, "
        "training and backtest. Every feature, line, injury note and slate entry a prediction uses was "
        "published at or before it.",
    )

    # --- picks and stakes (predict/recommend.py) ----------------------------------------------
    pick_min_probability: float = Field(
        0.55, gt=0, lt=1, description="Calibrated probability a side needs to be recommended."
    )
    pick_min_ev: float = Field(0.03, description="Expected value per unit staked a side needs (0.03 = 3%).")
    stake_kelly_fraction: float = Field(0.25, gt=0, le=1, description="Share of the full Kelly stake bet.")
    stake_market_shrink: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Share of the model's edge over the no-vig market that staking believes (Kelly is "
        "sized on market + share * edge; 0 stakes nothing, 1 trusts the model fully).",
    )
    stake_max_pick: float = Field(0.02, ge=0, le=1, description="Largest stake on one pick (of bankroll).")
    stake_max_game: float = Field(0.05, ge=0, le=1, description="Largest total stake on one game.")
    stake_max_team: float = Field(
        0.03, ge=0, le=1, description="Largest total stake on one team's players in one game."
    )
    stake_max_day: float = Field(0.20, ge=0, le=1, description="Largest total stake of one system per day.")
    stake_max_picks_per_team: int = Field(
        2, ge=1, description="Most picks on one team's players in one game (correlated outcomes)."
    )

    # --- orchestration: the daily run, bus, locks, secrets (pipeline/runner.py, issue 12) ------
    bus_backend: Literal["inprocess", "pubsub"] = Field(
        "inprocess", description="Events between roles: in this process, or Google Pub/Sub topics."
    )
    pubsub_project: str = Field(
        "nbaprops-local", description="Google Cloud project of the Pub/Sub topics and subscriptions."
    )
    pubsub_prefix: str = Field(
        "nbaprops-",
        pattern=r"^[a-z][a-z0-9-]{0,30}$",
        description="Prefix of every topic and subscription name.",
    )
    pubsub_timeout_s: float = Field(30.0, gt=0, description="Longest wait for one publish or admin call.")
    bus_max_attempts: int = Field(
        5, ge=1, le=100, description="Deliveries of a crashing message before it is dead-lettered."
    )
    # --- the game day's prediction fan-out (pipeline/runner.py, predict/coordinator.py) ---
    predict_batch_wait_s: float = Field(
        600.0,
        gt=0,
        description="How long a coordinator waits for the worker role to stage a run's prediction "
        "batches (Pub/Sub push) before the batches still out fail the run.",
    )
    lock_backend: Literal["file", "firestore"] = Field(
        "file", description="Run locks: JSON lease files under <data_dir>/locks, or Firestore documents."
    )
    lock_ttl_s: float = Field(
        900.0, gt=0, description="Lease of a run lock; renewed every third of it while the step runs."
    )
    firestore_project: str = Field(
        "nbaprops-local", description="Google Cloud project of the lock documents."
    )
    firestore_collection: str = Field(
        "nbaprops_locks", pattern=r"^[A-Za-z0-9_-]{1,100}$", description="Firestore collection of the locks."
    )
    firestore_timeout_s: float = Field(10.0, gt=0, description="Longest wait for one Firestore call.")
    run_gate_wait_s: float = Field(
        0.0,
        ge=0,
        le=3600,
        description="How long `nbaprops run` waits for a step's inputs still running elsewhere before "
        "recording it blocked (inputs that failed block it at once).",
    )
    secret_backend: Literal["env", "secret-manager"] = Field(
        "env",
        description="Where secrets come from: the settings (environment, 0600 file), or Secret Manager.",
    )
    secret_manager_project: str = Field(
        "nbaprops-local", description="Google Cloud project of the Secret Manager secrets."
    )
    secret_manager_endpoint: str | None = Field(
        None,
        description="Secret Manager API endpoint (host:port); default Google's. Tests point it at a fake.",
    )
    secret_cache_ttl_s: float = Field(
        300.0,
        ge=0,
        description="How long a fetched secret is reused before its latest version is read again.",
    )
    secret_timeout_s: float = Field(10.0, gt=0, description="Longest wait for one Secret Manager call.")

    # --- services: HTTP apps per role, operator/read API keys, Pub/Sub push auth (services/) --
    api_keys: SecretStr | None = Field(
        None,
        description="API keys accepted in the X-API-Key header by every service route but /health, "
        "comma-separated (rotate by listing the new key beside the old, then dropping the old). "
        "Unset: every authenticated route answers 401.",
    )
    service_url: str | None = Field(
        None,
        pattern=r"^https?://[^\s]+$",
        description="This service's push endpoint URL, the audience a Pub/Sub push OIDC token must "
        "carry (https://SERVICE-….run.app/pubsub/push). Unset: the push route answers 401.",
    )
    pubsub_push_service_account: str | None = Field(
        None,
        pattern=r"^[^@\s]+@[^@\s]+$",
        description="Service-account email Pub/Sub signs push tokens as; a token for any other "
        "account is refused (403).",
    )
    oidc_jwks_url: str = Field(
        "https://www.googleapis.com/oauth2/v3/certs",
        pattern=r"^https?://[^\s]+$",
        description="JWKS URL of the keys that sign the push tokens (Google's, in production).",
    )
    oidc_issuers: str = Field(
        "https://accounts.google.com,accounts.google.com",
        description="Accepted issuers (iss) of push tokens, comma-separated.",
    )
    oidc_leeway_s: int = Field(30, ge=0, le=300, description="Clock skew allowed on exp/nbf/iat.")
    oidc_timeout_s: float = Field(5.0, gt=0, le=60, description="Timeout of one JWKS fetch.")
    push_replay_window_s: int = Field(
        7200,
        ge=60,
        description="How long an acked push message id is remembered and a replay of it refused "
        "(longer than a push token's one-hour life plus the leeway).",
    )
    api_cache_max_age_s: int = Field(
        60,
        ge=0,
        le=86400,
        description="Cache-Control max-age of read API answers, and how long a service keeps a "
        "rendered answer before reading the source again.",
    )
    api_max_body_bytes: int = Field(
        1024 * 1024,
        ge=1024,
        le=16 * 1024 * 1024,
        description="Largest request body a service accepts (413 beyond it): operator bodies are a few "
        "hundred bytes, push envelopes carry the message base64-encoded (Pub/Sub allows 10 MB; "
        "raise this for a topic whose messages are bigger than ~750 KB).",
    )

    # --- publishing (publish/: the JSON files and the dashboard) -------------------------------
    publish_picks_system: str = Field(
        "ensemble", description="System whose picks picks/{date}.json lists (every system is in tonight/)."
    )
    publish_max_picks: int = Field(20, ge=1, description="Most picks picks/{date}.json lists for a day.")
    publish_max_picks_per_team: int = Field(
        2, ge=1, description="Most picks on one team's players that picks/{date}.json lists."
    )
    publish_recent_games: int = Field(20, ge=1, le=82, description="Past games in players/{id}.json.")
    publish_max_age_s: int = Field(
        300, ge=0, description="Cache-Control max-age of the dated files (where the lake keeps metadata)."
    )
    publish_live_max_age_s: int = Field(
        60, ge=0, description="Cache-Control max-age of status, performance, index and the dashboard."
    )

    # --- sandbox -----------------------------------------------------------------------------
    sandbox_seed: int = Field(2025, description="Seed of the simulated league; same seed, same season.")
    sandbox_season: str = Field("2025-26", description="Season the sandbox simulates.")

    # --- logging -----------------------------------------------------------------------------
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", description="Event level.")
    log_json: bool = Field(
        False,
        description="Stream every event to stderr as JSON lines (for a platform that collects stderr); "
        "the log file under data_dir is JSON lines either way.",
    )
    log_stderr: bool = Field(
        False,
        description="Stream every event to stderr as console lines (what -v/--verbose does); by default "
        "stderr gets only warnings and errors, one line each, and the full stream goes to "
        "<data_dir>/logs/nbaprops.jsonl. Setting log_level explicitly does the same.",
    )

    # --- operations: alert delivery, monitoring, data quality, backup (nbaprops.ops) ----------
    alert_routes: str = Field(
        "info=log;warning=log,slack;error=log,slack,email,sentry",
        description="Channels per severity ('severity=ch,ch;…'; channels: log, email, slack, sentry). "
        "An unconfigured channel is left out; 'log' always delivers.",
    )
    alert_fallback: str = Field(
        "slack=email;email=log;sentry=log",
        description="Where an alert goes when a channel fails or is rate-limited ('channel=next,next;…', "
        "tried in order until one delivers; the log ends every chain): Slack down -> email -> log. "
        "Each failure is a row of alert_deliveries.",
    )
    alert_dedup_window_s: float = Field(
        3600.0, ge=0, description="An alert key already delivered within this window is not sent again."
    )
    alert_rate_limit_per_hour: int = Field(
        30, ge=1, description="Most alerts one channel (email, Slack, Sentry) sends per rolling hour."
    )
    alert_smtp_host: str | None = Field(None, description="SMTP server for alert email; unset: no email.")
    alert_smtp_port: int = Field(587, ge=1, le=65535, description="SMTP port (587 STARTTLS, 465 TLS).")
    alert_smtp_security: Literal["starttls", "tls", "none"] = Field(
        "starttls", description="STARTTLS upgrade, implicit TLS (SMTPS), or plain (loopback relays only)."
    )
    alert_smtp_user: str | None = Field(None, description="SMTP login user (AUTH), if the server wants one.")
    alert_smtp_password: SecretStr | None = Field(None, description="SMTP login password.")
    alert_smtp_ca_file: Path | None = Field(
        None, description="PEM CA bundle to trust for the SMTP server (default: the system's)."
    )
    alert_smtp_timeout_s: float = Field(10.0, gt=0, description="Connect and per-command SMTP timeout.")
    alert_email_from: str = Field("nbaprops@localhost", description="From address of alert email.")
    alert_email_to: str = Field("", description="Comma-separated recipients of alert email.")
    alert_slack_webhook_url: SecretStr | None = Field(
        None, description="Slack incoming-webhook URL (a secret: the URL is the credential)."
    )
    alert_sentry_dsn: SecretStr | None = Field(
        None, description="Sentry DSN for alerts of the routed severities."
    )
    alert_http_timeout_s: float = Field(10.0, gt=0, description="Timeout of one Slack or Sentry delivery.")
    alert_see_more: str = Field(
        "nbaprops health; nbaprops report perf; the alerts table; <data_dir>/logs/nbaprops.jsonl",
        description="The 'how to see more' line of every alert message.",
    )
    stale_source_hours: float = Field(
        36.0, gt=0, description="In season, a source with no new payload for this long raises stale_source."
    )
    cost_budget_usd_per_day: float = Field(
        5.0,
        ge=0,
        description="Warehouse dollars (BigQuery estimate) per day above which cost_over_budget fires.",
    )
    odds_credit_alert_threshold: int = Field(
        2000, ge=0, description="Odds API credits remaining below which odds_credits_low fires."
    )
    perf_degradation_threshold: float = Field(
        4.0,
        gt=0,
        description="Robust z-score (duration - rolling median) / (1.4826 MAD) above which a step is slow.",
    )
    perf_baseline_runs: int = Field(
        20, ge=3, description="Earlier successful runs of a step that form its rolling baseline."
    )
    perf_min_slowdown_s: float = Field(
        1.0, ge=0, description="Smallest absolute slowdown (seconds over the median) worth an alert."
    )
    backup_url: str | None = Field(
        None, description="fsspec URL of backups (a lake prefix, gs://…); default <data_dir>/backups."
    )
    backup_max_age_hours: float = Field(
        30.0, gt=0, description="A newest verified backup older than this raises backup_missing."
    )

    @field_validator(
        "nbacom_stats_base_url",
        "nbacom_cdn_base_url",
        "nbacom_injury_base_url",
        "bdl_base_url",
        "odds_base_url",
        "espn_base_url",
    )
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("bq_api_endpoint", "gcs_endpoint_url")
    @classmethod
    def _optional_http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return None if value is None else value.rstrip("/")

    @field_validator("bdl_api_key", "odds_api_key", "api_keys")
    @classmethod
    def _printable_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            problem = secret_problem(value.get_secret_value())
            if problem:
                raise ValueError(problem)
        return value

    @field_validator("box_score_sources", "injury_sources", "schedule_sources")
    @classmethod
    def _source_order(cls, value: str) -> str:
        names = [v.strip() for v in value.split(",") if v.strip()]
        unknown = sorted(set(names) - {"nbacom", "bdl", "espn"})
        if not names or unknown or len(set(names)) != len(names):
            raise ValueError("must be a comma-separated order of distinct sources among nbacom, bdl, espn")
        return ",".join(names)

    def prediction_as_of(self, day: date) -> datetime:
        """The as-of (aware UTC) of the daily prediction for the games of ET date ``day``."""
        minutes = self.prediction_minute_et()
        return et_datetime(day, minutes // 60, minutes % 60)

    def prediction_minute_et(self) -> int:
        """Minutes after ET midnight of the daily prediction (the SQL models compute the as-of from it)."""
        hour, minute = (int(part) for part in self.prediction_time_et.split(":"))
        return hour * 60 + minute

    def source_order(self, fact: Literal["box_scores", "injuries", "schedule"]) -> list[str]:
        """The configured fallback order of sources for one fact."""
        value: str = getattr(
            self,
            {"box_scores": "box_score_sources", "injuries": "injury_sources", "schedule": "schedule_sources"}[
                fact
            ],
        )
        return value.split(",")

    @field_validator("odds_snapshots")
    @classmethod
    def _snapshots(cls, value: str) -> str:
        names = [v.strip() for v in value.split(",") if v.strip()]
        unknown = sorted(set(names) - set(ODDS_SNAPSHOTS))
        if not names or unknown or len(set(names)) != len(names):
            raise ValueError(
                f"must be a comma-separated set of distinct names among {', '.join(ODDS_SNAPSHOTS)}"
            )
        return ",".join(names)

    def odds_snapshot_times(
        self, day: date, tip: datetime, names: tuple[str, ...] | None = None
    ) -> list[datetime]:
        """The historical odds snapshots (aware UTC, sorted, before ``tip``) of a game on ``day``.

        ``names`` narrows the configured ``odds_snapshots`` (default: all of them).
        """
        hour, minute = (int(part) for part in self.odds_opening_time_et.split(":"))
        moments = {
            "opening": et_datetime(day, hour, minute),
            "prediction": self.prediction_as_of(day),
            "pretip": tip - timedelta(minutes=self.odds_pretip_minutes),
        }
        chosen = [n for n in self.odds_snapshots.split(",") if names is None or n in names]
        return sorted({moments[name] for name in chosen if moments[name] < tip})

    @field_validator("sandbox_season")
    @classmethod
    def _season(cls, value: str) -> str:
        from nbaprops.dates import season_start_of

        season_start_of(value)
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, SecretsFileSource(settings_cls))

    @cached_property
    def resolved_warehouse_path(self) -> str:
        """The DuckDB database path (or ``:memory:``)."""
        if self.warehouse_path is not None:
            return str(self.warehouse_path)
        return str(self.data_dir / "warehouse.duckdb")

    @cached_property
    def bq_dataset_name(self) -> str:
        """The environment's BigQuery dataset: ``<deploy_env>_<bq_dataset>``."""
        return f"{self.deploy_env}_{self.bq_dataset}"

    @cached_property
    def resolved_lake_url(self) -> str:
        """The lake's fsspec URL (a plain path means the local file system)."""
        return self.lake_url or str(self.data_dir / "lake")

    def secret_values(self) -> list[str]:
        """Every secret's plain value, for redaction filters. Never log this list."""
        held = (
            self.bdl_api_key,
            self.odds_api_key,
            self.alert_smtp_password,
            self.alert_slack_webhook_url,
            self.alert_sentry_dsn,
        )
        values = [s.get_secret_value() for s in held if s is not None]
        values += self.api_key_values()
        return [v for v in values if v]

    def api_key_values(self) -> list[str]:
        """The service API keys, one per entry of ``api_keys``. Never log this list."""
        if self.api_keys is None:
            return []
        return [k for k in self.api_keys.get_secret_value().split(",") if k]


def secret_problem(value: str) -> str | None:
    """Why ``value`` cannot be used as an API key (never quoting it), or None when it can."""
    for position, char in enumerate(value):
        if not char.isascii():
            return "must be ASCII: it holds a non-ASCII character (mistyped or pasted?)"
        if not char.isprintable() or char.isspace():
            where = "at its end" if position == len(value) - 1 else f"at position {position + 1}"
            hint = " (a CR from a CRLF file?)" if char == "\r" else ""
            return f"must be printable ASCII without spaces: a control or space character {where}{hint}"
    return None


class SecretsFileSource(PydanticBaseSettingsSource):
    """Reads ``KEY=value`` lines from the file named by ``NBAPROPS_SECRETS_FILE``.

    The file must be a regular file readable by its owner only (mode 0600 or stricter);
    anything looser is a ``ConfigError``, because a world-readable key is already leaked. Each line
    is stripped of surrounding whitespace (so CRLF line ends are harmless), then of the quotes
    around the value; what remains is validated like any other value.
    """

    def __init__(self, settings_cls: type[BaseSettings]) -> None:
        super().__init__(settings_cls)
        self._values = self._read(os.environ.get(f"{ENV_PREFIX}SECRETS_FILE"))

    @staticmethod
    def _read(path_text: str | None) -> dict[str, str]:
        if not path_text:
            return {}
        path = Path(path_text)
        try:
            mode = path.stat().st_mode
        except OSError:
            raise ConfigError(f"secrets file not found: {path}") from None
        if not stat.S_ISREG(mode) or mode & 0o077:
            raise ConfigError(f"secrets file {path} must be a regular file with mode 0600")
        try:
            # Bytes, then decode: text mode would turn a lone CR inside a value into a line end.
            text = path.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problem = type(exc).__name__
            raise ConfigError(f"secrets file {path} cannot be read as UTF-8 text ({problem})") from None
        values: dict[str, str] = {}
        for number, raw in enumerate(text.split("\n"), start=1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            key, sep, value = line.partition("=")
            if not sep:
                raise ConfigError(f"secrets file {path}, line {number}: expected KEY=value")
            key = key.strip().upper().removeprefix(ENV_PREFIX).lower()
            values[key] = value.strip().strip('"').strip("'")
        return values

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self._values.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(self._values)


def load_settings(**overrides: Any) -> Settings:
    """Build the settings, turning validation failures into one readable ``ConfigError`` line.

    An ``NBAPROPS_*`` environment variable that names no setting is an error too: a typo such as
    ``NBAPROPS_ODDS_APIKEY`` would otherwise leave the real setting silently at its default.
    """
    known = {f"{ENV_PREFIX}{name}".upper() for name in Settings.model_fields}
    unknown = sorted(k for k in os.environ if k.upper().startswith(ENV_PREFIX) and k.upper() not in known)
    if unknown:
        raise ConfigError(f"unknown setting(s): {', '.join(unknown)}")
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(
            f"{ENV_PREFIX}{'.'.join(str(p) for p in err['loc']).upper()}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigError(f"invalid settings: {problems}") from None
