"""Where a thread is shown, separated from what it shows.

The job runner builds Block Kit (bot/blocks) and hands it to a `Surface`; `SlackSurface`
delivers it with the Web API, `bot.console.ConsoleSurface` prints it for the embedded demo.
Nothing below this protocol knows which one it talks to.
"""

from __future__ import annotations

from typing import Any, Protocol

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

Blocks = list[dict[str, Any]]


class SurfaceError(RuntimeError):
    """Delivery failed (Slack said no); the message names Slack's error code."""


class Surface(Protocol):
    async def post(self, channel: str, blocks: Blocks, text: str, thread_ts: str | None = None) -> str:
        """Posts a message (in a thread when `thread_ts` is given); returns its ts."""
        ...

    async def update(self, channel: str, ts: str, blocks: Blocks, text: str) -> None: ...

    async def post_ephemeral(self, channel: str, user: str, text: str, thread_ts: str | None = None) -> None: ...

    async def open_modal(self, trigger_id: str, view: dict[str, Any]) -> None: ...


class SlackSurface:
    """The Slack Web API behind the `Surface` protocol."""

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client

    async def post(self, channel: str, blocks: Blocks, text: str, thread_ts: str | None = None) -> str:
        try:
            response = await self._client.chat_postMessage(
                channel=channel, blocks=blocks, text=text, thread_ts=thread_ts, unfurl_links=False
            )
        except SlackApiError as exc:
            raise SurfaceError(f"chat.postMessage failed: {exc.response.get('error')}") from None
        return str(response["ts"])

    async def update(self, channel: str, ts: str, blocks: Blocks, text: str) -> None:
        try:
            await self._client.chat_update(channel=channel, ts=ts, blocks=blocks, text=text)
        except SlackApiError as exc:
            raise SurfaceError(f"chat.update failed: {exc.response.get('error')}") from None

    async def post_ephemeral(self, channel: str, user: str, text: str, thread_ts: str | None = None) -> None:
        try:
            await self._client.chat_postEphemeral(channel=channel, user=user, text=text, thread_ts=thread_ts)
        except SlackApiError as exc:
            raise SurfaceError(f"chat.postEphemeral failed: {exc.response.get('error')}") from None

    async def open_modal(self, trigger_id: str, view: dict[str, Any]) -> None:
        try:
            await self._client.views_open(trigger_id=trigger_id, view=view)
        except SlackApiError as exc:
            raise SurfaceError(f"views.open failed: {exc.response.get('error')}") from None
