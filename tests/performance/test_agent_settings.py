"""The Performance Agent's settings fail at start-up with the variable's name."""

from __future__ import annotations

import pytest

from agents.settings import SettingsError, load_settings


def test_a_malformed_endpoint_setting_stops_start_up_naming_the_variable() -> None:
    with pytest.raises(SettingsError, match="NETOPS_NFM_ENDPOINT_URL"):
        load_settings(nfm_endpoint_url="localhost:4566")


def test_the_aws_endpoint_uses_the_conventional_name() -> None:
    with pytest.raises(SettingsError, match="AWS_ENDPOINT_URL"):
        load_settings(aws_endpoint_url="moto:5000")
