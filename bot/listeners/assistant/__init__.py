"""The assistant side panel (bolt's `AsyncAssistant`): prompts, status, a title, the viewed channel.

A question asked in the panel takes the `/netops` path: a durable `question` job answering in
the panel's thread, which is owned (replies there are follow-ups). The channel the user is
viewing goes to the agents as `metadata["netops"]["viewing_channel"]`. The language of the
prompts is the one the user last asked in (English until they have asked).
"""

from __future__ import annotations

import logging
from typing import Any

from redis.exceptions import RedisError
from slack_bolt.async_app import AsyncApp
from slack_bolt.middleware.assistant.async_assistant import AsyncAssistant

from agents.i18n import detect_language, normalize_language
from bot.listeners.assistant.prompts import prompts_title, status_text, suggested_prompts, thread_title
from bot.listeners.assistant.store import RedisThreadContextStore
from bot.runner import QUESTION
from bot.services import Services

log = logging.getLogger(__name__)

EVENTS = ("assistant_thread_started", "assistant_thread_context_changed")
LANGUAGE_TTL_S = 90 * 24 * 3600


def _language_key(user: str) -> str:
    return f"netops:user-language:{user}"


async def on_thread_started(
    payload: dict[str, Any], save_thread_context: Any, set_suggested_prompts: Any, services: Services
) -> None:
    thread = payload.get("assistant_thread") or {}
    if thread.get("context"):
        await save_thread_context(thread["context"])
    raw = await services.redis.get(_language_key(str(thread.get("user_id") or "")))
    lang = normalize_language(raw.decode() if isinstance(raw, bytes) else raw)
    await set_suggested_prompts(prompts=suggested_prompts(lang), title=prompts_title(lang))


async def on_user_message(
    payload: dict[str, Any], set_status: Any, set_title: Any, get_thread_context: Any, services: Services
) -> None:
    question = " ".join(str(payload.get("text") or "").split())
    user, channel, thread_ts = payload.get("user", ""), payload["channel"], payload["thread_ts"]
    if not question or not user:
        return
    lang = detect_language(question)
    context = await get_thread_context()
    viewing = context.channel_id if context is not None else None
    job = {"channel": channel, "thread_ts": thread_ts, "user": user, "question": question, "owned": True}
    if viewing:
        job["viewing_channel"] = viewing
    try:
        await services.redis.set(_language_key(user), lang, ex=LANGUAGE_TTL_S)
        await services.jobs.enqueue(QUESTION, job, dedupe_key=f"assistant:{channel}:{payload.get('ts')}")
    except RedisError as exc:
        log.error("assistant: could not queue a question: %s", exc)
        return
    if await services.redis.set(f"netops:assistant-titled:{channel}:{thread_ts}", "1", nx=True, ex=LANGUAGE_TTL_S):
        await set_title(thread_title(question))  # the thread's first question names it
    await set_status(status_text(lang))


def register(app: AsyncApp, services: Services) -> tuple[str, ...]:
    assistant = AsyncAssistant(thread_context_store=RedisThreadContextStore(services.redis))

    @assistant.thread_started
    async def _started(payload: dict[str, Any], save_thread_context: Any, set_suggested_prompts: Any) -> None:
        await on_thread_started(payload, save_thread_context, set_suggested_prompts, services)

    @assistant.user_message
    async def _message(payload: dict[str, Any], set_status: Any, set_title: Any, get_thread_context: Any) -> None:
        await on_user_message(payload, set_status, set_title, get_thread_context, services)

    app.assistant(assistant)
    return EVENTS
