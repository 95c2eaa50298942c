"""A local stand-in for Slack's Web API on 127.0.0.1: records every call, answers like Slack.

Only what the bot calls is implemented (auth.test, chat.postMessage, chat.update,
chat.postEphemeral, views.open, usergroups.users.list, and the streaming methods
chat.startStream / appendStream / stopStream, and assistant.threads.setStatus / setSuggestedPrompts /
setTitle); anything else answers `unknown_method`, as
Slack does. Streaming is refused unless a test sets `stream_refusal = None`, as in a workspace
without it, so tests that are not about streaming see today's edited "Working…" message.
Tests wait on `wait_for(predicate)` (a condition notified on each call), never on sleeps.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

BOT_USER = "UBOT0001"


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    response: dict[str, Any]


@dataclass
class FakeSlack:
    group_members: dict[str, list[str]] = field(default_factory=dict)
    not_in: set[str] = field(default_factory=set)  # channels the bot is not a member of
    rate_limit_next: dict[str, int] = field(default_factory=dict)  # method -> how many 429s to answer first
    stream_refusal: str | None = "feature_not_enabled"  # chat.startStream's error; None: streaming works
    fail_next: dict[str, str] = field(default_factory=dict)  # method -> the error its next call answers
    streams: dict[str, dict[str, Any]] = field(default_factory=dict)  # ts -> channel, thread_ts, chunks, state
    calls: list[Call] = field(default_factory=list)
    url: str = ""
    _ts: int = 1_700_000_000
    socket_acks: list[dict[str, Any]] = field(default_factory=list)  # what the app sent back over Socket Mode
    _to_socket: asyncio.Queue[dict[str, Any]] | None = None
    _changed: asyncio.Condition | None = None
    _runner: web.AppRunner | None = None

    def of(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    async def start(self) -> str:
        self._changed = asyncio.Condition()
        self._to_socket = asyncio.Queue()
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle)
        app.router.add_get("/socket", self._socket)
        app.router.add_post("/commands/{id}", self._response_url)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/api/"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def wait_for(self, predicate: Callable[[FakeSlack], Any], within: float = 15.0) -> Any:
        assert self._changed is not None
        async with asyncio.timeout(within), self._changed:
            while not (result := predicate(self)):
                await self._changed.wait()
        return result

    async def _args(self, request: web.Request) -> dict[str, Any]:
        args: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                args |= await request.json()
            else:
                form = await request.post()
                args |= {key: str(value) for key, value in form.items()}
        for key in ("blocks", "view"):
            if isinstance(args.get(key), str):
                args[key] = json.loads(args[key])
        return args

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        expected = "Bearer xapp-test-token" if method == "apps.connections.open" else "Bearer xoxb-test-token"
        if request.headers.get("Authorization") != expected:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        if self.rate_limit_next.get(method):
            self.rate_limit_next[method] -= 1
            return web.json_response({"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": "0"})
        args = await self._args(request)
        body = self._answer(method, args)
        assert self._changed is not None
        async with self._changed:
            self.calls.append(Call(method, args, body))
            self._changed.notify_all()
        return web.json_response(body)

    def response_url(self, command_id: str = "1") -> str:
        return self.url.replace("/api/", f"/commands/{command_id}")

    async def _response_url(self, request: web.Request) -> web.Response:
        """A slash command's response_url (hooks.slack.com in Slack): records what was sent."""
        body = await request.json()
        assert self._changed is not None
        async with self._changed:
            self.calls.append(Call("response_url", body, {}))
            self._changed.notify_all()
        return web.Response(text="ok")

    async def send_envelope(self, envelope: dict[str, Any]) -> None:
        """Delivers one Socket Mode envelope to the connected app."""
        assert self._to_socket is not None
        await self._to_socket.put(envelope)

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        """Slack's Socket Mode WebSocket: `hello`, then envelopes out and acks (envelope_id) in."""
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0001"}})
        assert self._changed is not None and self._to_socket is not None
        async with self._changed:
            self.calls.append(Call("socket.connect", {}, {}))
            self._changed.notify_all()

        async def outgoing() -> None:
            while True:
                await ws.send_json(await self._to_socket.get())  # type: ignore[union-attr]

        sender = asyncio.create_task(outgoing())
        try:
            async for message in ws:
                if message.type != web.WSMsgType.TEXT:
                    continue
                async with self._changed:
                    self.socket_acks.append(json.loads(message.data))
                    self._changed.notify_all()
        finally:
            sender.cancel()
            async with self._changed:
                self.calls.append(Call("socket.close", {"code": ws.close_code}, {}))
                self._changed.notify_all()
        return ws

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if method in self.fail_next:
            return {"ok": False, "error": self.fail_next.pop(method)}
        if method in ("chat.startStream", "chat.appendStream", "chat.stopStream"):
            return self._stream(method, args)
        if method == "auth.test":
            return {"ok": True, "user_id": BOT_USER, "bot_id": "BBOT0001", "team_id": "T0001", "user": "netops"}
        if method == "apps.connections.open":
            return {"ok": True, "url": self.url.replace("http://", "ws://").replace("/api/", "/socket")}
        if method == "chat.postMessage" and args.get("channel") in self.not_in:
            return {"ok": False, "error": "not_in_channel"}
        if method == "chat.postMessage":
            self._ts += 1
            return {"ok": True, "channel": args.get("channel"), "ts": f"{self._ts}.000200"}
        if method == "chat.update":
            return {"ok": True, "channel": args.get("channel"), "ts": args.get("ts")}
        if method in (
            "assistant.threads.setStatus",
            "assistant.threads.setSuggestedPrompts",
            "assistant.threads.setTitle",
        ):
            missing = not args.get("channel_id") or not args.get("thread_ts")
            return {"ok": False, "error": "invalid_arguments"} if missing else {"ok": True}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": f"{self._ts}.000300"}
        if method == "views.open":
            return {"ok": True, "view": {"id": "V0001", **(args.get("view") or {})}}
        if method == "usergroups.users.list":
            group = args.get("usergroup", "")
            if group not in self.group_members:
                return {"ok": False, "error": "no_such_subteam"}
            return {"ok": True, "users": self.group_members[group]}
        return {"ok": False, "error": "unknown_method"}

    def _stream(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        """Slack's streaming methods: a stream starts as a thread reply, takes chunks, stops with blocks."""
        if len(str(args.get("markdown_text") or "")) > 12_000:
            return {"ok": False, "error": "msg_too_long"}
        if method == "chat.startStream":
            if self.stream_refusal:
                return {"ok": False, "error": self.stream_refusal}
            channel = str(args.get("channel") or "")
            if not channel or not args.get("thread_ts"):
                return {"ok": False, "error": "invalid_arguments"}
            if channel.startswith(("C", "G")) and not (args.get("recipient_team_id") and args.get("recipient_user_id")):
                return {"ok": False, "error": "invalid_arguments"}  # in channels the recipient is required
            self._ts += 1
            ts = f"{self._ts}.000400"
            self.streams[ts] = {"channel": channel, "thread_ts": args["thread_ts"], "chunks": [], "state": "streaming"}
            self.streams[ts]["args"] = dict(args)
        else:
            ts = str(args.get("ts") or "")
            if self.streams.get(ts, {}).get("state") != "streaming":
                return {"ok": False, "error": "message_not_in_streaming_state"}
        stream = self.streams[ts]
        stream["chunks"] += list(args.get("chunks") or [])
        if args.get("markdown_text"):
            stream["chunks"].append({"type": "markdown_text", "text": args["markdown_text"]})
        if method == "chat.stopStream":
            stream["state"] = "stopped"
            stream["blocks"] = args.get("blocks")
        return {"ok": True, "channel": stream["channel"], "ts": ts}

    # --- what tests read ---

    def messages(self) -> dict[str, dict[str, Any]]:
        """Every posted message by ts, with its latest blocks (chat.update applied)."""
        out: dict[str, dict[str, Any]] = {}
        for call in self.calls:
            if call.method == "chat.postMessage":
                out[call.response["ts"]] = dict(call.args)
            elif call.method == "chat.startStream" and call.response.get("ok"):
                stream = self.streams[call.response["ts"]]
                out[call.response["ts"]] = {
                    "channel": stream["channel"],
                    "thread_ts": stream["thread_ts"],
                    "streamed": True,
                }
            elif call.method == "chat.stopStream" and call.response.get("ok"):
                out[call.response["ts"]]["blocks"] = call.args.get("blocks")
            elif call.method == "chat.update" and call.args.get("ts") in out:
                out[call.args["ts"]] |= {"blocks": call.args.get("blocks"), "text": call.args.get("text")}
        return out


def block_text(blocks: list[dict[str, Any]] | None) -> str:
    """All visible text in some blocks, to assert on what a person reads."""
    texts: list[str] = []
    for block in blocks or []:
        if "text" in block and isinstance(block["text"], dict):
            texts.append(block["text"]["text"])
        for element in block.get("elements", []):
            if isinstance(element.get("text"), dict):
                texts.append(element["text"]["text"])
            elif isinstance(element.get("text"), str):
                texts.append(element["text"])
    return "\n".join(texts)


def action_values(blocks: list[dict[str, Any]] | None, action_id: str) -> list[str]:
    return [
        element.get("value", "")
        for block in blocks or []
        if block.get("type") == "actions"
        for element in block.get("elements", [])
        if element.get("action_id") == action_id
    ]
