"""`POST /aws/sns`: CloudWatch alarms arrive here from SNS and become durable jobs.

A verified notification is queued as an `alarm` job with the dedupe key `sns:<MessageId>`
(SNS retries and may deliver twice: the job queue's atomic dedupe counts it once). A
subscription confirmation is confirmed only for an allowed topic, by a GET on its
SubscribeURL, itself held to AWS's SNS hosts. Anything unverified gets 403 and one log line;
SNS retries 5xx, so a Redis outage answers 503 and loses nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from redis.exceptions import RedisError
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from agents.settings import Settings
from bot.sns.alarm import NotAnAlarm, parse_alarm
from bot.sns.certificates import CertificateStore, check_aws_url, load_lab_certificate
from bot.sns.message import MAX_BODY_BYTES, NOTIFICATION, SUBSCRIPTION_CONFIRMATION, SnsMessage, SnsRejected
from bot.sns.verify import SnsVerifier

log = logging.getLogger(__name__)

SNS_PATH = "/aws/sns"
ALARM = "alarm"

# (kind, payload, dedupe key) -> the entry id, or None for a duplicate: `JobQueue.enqueue`.
Enqueue = Callable[[str, dict[str, Any], str], Awaitable[str | None]]


class SnsReceiver:
    def __init__(self, verifier: SnsVerifier, http: httpx.AsyncClient, enqueue: Enqueue) -> None:
        self._verifier = verifier
        self._http = http
        self._enqueue = enqueue

    async def handle(self, body: bytes, header_type: str | None) -> tuple[int, str]:
        """(HTTP status, body) for one delivery."""
        try:
            message = await self._verifier.verify(body, header_type)
        except SnsRejected as exc:
            log.warning("sns: refused a message: %s", exc)
            return 403, "forbidden"
        if message.type == SUBSCRIPTION_CONFIRMATION:
            return await self._confirm(message)
        if message.type != NOTIFICATION:
            log.info("sns: %s for %s", message.type, message.topic_arn)
            return 200, "ok"
        try:
            change = parse_alarm(message.message, topic_arn=message.topic_arn, message_id=message.message_id)
        except NotAnAlarm as exc:
            log.info("sns: notification %s from %s ignored: %s", message.message_id, message.topic_arn, exc)
            return 200, "ignored"
        try:
            entry = await self._enqueue(ALARM, change.to_payload(), f"sns:{message.message_id}")
        except RedisError as exc:
            log.error("sns: could not queue alarm %s (%s); SNS will retry", change.name, exc)
            return 503, "retry later"
        if entry is None:
            log.info("sns: duplicate delivery of %s ignored", message.message_id)
        return 200, "ok"

    async def _confirm(self, message: SnsMessage) -> tuple[int, str]:
        try:
            check_aws_url(message.subscribe_url, "SubscribeURL")
        except SnsRejected as exc:
            log.warning("sns: refused a subscription confirmation: %s", exc)
            return 403, "forbidden"
        try:
            response = await self._http.get(message.subscribe_url, follow_redirects=False, timeout=10.0)
        except httpx.HTTPError as exc:
            log.error("sns: confirming %s failed: %s", message.topic_arn, type(exc).__name__)
            return 503, "retry later"
        if response.status_code != 200:
            log.error("sns: confirming %s answered %d", message.topic_arn, response.status_code)
            return 503, "retry later"
        log.info("sns: subscription to %s confirmed", message.topic_arn)
        return 200, "confirmed"


def sns_routes(receiver: SnsReceiver) -> list[Route]:
    async def receive(request: Request) -> Response:
        body = await _bounded_body(request)
        if body is None:
            log.warning("sns: refused a body larger than %d bytes", MAX_BODY_BYTES)
            return PlainTextResponse("forbidden", status_code=403)
        status, text = await receiver.handle(body, request.headers.get("x-amz-sns-message-type"))
        return PlainTextResponse(text, status_code=status)

    return [Route(SNS_PATH, receive, methods=["POST"])]


async def _bounded_body(request: Request) -> bytes | None:
    """The body, or None once it passes MAX_BODY_BYTES (declared or chunked): read no further."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def build_receiver(settings: Settings, enqueue: Enqueue, http: httpx.AsyncClient) -> SnsReceiver:
    """The process's receiver: its topics, its certificate cache, the lab's certificate in lab mode only."""
    lab = load_lab_certificate(settings.sns_lab_certificate, settings.lab_mode)
    verifier = SnsVerifier(settings.sns_topic_arns, CertificateStore(http, lab_certificate=lab))
    return SnsReceiver(verifier, http, enqueue)
