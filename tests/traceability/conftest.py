"""Real a2a-sdk 1.3 servers on 127.0.0.1 (uvicorn, OS-chosen ports) for the propagation tests."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
import pytest
import uvicorn
from a2a.client import A2ACardResolver, Client, ClientConfig, ClientFactory
from a2a.server.agent_execution import AgentExecutor
from a2a.server.request_handlers import DefaultRequestHandler
from a2a.server.routes import create_agent_card_routes, create_jsonrpc_routes
from a2a.server.tasks import InMemoryTaskStore
from a2a.types import AgentCapabilities, AgentCard, AgentInterface, AgentSkill
from starlette.applications import Starlette

from agents.traceability.a2a import trace_agent_extension


def _card(name: str, url: str) -> AgentCard:
    return AgentCard(
        name=name,
        description=f"{name} for the trace propagation tests",
        version="1.0.0",
        supported_interfaces=[AgentInterface(url=url, protocol_binding="JSONRPC", protocol_version="1.0")],
        capabilities=AgentCapabilities(streaming=True, extensions=[trace_agent_extension()]),
        default_input_modes=["text/plain"],
        default_output_modes=["text/plain"],
        skills=[AgentSkill(id="s", name="s", description="test skill", tags=["test"])],
    )


@asynccontextmanager
async def serve_agent(name: str, executor: AgentExecutor) -> AsyncIterator[str]:
    """Serve `executor` over real HTTP; yields the base URL. The socket listens before uvicorn
    starts, so requests made right away wait in the backlog instead of failing."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    card = _card(name, url)
    handler = DefaultRequestHandler(executor, InMemoryTaskStore(), card)
    app = Starlette(routes=[*create_agent_card_routes(card), *create_jsonrpc_routes(handler, rpc_url="/")])
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        yield url
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=10)
        sock.close()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=httpx.Timeout(30.0)) as client:
        yield client


@pytest.fixture
def agent_server() -> Callable:
    return serve_agent


@pytest.fixture
def a2a_connect(http: httpx.AsyncClient) -> Callable:
    """An A2A client for a base URL, resolved from its agent card, on the test's httpx client."""

    async def connect(url: str, *, streaming: bool = True) -> Client:
        card = await A2ACardResolver(http, url).get_agent_card()
        return ClientFactory(ClientConfig(httpx_client=http, streaming=streaming)).create(card)

    return connect
