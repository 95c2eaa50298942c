"""A test A2A agent: a real a2a-sdk 1.3 server on 127.0.0.1 that answers like the Performance Agent.

It stands in for the agents behind the collaborator (or for the collaborator itself): it
streams status updates, then one artifact with a markdown text part, the CONTRACTS section 3
data part, and its trace (the real `TracingAgentExecutor` attaches it). A remediation request (a data part of
kind `netops.remediate/v1`) is checked with the real `agents.approval_token.verify` and
answered with a `netops.remediation/v1` data part. `gate` holds an answer mid-stream, so a
test can kill the bot while the agent is "working".
"""

from __future__ import annotations

import asyncio
import copy
import uuid
from dataclasses import dataclass, field
from typing import Any

from a2a.helpers.proto_helpers import get_data_parts, get_text_parts, new_task_from_user_message
from a2a.server.agent_execution import AgentExecutor, RequestContext
from a2a.server.events import EventQueue
from a2a.server.request_handlers import DefaultRequestHandler
from a2a.server.routes import create_agent_card_routes, create_jsonrpc_routes
from a2a.server.tasks import InMemoryTaskStore, TaskUpdater
from a2a.types import AgentCapabilities, AgentCard, AgentInterface, AgentSkill, Message, Part, Role, TaskState
from google.protobuf import json_format
from starlette.applications import Starlette

from agents.approval_token import ApprovalTokenError, verify
from agents.traceability import CallType, TraceStep
from agents.traceability.a2a import TracingAgentExecutor

DIAGNOSIS: dict[str, Any] = {
    "kind": "netops.diagnosis/v1",
    "headline": {"severity": "critical", "text": "Packet loss on the app→db path retransmits 3.1 % of segments."},
    "findings": [
        {
            "severity": "critical",
            "title": "Retransmissions on 10.0.1.10 → 10.0.2.20:5432",
            "detail": "Traffic Mirroring captures show loss-driven retransmissions.",
            "evidence": {
                "flow": "10.0.1.10:40000 → 10.0.2.20:5432",
                "instance_id": "i-0abc1234def567890",
                "retransmission_rate": 0.031,
                "rtt_p50_ms": 1.2,
                "rtt_p99_ms": 210.0,
                "resets": 0.0,
                "source": "traffic_mirroring",
            },
            "recommendation": "Remove the netem qdisc and raise the receive buffers.",
        }
    ],
    "recommendation": {
        "action": "fix_retransmissions",
        "instance_id": "i-0abc1234def567890",
        "stack_name": "netops-lab",
        "changes": ["net.core.rmem_max → 134217728", "remove root netem qdisc on eth0"],
        "script": "sysctl -w net.core.rmem_max=134217728\ntc qdisc del dev eth0 root",
        "summary": "Raise receive buffers and remove the loss-inducing qdisc",
    },
    "remediation": None,
}

HEALTHY: dict[str, Any] = {
    "kind": "netops.diagnosis/v1",
    "headline": {"severity": "ok", "text": "The database side is healthy: no retransmissions."},
    "findings": [],
    "recommendation": None,
    "remediation": None,
}


def remediation_answer(instance_id: str) -> dict[str, Any]:
    return {
        "kind": "netops.remediation/v1",
        "headline": {"severity": "ok", "text": f"TCP fixes applied to {instance_id} and verified."},
        "findings": [],
        "recommendation": None,
        "remediation": {
            "instance_id": instance_id,
            "command_id": "cmd-0123",
            "status": "Success",
            "verified": True,
            "before": {"net.core.rmem_max": "212992", "qdisc": "netem loss 3%"},
            "after": {"net.core.rmem_max": "134217728", "qdisc": "fq_codel"},
            "skipped": [],
            "error": None,
        },
    }


@dataclass
class Received:
    text: str
    data: list[dict[str, Any]]
    context_id: str
    metadata: dict[str, Any]
    extensions: set[str]


