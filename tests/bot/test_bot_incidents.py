"""An alarm's incident thread: ALARM opens it and diagnoses at once, a re-fire is noted, OK resolves it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import redis.asyncio as aioredis
from bot_alarm_harness import CHANNEL, AlarmBot, alarm_bot
from bot_fake_agent import FakeAgent
from bot_fake_slack import FakeSlack, action_values, block_text
from bot_sns import alarm_message, notification

from bot.blocks.ids import ACTION_APPLY
from bot.incidents import IGNORE, OPEN, REFIRE, RESOLVE, Incident, decide, diagnosis_request
from bot.sns.alarm import AlarmChange, parse_alarm

T0 = datetime(2026, 12, 1, 16, 0, tzinfo=UTC)


def change(state: str, at: datetime, message_id: str) -> AlarmChange:
    return parse_alarm(alarm_message(state, changed_at=at), topic_arn="t", message_id=message_id)


# --- the lifecycle, as a pure function ---


def test_an_alarm_with_no_incident_opens_one() -> None:
    action, incident = decide(None, change("ALARM", T0, "m1"), CHANNEL, "inc1")
    assert action == OPEN
    assert incident is not None and (incident.incident_id, incident.status, incident.channel) == (
        "inc1",
        "open",
        CHANNEL,
    )


def _open() -> Incident:
    _, incident = decide(None, change("ALARM", T0, "m1"), CHANNEL, "inc1")
    assert incident is not None
    return incident


def test_an_alarm_while_open_is_a_refire_that_counts() -> None:
    action, incident = decide(_open(), change("ALARM", T0 + timedelta(minutes=1), "m2"), CHANNEL, "inc2")
    assert action == REFIRE
    assert incident is not None and (incident.incident_id, incident.fired) == ("inc1", 2)


def test_ok_resolves_the_open_incident() -> None:
    action, incident = decide(_open(), change("OK", T0 + timedelta(minutes=5), "m2"), CHANNEL, "inc2")
    assert action == RESOLVE
    assert incident is not None and incident.status == "resolved" and incident.resolution is not None


def test_an_alarm_after_resolution_opens_a_new_incident() -> None:
    _, resolved = decide(_open(), change("OK", T0 + timedelta(minutes=5), "m2"), CHANNEL, "x")
    action, incident = decide(resolved, change("ALARM", T0 + timedelta(minutes=9), "m3"), CHANNEL, "inc3")
    assert action == OPEN
    assert incident is not None and incident.incident_id == "inc3" and incident.fired == 1


def test_a_change_older_than_the_last_applied_is_ignored() -> None:
    _, resolved = decide(_open(), change("OK", T0 + timedelta(minutes=5), "m2"), CHANNEL, "x")
    action, incident = decide(resolved, change("ALARM", T0 + timedelta(minutes=3), "m-late"), CHANNEL, "inc9")
    assert action == IGNORE
    assert incident == resolved


def test_ok_with_no_open_incident_is_ignored() -> None:
    assert decide(None, change("OK", T0, "m1"), CHANNEL, "inc1") == (IGNORE, None)


def test_the_same_message_again_repeats_its_action_so_a_rerun_finishes_it() -> None:
    opened = _open()
    assert decide(opened, change("ALARM", T0, "m1"), CHANNEL, "other") == (OPEN, opened)


def test_the_diagnosis_is_scoped_to_the_dimensions_and_the_minutes_before_the_alarm() -> None:
    question, scope = diagnosis_request(change("ALARM", T0, "m1"), window_minutes=15)
    assert scope == {
        "instances": ["i-0abc"],
        "region": "us-east-1",
        "window_minutes": 15,
        "since": (T0 - timedelta(minutes=15)).isoformat(),
        "alarm": "app-db-retransmissions",
    }
    assert "last 15 minutes" in question and "i-0abc" in question and "MonitorName=netops-lab-app-db" in question


# --- the thread, against the running bot ---


@pytest.fixture
async def bot(redis_client: aioredis.Redis, fake_slack: FakeSlack, agent: FakeAgent) -> AsyncIterator[AlarmBot]:
    async with alarm_bot(redis_client, fake_slack, agent, alarm_window_minutes=20) as running:
        yield running


def _roots(slack: FakeSlack) -> list[dict]:
    return [m for m in slack.messages().values() if not m.get("thread_ts") and m.get("channel") == CHANNEL]


def _replies(slack: FakeSlack, root_ts: str) -> list[str]:
    return [block_text(m.get("blocks")) for m in slack.messages().values() if m.get("thread_ts") == root_ts]


def _root_ts(slack: FakeSlack) -> str:
    return next(ts for ts, m in slack.messages().items() if not m.get("thread_ts"))


async def _diagnosed(bot: AlarmBot) -> str:
    """Waits for the first incident's diagnosis in its thread; returns the root's ts."""

    def answered(slack: FakeSlack) -> bool:
        roots = _roots(slack)
        return bool(roots) and any("Packet loss" in text for text in _replies(slack, _root_ts(slack)))

    await bot.slack.wait_for(answered)
    return _root_ts(bot.slack)


async def test_an_alarm_opens_a_thread_that_says_what_fired(bot: AlarmBot) -> None:
    await bot.deliver(notification(alarm_message(changed_at=T0)))
    root = (await bot.slack.wait_for(lambda s: _roots(s)))[0]
    text = block_text(root["blocks"])
    assert "CloudWatch alarm app-db-retransmissions* is in ALARM" in text
    assert "`AWS/NetworkFlowMonitor/Retransmissions` &gt; 10 (value 42)" in text
    assert "`MonitorName` = `netops-lab-app-db`" in text and "`InstanceId` = `i-0abc`" in text
    assert "Fired at 2026-12-01 16:00:00 UTC" in text
    assert "console.aws.amazon.com/cloudwatch/home?region=us-east-1#alarmsV2:alarm/app-db-retransmissions" in text


async def test_the_diagnosis_runs_at_once_with_the_alarm_scope_and_lands_in_the_thread(bot: AlarmBot) -> None:
    await bot.deliver(notification(alarm_message(changed_at=T0)))
    root_ts = await _diagnosed(bot)
    received = bot.agent.received[0]
    scope = received.metadata["netops"]["scope"]
    assert scope["instances"] == ["i-0abc"] and scope["window_minutes"] == 20
    assert scope["since"] == (T0 - timedelta(minutes=20)).isoformat()
    assert received.metadata["netops"]["thread_ts"] == root_ts
    assert "last 20 minutes" in received.text
    answer = next(
        m
        for m in bot.slack.messages().values()
        if m.get("thread_ts") == root_ts and "Packet loss" in block_text(m["blocks"])
    )
    assert action_values(answer["blocks"], ACTION_APPLY)  # the fix button, in the incident thread


async def test_a_refire_while_open_is_noted_and_not_investigated_again(bot: AlarmBot) -> None:
    await bot.deliver(notification(alarm_message(changed_at=T0)))
    root_ts = await _diagnosed(bot)
    await bot.deliver(
        notification(alarm_message(changed_at=T0 + timedelta(minutes=2), reason="Threshold Crossed again"))
    )
    await bot.slack.wait_for(lambda s: any("Fired again at 2026-12-01 16:02:00 UTC" in t for t in _replies(s, root_ts)))
    await bot.slack.wait_for(lambda s: "fired 2 times" in block_text(s.messages()[root_ts]["blocks"]))
    assert len(bot.agent.received) == 1
    assert len(_roots(bot.slack)) == 1


async def test_ok_posts_resolved_and_updates_the_root(bot: AlarmBot) -> None:
    await bot.deliver(notification(alarm_message(changed_at=T0)))
    root_ts = await _diagnosed(bot)
    await bot.deliver(notification(alarm_message("OK", changed_at=T0 + timedelta(minutes=12))))
    await bot.slack.wait_for(lambda s: any("Resolved at 2026-12-01 16:12:00 UTC" in t for t in _replies(s, root_ts)))
    root = await bot.slack.wait_for(
        lambda s: "was resolved" in block_text(s.messages()[root_ts]["blocks"]) and s.messages()[root_ts]
    )
    assert "resolved at 2026-12-01 16:12:00 UTC after 12 min" in block_text(root["blocks"])


async def test_an_alarm_after_resolution_opens_a_new_incident_thread(bot: AlarmBot) -> None:
    await bot.deliver(notification(alarm_message(changed_at=T0)))
    await _diagnosed(bot)
    await bot.deliver(notification(alarm_message("OK", changed_at=T0 + timedelta(minutes=5))))
    await bot.slack.wait_for(lambda s: any("Resolved at" in t for t in _replies(s, _root_ts(s))))
    await bot.deliver(notification(alarm_message(changed_at=T0 + timedelta(minutes=30))))
    await bot.slack.wait_for(lambda s: len(_roots(s)) == 2)
    await bot.slack.wait_for(lambda s: len(bot.agent.received) == 2)


async def test_duplicate_deliveries_of_one_alarm_open_one_thread_and_one_diagnosis(bot: AlarmBot) -> None:
    signed = bot.signer.sign(notification(alarm_message(changed_at=T0)))
    from bot_sns import post_sns

    for _ in range(3):
        await post_sns(bot.http, bot.url, signed)
    await _diagnosed(bot)
    assert len(_roots(bot.slack)) == 1 and len(bot.agent.received) == 1


async def test_text_from_the_alarm_is_escaped_before_it_reaches_mrkdwn(bot: AlarmBot) -> None:
    bot.runtime.services.settings.alarm_channels["<!channel> <https://evil|x>"] = CHANNEL
    message = alarm_message(
        changed_at=T0,
        name="<!channel> <https://evil|x>",
        reason="value <@U123> & more",
        dimensions=[{"name": "MonitorName", "value": "<!here>"}],
    )
    await bot.deliver(notification(message))
    root = (await bot.slack.wait_for(lambda s: _roots(s)))[0]
    text = json.dumps(root["blocks"])
    assert "<!channel>" not in text and "<!here>" not in text and "<@U123>" not in text
    assert "&lt;!channel&gt; &lt;https://evil|x&gt;" in block_text(root["blocks"])
    assert "value &lt;@U123&gt; &amp; more" in block_text(root["blocks"])


async def test_an_alarm_mapped_to_no_channel_posts_nothing(bot: AlarmBot) -> None:
    await bot.deliver(notification(alarm_message(changed_at=T0, name="unmapped-alarm")))
    await bot.deliver(notification(alarm_message(changed_at=T0)))  # queued after it: its answer means both ran
    await _diagnosed(bot)
    assert len(_roots(bot.slack)) == 1
    assert all("unmapped-alarm" not in block_text(m["blocks"]) for m in _roots(bot.slack))


def test_an_alarm_described_in_korean_opens_a_korean_thread() -> None:
    from bot.blocks.incident import refire_note, root_blocks

    korean = parse_alarm(alarm_message(changed_at=T0, description="앱과 DB 사이 재전송"), message_id="m1")
    root = block_text(root_blocks(korean))
    assert "CloudWatch 경보 app-db-retransmissions* 이(가) ALARM 상태입니다" in root
    assert "2026-12-01 16:00:00 UTC에 발생" in root
    assert "다시 발생" in refire_note(korean, korean)
    question, _ = diagnosis_request(korean, 15)
    assert "지난 15분" in question


def test_every_incident_and_feedback_message_has_a_korean_translation() -> None:
    import ast
    from pathlib import Path

    from agents.i18n import translations

    korean = translations("ko")
    root = Path(__file__).resolve().parents[2]
    msgids = []
    for source in (
        "bot/blocks/incident.py",
        "bot/incidents.py",
        "bot/blocks/feedback.py",
        "bot/listeners/actions/feedback.py",
    ):
        for node in ast.walk(ast.parse((root / source).read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("tr", "_note"):
                msgids += [a.value for a in node.args[1:] if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    assert len(msgids) >= 25
    assert [msgid for msgid in msgids if msgid not in korean] == []
