"""Settings: read from the environment once; a bad value is one clear line."""

from __future__ import annotations

import pytest

from agents.cli import main
from agents.settings import SettingsError, load_settings


def test_agent_urls_are_split_on_commas(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NETOPS_AGENT_URLS", "http://a:1, http://b:2")
    assert load_settings().agent_urls == ["http://a:1", "http://b:2"]


def test_conventional_names_are_read_without_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://example:6390/3")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    settings = load_settings()
    assert settings.redis_url == "redis://example:6390/3"
    assert settings.slack_bot_token is not None
    assert settings.slack_bot_token.get_secret_value() == "xoxb-1"


def test_malformed_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NETOPS_APPROVAL_TTL_S", "soon")
    with pytest.raises(SettingsError, match="NETOPS_APPROVAL_TTL_S") as info:
        load_settings()
    assert "\n" not in str(info.value)


def test_non_http_agent_url_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NETOPS_AGENT_URLS", "ftp://agent")
    with pytest.raises(SettingsError, match="NETOPS_AGENT_URLS"):
        load_settings()


def test_cli_reports_bad_setting_in_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NETOPS_REQUEST_TIMEOUT_S", "never")
    assert main(["config"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("netops: setting NETOPS_REQUEST_TIMEOUT_S is invalid")
    assert len(err.splitlines()) == 1


def test_config_hides_secrets(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-very-secret")
    assert main(["config"]) == 0
    out = capsys.readouterr().out
    assert "xoxb-very-secret" not in out
    assert "SLACK_BOT_TOKEN" in out


def test_trace_prices_are_read_as_json_and_extend_the_price_table(monkeypatch: pytest.MonkeyPatch) -> None:
    from agents.traceability import TraceConfig

    monkeypatch.setenv("NETOPS_TRACE_PRICES", '{"my-model": {"input": 1.0, "output": 2.0}}')
    config = TraceConfig.from_settings(load_settings())
    assert config.prices.cost("my-model", 1_000_000, 1_000_000) == 3.0
    assert config.prices.cost("gpt-4o", 1_000_000, 0) == 2.5


def test_a_malformed_trace_price_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NETOPS_TRACE_PRICES", '{"my-model": {"input": 1.0}}')
    with pytest.raises(SettingsError, match=r"NETOPS_TRACE_PRICES.*my-model"):
        load_settings()
