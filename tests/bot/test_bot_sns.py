"""POST /aws/sns accepts only what AWS signed, for allowed topics, once per MessageId."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import redis.asyncio as aioredis
from bot_alarm_harness import AlarmBot, alarm_bot
from bot_fake_agent import FakeAgent
from bot_fake_slack import FakeSlack
from bot_harness import make_settings
from bot_sns import CERT_URL, TOPIC, FakeAws, Signer, alarm_message, notification, post_sns, subscription_confirmation

from agents.settings import SettingsError
from bot.jobs import JOB_STREAM
from bot.server import check_settings
from bot.sns.certificates import LAB_CERT_PATH, CertificateStore, load_lab_certificate
from bot.sns.message import SnsRejected
from bot.sns.verify import SnsVerifier


@pytest.fixture
async def bot(redis_client: aioredis.Redis, fake_slack: FakeSlack, agent: FakeAgent) -> AsyncIterator[AlarmBot]:
    async with alarm_bot(redis_client, fake_slack, agent) as running:
        yield running


async def _queued(redis_client: aioredis.Redis) -> int:
    return int(await redis_client.xlen(JOB_STREAM)) if await redis_client.exists(JOB_STREAM) else 0


async def test_a_signed_alarm_notification_is_accepted_and_queued(bot: AlarmBot, redis_client) -> None:  # type: ignore[no-untyped-def]
    response = await bot.deliver(notification(alarm_message()), version="2")
    assert response.status_code == 200
    assert await _queued(redis_client) == 1


async def test_signature_version_1_sha1_is_accepted_too(bot: AlarmBot, redis_client) -> None:  # type: ignore[no-untyped-def]
    response = await bot.deliver(notification(alarm_message()), version="1")
    assert response.status_code == 200
    assert await _queued(redis_client) == 1


async def test_a_message_altered_after_signing_gets_403_and_nothing_is_queued(bot: AlarmBot, redis_client) -> None:  # type: ignore[no-untyped-def]
    signed = bot.signer.sign(notification(alarm_message()))
    forged = signed | {"Message": alarm_message(name="someone-elses-alarm")}
    response = await post_sns(bot.http, bot.url, forged)
    assert response.status_code == 403
    assert await _queued(redis_client) == 0


async def test_a_message_signed_by_another_key_gets_403(bot: AlarmBot, redis_client) -> None:  # type: ignore[no-untyped-def]
    impostor = Signer.throwaway()
    response = await post_sns(bot.http, bot.url, impostor.sign(notification(alarm_message())))
    assert response.status_code == 403
    assert await _queued(redis_client) == 0


@pytest.mark.parametrize(
    "cert_url",
    [
        "https://evil.example.com/SimpleNotificationService-0123.pem",
        "http://sns.us-east-1.amazonaws.com/SimpleNotificationService-0123.pem",
        "https://sns.us-east-1.amazonaws.com.evil.example.com/SimpleNotificationService-0123.pem",
        "https://sns.us-east-1.amazonaws.com:8443/SimpleNotificationService-0123.pem",
        "https://user@sns.us-east-1.amazonaws.com/SimpleNotificationService-0123.pem",
        "https://s3.us-east-1.amazonaws.com/SimpleNotificationService-0123.pem",
    ],
)
async def test_a_certificate_from_anywhere_but_an_sns_host_is_refused_without_fetching_it(
    bot: AlarmBot,
    redis_client,
    cert_url: str,  # type: ignore[no-untyped-def]
) -> None:
    bot.aws.certificates[cert_url] = bot.signer.pem  # even a certificate that would verify
    response = await bot.deliver(notification(alarm_message(), cert_url=cert_url))
    assert response.status_code == 403
    assert bot.aws.requests == []
    assert await _queued(redis_client) == 0


async def test_an_unknown_topic_gets_403_before_any_certificate_is_fetched(bot: AlarmBot, redis_client) -> None:  # type: ignore[no-untyped-def]
    other = "arn:aws:sns:us-east-1:999999999999:not-ours"
    response = await bot.deliver(notification(alarm_message(), topic=other))
    assert response.status_code == 403
    assert bot.aws.requests == []
    assert await _queued(redis_client) == 0


async def test_a_replayed_message_id_counts_once(bot: AlarmBot, redis_client) -> None:  # type: ignore[no-untyped-def]
    signed = bot.signer.sign(notification(alarm_message()))
    first = await post_sns(bot.http, bot.url, signed)
    again = await post_sns(bot.http, bot.url, signed)
    assert (first.status_code, again.status_code) == (200, 200)  # SNS must not retry a duplicate
    assert await _queued(redis_client) == 1


async def test_the_certificate_is_fetched_once_for_many_messages(bot: AlarmBot) -> None:
    for _ in range(3):
        assert (await bot.deliver(notification(alarm_message()))).status_code == 200
    assert bot.aws.fetched(CERT_URL) == 1


async def test_a_message_older_than_the_replay_window_gets_403(bot: AlarmBot, redis_client) -> None:  # type: ignore[no-untyped-def]
    old = (datetime.now(UTC) - timedelta(hours=25)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    response = await bot.deliver(notification(alarm_message(), Timestamp=old))
    assert response.status_code == 403
    assert await _queued(redis_client) == 0


async def test_a_type_header_that_disagrees_with_the_body_gets_403(bot: AlarmBot) -> None:
    signed = bot.signer.sign(notification(alarm_message()))
    response = await bot.http.post(
        bot.url + "/aws/sns",
        content=json.dumps(signed).encode(),
        headers={"Content-Type": "text/plain", "x-amz-sns-message-type": "SubscriptionConfirmation"},
    )
    assert response.status_code == 403


async def test_a_body_larger_than_any_sns_message_gets_403_declared_or_chunked(bot: AlarmBot) -> None:
    big = b"x" * (400 * 1024)
    headers = {"x-amz-sns-message-type": "Notification"}
    assert (await bot.http.post(bot.url + "/aws/sns", content=big, headers=headers)).status_code == 403

    async def chunked():  # no Content-Length: the endpoint must stop reading on its own
        for _ in range(8):
            yield b"x" * (64 * 1024)

    assert (await bot.http.post(bot.url + "/aws/sns", content=chunked(), headers=headers)).status_code == 403


async def test_a_body_that_is_not_json_gets_403(bot: AlarmBot) -> None:
    response = await bot.http.post(
        bot.url + "/aws/sns", content=b"not json", headers={"x-amz-sns-message-type": "Notification"}
    )
    assert response.status_code == 403


async def test_a_subscription_to_an_allowed_topic_is_confirmed(bot: AlarmBot) -> None:
    message = subscription_confirmation()
    response = await bot.deliver(message)
    assert response.status_code == 200
    confirmations = [r for r in bot.aws.requests if r.url.params.get("Action") == "ConfirmSubscription"]
    assert [str(r.url) for r in confirmations] == [message["SubscribeURL"]]


async def test_a_subscription_to_another_topic_is_not_confirmed(bot: AlarmBot) -> None:
    response = await bot.deliver(subscription_confirmation(topic="arn:aws:sns:us-east-1:999999999999:not-ours"))
    assert response.status_code == 403
    assert bot.aws.requests == []


async def test_a_subscribe_url_off_aws_is_never_visited(bot: AlarmBot) -> None:
    message = subscription_confirmation(subscribe_url="https://evil.example.com/?Action=ConfirmSubscription")
    response = await bot.deliver(message)
    assert response.status_code == 403
    assert all(r.url.host != "evil.example.com" for r in bot.aws.requests)


async def test_no_topic_is_allowed_when_none_is_configured(
    redis_client: aioredis.Redis, fake_slack: FakeSlack, agent: FakeAgent
) -> None:
    async with alarm_bot(redis_client, fake_slack, agent, sns_topic_arns="") as bot:
        response = await bot.deliver(notification(alarm_message()))
        assert response.status_code == 403
        assert bot.aws.requests == []


async def _verify_lab_message(lab_mode: bool) -> None:
    lab = Signer.throwaway("netops lab")
    lab_url = f"https://sns.us-east-1.amazonaws.com{LAB_CERT_PATH}"
    pem = lab.pem.decode()
    aws = FakeAws()  # nothing to fetch: AWS has no such certificate
    async with aws.client() as http:
        store = CertificateStore(http, lab_certificate=load_lab_certificate(pem, lab_mode))
        signed = lab.sign(notification(alarm_message(), cert_url=lab_url))
        await SnsVerifier([TOPIC], store).verify(json.dumps(signed).encode(), "Notification")


async def test_the_lab_certificate_is_trusted_in_lab_mode() -> None:
    await _verify_lab_message(lab_mode=True)


async def test_the_lab_certificate_is_not_trusted_outside_lab_mode() -> None:
    with pytest.raises(SnsRejected):
        await _verify_lab_message(lab_mode=False)


def test_a_lab_certificate_without_lab_mode_stops_start_up(redis_client: aioredis.Redis) -> None:
    settings = make_settings(redis_client, "http://127.0.0.1:9/api/", sns_lab_certificate="-----BEGIN…")
    with pytest.raises(SettingsError, match="NETOPS_SNS_LAB_CERTIFICATE"):
        check_settings(settings)


def test_an_empty_lab_certificate_variable_is_unset(redis_client: aioredis.Redis) -> None:
    settings = make_settings(redis_client, "http://127.0.0.1:9/api/", sns_lab_certificate="  ")
    assert settings.sns_lab_certificate is None
    check_settings(settings)
