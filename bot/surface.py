"""Where a thread is shown, separated from what it shows.

The job runner builds Block Kit (bot/blocks) and hands it to a `Surface`; `SlackSurface`
delivers it with the Web API, `bot.console.ConsoleSurface` prints it for the embedded demo.
Nothing below this protocol knows which one it talks to.
"""

from __future__ import annotations

from typing import Any, Protocol

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

Blocks = list[dict[str, Any]]


class SurfaceError(RuntimeError):
    """Delivery failed (Slack said no); `code` is Slack's error code (`not_in_channel`, …)."""

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.code = code


def retry_handlers() -> list[AsyncRetryHandler]:
    """Every Slack client waits out 429s (Retry-After) and retries dropped connections."""
    return [AsyncRateLimitErrorRetryHandler(max_retry_count=3), AsyncConnectionErrorRetryHandler(max_retry_count=2)]


def _error(method: str, exc: SlackApiError) -> SurfaceError:
    code = str(exc.response.get("error") or "")
    return SurfaceError(f"{method} failed: {code}", code)


class Surface(Protocol):
    async def post(self, channel: str, blocks: Blocks, text: str, thread_ts: str | None = None) -> str:
        """Posts a message (in a thread when `thread_ts` is given); returns its ts."""
        ...

    async def update(self, channel: str, ts: str, blocks: Blocks, text: str) -> None: ...

    async def post_ephemeral(self, channel: str, user: str, text: str, thread_ts: str | None = None) -> None: ...

    async def open_modal(self, trigger_id: str, view: dict[str, Any]) -> None: ...

    async def respond(self, response_url: str, text: str) -> None:
        """Answers a slash command privately through its response_url (works where the bot cannot post)."""
        ...


class SlackSurface:
    """The Slack Web API behind the `Surface` protocol."""

    async def respond(self, response_url: str, text: str) -> None:
        if not response_url.startswith(("https://", "http://")):
            raise SurfaceError("the command's response_url is not a URL", "invalid_response_url")
        webhook = AsyncWebhookClient(response_url, retry_handlers=retry_handlers())
        response = await webhook.send(text=text, response_type="ephemeral")
        if response.status_code != 200:
            raise SurfaceError(f"response_url answered {response.status_code}", "response_url_failed")

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client

    async def post(self, channel: str, blocks: Blocks, text: str, thread_ts: str | None = None) -> str:
        try:
            response = await self._client.chat_postMessage(
                channel=channel, blocks=blocks, text=text, thread_ts=thread_ts, unfurl_links=False
            )
        except SlackApiError as exc:
            raise _error("chat.postMessage", exc) from None
        return str(response["ts"])

    async def update(self, channel: str, ts: str, blocks: Blocks, text: str) -> None:
        try:
            await self._client.chat_update(channel=channel, ts=ts, blocks=blocks, text=text)
        except SlackApiError as exc:
            raise _error("chat.update", exc) from None

    async def post_ephemeral(self, channel: str, user: str, text: str, thread_ts: str | None = None) -> None:
        try:
            await self._client.chat_postEphemeral(channel=channel, user=user, text=text, thread_ts=thread_ts)
        except SlackApiError as exc:
            raise _error("chat.postEphemeral", exc) from None

    async def open_modal(self, trigger_id: str, view: dict[str, Any]) -> None:
        try:
            await self._client.views_open(trigger_id=trigger_id, view=view)
        except SlackApiError as exc:
            raise _error("views.open", exc) from None
