"""The A2A call to the chosen agent: one shared HTTP client, streaming, failures in one sentence.

The shared `httpx.AsyncClient` has explicit timeouts: a short connect timeout, and a read
timeout that is the longest *silence* allowed mid-stream (the SDK's own default client gives up
after 5 s of silence, which cuts a slow diagnosis in half).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
from a2a.client import ClientCallContext, ClientConfig, ClientFactory
from a2a.client.client import Client
from a2a.client.errors import A2AClientError, A2AClientTimeoutError
from a2a.types import Message, Role, SendMessageRequest, StreamResponse
from a2a.utils.errors import A2AError
from pydantic import SecretStr

from agents.collaborator.selection import Agent
from agents.i18n import tr
from agents.traceability.a2a import TURN_ENDING_STATES, traced_send_message


def make_http_client(
    *, connect_timeout_s: float, read_timeout_s: float, token: SecretStr | None = None
) -> httpx.AsyncClient:
    """The one HTTP client of a collaborator process (cards and A2A calls share its pool)."""
    headers = {"Authorization": f"Bearer {token.get_secret_value()}"} if token else {}
    return httpx.AsyncClient(
        timeout=httpx.Timeout(connect=connect_timeout_s, read=read_timeout_s, write=30.0, pool=connect_timeout_s),
        headers=headers,
        limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
    )


class Forwarder:
    """A2A clients per agent, all on the shared HTTP client; rebuilt when an agent's card changes."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self._factory = ClientFactory(ClientConfig(httpx_client=http, streaming=True))
        self._clients: dict[str, tuple[object, Client]] = {}

    def client(self, agent: Agent) -> Client:
        cached = self._clients.get(agent.url)
        if cached is not None and cached[0] is agent.card:
            return cached[1]
        client = self._factory.create(agent.card)
        self._clients[agent.url] = (agent.card, client)
        return client

    def send(
        self, agent: Agent, message: Message, *, context: ClientCallContext | None = None
    ) -> AsyncIterator[StreamResponse]:
        """Stream the agent's answer inside a traced AGENT step that gathers the agent's own steps."""
        return traced_send_message(
            self.client(agent), SendMessageRequest(message=message), context=context, agent_name=agent.name
        )


def outbound_message(
    incoming: Message, *, text: str | None, remote_context_id: str | None, remote_task_id: str | None
) -> Message:
    """The message for the remote agent: the caller's parts and metadata, the remote's ids.

    `text`, when given, replaces the text parts (the question completed by a clarification).
    Both `context_id` and `task_id` are sent on a follow-up, never `task_id` alone: a2a-sdk
    1.3 invents a fresh context for a task-only follow-up (design.md section 4).
    """
    out = Message(message_id=str(uuid.uuid4()), role=Role.ROLE_USER)
    out.extensions.extend(incoming.extensions)
    if incoming.HasField("metadata"):
        out.metadata.CopyFrom(incoming.metadata)
    if text is not None:
        out.parts.add(text=text)
    for part in incoming.parts:
        if text is None or not part.HasField("text"):
            out.parts.add().CopyFrom(part)
    if remote_context_id:
        out.context_id = remote_context_id
    if remote_task_id:
        out.task_id = remote_task_id
    return out


def describe_failure(
    agent_name: str, exc: BaseException, *, deadline_s: float | None = None, language: str = "en"
) -> str:
    """One sentence naming the agent, what happened, and what to do (in the asker's language)."""
    cause = exc.__cause__
    name = agent_name
    if isinstance(exc, TimeoutError):
        return tr(
            language,
            "{name} did not finish within the {seconds} s deadline; try again later or raise NETOPS_REQUEST_TIMEOUT_S.",
            name=name,
            seconds=f"{deadline_s:g}",
        )
    if isinstance(exc, A2AClientTimeoutError) or isinstance(cause, httpx.TimeoutException):
        if isinstance(cause, httpx.ConnectTimeout):
            return tr(language, "{name} did not accept the connection in time; check that it is running.", name=name)
        return tr(language, "{name} went silent mid-answer and timed out; check its logs and try again.", name=name)
    if isinstance(cause, httpx.HTTPStatusError):
        code = cause.response.status_code
        return tr(
            language, "{name} answered HTTP {code} instead of an A2A response; check its logs.", name=name, code=code
        )
    if isinstance(cause, httpx.ConnectError):
        return tr(
            language,
            "{name} is down: nothing accepts connections at its address; start it or fix NETOPS_AGENT_URLS.",
            name=name,
        )
    if isinstance(cause, httpx.RequestError):
        return tr(
            language, "{name} dropped the connection ({error}); try again.", name=name, error=cause.__class__.__name__
        )
    if isinstance(exc, A2AClientError):
        return tr(
            language,
            "{name} answered something that is not A2A ({error}); check its version and logs.",
            name=name,
            error=_short(exc),
        )
    if isinstance(exc, A2AError):
        return tr(language, "{name} refused the request: {error}.", name=name, error=_short(exc))
    return tr(
        language,
        "{name} could not be asked ({kind}: {error}).",
        name=name,
        kind=exc.__class__.__name__,
        error=_short(exc),
    )


def ends_turn(event: StreamResponse) -> bool:
    """Whether a remote event ends the turn (after it, only the stream's close can follow)."""
    kind = event.WhichOneof("payload")
    if kind == "message":
        return True
    if kind == "status_update":
        return event.status_update.status.state in TURN_ENDING_STATES
    if kind == "task":
        return event.task.status.state in TURN_ENDING_STATES
    return False


def is_connection_failure(exc: BaseException) -> bool:
    """Whether the agent could not be reached at all (so it should be marked down)."""
    return isinstance(exc.__cause__, httpx.ConnectError | httpx.ConnectTimeout)


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else exc.__class__.__name__)[:160]
