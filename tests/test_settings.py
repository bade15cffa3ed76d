import os
from pathlib import Path

import pytest

from nbaprops.errors import ConfigError
from nbaprops.settings import Settings, load_settings


def test_defaults_describe_the_embedded_deployment(tmp_path: Path) -> None:
    settings = load_settings()
    assert settings.warehouse_backend == "duckdb"
    assert settings.resolved_warehouse_path.endswith("warehouse.duckdb")
    assert settings.resolved_lake_url.endswith("lake")
    assert settings.odds_api_key is None


def test_environment_overrides_and_secrets_are_secretstr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NBAPROPS_ODDS_API_KEY", "s3cr3t-odds")
    monkeypatch.setenv("NBAPROPS_HTTP_MAX_ATTEMPTS", "3")
    settings = load_settings()
    assert settings.http_max_attempts == 3
    assert settings.odds_api_key is not None
    assert "s3cr3t-odds" not in repr(settings)
    assert "s3cr3t-odds" not in str(settings.model_dump())
    assert settings.secret_values() == ["s3cr3t-odds"]


def test_unknown_setting_is_rejected_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NBAPROPS_ODDS_APIKEY", "typo")
    with pytest.raises(ConfigError, match=r"unknown setting.*NBAPROPS_ODDS_APIKEY"):
        load_settings()


def test_invalid_value_names_the_variable_without_echoing_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NBAPROPS_BDL_BASE_URL", "ftp://example")
    with pytest.raises(ConfigError, match="NBAPROPS_BDL_BASE_URL") as info:
        load_settings()
    assert "\n" not in str(info.value)


def test_secrets_file_must_be_private(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    secrets = tmp_path / "secrets.env"
    secrets.write_text("# keys\nNBAPROPS_BDL_API_KEY=bdl-from-file\nodds_api_key='odds-from-file'\n")
    monkeypatch.setenv("NBAPROPS_SECRETS_FILE", str(secrets))
    secrets.chmod(0o644)
    with pytest.raises(ConfigError, match="0600"):
        load_settings()
    secrets.chmod(0o600)
    settings = load_settings()
    assert settings.bdl_api_key is not None
    assert settings.bdl_api_key.get_secret_value() == "bdl-from-file"
    assert settings.odds_api_key is not None
    assert settings.odds_api_key.get_secret_value() == "odds-from-file"


def test_environment_beats_secrets_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    secrets = tmp_path / "secrets.env"
    secrets.write_text("BDL_API_KEY=from-file\n")
    secrets.chmod(0o600)
    monkeypatch.setenv("NBAPROPS_SECRETS_FILE", str(secrets))
    monkeypatch.setenv("NBAPROPS_BDL_API_KEY", "from-env")
    settings = load_settings()
    assert settings.bdl_api_key is not None
    assert settings.bdl_api_key.get_secret_value() == "from-env"


def test_every_setting_is_documented() -> None:
    undocumented = [name for name, f in Settings.model_fields.items() if not f.description]
    assert undocumented == []


def test_settings_are_read_only() -> None:
    settings = load_settings()
    with pytest.raises(ValueError, match="frozen"):
        settings.http_max_attempts = 9  # type: ignore[misc]
    assert os.environ["NBAPROPS_DATA_DIR"]


def test_prediction_time_is_an_et_wall_clock_as_of_across_dst() -> None:
    from datetime import UTC, date, datetime

    settings = Settings(prediction_time_et="11:00")
    assert settings.prediction_as_of(date(2026, 1, 5)) == datetime(2026, 1, 5, 16, 0, tzinfo=UTC)
    assert settings.prediction_as_of(date(2026, 4, 5)) == datetime(2026, 4, 5, 15, 0, tzinfo=UTC)
    with pytest.raises(ConfigError, match="NBAPROPS_PREDICTION_TIME_ET"):
        load_settings(prediction_time_et="25:00")


MARKER = "MARKERsecret0123456789"


@pytest.mark.parametrize(
    ("value", "why"),
    [
        (MARKER + "\r", "at its end (a CR from a CRLF file?)"),
        (MARKER + "\n", "at its end"),
        ("MARKER\x1bsecret", "position 7"),
        (MARKER + " x", "position 23"),
        (MARKER + "é", "non-ASCII"),
    ],
)
def test_bad_secret_in_the_environment_is_one_line_naming_the_setting_not_the_value(
    monkeypatch: pytest.MonkeyPatch, value: str, why: str
) -> None:
    monkeypatch.setenv("NBAPROPS_ODDS_API_KEY", value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert "NBAPROPS_ODDS_API_KEY" in message
    assert why in message
    assert "MARKER" not in message
    assert "\n" not in message


def test_bad_secret_given_directly_is_never_echoed_by_validation() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as caught:
        Settings(bdl_api_key=MARKER + "\r")
    assert "MARKER" not in str(caught.value)


def test_crlf_secrets_file_is_read_without_its_carriage_returns(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "secrets.env"
    path.write_bytes(f"NBAPROPS_ODDS_API_KEY={MARKER}\r\nNBAPROPS_BDL_API_KEY='{MARKER}b' \r\n".encode())
    path.chmod(0o600)
    monkeypatch.setenv("NBAPROPS_SECRETS_FILE", str(path))
    settings = load_settings()
    assert settings.secret_values() == [MARKER + "b", MARKER]


def test_control_character_inside_a_secrets_file_value_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "secrets.env"
    path.write_bytes(b"ODDS_API_KEY=MARKER\rsecret\r\n")
    path.chmod(0o600)
    monkeypatch.setenv("NBAPROPS_SECRETS_FILE", str(path))
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert "NBAPROPS_ODDS_API_KEY" in str(caught.value)
    assert "MARKER" not in str(caught.value)
