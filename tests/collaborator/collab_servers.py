"""Real A2A test agents on 127.0.0.1: a2a-sdk 1.3 apps served by uvicorn on an OS-chosen port.

The socket is bound and listening before the server task starts, so a client may connect at
once: the kernel queues the connection until uvicorn accepts it, and no test waits or polls.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import uvicorn
from a2a.helpers.proto_helpers import new_data_part, new_task_from_user_message, new_text_message, new_text_part
from a2a.server.agent_execution import AgentExecutor, RequestContext
from a2a.server.events import EventQueue
from a2a.server.request_handlers import DefaultRequestHandler
from a2a.server.routes import create_agent_card_routes, create_jsonrpc_routes
from a2a.server.tasks import InMemoryTaskStore, TaskUpdater
from a2a.types import AgentCard, TaskState
from google.protobuf.json_format import MessageToDict
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send


@dataclass
class Received:
    text: str
    context_id: str
    task_id: str
    message_context_id: str
    metadata: dict
    headers: dict[str, str]


@dataclass
class ScriptedExecutor(AgentExecutor):
    """Answers like a specialist: a status update, an artifact (text + data), completion.

    "ask me" in a question makes it answer INPUT_REQUIRED first; "hang" makes it wait until
    released (to test deadlines); every request is recorded in `received`. With `answer` set,
    its data part is that dict (a diagnosis, for follow-up tests).
    """

    name: str
    received: list[Received] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    cancelled: asyncio.Event = field(default_factory=asyncio.Event)
    asked: asyncio.Event = field(default_factory=asyncio.Event)
    answer: dict | None = None  # the data part to answer with (a diagnosis), instead of the test one

    async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
        task = context.current_task
        if task is None:
            task = new_task_from_user_message(context.message)
            await event_queue.enqueue_event(task)
        context_id = task.context_id  # design.md: RequestContext.context_id is wrong on task-only follow-ups
        text = context.get_user_input()
        call = context.call_context
        headers = dict(call.state.get("headers", {})) if call else {}
        self.received.append(
            Received(
                text, context_id, task.id, context.message.context_id, MessageToDict(context.message.metadata), headers
            )
        )
        self.asked.set()
        updater = TaskUpdater(event_queue, task.id, context_id)
        await updater.update_status(
            TaskState.TASK_STATE_WORKING, new_text_message(f"{self.name} is looking at: {text}", context_id, task.id)
        )
        if "hang" in text:
            await self.release.wait()
        if "ask me" in text and len(task.history) <= 1:
            await updater.requires_input(new_text_message("Which instance?", context_id, task.id))
            return
        await updater.add_artifact(
            [
                new_text_part(f"{self.name} answer to: {text}"),
                new_data_part(self.answer or {"kind": "test.answer/v1", "agent": self.name}),
            ],
            name="answer",
            metadata={"origin": self.name},
        )
        await updater.complete(new_text_message("done", context_id, task.id))

    async def cancel(self, context: RequestContext, event_queue: EventQueue) -> None:
        self.cancelled.set()
        task = context.current_task
        if task is not None:
            await TaskUpdater(event_queue, task.id, task.context_id).cancel()


class WireLog:
    """ASGI middleware recording every request the agent sees, and the status it answered."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.requests: list[tuple[str, str, dict[str, str], int]] = []
        self.arrived = asyncio.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        entry = [scope["method"], scope["path"], headers, 0]

        async def record(message: dict) -> None:
            if message["type"] == "http.response.start":
                entry[3] = message["status"]
                self.requests.append(tuple(entry))  # type: ignore[arg-type]
                self.arrived.set()
            await send(message)

        await self.app(scope, receive, record)

    def card_requests(self) -> list[tuple[str | None, int]]:
        """(If-None-Match sent, status answered) for each card fetch."""
        return [(h.get("if-none-match"), s) for _, p, h, s in self.requests if p.endswith("agent-card.json")]


def agent_app(card: AgentCard, executor: AgentExecutor, *, cache_control: str | None = "max-age=60") -> Starlette:
    handler = DefaultRequestHandler(executor, InMemoryTaskStore(), card)
    routes = create_agent_card_routes(card, cache_control=cache_control) + create_jsonrpc_routes(handler, rpc_url="/")
    return Starlette(routes=routes)


def broken_card_app() -> Starlette:
    """Serves a card with a name and nothing else A2A 1.0 requires."""

    async def card(_: Request) -> Response:
        return JSONResponse({"name": "Broken_Agent", "description": "half a card"})

    return Starlette(routes=[Route("/.well-known/agent-card.json", card)])


def failing_rpc_app(card: AgentCard, *, status: int = 503, body: str = "upstream unavailable") -> Starlette:
    """A valid card, but every A2A call answers `status` with a non-A2A body."""

    async def rpc(_: Request) -> Response:
        return PlainTextResponse(body, status_code=status)

    return Starlette(routes=[*create_agent_card_routes(card), Route("/", rpc, methods=["POST"])])


@dataclass
class Running:
    url: str
    wire: WireLog


@contextlib.asynccontextmanager
async def serve(build: Callable[[str], ASGIApp]) -> AsyncIterator[Running]:
    """Serve `build(base_url)` on 127.0.0.1, port chosen by the OS; yields its base URL and wire log."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    wire = WireLog(build(url + "/"))
    server = uvicorn.Server(uvicorn.Config(wire, log_level="warning", lifespan="off", timeout_graceful_shutdown=1))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        yield Running(url, wire)
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=10)
        sock.close()


def dead_url() -> str:
    """A loopback URL where nothing listens (the port was free a moment ago and is closed)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


@dataclass
class FakeModel:
    """An OpenAI-compatible chat-completions endpoint (an LLM cannot exist here) with a set reply."""

    content: str = '{"agent": null, "reason": "unclear"}'
    status: int = 200
    requests: list[tuple[dict, dict[str, str]]] = field(default_factory=list)

    def app(self) -> Starlette:
        async def completions(request: Request) -> Response:
            self.requests.append((await request.json(), dict(request.headers)))
            if self.status != 200:
                return PlainTextResponse("model overloaded", status_code=self.status)
            return JSONResponse(
                {
                    "choices": [{"message": {"role": "assistant", "content": self.content}}],
                    "usage": {"prompt_tokens": 321, "completion_tokens": 12},
                }
            )

        return Starlette(routes=[Route("/v1/chat/completions", completions, methods=["POST"])])
