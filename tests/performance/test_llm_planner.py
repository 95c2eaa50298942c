"""LLM mode: Bedrock Converse (botocore Stubber) and an OpenAI-compatible endpoint (a local fake server)."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import boto3
import uvicorn
from a2a.types import Part
from botocore.stub import ANY, Stubber
from google.protobuf.json_format import MessageToDict
from perf_harness import agent_settings, ask, serve_performance_agent, stub_no_monitors
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from agents.performance.llm.bedrock import BedrockConverse
from agents.performance.llm.loop import ToolLoop
from agents.performance.llm.openai import OpenAIChat
from agents.traceability import TRACE_METADATA_KEY, ResponseTrace

BEDROCK_MODEL = "anthropic.claude-3-5-haiku-20241022-v1:0"
MODEL_TEXT = "**10.0.1.10:40000 → 10.0.2.20:5432 retransmits 10% of its segments**; apply the TCP fixes."


def _trace(reply: Any) -> ResponseTrace:
    [artifact] = reply.artifacts
    return ResponseTrace.from_dict(MessageToDict(artifact.metadata[TRACE_METADATA_KEY]))


def _assert_found_by_the_captures(reply: Any, lab: Any) -> None:
    """The answer's data is the shared capture's diagnosis, whatever the model wrote: 14 data segments and two RTT
    samples are too few for a verdict, so it says unknown and that the captures were read."""
    assert reply.data["causes"][0]["code"] == "insufficient_evidence"
    assert reply.data["status"] == "unknown"
    assert any("captures analyzed: 1 of 1" in f["detail"] for f in reply.data["findings"])


def _converse_response(content: list[dict], stop: str, tokens: tuple[int, int]) -> dict:
    return {
        "output": {"message": {"role": "assistant", "content": content}},
        "stopReason": stop,
        "usage": {"inputTokens": tokens[0], "outputTokens": tokens[1], "totalTokens": sum(tokens)},
        "metrics": {"latencyMs": 100},
    }


async def test_bedrock_picks_the_tool_and_writes_the_answer_with_usage_in_the_trace(moto_url, lab, redis_client, http):
    bedrock = boto3.client("bedrock-runtime", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    stub = Stubber(bedrock)
    tool_use = {"toolUse": {"toolUseId": "t1", "name": "analyze_traffic_mirroring_logs", "input": {}}}
    stub.add_response(
        "converse",
        _converse_response([tool_use], "tool_use", (900, 40)),
        {"modelId": BEDROCK_MODEL, "system": ANY, "messages": ANY, "toolConfig": ANY, "inferenceConfig": ANY},
    )
    stub.add_response("converse", _converse_response([{"text": MODEL_TEXT}], "end_turn", (2500, 120)))
    stub.activate()
    llm = ToolLoop(BedrockConverse(bedrock, BEDROCK_MODEL), default_region="us-east-1")
    async with serve_performance_agent(agent_settings(moto_url), redis_client, llm=llm) as agent:
        reply = await ask(http, agent.url, Part(text="why is the app slow?"))
    stub.assert_no_pending_responses()
    assert reply.final_state == "TASK_STATE_COMPLETED"
    assert reply.markdown == MODEL_TEXT
    _assert_found_by_the_captures(reply, lab)  # evidence from the tool, not the model
    llm_steps = [s for s in _trace(reply).steps if s.name.startswith("llm ")]
    assert [(s.model, s.input_tokens, s.output_tokens) for s in llm_steps] == [
        (BEDROCK_MODEL, 900, 40),
        (BEDROCK_MODEL, 2500, 120),
    ]
    assert llm_steps[0].cost == (900 * 0.8 + 40 * 4.0) / 1_000_000


class FakeOpenAI:
    """A local OpenAI-compatible endpoint that plays a script of responses and keeps the requests."""

    def __init__(self, script: list[tuple[int, dict]]) -> None:
        self.script = list(script)
        self.requests: list[dict] = []

    async def completions(self, request: Request) -> JSONResponse:
        self.requests.append({"body": await request.json(), "auth": request.headers.get("authorization")})
        status, body = self.script.pop(0)
        return JSONResponse(body, status_code=status)

    @asynccontextmanager
    async def serve(self) -> AsyncIterator[str]:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        app = Starlette(routes=[Route("/v1/chat/completions", self.completions, methods=["POST"])])
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        task = asyncio.create_task(server.serve(sockets=[sock]))
        try:
            yield f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
        finally:
            server.should_exit = True
            await asyncio.wait_for(task, timeout=10)
            sock.close()


def _chat(message: dict, tokens: tuple[int, int]) -> dict:
    return {
        "id": "c",
        "object": "chat.completion",
        "model": "gpt-4o-mini",
        "choices": [{"index": 0, "message": {"role": "assistant", **message}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": tokens[0], "completion_tokens": tokens[1], "total_tokens": sum(tokens)},
    }


TOOL_CALL = {
    "content": None,
    "tool_calls": [
        {
            "id": "call_1",
            "type": "function",
            "function": {"name": "analyze_network_flow_monitor", "arguments": json.dumps({"window_minutes": 15})},
        }
    ],
}


async def test_openai_compatible_endpoint_gets_tool_results_back_and_answers(moto_url, lab, redis_client, http):
    fake = FakeOpenAI([(200, _chat(TOOL_CALL, (700, 30))), (200, _chat({"content": MODEL_TEXT}, (1800, 90)))])
    async with fake.serve() as base_url:
        settings = agent_settings(
            moto_url, llm_mode="openai", llm_model="gpt-4o-mini", llm_base_url=base_url, llm_api_key="sk-test-key"
        )
        llm = ToolLoop(OpenAIChat.from_settings(settings), default_region="us-east-1")
        async with serve_performance_agent(settings, redis_client, llm=llm) as agent:
            stub_no_monitors(agent.nfm)
            reply = await ask(http, agent.url, Part(text="why is the app slow?"))
    assert reply.markdown == MODEL_TEXT
    first, second = fake.requests
    assert first["auth"] == "Bearer sk-test-key"
    assert {t["function"]["name"] for t in first["body"]["tools"]} >= {"analyze_network_flow_monitor"}
    tool_message = second["body"]["messages"][-1]
    assert tool_message["role"] == "tool" and tool_message["tool_call_id"] == "call_1"
    assert json.loads(tool_message["content"])["problems"][0]["code"] == "NoMonitors"
    llm_steps = [s for s in _trace(reply).steps if s.name.startswith("llm ")]
    assert [(s.model, s.input_tokens, s.output_tokens) for s in llm_steps] == [
        ("gpt-4o-mini", 700, 30),
        ("gpt-4o-mini", 1800, 90),
    ]
    assert all(s.cost and s.cost > 0 for s in llm_steps)


async def test_a_failing_model_falls_back_to_the_built_in_planner_and_says_so(moto_url, lab, redis_client, http):
    fake = FakeOpenAI([(500, {"error": {"message": "overloaded"}})])
    async with fake.serve() as base_url:
        settings = agent_settings(moto_url, llm_mode="openai", llm_model="gpt-4o-mini", llm_base_url=base_url)
        llm = ToolLoop(OpenAIChat.from_settings(settings), default_region="us-east-1")
        async with serve_performance_agent(settings, redis_client, llm=llm) as agent:
            stub_no_monitors(agent.nfm)
            reply = await ask(http, agent.url, Part(text="why is the app slow?"))
    assert reply.final_state == "TASK_STATE_COMPLETED"
    [model_error] = [f for f in reply.data["findings"] if f["evidence"].get("code") == "ModelError"]
    assert "HTTP 500" in model_error["detail"]
    _assert_found_by_the_captures(reply, lab)
    [failed] = [s for s in _trace(reply).steps if s.name.startswith("llm ")]
    assert failed.error


async def test_bad_tool_arguments_from_the_model_go_back_to_it_as_an_error(moto_url, lab, redis_client, http):
    bad_call = {
        "content": None,
        "tool_calls": [
            {
                "id": "call_9",
                "type": "function",
                "function": {
                    "name": "analyze_traffic_mirroring_logs",
                    "arguments": json.dumps({"time_window_minutes": -5}),
                },
            }
        ],
    }
    fake = FakeOpenAI([(200, _chat(bad_call, (100, 10))), (200, _chat({"content": MODEL_TEXT}, (200, 20)))])
    async with fake.serve() as base_url:
        settings = agent_settings(moto_url, llm_mode="openai", llm_model="gpt-4o-mini", llm_base_url=base_url)
        llm = ToolLoop(OpenAIChat.from_settings(settings), default_region="us-east-1")
        async with serve_performance_agent(settings, redis_client, llm=llm) as agent:
            stub_no_monitors(agent.nfm)
            reply = await ask(http, agent.url, Part(text="why is the app slow?"))
    tool_message = fake.requests[1]["body"]["messages"][-1]
    assert "bad arguments for analyze_traffic_mirroring_logs" in tool_message["content"]
    # No tool produced evidence, so the built-in planner answered rather than the model's unfounded text.
    assert reply.markdown != MODEL_TEXT
    _assert_found_by_the_captures(reply, lab)


async def test_a_bedrock_error_falls_back_to_the_built_in_planner(moto_url, lab, redis_client, http):
    bedrock = boto3.client("bedrock-runtime", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    stub = Stubber(bedrock)
    stub.add_client_error("converse", "AccessDeniedException", "You don't have access to the model", 403)
    stub.activate()
    llm = ToolLoop(BedrockConverse(bedrock, BEDROCK_MODEL), default_region="us-east-1")
    async with serve_performance_agent(agent_settings(moto_url), redis_client, llm=llm) as agent:
        stub_no_monitors(agent.nfm)
        reply = await ask(http, agent.url, Part(text="why is the app slow?"))
    [model_error] = [f for f in reply.data["findings"] if f["evidence"].get("code") == "ModelError"]
    assert "AccessDeniedException" in model_error["detail"]
    assert reply.final_state == "TASK_STATE_COMPLETED"
    _assert_found_by_the_captures(reply, lab)
