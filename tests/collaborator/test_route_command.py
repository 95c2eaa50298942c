"""`netops route` against running test agents."""

from __future__ import annotations

import asyncio
import logging

import pytest
from collab_servers import Running, dead_url

from agents.cli import main


async def _route(monkeypatch, capsys, urls: list[str], *args: str) -> tuple[int, str]:
    monkeypatch.setenv("NETOPS_AGENT_URLS", ",".join(urls))
    code = await asyncio.to_thread(main, ["route", *args])  # the command runs its own event loop
    return code, capsys.readouterr().out


async def test_route_prints_the_pick_and_why(
    monkeypatch: pytest.MonkeyPatch, capsys, perf_agent: Running, conn_agent: Running
) -> None:
    code, out = await _route(
        monkeypatch, capsys, [perf_agent.url, conn_agent.url], "retransmissions in the traffic mirroring capture"
    )
    assert code == 0
    assert f"Pick: Performance_Agent ({perf_agent.url}), skill analyze_network_performance" in out
    assert "why: matched tags traffic-mirroring" in out
    assert "Other candidates:\n  Connectivity_Agent" in out


async def test_route_says_it_would_ask_back_and_lists_unavailable_agents(
    monkeypatch: pytest.MonkeyPatch, capsys, perf_agent: Running, conn_agent: Running
) -> None:
    nowhere = dead_url()
    code, out = await _route(monkeypatch, capsys, [perf_agent.url, conn_agent.url, nowhere], "hello")
    assert code == 1
    assert "No pick, would ask back: best score" in out
    assert f"Unavailable:\n  agent at {nowhere} is down" in out


async def test_route_does_not_promise_a_retry_it_will_never_make(
    monkeypatch: pytest.MonkeyPatch, capsys, caplog: pytest.LogCaptureFixture, perf_agent: Running
) -> None:
    with caplog.at_level(logging.INFO):
        await _route(monkeypatch, capsys, [perf_agent.url, dead_url()], "retransmissions")
    assert not [record for record in caplog.records if "next try" in record.getMessage()]


async def test_route_for_a_remediation_considers_only_remediation_skills(
    monkeypatch: pytest.MonkeyPatch, capsys, perf_agent: Running, conn_agent: Running
) -> None:
    code, out = await _route(
        monkeypatch, capsys, [conn_agent.url, perf_agent.url], "--remediation", "check the route tables"
    )
    assert code == 0 and "skill remediate_tcp_retransmissions" in out