@dataclass
class FakeAgent:
    approval_secret: str = "test-approval-secret"
    statuses: list[str] = field(default_factory=lambda: ["Querying Network Flow Monitor: 1 monitor…"])
    answers: list[dict[str, Any]] = field(default_factory=lambda: [copy.deepcopy(DIAGNOSIS)])
    fail_with: str | None = None
    gate: asyncio.Event | None = None
    received: list[Received] = field(default_factory=list)
    remediations: list[str] = field(default_factory=list)  # approval ids executed
    remediation_extra: dict[str, Any] = field(default_factory=dict)  # merged into every remediation part
    tokens: list[Any] = field(default_factory=list)  # the verified claims of each remediation
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    url: str = ""

    def card(self, url: str) -> AgentCard:
        return AgentCard(
            name="Performance_Agent",
            description="Test stand-in for the performance agent.",
            version="1.0.0",
            supported_interfaces=[AgentInterface(url=url, protocol_binding="JSONRPC", protocol_version="1.0")],
            capabilities=AgentCapabilities(streaming=True, push_notifications=False),
            default_input_modes=["text/plain", "application/json"],
            default_output_modes=["text/markdown", "application/json"],
            skills=[
                AgentSkill(
                    id="analyze_network_performance",
                    name="Analyze network performance",
                    description="Diagnoses retransmissions and latency.",
                    tags=["performance", "tcp-analysis"],
                ),
                AgentSkill(
                    id="remediate_tcp", name="Apply TCP fixes", description="Applies fixes.", tags=["remediation"]
                ),
            ],
        )

    def app(self, url: str) -> Starlette:
        card = self.card(url + "/")
        executor = TracingAgentExecutor(_Executor(self), name="Performance_Agent")
        handler = DefaultRequestHandler(executor, InMemoryTaskStore(), card)
        self.url = url
        return Starlette(
            routes=[*create_agent_card_routes(card, cache_control="max-age=60"), *create_jsonrpc_routes(handler, "/")]
        )


class _Executor(AgentExecutor):
    def __init__(self, agent: FakeAgent) -> None:
        self.agent = agent

    async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
        agent = self.agent
        message = context.message
        assert message is not None
        task = context.current_task or new_task_from_user_message(message)
        if context.current_task is None:
            await event_queue.enqueue_event(task)
        updater = TaskUpdater(event_queue, task.id, task.context_id)
        data = [item for item in get_data_parts(message.parts) if isinstance(item, dict)]
        metadata = json_format.MessageToDict(message.metadata)
        agent.received.append(
            Received(
                "\n".join(get_text_parts(message.parts)),
                data,
                task.context_id,
                metadata,
                set(context.requested_extensions),
            )
        )
        agent.arrived.set()
        for text in agent.statuses:
            await updater.update_status(TaskState.TASK_STATE_WORKING, message=_agent_text(text, task))
        if agent.gate is not None:
            await agent.gate.wait()
        async with TraceStep("analyze_traffic_mirroring_logs", CallType.TOOL) as step:
            step.record_usage(model="test-model", input_tokens=1000, output_tokens=120)
            step.record_cost(0.0142)
            if agent.fail_with:
                step.end_step(error=agent.fail_with)
        if agent.fail_with:
            await updater.failed(message=_agent_text(agent.fail_with, task))
            return
        answer = self._answer(data)
        part = Part()
        json_format.ParseDict(answer, part.data)
        await updater.add_artifact([Part(text=f"# {answer['headline']['text']}"), part], name="diagnosis")
        remediation = answer.get("remediation") or {}
        if remediation.get("status") == "Refused":  # CONTRACTS 3: a refused approval ends REJECTED
            await updater.reject(message=_agent_text(remediation["error"], task))
            return
        await updater.complete()

    def _answer(self, data: list[dict[str, Any]]) -> dict[str, Any]:
        agent = self.agent
        remediate = next((item for item in data if item.get("kind") == "netops.remediate/v1"), None)
        if remediate is not None:
            try:
                claims = verify(remediate.get("approval_token"), agent.approval_secret)
            except ApprovalTokenError as exc:
                answer = remediation_answer(remediate.get("instance_id", "?"))
                answer["headline"] = {"severity": "warning", "text": "The approval was refused: nothing was sent."}
                answer["remediation"] |= {
                    "command_id": "",
                    "status": "Refused",
                    "verified": False,
                    "before": {},
                    "after": {},
                    "error": str(exc),
                }
                return answer
            agent.remediations.append(claims.approval_id)
            agent.tokens.append(claims)
            answer = remediation_answer(claims.instance_id)
            answer["remediation"] |= copy.deepcopy(agent.remediation_extra)
            return answer
        return agent.answers.pop(0) if len(agent.answers) > 1 else copy.deepcopy(agent.answers[0])

    async def cancel(self, context: RequestContext, event_queue: EventQueue) -> None:
        raise NotImplementedError


def _agent_text(text: str, task: Any) -> Message:
    return Message(
        message_id=str(uuid.uuid4()),
        role=Role.ROLE_AGENT,
        parts=[Part(text=text)],
        context_id=task.context_id,
        task_id=task.id,
    )
