"""Push notifications: delivered to the caller's webhook; private addresses only when allowed."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
import uvicorn
from a2a.client import A2ACardResolver, ClientConfig, ClientFactory
from a2a.types import Message, Part, Role, SendMessageConfiguration, SendMessageRequest, TaskPushNotificationConfig
from a2a.utils.errors import InvalidParamsError
from perf_harness import agent_settings, serve_performance_agent, stub_no_monitors
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


class Webhook:
    """A local push-notification receiver; `completed` is set when a final state arrives."""

    def __init__(self) -> None:
        self.received: list[tuple[dict, str | None]] = []
        self.completed = asyncio.Event()

    async def receive(self, request: Request) -> Response:
        body = await request.json()
        self.received.append((body, request.headers.get("x-a2a-notification-token")))
        if "TASK_STATE_COMPLETED" in str(body):
            self.completed.set()
        return Response(status_code=200)

    @asynccontextmanager
    async def serve(self) -> AsyncIterator[str]:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        server = uvicorn.Server(
            uvicorn.Config(Starlette(routes=[Route("/hook", self.receive, methods=["POST"])]), log_level="warning")
        )
        task = asyncio.create_task(server.serve(sockets=[sock]))
        try:
            yield f"http://127.0.0.1:{sock.getsockname()[1]}/hook"
        finally:
            server.should_exit = True
            await asyncio.wait_for(task, timeout=10)
            sock.close()


def _request(hook_url: str) -> SendMessageRequest:
    message = Message(role=Role.ROLE_USER, message_id=str(uuid.uuid4()), parts=[Part(text="retransmissions in pcaps?")])
    push = TaskPushNotificationConfig(url=hook_url, token="hook-token")
    return SendMessageRequest(
        message=message, configuration=SendMessageConfiguration(task_push_notification_config=push)
    )


async def _send(http, url: str, request: SendMessageRequest) -> None:
    card = await A2ACardResolver(http, url).get_agent_card()
    client = ClientFactory(ClientConfig(httpx_client=http, streaming=True)).create(card)
    async for _ in client.send_message(request):
        pass


async def test_task_updates_are_pushed_to_the_callers_webhook(moto_url, lab, redis_client, http) -> None:
    hook = Webhook()
    settings = agent_settings(moto_url, push_allow_private_urls=True)
    async with hook.serve() as hook_url, serve_performance_agent(settings, redis_client) as agent:
        stub_no_monitors(agent.nfm)
        await _send(http, agent.url, _request(hook_url))
        await asyncio.wait_for(hook.completed.wait(), timeout=30)
    assert {token for _, token in hook.received} == {"hook-token"}


async def test_a_loopback_webhook_is_refused_unless_private_urls_are_allowed(perf_agent, http) -> None:
    with pytest.raises(InvalidParamsError, match="Invalid push notification URL"):
        await _send(http, perf_agent.url, _request("http://127.0.0.1:9/hook"))
