"""The console surface: the same conversation and approval as Slack, printed as text."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis
from bot_fake_agent import DIAGNOSIS, HEALTHY, FakeAgent
from bot_harness import make_settings

from bot.audit import AuditLog
from bot.collaborator import CollaboratorClient
from bot.console import ConsoleSession, render_blocks
from bot.console_logging import NOISY_LOGGER, quiet_library_noise


@pytest.fixture
async def session(redis_client: aioredis.Redis, agent: FakeAgent) -> AsyncIterator[ConsoleSession]:
    settings = make_settings(redis_client, "http://127.0.0.1:1/api/", collaborator_url=agent.url)
    client = CollaboratorClient(agent.url)
    try:
        yield ConsoleSession(settings, redis_client, client)
    finally:
        await client.aclose()


async def test_ask_returns_the_thread_with_headline_findings_trace_and_buttons(session: ConsoleSession) -> None:
    text = await session.ask("why is payments slow?")
    lines = text.splitlines()
    assert lines[0] == "@OPERATOR asked: why is payments slow?"
    assert "🔴 Critical: Packet loss on the app→db path retransmits 3.1 % of segments." in lines
    assert any(line.startswith("  trace ") and "1,120 tokens · $0.0142" in line for line in lines)
    assert "[ Apply TCP fixes ]  (primary)" in lines
    confirm = next(line for line in lines if line.strip().startswith("confirm:"))
    assert "i-0abc1234def567890" in confirm and "net.core.rmem_max → 134217728" in confirm
    assert "[ Dismiss ]" in lines and "[ View trace ]" in lines
    assert "Working…" not in text


async def test_a_second_ask_continues_the_conversation(session: ConsoleSession, agent: FakeAgent) -> None:
    agent.answers = [DIAGNOSIS, HEALTHY]
    await session.ask("why is payments slow?")
    text = await session.ask("and what about the db side?")
    assert "The database side is healthy" in text
    assert agent.received[1].context_id == agent.received[0].context_id


async def test_a_korean_question_gets_the_bots_own_words_in_korean(session: ConsoleSession) -> None:
    lines = (await session.ask("payments가 왜 느려?")).splitlines()
    assert lines[0] == "@OPERATOR 님의 질문: payments가 왜 느려?"
    assert "🔴 심각: Packet loss on the app→db path retransmits 3.1 % of segments." in lines
    assert "[ TCP 수정 적용 ]  (primary)" in lines and "[ 거절 ]" in lines and "[ 트레이스 보기 ]" in lines
    confirm = next(line for line in lines if line.strip().startswith("confirm:"))
    assert confirm.strip().startswith("confirm: TCP 수정을 적용할까요?: i-0abc1234def567890에서: ")


async def test_the_fix_result_of_a_korean_question_reads_in_korean(session: ConsoleSession) -> None:
    await session.ask("payments가 왜 느려?")
    text = await session.approve()
    assert "✅ @OPERATOR 님이 승인함: 적용됨(결과는 아래)." in text
    assert "설정을 다시 읽어 확인함" in text


async def test_two_console_sessions_on_one_redis_do_not_share_a_conversation(
    session: ConsoleSession, redis_client: aioredis.Redis, agent: FakeAgent
) -> None:
    agent.answers = [DIAGNOSIS, HEALTHY]
    await session.ask("why is payments slow?")
    other = ConsoleSession(session.services.settings, redis_client, session.services.collaborator)
    await other.ask("is the network healthy?")

    assert other.thread_ts != session.thread_ts
    assert agent.received[0].context_id and agent.received[1].context_id != agent.received[0].context_id


async def test_approve_applies_the_fix_and_shows_before_and_after(session: ConsoleSession, agent: FakeAgent) -> None:
    await session.ask("why is payments slow?")
    text = await session.approve()
    assert "✅ Approved by @OPERATOR: applied (result below)." in text
    assert "• `net.core.rmem_max`: 212992 → 134217728" in text
    assert "[ Apply TCP fixes ]" not in text
    assert len(agent.remediations) == 1
    events = [entry.event for entry in await AuditLog(session.services.redis).entries()]
    assert events == ["approved", "fix_result"]


async def test_approve_without_a_pending_fix_says_so(session: ConsoleSession, agent: FakeAgent) -> None:
    agent.answers = [HEALTHY]
    await session.ask("is the db ok?")
    assert (await session.approve()).endswith("(no fix is waiting for approval in this thread)")
    assert agent.remediations == []


async def test_approve_with_nothing_waiting_says_so_in_the_askers_language(
    session: ConsoleSession, agent: FakeAgent
) -> None:
    agent.answers = [HEALTHY]
    await session.ask("db 괜찮아?")
    await session.dismiss()
    assert session.nothing_waiting == "(이 스레드에는 승인을 기다리는 수정이 없습니다)"


def test_the_a2a_dispatcher_warning_is_kept_off_the_console_and_other_warnings_are_not(
    caplog: pytest.LogCaptureFixture,
) -> None:
    quiet_library_noise()
    logger = logging.getLogger(NOISY_LOGGER)
    with caplog.at_level(logging.WARNING, logger=NOISY_LOGGER):
        logger.warning("Dispatcher task is not running. Cannot wait for event dispatch.")
        logger.warning("queue is full")
    assert [record.getMessage() for record in caplog.records] == ["queue is full"]


async def test_dismiss_replaces_the_buttons_with_the_reason(session: ConsoleSession) -> None:
    await session.ask("why is payments slow?")
    text = await session.dismiss("change freeze")
    assert "🚫 Dismissed by @OPERATOR: change freeze" in text
    assert "[ Apply TCP fixes ]" not in text


def test_render_blocks_shows_context_dividers_and_user_mentions() -> None:
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": "*Bold* for <@U123>"}},
        {"type": "divider"},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "trace 4f3a… · 2 steps"}]},
    ]
    assert render_blocks(blocks) == "Bold for @U123\n" + "─" * 40 + "\n  trace 4f3a… · 2 steps"


async def test_view_trace_renders_the_step_tree_of_the_newest_result(session: ConsoleSession) -> None:
    assert await session.view_trace() is None  # nothing asked yet
    await session.ask("why is payments slow?")
    modal = await session.view_trace()
    assert modal is not None
    lines = modal.splitlines()
    assert lines[0].startswith("trace ")
    assert any(line.startswith("netops bot: question (host") for line in lines)
    assert any("└ analyze_traffic_mirroring_logs (tool" in line for line in lines)


async def test_on_change_sees_the_working_message_before_the_result(redis_client, agent: FakeAgent) -> None:  # type: ignore[no-untyped-def]
    seen: list[str] = []
    settings = make_settings(redis_client, "http://127.0.0.1:1/api/", collaborator_url=agent.url)
    client = CollaboratorClient(agent.url)
    try:
        session = ConsoleSession(
            settings, redis_client, client, on_change=lambda m: seen.append(render_blocks(m.blocks))
        )
        await session.ask("why is payments slow?")
    finally:
        await client.aclose()
    working = [i for i, text in enumerate(seen) if text.startswith("⏳ Working…")]
    result = [i for i, text in enumerate(seen) if "Critical" in text]
    assert working and result and max(working) < min(result)
    assert any("Querying Network Flow Monitor" in seen[i] for i in working)


async def test_the_console_works_on_fakeredis_for_the_embedded_demo(redis_client, agent: FakeAgent) -> None:  # type: ignore[no-untyped-def]
    import fakeredis

    fake = fakeredis.FakeAsyncRedis()
    settings = make_settings(redis_client, "http://127.0.0.1:1/api/", collaborator_url=agent.url)
    client = CollaboratorClient(agent.url)
    try:
        session = ConsoleSession(settings, fake, client)
        await session.ask("why is payments slow?")
        text = await session.approve()
        assert "• `net.core.rmem_max`: 212992 → 134217728" in text
        assert [e.event for e in await AuditLog(fake).entries()] == ["approved", "fix_result"]
    finally:
        await client.aclose()
        await fake.aclose()
