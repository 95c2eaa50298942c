"""What `netops agent ROLE` sets up before the agent's modules are imported."""

from __future__ import annotations

import os

from agents.agent_command import SDK_SPANS_VARIABLE, quiet_sdk_spans


def test_sdk_spans_are_off_when_the_operator_did_not_choose(monkeypatch) -> None:
    monkeypatch.delenv(SDK_SPANS_VARIABLE, raising=False)
    quiet_sdk_spans()
    assert os.environ[SDK_SPANS_VARIABLE] == "false"


def test_an_operator_who_wants_sdk_spans_keeps_them(monkeypatch) -> None:
    monkeypatch.setenv(SDK_SPANS_VARIABLE, "true")
    quiet_sdk_spans()
    assert os.environ[SDK_SPANS_VARIABLE] == "true"
