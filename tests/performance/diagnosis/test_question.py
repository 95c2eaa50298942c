"""What a question asks and names, in English and Korean: intent, instances, IPs, ports, region, window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from agents.performance.question import read_intent, read_names, read_question, read_region, read_window

NOW = datetime(2026, 12, 1, 16, 30, tzinfo=UTC)


def scope(text: str, **kw):  # type: ignore[no-untyped-def]
    return read_question(text, now=NOW, default_region="us-east-1", default_window_minutes=30, **kw)


@pytest.mark.parametrize(
    ("question", "intent", "cause"),
    [
        ("why are retransmissions high between app and db?", "why", None),
        ("app과 db 사이에 TCP 재전송이 왜 이렇게 많아?", "why", None),
        ("is packet loss the reason the app is slow?", "is_cause", "path_loss"),
        ("지연 때문인가요?", "is_cause", "added_latency"),
        ("is the network healthy?", "health", None),
        ("최근 5분 동안 네트워크 정상이야?", "health", None),
        ("show me the worst flows in us-west-2", "worst_flows", None),
        ("undo the fix", "undo", None),
        ("되돌려 줘", "undo", None),
        ("what is the RTT to the db?", "metric", None),
    ],
)
def test_the_intent_is_read_in_both_languages(question: str, intent: str, cause: str | None) -> None:
    found, _, asked = read_intent(question)
    assert (found, asked) == (intent, cause)


def test_instances_ips_and_ports_are_read_and_a_clock_is_not_a_port() -> None:
    assert read_names("why is i-0123456789abcdef0 slow to 10.0.2.20:5432?") == (
        ("i-0123456789abcdef0",),
        ("10.0.2.20",),
        (5432,),
    )
    assert read_names("since 17:02 the db is slow") == ((), (), ())
    assert read_names("port 6379 and 포트 22")[2] == (6379, 22)


def test_an_id_with_a_trailing_newline_or_more_hex_is_not_taken_for_another() -> None:
    assert read_names("i-0123456789abcdef01 is not an id")[0] == ()


def test_regions_by_name_and_by_nickname() -> None:
    assert read_region("show me us-west-2") == "us-west-2"
    assert read_region("서울 리전 상위 플로우") == "ap-northeast-2"
    assert read_region("the db is slow") is None


def test_relative_windows_in_both_languages() -> None:
    assert read_window("last 2 hours", now=NOW, default_minutes=30, tz_name=None).minutes == 120
    assert read_window("최근 5분 동안", now=NOW, default_minutes=30, tz_name=None).minutes == 5
    assert read_window("nothing said", now=NOW, default_minutes=30, tz_name=None).stated == "default"


def test_since_a_clock_time_is_in_the_named_zone_or_the_askers() -> None:
    kst = read_window("since 14:00 KST any resets?", now=NOW, default_minutes=30, tz_name=None)
    assert kst.start == datetime(2026, 12, 1, 5, 0, tzinfo=UTC) and kst.stated == "since"
    seoul = read_window("14시부터 지연이 심해요", now=NOW, default_minutes=30, tz_name="Asia/Seoul")
    assert seoul.start == datetime(2026, 12, 1, 5, 0, tzinfo=UTC) and seoul.tz_name == "Asia/Seoul"
    later = read_window("since 18:00", now=NOW, default_minutes=30, tz_name=None)  # 18:00 today is ahead: yesterday
    assert later.start == datetime(2026, 11, 30, 18, 0, tzinfo=UTC)


def test_between_two_clock_times() -> None:
    window = read_window("between 2pm and 3pm UTC was latency high?", now=NOW, default_minutes=30, tz_name=None)
    assert (window.start.hour, window.end.hour, window.stated) == (14, 15, "between")


def test_what_the_thread_carries_fills_only_what_the_reply_does_not_name() -> None:
    carried = {"instances": ["i-0123456789abcdef0"], "region": "us-west-2", "window_minutes": 120}
    reply = scope("and what about the latency?", carried=carried)
    assert (reply.instances, reply.region, round(reply.window.minutes)) == (("i-0123456789abcdef0",), "us-west-2", 120)
    assert set(reply.carried) == {"instances", "region", "window"}
    named = scope("and the last 5 minutes in eu-west-1?", carried=carried)
    assert (named.region, round(named.window.minutes)) == ("eu-west-1", 5)
    assert "region" not in named.carried


def test_a_fix_cuts_the_window_there() -> None:
    moment = NOW - timedelta(minutes=3)
    cut = scope("is it healthy now?").since(moment)
    assert cut.window.start == moment and cut.window.stated == "since_fix"
