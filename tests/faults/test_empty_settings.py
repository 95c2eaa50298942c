"""An empty value is an unset one, for every setting, from the environment, `.env` or a keyword."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.errors import SettingsError
from agents.settings import Settings, env_name, load_settings
from bot.app import create_app
from bot.server import check_settings


@pytest.mark.parametrize("field", sorted(Settings.model_fields))
def test_every_setting_set_empty_in_the_environment_takes_its_default(
    field: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(env_name(field), "")
    assert getattr(load_settings(), field) == getattr(Settings.model_construct(), field)


def test_a_blank_line_in_dotenv_leaves_the_signing_secret_unset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text("SLACK_BOT_TOKEN=xoxb-1\nSLACK_SIGNING_SECRET=\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SLACK_SIGNING_SECRET", raising=False)
    settings = load_settings()
    assert settings.slack_signing_secret is None
    with pytest.raises(SettingsError, match="SLACK_SIGNING_SECRET"):
        check_settings(settings)


def test_an_empty_keyword_is_unset_too() -> None:
    assert load_settings(slack_signing_secret="", redis_url=" ").slack_signing_secret is None


def test_an_empty_app_token_is_http_mode_which_needs_the_signing_secret() -> None:
    with pytest.raises(SettingsError, match="SLACK_SIGNING_SECRET"):
        check_settings(load_settings(slack_bot_token="xoxb-1", slack_app_token="", slack_signing_secret=""))


def test_the_http_app_cannot_be_built_without_verification() -> None:
    with pytest.raises(SettingsError, match="SLACK_SIGNING_SECRET"):
        create_app(None, None, signing_secret="")  # type: ignore[arg-type]
