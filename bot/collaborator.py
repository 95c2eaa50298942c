"""The A2A client the bot uses to ask the collaborator (and, through it, the agents).

One `CollaboratorClient` per process: one `httpx.AsyncClient` (our own, because the SDK's
default gives up after 5 s of silence mid-stream), the collaborator's card resolved once
and re-resolved after a connection failure, streaming on. `ask` turns the A2A stream into
two plain events for the job runner, `Progress` (a status text) and `Final` (the answer),
and every failure into a `CollaboratorError` whose two sentences say what failed and what
to do, because the operator in Slack can act on nothing else.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from a2a.client import A2ACardResolver, ClientCallContext, ClientConfig, ClientFactory
from a2a.client.errors import A2AClientError, A2AClientTimeoutError, AgentCardResolutionError
from a2a.helpers.proto_helpers import get_data_parts, get_text_parts
from a2a.types import Message, Part, Role, SendMessageRequest, StreamResponse, TaskState
from google.protobuf import json_format
from google.protobuf.json_format import MessageToDict

from agents.i18n import tr
from agents.traceability.a2a import traced_send_message
from agents.traceability.redaction import redact_text

TERMINAL_OK = {TaskState.TASK_STATE_COMPLETED, TaskState.TASK_STATE_INPUT_REQUIRED, TaskState.TASK_STATE_AUTH_REQUIRED}
TERMINAL_FAILED = {TaskState.TASK_STATE_FAILED, TaskState.TASK_STATE_REJECTED, TaskState.TASK_STATE_CANCELED}


@dataclass(frozen=True)
class Progress:
    text: str


@dataclass(frozen=True)
class Final:
    text: str
    data: dict[str, Any] | None
    context_id: str | None
    task_id: str | None
    needs_input: bool = False
    failed: bool = False  # the turn ended FAILED/REJECTED, with an answer that says why
    read_together: str | None = None  # the earlier question the collaborator read with this one


class CollaboratorError(Exception):
    """A failure the thread reports: `what` went wrong, and `todo`, what the operator can try."""

    def __init__(self, what: str, todo: str) -> None:
        super().__init__(what)
        self.what = what
        self.todo = todo


@dataclass
class _Gathered:
    """What the stream said so far: artifacts' parts by id (appends concatenated), the last status text."""

    artifacts: dict[str, list[Part]] = field(default_factory=dict)
    context_id: str | None = None
    task_id: str | None = None
    status_text: str = ""
    read_together: str | None = None
    language: str = "en"  # the question's: errors are told in it


def message_text(message: Message) -> str:
    return "\n".join(get_text_parts(message.parts)).strip()


def build_message(
    text: str, *, context_id: str | None, metadata: dict[str, Any], data: dict[str, Any] | None
) -> Message:
    message = Message(message_id=str(uuid.uuid4()), role=Role.ROLE_USER, parts=[Part(text=text)])
    if data is not None:
        part = Part()
        json_format.ParseDict(data, part.data)
        message.parts.append(part)
    if context_id:
        message.context_id = context_id
    message.metadata.update(metadata)
    return message


class CollaboratorClient:
    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = http or httpx.AsyncClient(
            timeout=httpx.Timeout(connect=5.0, read=None, write=30.0, pool=30.0), headers=headers
        )
        self._owns_http = http is None
        self._client: Any = None

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def _get_client(self) -> Any:
        if self._client is None:
            card = await A2ACardResolver(self._http, self.base_url).get_agent_card()
            self._client = ClientFactory(ClientConfig(httpx_client=self._http, streaming=True)).create(card)
        return self._client

    async def ready(self) -> bool:
        """Whether the collaborator's card answers now (the readiness check)."""
        try:
            response = await self._http.get(f"{self.base_url}/.well-known/agent-card.json", timeout=3.0)
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    async def ask(
        self,
        text: str,
        *,
        context_id: str | None,
        metadata: dict[str, Any],
        data: dict[str, Any] | None = None,
        language: str = "en",
    ) -> AsyncIterator[Progress | Final]:
        """Progress events while the agents work, then exactly one `Final`, or a `CollaboratorError`
        (in `language`, the question's)."""
        url = self.base_url
        try:
            client = await self._get_client()
        except (AgentCardResolutionError, A2AClientError, httpx.HTTPError, ValueError) as exc:
            raise CollaboratorError(
                tr(language, "The collaborator at {url} is not reachable ({error}).", url=url, error=_short(exc)),
                tr(
                    language,
                    "Check that `netops agent collaborator` is running and NETOPS_COLLABORATOR_URL points at it, "
                    "then ask again.",
                ),
            ) from None
        request = SendMessageRequest(message=build_message(text, context_id=context_id, metadata=metadata, data=data))
        call = ClientCallContext(service_parameters={})
        gathered = _Gathered(language=language)
        try:
            # aclosing: leaving at the Final closes the traced call now, so its step ends before the trace is read.
            async with contextlib.aclosing(_traced_send(client, request, call)) as stream:
                async for response in stream:
                    event = _absorb(gathered, response)
                    if isinstance(event, Progress):
                        yield event
                    elif isinstance(event, Final):
                        yield event
                        return
        except A2AClientTimeoutError:
            raise CollaboratorError(
                tr(language, "The collaborator stopped answering mid-analysis (timed out)."),
                tr(language, "Ask again; if it keeps happening, check the agents' logs."),
            ) from None
        except (A2AClientError, httpx.HTTPError) as exc:
            self._client = None  # re-resolve the card next time: the collaborator may have moved or restarted
            if _refused(exc):
                raise CollaboratorError(
                    tr(
                        language,
                        "The collaborator at {url} refused the bot's credentials ({error}).",
                        url=url,
                        error=_short(exc),
                    ),
                    tr(
                        language, "Set NETOPS_AGENT_TOKEN on the bot to the collaborator's token, then restart the bot."
                    ),
                ) from None
            raise CollaboratorError(
                tr(
                    language,
                    "The conversation with the collaborator at {url} failed ({error}).",
                    url=url,
                    error=_short(exc),
                ),
                tr(
                    language,
                    "Check that `netops agent collaborator` and the agents behind it are running, then ask again.",
                ),
            ) from None
        if gathered.artifacts:
            yield _final(gathered, needs_input=False)
            return
        raise CollaboratorError(
            tr(language, "The collaborator closed the conversation without an answer."),
            tr(language, "Ask again; if it keeps happening, check the collaborator's logs."),
        )


