"""LLM routing against a fake OpenAI-compatible endpoint: used when valid, the scorer otherwise."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest
from collab_cards import connectivity_card, performance_card
from collab_harness import CollaboratorUnderTest, running_collaborator
from collab_servers import FakeModel, Running, ScriptedExecutor, dead_url, serve
from pydantic import SecretStr
from test_collaborator_flow import REMEDIATE, states, status_texts

from agents.collaborator.llm_router import LlmRouter, parse_choice
from agents.collaborator.selection import Agent, decide
from agents.settings import Settings
from agents.traceability import start_trace

PERF = Agent("http://perf.test", performance_card("http://perf.test/"))
CONN = Agent("http://conn.test", connectivity_card("http://conn.test/"))
QUESTION = "retransmissions between the app and the database"


@pytest.fixture
def model() -> FakeModel:
    return FakeModel()


@pytest.fixture
async def model_url(model: FakeModel) -> AsyncIterator[str]:
    async with serve(lambda _url: model.app()) as running:
        yield running.url + "/v1"


async def _choose(model_url: str, question: str = QUESTION):
    scored = decide(question, [PERF, CONN], min_score=1.5, tie_ratio=0.8)
    async with httpx.AsyncClient() as http:
        router = LlmRouter(http, model_url, "test-model", SecretStr("model-key"))
        with start_trace() as tracer:
            decision = await router.choose(question, [PERF, CONN], scored)
    return scored, decision, tracer.trace()


async def test_a_valid_model_choice_is_followed_and_explained(model: FakeModel, model_url: str) -> None:
    model.content = '```json\n{"agent": "Connectivity_Agent", "reason": "a database path question"}\n```'
    scored, decision, _ = await _choose(model_url)

    assert scored.pick.agent.name == "Performance_Agent"
    assert decision.pick.agent.name == "Connectivity_Agent"
    assert decision.explain().endswith("[LLM router: a database path question]")


async def test_the_model_sees_every_skill_and_gets_its_own_key(model: FakeModel, model_url: str) -> None:
    await _choose(model_url)
    ((body, headers),) = model.requests
    prompt = body["messages"][1]["content"]
    assert body["model"] == "test-model" and body["temperature"] == 0
    assert "Performance_Agent: Remediate TCP retransmissions" in prompt and "Connectivity_Agent: Diagnose DNS" in prompt
    assert prompt.endswith(f"Question: {QUESTION}")
    assert headers["authorization"] == "Bearer model-key"


async def test_the_model_call_is_a_trace_step_with_its_tokens(model: FakeModel, model_url: str) -> None:
    _, _, trace = await _choose(model_url)
    (step,) = trace.steps
    assert (step.name, step.model, step.input_tokens, step.output_tokens) == ("route with LLM", "test-model", 321, 12)


async def test_a_model_finding_the_question_unclear_asks_back(model: FakeModel, model_url: str) -> None:
    model.content = json.dumps({"agent": None, "reason": "could be either"})
    _, decision, _ = await _choose(model_url)
    assert decision.pick is None and "The agents can do this:" in decision.clarification
    assert decision.notes == ("LLM router: could be either",)


@pytest.mark.parametrize(
    ("content", "status", "note"),
    [
        ('{"agent": "Billing_Agent"}', 200, "it named 'Billing_Agent', which is not an available agent"),
        ("Performance_Agent, clearly", 200, "LLM router failed ("),
        ("{}", 503, "LLM router failed (HTTP 503); the scorer decided"),
    ],
)
async def test_an_unusable_model_answer_keeps_the_scorers_pick(
    model: FakeModel, model_url: str, content: str, status: int, note: str
) -> None:
    model.content, model.status = content, status
    scored, decision, trace = await _choose(model_url)
    assert decision.pick == scored.pick
    assert note in decision.notes[-1]
    assert trace.steps[0].error == decision.notes[-1]


async def test_an_unreachable_model_keeps_the_scorers_pick() -> None:
    scored, decision, _ = await _choose(dead_url() + "/v1")
    assert decision.pick == scored.pick and decision.notes == ("LLM router failed (ConnectError); the scorer decided",)


def test_parse_choice_accepts_only_offered_names() -> None:
    assert parse_choice('{"agent": "A", "reason": "fits"}', ["A"]) == ("A", "fits")
    with pytest.raises(ValueError, match="not an available agent"):
        parse_choice('{"agent": "B"}', ["A"])


@pytest.fixture
async def llm_collaborator(redis_client, model_url: str) -> AsyncIterator[CollaboratorUnderTest]:
    settings = Settings(route_llm=True, llm_mode="openai", llm_model="test-model", llm_base_url=model_url)
    async with running_collaborator(redis_client, settings) as running:
        yield running


async def test_the_collaborator_routes_by_the_model_but_never_a_remediation(
    llm_collaborator: CollaboratorUnderTest,
    model: FakeModel,
    model_url: str,
    perf_agent: Running,
    conn_agent: Running,
    conn_executor: ScriptedExecutor,
    perf_executor: ScriptedExecutor,
) -> None:
    llm_collaborator.use(perf_agent.url, conn_agent.url)
    model.content = '{"agent": "Connectivity_Agent", "reason": "about the path to the database"}'
    routed = await llm_collaborator.ask(QUESTION)
    remediation = await llm_collaborator.ask("apply TCP fixes", data=REMEDIATE)

    assert states(routed)[-1] == "TASK_STATE_COMPLETED"
    assert status_texts(routed)[0].endswith("[LLM router: about the path to the database]")
    assert [r.text for r in conn_executor.received] == [QUESTION]
    assert len(model.requests) == 1  # the remediation did not consult the model
    assert perf_executor.received[0].text == "apply TCP fixes"
    assert states(remediation)[-1] == "TASK_STATE_COMPLETED"
