"""Card discovery against real agents: caching, ETag revalidation, sharing, down-marking."""

from __future__ import annotations

import httpx
from collab_cards import performance_card
from collab_servers import Running, agent_app, dead_url, serve

from agents.collaborator.discovery import Discovery, DiscoveryConfig
from agents.collaborator.store import RedisStore


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def _discovery(http: httpx.AsyncClient, redis_client, clock: Clock | None = None, **config) -> Discovery:
    return Discovery(http, RedisStore(redis_client), DiscoveryConfig(**config), clock=clock or Clock())


async def test_good_agents_are_served_while_broken_and_dead_ones_report_why(
    http, redis_client, perf_agent: Running, conn_agent: Running, broken_agent: Running
) -> None:
    nowhere = dead_url()
    statuses = await _discovery(http, redis_client).discover(
        [perf_agent.url, broken_agent.url, nowhere, conn_agent.url]
    )

    assert [s.agent.name if s.agent else None for s in statuses] == [
        "Performance_Agent",
        None,
        None,
        "Connectivity_Agent",
    ]
    assert "lacks required fields" in statuses[1].error and "skills" in statuses[1].error
    assert statuses[2].error == f"agent at {nowhere} is down: nothing accepts connections there"


async def test_a_fresh_cached_card_is_used_without_a_request(http, redis_client, perf_agent: Running) -> None:
    discovery = _discovery(http, redis_client)
    await discovery.discover([perf_agent.url])
    second = await discovery.discover([perf_agent.url])

    assert second[0].source == "cache"
    assert len(perf_agent.wire.card_requests()) == 1


async def test_a_stale_card_is_revalidated_with_its_etag_and_a_304(http, redis_client, perf_agent: Running) -> None:
    clock = Clock()
    discovery = _discovery(http, redis_client, clock)
    await discovery.discover([perf_agent.url])
    clock.now += 61  # the agent serves max-age=60
    second = await discovery.discover([perf_agent.url])

    (first_etag, first_status), (sent_etag, second_status) = perf_agent.wire.card_requests()
    assert (first_etag, first_status) == (None, 200)
    assert sent_etag is not None and second_status == 304
    assert second[0].source == "revalidated" and second[0].agent.name == "Performance_Agent"


async def test_no_cache_revalidates_on_every_discovery(http, redis_client) -> None:
    async with serve(lambda url: agent_app(performance_card(url), None, cache_control="no-cache")) as agent:
        discovery = _discovery(http, redis_client)
        await discovery.discover([agent.url])
        await discovery.discover([agent.url])
        assert [status for _, status in agent.wire.card_requests()] == [200, 304]


async def test_the_card_cache_is_shared_by_replicas_through_redis(http, redis_client, perf_agent: Running) -> None:
    await _discovery(http, redis_client).discover([perf_agent.url])
    async with httpx.AsyncClient() as other_http:
        replica = await _discovery(other_http, redis_client).discover([perf_agent.url])

    assert replica[0].source == "cache" and replica[0].agent.name == "Performance_Agent"
    assert len(perf_agent.wire.card_requests()) == 1


async def test_a_failing_agent_is_not_retried_until_its_backoff_ends(http, redis_client, broken_agent: Running) -> None:
    clock = Clock()
    discovery = _discovery(http, redis_client, clock, retry_base_s=2.0)
    await discovery.discover([broken_agent.url])
    clock.now += 1.0
    during_backoff = await discovery.discover([broken_agent.url])
    calls_during_backoff = len(broken_agent.wire.card_requests())
    clock.now += 1.5
    await discovery.discover([broken_agent.url])

    assert during_backoff[0].source == "down" and "retrying in 1 s" in during_backoff[0].error
    assert calls_during_backoff == 1
    assert len(broken_agent.wire.card_requests()) == 2


async def test_backoff_doubles_with_each_failure_up_to_the_cap(http, redis_client) -> None:
    clock = Clock()
    nowhere = dead_url()
    discovery = _discovery(http, redis_client, clock, retry_base_s=2.0, retry_max_s=5.0)
    waits = []
    for _ in range(4):
        await discovery.discover([nowhere])
        status = (await discovery.discover([nowhere]))[0]
        waits.append(status.error.rsplit("retrying in ", 1)[1])
        clock.now += 10
    assert waits == ["2 s)", "4 s)", "5 s)", "5 s)"]


async def test_an_agent_that_answers_again_is_no_longer_down(http, redis_client, perf_agent: Running) -> None:
    clock = Clock()
    discovery = _discovery(http, redis_client, clock)
    await discovery.mark_down(perf_agent.url, "agent went away")
    down = await discovery.discover([perf_agent.url])
    clock.now += 3
    back = await discovery.discover([perf_agent.url])
    again = await discovery.discover([perf_agent.url])

    assert down[0].source == "down"
    assert back[0].source == "fetched"
    assert again[0].source == "cache"


async def test_a_replica_trusts_its_own_copy_briefly_then_looks_at_redis_again(
    http, redis_client, perf_agent: Running
) -> None:
    clock = Clock()
    discovery = _discovery(http, redis_client, clock, local_ttl_s=5.0)
    await discovery.discover([perf_agent.url])
    await redis_client.flushdb()  # the shared cache is gone (say, evicted)
    clock.now += 4
    within = await discovery.discover([perf_agent.url])
    requests_within = len(perf_agent.wire.card_requests())
    clock.now += 2
    after = await discovery.discover([perf_agent.url])

    assert within[0].source == "cache" and requests_within == 1
    assert after[0].source == "fetched" and len(perf_agent.wire.card_requests()) == 2


async def test_the_background_refresh_revalidates_cards_about_to_go_stale(
    http, redis_client, perf_agent: Running
) -> None:
    clock = Clock()
    discovery = _discovery(http, redis_client, clock)
    await discovery.discover([perf_agent.url])
    clock.now += 40  # max-age=60: still fresh for 20 s
    for_questions = await discovery.discover([perf_agent.url])
    in_background = await discovery.discover([perf_agent.url], ahead_s=30)

    assert for_questions[0].source == "cache"
    assert in_background[0].source == "revalidated"
    assert [status for _, status in perf_agent.wire.card_requests()] == [200, 304]
