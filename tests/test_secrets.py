"""Redaction of secret values, sensitive query parameters and credential headers."""

from __future__ import annotations

import json
import string
import sys
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nbaprops.secrets import (
    EnvSecretSource,
    redact,
    redact_headers,
    redact_url,
    redaction_processor,
    remember_secrets,
    scrub,
)
from nbaprops.settings import load_settings

KEY = "k3y/with+odd=chars"
PLAIN_KEY = "a1b2c3d4e5f6a7b8c9d0"


def fail(error: Exception) -> None:
    """Raise ``error`` so a real traceback exists to log."""
    raise error


def test_redact_masks_a_secret_and_its_url_encoded_spellings() -> None:
    text = f"plain {KEY} quoted k3y%2Fwith%2Bodd%3Dchars plus-quoted k3y%2Fwith%2Bodd%3Dchars"
    redacted = redact(text, [KEY])
    assert KEY not in redacted
    assert "k3y%2F" not in redacted
    assert redacted.count("***") == 3


def test_redact_ignores_empty_secrets_and_leaves_clean_text_alone() -> None:
    text = "GET /v1/games?season=2025 returned 200"
    assert redact(text, ["", PLAIN_KEY]) == text


def test_redact_masks_sensitive_query_parameters_even_for_unknown_values() -> None:
    text = "failed: https://api.example.com/x?regions=us&apiKey=zzz999&markets=h2h"
    assert redact(text, []) == "failed: https://api.example.com/x?regions=us&apiKey=***&markets=h2h"


def test_redact_masks_credential_headers_written_in_text() -> None:
    text = "headers={'Authorization': 'Bearer abc.def', 'X-Api-Key': 'zz9', 'Accept': 'json'}"
    redacted = redact(text, [])
    assert "abc.def" not in redacted
    assert "zz9" not in redacted
    assert "'Accept': 'json'" in redacted


def test_redact_url_masks_each_sensitive_parameter_and_keeps_the_rest() -> None:
    url = (
        "https://h.example/p?apiKey=A1&api_key=A2&KEY=A3&token=A4&access_token=A5"
        "&monkey=keep&regions=us&keyword=keep2"
    )
    redacted = redact_url(url)
    for value in ("A1", "A2", "A3", "A4", "A5"):
        assert f"={value}" not in redacted
    assert redacted.count("=***") == 5
    assert "monkey=keep" in redacted
    assert "keyword=keep2" in redacted
    assert redacted.startswith("https://h.example/p?apiKey=***")


def test_redact_url_masks_a_userinfo_password() -> None:
    assert redact_url("https://user:hunter2@db.example/x") == "https://user:***@db.example/x"


def test_redact_url_without_a_query_is_unchanged() -> None:
    url = "https://cdn.nba.com/static/json/staticData/scheduleLeagueV2.json"
    assert redact_url(url) == url


def test_redact_headers_masks_credentials_case_insensitively() -> None:
    original = {"authorization": "Bearer x", "X-API-KEY": "y", "User-Agent": "nbaprops"}
    redacted = redact_headers(original)
    assert redacted == {"authorization": "***", "X-API-KEY": "***", "User-Agent": "nbaprops"}
    assert original["authorization"] == "Bearer x", "the caller's dict is not modified"
    assert redact_headers([("Authorization", "z")]) == {"Authorization": "***"}


def test_processor_scrubs_nested_values_exceptions_and_credential_fields() -> None:
    processor = redaction_processor([PLAIN_KEY])
    event: dict[str, Any] = {
        "event": f"call with {PLAIN_KEY}",
        "nested": {"url": f"https://x/?a=1&k={PLAIN_KEY}", "n": 3, "Authorization": "Bearer q"},
        "items": [PLAIN_KEY, 1.5, None],
        "raw": PLAIN_KEY.encode(),
        "error": ValueError(f"bad key {PLAIN_KEY}"),
        "api_key": "anything",
        "key": "game-0022500001",
        "count": 7,
    }
    out = processor(None, "info", event)
    assert PLAIN_KEY not in repr(out)
    assert out["nested"]["n"] == 3
    assert out["nested"]["Authorization"] == "***"
    assert out["items"] == ["***", 1.5, None]
    assert out["error"] == "ValueError: bad key ***"
    assert out["api_key"] == "***"
    assert out["key"] == "game-0022500001", "a natural key is not a credential"
    assert out["count"] == 7


def test_processor_renders_exc_info_to_a_scrubbed_traceback() -> None:
    processor = redaction_processor([PLAIN_KEY])
    try:
        fail(RuntimeError(f"upstream said {PLAIN_KEY}"))
    except RuntimeError:
        out = processor(None, "error", {"event": "boom", "exc_info": sys.exc_info()})
    assert "exc_info" not in out
    assert "RuntimeError: upstream said ***" in out["exception"]
    assert "Traceback" in out["exception"]
    assert PLAIN_KEY not in out["exception"]


def test_env_secret_source_reads_the_settings() -> None:
    source = EnvSecretSource(load_settings(odds_api_key=PLAIN_KEY))
    assert source.get("odds_api_key") == PLAIN_KEY
    assert source.get("bdl_api_key") is None
    assert source.get("odds_base_url") is None, "only SecretStr settings are secrets"
    assert source.get("no_such_setting") is None
    assert source.values() == [PLAIN_KEY]


@given(
    secret=st.text(alphabet=string.ascii_letters + string.digits + "-_.~/+=", min_size=6, max_size=40),
    before=st.text(max_size=30),
    after=st.text(max_size=30),
)
def test_no_secret_survives_redaction(secret: str, before: str, after: str) -> None:
    redacted = redact(before + secret + after + f"?apiKey={secret}", [secret])
    assert secret not in redacted


MARKER = "MARKERkey0123"


@pytest.mark.parametrize(
    ("secret", "text"),
    [
        (MARKER + "\r", f"Illegal header value {(MARKER + chr(13)).encode()!r}"),  # httpx/h11
        (MARKER + "\r", f"header {MARKER + chr(13)!r} refused"),  # repr of the str
        (MARKER + "\r", f'{{"key": {json.dumps(MARKER + chr(13))}}}'),  # JSON
        (MARKER + "\r", f"GET /x?k={quote(MARKER + chr(13))}"),  # percent-encoded
        (MARKER + "\r", f"GET /x?k={quote(MARKER + chr(13)).lower()}"),  # lower-case hex
        (MARKER + "é", f"{(MARKER + 'é').encode()!r}"),  # non-ASCII key, bytes repr
        (MARKER + "é", f"{MARKER + 'é'!a}"),  # ascii() of the str
        (MARKER + "é", f"GET /x?k={quote(MARKER + 'é')}"),
    ],
)
def test_escaped_and_encoded_spellings_of_a_secret_are_masked(secret: str, text: str) -> None:
    redacted = redact(text, [secret])
    assert "MARKER" not in redacted.upper()
    assert "***" in redacted


def test_scrub_masks_every_remembered_secret() -> None:
    remember_secrets(["remembered-key-000111"])
    assert scrub("failed: remembered-key-000111 and remembered-key-000111%0A") == "failed: *** and ***%0A"
