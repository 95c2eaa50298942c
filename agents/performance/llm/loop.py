"""The model-driven tool loop shared by the Bedrock and OpenAI-compatible backends."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol

from agents.performance.planner import FIX, FLOW_MONITOR, MIRRORING, Plan, ToolCall
from agents.plural import counted
from agents.traceability import CallType, TraceStep

MAX_TURNS = 5
MAX_RESULT_CHARS = 12_000  # what a tool result may cost in prompt tokens

TOOLS: list[dict[str, Any]] = [
    {
        "name": FLOW_MONITOR,
        "description": "Network Flow Monitor top contributors (retransmissions, timeouts, RTT, data) and the "
        "AWS/NetworkFlowMonitor CloudWatch metrics, including AWS's own network health indicator.",
        "parameters": {
            "type": "object",
            "properties": {
                "region": {"type": "string", "description": "AWS region; omit for the default"},
                "window_minutes": {"type": "number", "description": "how far back to look (default 30)"},
            },
        },
    },
    {
        "name": MIRRORING,
        "description": "TCP analysis of VPC Traffic Mirroring captures in S3: retransmissions, duplicate ACKs, "
        "resets and RTT per flow, with each flow's instance.",
        "parameters": {
            "type": "object",
            "properties": {
                "s3_bucket_name": {"type": "string", "description": "omit for the configured bucket"},
                "prefix": {"type": "string"},
                "time_window_minutes": {"type": "number"},
                "target_instance_id": {"type": "string", "description": "the mirror target's instance, if known"},
                "max_files": {"type": "integer"},
            },
        },
    },
    {
        "name": FIX,
        "description": "Dry run of the TCP fix for one instance: returns the exact script and changes. It never "
        "applies anything; applying needs a human approval in Slack.",
        "parameters": {
            "type": "object",
            "properties": {"instance_id": {"type": "string"}, "stack_name": {"type": "string"}},
        },
    },
]

SYSTEM_PROMPT = """You are the Performance Agent, an AWS network performance engineer.
Diagnose the operator's problem with the tools, then answer in concise markdown for a Slack thread:
what is wrong, the evidence (flows, instances, retransmission rates, RTT), and what to do.
Never ask for the region or the account: the tools default to region {region} and the caller's account.
Call each diagnosis tool at most once unless a call failed. Never claim a fix was applied."""


class LlmError(RuntimeError):
    """The model could not be called or answered nonsense; the message says which."""


@dataclass
class ToolRequest:
    id: str
    name: str
    args: dict[str, Any]


@dataclass
class ModelTurn:
    text: str | None
    tool_requests: list[ToolRequest]
    input_tokens: int
    output_tokens: int
    raw_assistant: Any = None  # backend-specific message to append to the conversation


class ModelBackend(Protocol):
    model: str

    def start(self, system: str, question: str) -> Any: ...
    async def call(self, conversation: Any, tools: list[dict[str, Any]]) -> ModelTurn: ...
    def add_results(self, conversation: Any, turn: ModelTurn, results: list[tuple[ToolRequest, str]]) -> None: ...
    async def aclose(self) -> None: ...


@dataclass
class ToolLoop:
    backend: ModelBackend
    default_region: str
    max_turns: int = MAX_TURNS

    async def answer(self, question: str, plan: Plan, runner: Any) -> str:
        """Run the model's tool calls through `runner`; the model's final text is returned."""
        hints = "; ".join(plan.reasons)
        conversation = self.backend.start(
            SYSTEM_PROMPT.format(region=self.default_region), f"{question}\n\n(Defaults understood: {hints}.)"
        )
        for turn_number in range(1, self.max_turns + 1):
            params = {"model": self.backend.model, "turn": turn_number}
            async with TraceStep(f"llm {self.backend.model}", CallType.TOOL, parameters=params) as step:
                turn = await self.backend.call(conversation, TOOLS)
                step.record_usage(
                    model=self.backend.model,
                    input_tokens=turn.input_tokens,
                    output_tokens=turn.output_tokens,
                    provider=getattr(self.backend, "provider", None),
                )
                step.set_attribute("tool_calls", [r.name for r in turn.tool_requests])
            if not turn.tool_requests:
                if not turn.text:
                    raise LlmError("the model answered with neither text nor a tool call")
                return turn.text
            results = []
            for request in turn.tool_requests:
                result = await runner.run(ToolCall(request.name, request.args))
                results.append((request, json.dumps(result, default=str)[:MAX_RESULT_CHARS]))
            self.backend.add_results(conversation, turn, results)
        raise LlmError(f"the model was still calling tools after {counted(self.max_turns, 'turn')}")

    async def aclose(self) -> None:
        await self.backend.aclose()
