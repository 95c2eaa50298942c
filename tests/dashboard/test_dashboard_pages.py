"""The dashboard over HTTP: what the pages say, in both languages, and who may open them."""

from __future__ import annotations

import httpx
import pytest
import redis.asyncio as aioredis
from starlette.applications import Starlette
from starlette.routing import Mount

from agents.errors import SettingsError
from agents.settings import load_settings
from agents.traceability import CallType, ResponseTrace, StepRecord
from agents.traceability.store import TraceStore
from bot.blocks.trace import trace_modal
from bot.dashboard.access import COOKIE, Access, Guarded
from bot.dashboard.app import DASHBOARD_PATH, dashboard_app
from bot.dashboard.command import check_bind
from bot.trace_view import TraceView

TOKEN = "dashboard-test-token"


def _trace(trace_id: str) -> ResponseTrace:
    host = StepRecord("step-h", trace_id, None, CallType.HOST, "netops bot: question", None, 1000.0)
    host.latency_ms, host.end_time = 800.0, 1000.8
    tool = StepRecord("step-t", trace_id, "step-h", CallType.TOOL, "s3.list_captures", {"bucket": "b"}, 1000.1)
    tool.latency_ms, tool.end_time, tool.error = 200.0, 1000.3, "NoSuchBucket: the bucket does not exist"
    return ResponseTrace(trace_id, [host, tool])


def _app(store: TraceStore, token: str | None = None) -> Starlette:
    return Starlette(routes=[Mount(DASHBOARD_PATH, app=Guarded(dashboard_app(store), Access(token)))])


def _client(app: Starlette, host: str = "127.0.0.1") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(host, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://netops.test")


@pytest.fixture
async def store(redis_client: aioredis.Redis) -> TraceStore:
    store = TraceStore(redis_client)
    started = await store.begin("trace-one", "why are retransmissions high between app and db?")
    await store.finish(started, _trace("trace-one"), failed=False)
    await store.begin("trace-two", "is the db healthy?")  # still running
    return store


async def test_the_list_shows_running_and_finished_traces_with_the_failing_step(store: TraceStore) -> None:
    async with _client(_app(store)) as http:
        page = await http.get(f"{DASHBOARD_PATH}/")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    html = page.text
    assert "why are retransmissions high between app and db?" in html and "is the db healthy?" in html
    assert "answered, a step failed" in html and "running" in html
    assert "s3.list_captures: NoSuchBucket: the bucket does not exist" in html
    assert f'href="{DASHBOARD_PATH}/traces/trace-one?lang=en"' in html


async def test_a_trace_page_draws_a_bar_per_step_and_marks_the_failed_one(store: TraceStore) -> None:
    async with _client(_app(store)) as http:
        html = (await http.get(f"{DASHBOARD_PATH}/traces/trace-one")).text
    assert html.count('<rect class="bar') == 2
    assert 'class="bar TOOL error"' in html
    assert "Failing step: s3.list_captures" in html
    assert "<code>bucket</code> = b" in html  # the step's attributes, on click


async def test_a_trace_not_stored_yet_or_unknown_is_a_404_that_says_why(store: TraceStore) -> None:
    async with _client(_app(store)) as http:
        running = await http.get(f"{DASHBOARD_PATH}/traces/trace-two")
        malformed = await http.get(f"{DASHBOARD_PATH}/traces/{'x' * 300}")
    assert running.status_code == malformed.status_code == 404
    assert "started a moment ago, has expired, or never existed" in running.text


async def test_the_pages_speak_korean_when_asked(store: TraceStore) -> None:
    async with _client(_app(store)) as http:
        by_query = (await http.get(f"{DASHBOARD_PATH}/?lang=ko")).text
        by_browser = (await http.get(f"{DASHBOARD_PATH}/", headers={"Accept-Language": "ko-KR,ko;q=0.9"})).text
    for html in (by_query, by_browser):
        assert '<html lang="ko">' in html
        assert "실행 중" in html  # running
        assert "running" not in html.split("<body>")[1].replace("status-running", "")


async def test_without_a_token_only_this_machine_may_look(store: TraceStore) -> None:
    async with _client(_app(store), host="198.51.100.7") as remote:
        refused = await remote.get(f"{DASHBOARD_PATH}/")
    assert refused.status_code == 403 and "why are" not in refused.text


async def test_a_token_link_sets_a_cookie_and_drops_the_token_from_the_address(store: TraceStore) -> None:
    async with _client(_app(store, TOKEN), host="198.51.100.7") as remote:
        assert (await remote.get(f"{DASHBOARD_PATH}/")).status_code == 401
        redirect = await remote.get(f"{DASHBOARD_PATH}/?window=6h&token={TOKEN}")
        assert redirect.status_code == 303
        assert redirect.headers["location"] == f"http://netops.test{DASHBOARD_PATH}/?window=6h"
        assert "httponly" in redirect.headers["set-cookie"].lower()
        after = await remote.get(redirect.headers["location"])  # the client keeps the cookie
    assert after.status_code == 200 and "why are retransmissions" in after.text
    assert remote.cookies.get(COOKIE) == TOKEN


def test_the_dashboard_refuses_to_listen_beyond_this_machine_without_a_token() -> None:
    check_bind(load_settings(), "127.0.0.1")
    check_bind(load_settings(dashboard_token=TOKEN), "0.0.0.0")
    with pytest.raises(SettingsError, match="NETOPS_DASHBOARD_TOKEN"):
        check_bind(load_settings(), "0.0.0.0")


def _view(trace_id: str) -> TraceView:
    return TraceView(trace_id, 1, 5.0, 0, None, False, "no model calls")


def test_view_trace_links_to_the_dashboard_when_its_url_is_set() -> None:
    linked = trace_modal(_view("trace-abc"), "https://netops.example/dashboard/")
    link_block = linked["blocks"][1]
    assert link_block["type"] == "context"
    assert "<https://netops.example/dashboard/traces/trace-abc|" in link_block["elements"][0]["text"]
    plain = trace_modal(_view("trace-abc"))
    assert "dashboard" not in str(plain["blocks"])


async def test_a_running_trace_with_a_snapshot_is_drawn_so_far_and_refreshes_itself(store: TraceStore) -> None:
    live = _trace("trace-two")
    live.steps[0].end_time = live.steps[0].latency_ms = None  # the HOST step has not ended
    await store.snapshot(live, now=1001.0)
    async with _client(_app(store)) as http:
        page = await http.get(f"{DASHBOARD_PATH}/traces/trace-two")
    assert page.status_code == 200
    assert 'class="bar HOST running"' in page.text and "still running" in page.text
    assert '<meta http-equiv="refresh" content="2">' in page.text


async def test_the_cost_trend_is_drawn_only_when_some_trace_cost_something(redis_client: aioredis.Redis) -> None:
    store = TraceStore(redis_client)
    free = _trace("trace-free")
    await store.finish(await store.begin("trace-free", "free?"), free, failed=False)
    async with _client(_app(store)) as http:
        without = (await http.get(f"{DASHBOARD_PATH}/")).text
        paid = _trace("trace-paid")
        paid.steps[1].model, paid.steps[1].cost = "gpt-4o", 0.0125
        await store.finish(await store.begin("trace-paid", "paid?"), paid, failed=False)
        with_cost = (await http.get(f"{DASHBOARD_PATH}/")).text
    assert 'id="cost-trend"' not in without and "No model calls in this window" in without
    assert 'id="cost-trend"' in with_cost and "$0.0125" in with_cost