def _traced_send(client: Any, request: SendMessageRequest, call: ClientCallContext) -> AsyncIterator[StreamResponse]:
    """The call as an AGENT step of the current trace; the remote steps are merged under it."""
    return traced_send_message(client, request, context=call, agent_name="collaborator")


def _refused(exc: BaseException) -> bool:
    return any(f"HTTP Error {code}" in str(exc) for code in (401, 403))


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]


def _absorb(gathered: _Gathered, response: StreamResponse) -> Progress | Final | None:
    """Folds one stream event into `gathered`; a turn-ending state gives the Final (or raises)."""
    kind = response.WhichOneof("payload")
    if kind == "task":
        task = response.task
        gathered.task_id, gathered.context_id = task.id, task.context_id
        for artifact in task.artifacts:
            _add_artifact(gathered, artifact.artifact_id, list(artifact.parts), append=False)
        return _status(gathered, task.status)
    if kind == "status_update":
        update = response.status_update
        gathered.task_id, gathered.context_id = update.task_id, update.context_id
        if update.HasField("metadata") and "netops" in update.metadata:
            netops = MessageToDict(update.metadata).get("netops")
            earlier = netops.get("read_together") if isinstance(netops, dict) else None
            gathered.read_together = str(earlier) if earlier else gathered.read_together
        return _status(gathered, update.status)
    if kind == "artifact_update":
        update = response.artifact_update
        gathered.context_id = update.context_id or gathered.context_id
        _add_artifact(gathered, update.artifact.artifact_id, list(update.artifact.parts), append=update.append)
        return None
    if kind == "message":
        message = response.message
        gathered.context_id = message.context_id or gathered.context_id
        _add_artifact(gathered, message.message_id or "message", list(message.parts), append=False)
        return _final(gathered, needs_input=False)
    return None


def _add_artifact(gathered: _Gathered, artifact_id: str, parts: list[Part], *, append: bool) -> None:
    if append and artifact_id in gathered.artifacts:
        gathered.artifacts[artifact_id] = gathered.artifacts[artifact_id] + parts
    else:
        gathered.artifacts[artifact_id] = parts


def _status(gathered: _Gathered, status: Any) -> Progress | Final | None:
    # Status texts go straight into the thread: mask credentials an agent may have echoed.
    text = redact_text(message_text(status.message)) if status.HasField("message") else ""
    gathered.status_text = text or gathered.status_text
    if status.state in TERMINAL_FAILED:
        if _has_data(gathered):  # the agent explained the failure in its answer: show that answer
            return _final(gathered, needs_input=False, failed=True)
        state = TaskState.Name(status.state).removeprefix("TASK_STATE_").lower()
        language = gathered.language
        raise CollaboratorError(
            tr(
                language,
                "The agents could not answer ({state}): {reason}",
                state=state,
                reason=text or tr(language, "no reason given"),
            ),
            tr(
                language,
                "Read the reason above; fix what it names (credentials, permissions, the question) and ask again.",
            ),
        )
    if status.state in TERMINAL_OK:
        return _final(gathered, needs_input=status.state != TaskState.TASK_STATE_COMPLETED)
    return Progress(text) if text else None


def _has_data(gathered: _Gathered) -> bool:
    return any(part.HasField("data") for parts in gathered.artifacts.values() for part in parts)


def _final(gathered: _Gathered, *, needs_input: bool, failed: bool = False) -> Final:
    """The answer: the last artifact with a data part (else the last one) and its text.

    When the agents need input, their question (the status text) is the answer to show.
    """
    chosen: list[Part] = []
    for parts in gathered.artifacts.values():
        if not chosen or any(part.HasField("data") for part in parts):
            chosen = parts
    data_parts = [item for item in get_data_parts(chosen) if isinstance(item, dict)]
    text = "\n".join(get_text_parts(chosen)).strip()
    if needs_input and gathered.status_text:
        text = gathered.status_text
    return Final(
        text=text,
        data=data_parts[-1] if data_parts else None,
        context_id=gathered.context_id,
        task_id=gathered.task_id,
        needs_input=needs_input,
        failed=failed,
        read_together=gathered.read_together,
    )
