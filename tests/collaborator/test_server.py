"""The collaborator process: its card, its start-up checks, and reloading on SIGHUP."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest
import redis.asyncio as aioredis
from collab_harness import CollaboratorUnderTest
from collab_servers import Running

from agents.collaborator.forwarding import make_http_client
from agents.collaborator.registry import Registry
from agents.collaborator.server import Collaborator, build, llm_client
from agents.settings import Settings, SettingsError
from agents.traceability import TRACE_EXTENSION_URI


async def test_the_collaborator_serves_its_card_with_cache_control_and_the_trace_extension(
    collaborator: CollaboratorUnderTest,
) -> None:
    response = await collaborator.http.get(collaborator.url + "/.well-known/agent-card.json")
    card = response.json()
    assert response.headers["cache-control"] == "public, max-age=300"
    assert card["name"] == "NetOps_Collaborator"
    assert card["supportedInterfaces"][0]["url"] == collaborator.url + "/"
    assert [e["uri"] for e in card["capabilities"]["extensions"]] == [TRACE_EXTENSION_URI]


def test_a_malformed_agent_url_stops_start_up_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NETOPS_AGENT_URLS", "http://admin:pw@10.0.0.5:10006")
    with pytest.raises(SettingsError, match=r"^setting NETOPS_AGENT_URLS is invalid: .*carries credentials") as info:
        build(Settings(), "http://127.0.0.1:10000/")
    assert "pw" not in str(info.value)


async def test_sighup_rereads_the_agent_urls_and_fetches_the_new_cards(perf_agent: Running) -> None:
    urls: list[str] = []
    redis = aioredis.from_url(
        os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"), db=int(os.environ.get("NETOPS_TEST_REDIS_DB", "15"))
    )
    http = make_http_client(connect_timeout_s=2.0, read_timeout_s=5.0)
    parts = Collaborator(Settings(card_refresh_s=3600), redis=redis, http=http, registry=Registry(lambda: list(urls)))
    app = parts.app("http://127.0.0.1:10000/")
    async with app.router.lifespan_context(app):
        await asyncio.wait_for(parts.refreshed.wait(), timeout=10)  # the start-up refresh, with no agents
        urls.append(perf_agent.url)
        os.kill(os.getpid(), signal.SIGHUP)
        await asyncio.wait_for(perf_agent.wire.arrived.wait(), timeout=10)
        assert parts.registry.urls() == (perf_agent.url,)
    assert http.is_closed  # the lifespan closes the process's clients


def test_llm_routing_without_an_endpoint_stops_start_up_naming_the_variables() -> None:
    with pytest.raises(SettingsError, match="NETOPS_LLM_BASE_URL and NETOPS_LLM_MODEL are required"):
        llm_client(Settings(route_llm=True, llm_mode="openai"))


def test_llm_routing_is_off_unless_asked_for_or_without_an_openai_endpoint() -> None:
    assert llm_client(Settings(llm_mode="openai", llm_model="m", llm_base_url="http://127.0.0.1:1/v1")) is None
    assert llm_client(Settings(route_llm=True, llm_mode="bedrock", llm_model="m")) is None
