"""/metrics on the bot, the collaborator and the Performance Agent, as Prometheus scrapes them.

The whole stack runs (lab, both agents over real HTTP, the bot's job runner); each endpoint is
parsed with prometheus_client's own parser before and after one question.
"""

from __future__ import annotations

import httpx
import redis.asyncio as aioredis
from prometheus_client.parser import text_string_to_metric_families
from running_stack import QUESTION, RunningStack, running_stack

from agents.collaborator.registry import normalize_agent_url


async def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of `url`'s /metrics, keyed by name and sorted labels."""
    async with httpx.AsyncClient() as http:
        response = await http.get(f"{url}/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def ask_and_scrape(stack: RunningStack) -> tuple[list[dict], list[dict]]:
    urls = [stack.bot_url, stack.collaborator_url, stack.agent_url]
    before = [await scrape(url) for url in urls]
    await stack.session.ask(QUESTION)
    after = [await scrape(url) for url in urls]
    return before, after


async def test_every_process_serves_metrics_that_move_when_a_question_is_asked(redis_client: aioredis.Redis) -> None:
    async with running_stack() as stack:
        (bot0, collab0, _), (bot1, collab1, agent1) = await ask_and_scrape(stack)
        agent_up = await scrape(stack.collaborator_url)

    count = "netops_step_duration_seconds_count"
    assert (
        value(bot1, "netops_questions_total", outcome="answered")
        == value(bot0, "netops_questions_total", outcome="answered") + 1
    )
    assert value(bot1, count, call_type="AGENT", step="call collaborator") == 1
    assert value(bot1, count, call_type="HOST", step="netops bot: question") == 1
    assert value(collab1, count, call_type="AGENT", step="NetOps_Collaborator") > value(
        collab0, count, call_type="AGENT", step="NetOps_Collaborator"
    )
    assert value(collab1, count, call_type="AGENT", step="call Performance_Agent") == 1
    assert value(agent1, count, call_type="AGENT", step="Performance_Agent") == 1
    assert any(name == count and dict(labels)["call_type"] == "TOOL" for (name, labels) in agent1)
    assert value(agent_up, "netops_agent_up", agent_url=normalize_agent_url(stack.demo.agent_url)) == 1
    for samples, service in ((bot1, "netops-bot"), (collab1, "netops-collaborator"), (agent1, "netops-performance")):
        assert value(samples, "netops_service_info", service=service) == 1


async def test_the_bot_reports_its_job_queue_depth_and_age(redis_client: aioredis.Redis) -> None:
    async with running_stack() as stack:
        idle = await scrape(stack.bot_url)
        await stack.session.services.jobs.enqueue("question", {"channel": "C1", "user": "U1", "question": "?"})
        queued = await scrape(stack.bot_url)

    assert value(idle, "netops_job_queue_depth") == 0
    assert value(queued, "netops_job_queue_depth") == 1
    assert value(queued, "netops_job_queue_oldest_age_seconds") >= 0
    assert ("netops_job_queue_oldest_age_seconds", ()) in queued


async def test_an_approved_fix_counts_one_approval_and_one_verified_fix(redis_client: aioredis.Redis) -> None:
    async with running_stack() as stack:
        await stack.session.ask(QUESTION)
        await stack.session.approve()
        bot = await scrape(stack.bot_url)

    assert value(bot, "netops_approvals_total", outcome="approved") == 1
    assert value(bot, "netops_fixes_total", outcome="verified") == 1
    assert value(bot, "netops_fixes_total", outcome="failed") == 0
