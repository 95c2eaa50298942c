"""A question's spans, exported over OTLP/HTTP by all three processes, form one tree a backend can draw.

A local OTLP receiver (real HTTP on 127.0.0.1) decodes each export request with opentelemetry-proto;
the model is a fake OpenAI-compatible endpoint (the one part that cannot run here).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import pytest
import redis.asyncio as aioredis
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.trace.v1.trace_pb2 import Span
from running_stack import QUESTION, running_stack
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from agents.demo.stack import bind_local, serving, url_of

MODEL = "gpt-4o-mini"


@dataclass
class Received:
    service: str
    span: Span

    def attribute(self, key: str) -> str | int | None:
        for kv in self.span.attributes:
            if kv.key == key:
                value = kv.value
                return value.string_value if value.HasField("string_value") else value.int_value
        return None


class OtlpReceiver:
    """POST /v1/traces as an OpenTelemetry collector takes it (protobuf), keeping every span."""

    def __init__(self) -> None:
        self.spans: list[Received] = []
        self._arrived = asyncio.Condition()

    def app(self) -> Starlette:
        async def traces(request: Request) -> Response:
            export = ExportTraceServiceRequest.FromString(await request.body())
            for resource_spans in export.resource_spans:
                service = next(
                    kv.value.string_value for kv in resource_spans.resource.attributes if kv.key == "service.name"
                )
                for scope in resource_spans.scope_spans:
                    self.spans.extend(Received(service, span) for span in scope.spans)
            async with self._arrived:
                self._arrived.notify_all()
            body = ExportTraceServiceResponse().SerializeToString()
            return Response(body, media_type="application/x-protobuf")

        return Starlette(routes=[Route("/v1/traces", traces, methods=["POST"])])

    async def wait_for(self, done: Callable[[list[Received]], bool], timeout_s: float = 30.0) -> None:
        async with asyncio.timeout(timeout_s), self._arrived:
            await self._arrived.wait_for(lambda: done(self.spans))


def fake_model() -> Starlette:
    """An OpenAI-compatible chat endpoint that answers without calling tools."""

    async def completions(_: Request) -> Response:
        message = {"role": "assistant", "content": "The captures show retransmissions on the app to db flow."}
        return JSONResponse(
            {"choices": [{"message": message}], "usage": {"prompt_tokens": 420, "completion_tokens": 24}}
        )

    return Starlette(routes=[Route("/v1/chat/completions", completions, methods=["POST"])])


@pytest.fixture
async def receiver(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[OtlpReceiver]:
    receiver = OtlpReceiver()
    sock = bind_local()
    async with serving(receiver.app(), sock, "otlp receiver"):
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", f"{url_of(sock)}v1/traces")
        monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "50")  # ms: export batches promptly
        yield receiver


@pytest.fixture
async def model_url() -> AsyncIterator[str]:
    sock = bind_local()
    async with serving(fake_model(), sock, "fake model"):
        yield f"{url_of(sock)}v1"


def has_whole_question(spans: list[Received]) -> bool:
    names = {(r.service, r.span.name) for r in spans}
    return {
        ("netops-bot", "netops bot: question"),
        ("netops-collaborator", "invoke_agent NetOps_Collaborator"),
        ("netops-performance", "invoke_agent Performance_Agent"),
        ("netops-performance", f"chat {MODEL}"),
    } <= names


async def test_a_questions_spans_reach_an_otlp_receiver_as_one_tree(
    redis_client: aioredis.Redis, receiver: OtlpReceiver, model_url: str
) -> None:
    async with running_stack(otel_enabled=True, llm_mode="openai", llm_base_url=model_url, llm_model=MODEL) as stack:
        await stack.session.ask(QUESTION)
        await receiver.wait_for(has_whole_question)

    spans = receiver.spans
    (root,) = [r for r in spans if not r.span.parent_span_id]
    assert (root.service, root.span.name) == ("netops-bot", "netops bot: question")
    assert {r.span.trace_id for r in spans} == {root.span.trace_id}
    by_id = {r.span.span_id: r for r in spans}
    assert all(r.span.parent_span_id in by_id for r in spans if r is not root)  # nothing hangs loose

    def one(service: str, name: str) -> Received:
        (found,) = [r for r in spans if (r.service, r.span.name) == (service, name)]
        return found

    hops = [
        (
            one("netops-bot", "invoke_agent call collaborator"),
            one("netops-collaborator", "invoke_agent NetOps_Collaborator"),
        ),
        (
            one("netops-collaborator", "invoke_agent call Performance_Agent"),
            one("netops-performance", "invoke_agent Performance_Agent"),
        ),
    ]
    for client, server in hops:
        assert client.span.kind == Span.SPAN_KIND_CLIENT
        assert server.span.kind == Span.SPAN_KIND_SERVER
        assert server.span.parent_span_id == client.span.span_id

    chat = one("netops-performance", f"chat {MODEL}")
    assert chat.attribute("gen_ai.provider.name") == "openai"
    assert chat.attribute("gen_ai.operation.name") == "chat"
    assert (chat.attribute("gen_ai.usage.input_tokens"), chat.attribute("gen_ai.usage.output_tokens")) == (420, 24)
    assert chat.span.kind == Span.SPAN_KIND_INTERNAL
