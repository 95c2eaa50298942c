"""The collaborator under test, on 127.0.0.1, and how tests talk to it as the bot would."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
from a2a.client import A2ACardResolver, Client, ClientCallContext, ClientConfig, ClientFactory
from a2a.helpers.proto_helpers import new_data_part
from a2a.types import ListTasksRequest, Message, Part, Role, SendMessageRequest, StreamResponse, Task
from collab_servers import serve

from agents.collaborator.forwarding import make_http_client
from agents.collaborator.registry import Registry
from agents.collaborator.server import Collaborator, llm_client
from agents.settings import Settings
from agents.traceability import TRACE_EXTENSION_URI


@dataclass
class CollaboratorUnderTest:
    url: str
    parts: Collaborator
    urls: list[str]
    http: httpx.AsyncClient

    async def client(self) -> Client:
        card = await A2ACardResolver(self.http, self.url).get_agent_card()
        return ClientFactory(ClientConfig(httpx_client=self.http, streaming=True)).create(card)

    async def tasks(self) -> list[Task]:
        return list((await (await self.client()).list_tasks(ListTasksRequest())).tasks)

    def use(self, *agent_urls: str) -> None:
        """Point the collaborator's registry at these agents (as an edited NETOPS_AGENT_URLS would)."""
        self.urls[:] = agent_urls
        self.parts.registry.reload()

    async def ask(
        self,
        text: str,
        *,
        context_id: str | None = None,
        task_id: str | None = None,
        data: dict | None = None,
        trace: bool = False,
    ) -> list[StreamResponse]:
        """Send one message as the bot would, and collect every event of the answer."""
        message = Message(message_id=str(uuid.uuid4()), role=Role.ROLE_USER, parts=[Part(text=text)])
        if data is not None:
            message.parts.append(new_data_part(data))
        message.metadata.update({"netops": {"channel": "C1", "thread_ts": "1.0", "user": "U1"}})
        if context_id:
            message.context_id = context_id
        if task_id:
            message.task_id = task_id
        client = await self.client()
        call = ClientCallContext(service_parameters={"A2A-Extensions": TRACE_EXTENSION_URI}) if trace else None
        return [event async for event in client.send_message(SendMessageRequest(message=message), context=call)]


@contextlib.asynccontextmanager
async def running_collaborator(redis_client, settings: Settings) -> AsyncIterator[CollaboratorUnderTest]:
    """A collaborator on 127.0.0.1 built from `settings`, whose agent URLs the test sets with `use()`."""
    urls: list[str] = []
    token = settings.agent_token
    async with (
        make_http_client(connect_timeout_s=2.0, read_timeout_s=settings.agent_read_timeout_s, token=token) as out,
        httpx.AsyncClient(timeout=httpx.Timeout(20.0)) as caller,
    ):
        llm_http = llm_client(settings)
        parts = Collaborator(
            settings, redis=redis_client, http=out, registry=Registry(lambda: list(urls)), llm_http=llm_http
        )
        try:
            async with serve(parts.app) as running:
                yield CollaboratorUnderTest(running.url, parts, urls, caller)
        finally:
            if llm_http is not None:
                await llm_http.aclose()
