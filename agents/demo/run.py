"""The demo's surfaces: the console (interactive or one scripted conversation) and Slack.

The console drives `bot.console.ConsoleSession`, the bot's own job code with a text surface,
so the transcript is the thread exactly as Slack would render it. `--ask` runs one
conversation with no prompt: the question, then with `--approve` the approval and a second
look at the last few minutes, which after the fix should find the flow healthy.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import threading
from collections.abc import Awaitable, Callable
from typing import Any

from agents.demo.stack import DemoStack, demo_stack
from agents.settings import Settings, SettingsError

log = logging.getLogger(__name__)
FOLLOW_UP = "Is the app to db flow healthy now? Check the last 5 minutes."
HELP = (
    "Type a question, `approve` to click Apply TCP fixes (the confirm dialog is accepted), "
    "`dismiss [reason]`, `trace` for the newest answer's step tree, `thread` for the whole thread, or `quit`."
)

Write = Callable[[str], None]


def _print(text: str) -> None:
    print(text, flush=True)


async def read_line(prompt: str) -> str:
    """`input()` on a daemon thread: Ctrl-C at the prompt must not wait for a line to arrive."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[str] = loop.create_future()

    def settle(line: str | None, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(line or "")

    def worker() -> None:
        try:
            line, error = input(prompt), None
        except BaseException as exc:  # EOFError at end of input, or the interpreter shutting down
            line, error = None, exc
        with contextlib.suppress(RuntimeError):  # the demo already stopped: nobody waits for the line
            loop.call_soon_threadsafe(settle, line, error)

    threading.Thread(target=worker, name="demo-prompt", daemon=True).start()
    return await future


class Transcript:
    """Prints each message of the session's thread once; an edit prints only the lines it added."""

    def __init__(self, session: Any, write: Write) -> None:
        self.session = session
        self.write = write
        self.shown: dict[str, str] = {}

    def show(self) -> None:
        from bot.console import render_blocks

        surface = self.session.surface
        for message in surface.thread(self.session.channel, self.session.thread_ts or ""):
            text = render_blocks(message.blocks)
            previous = self.shown.get(message.ts)
            if previous == text:
                continue
            if previous is None:
                self.write(text)
            else:  # an edit (a button replaced by its outcome): only the lines it added
                before = set(previous.splitlines())
                added = [line for line in text.splitlines() if line not in before]
                self.write("(the message above was updated)\n" + "\n".join(added))
            self.write("")
            self.shown[message.ts] = text


class Progress:
    """Prints each new "Working…" status as the agents report it (the bot edits one message)."""

    MARK = "⏳ "  # then "Working…" in the asker's language, then the status

    def __init__(self, write: Write) -> None:
        self.write = write
        self.last: dict[str, str] = {}

    def __call__(self, message: Any) -> None:
        from bot.console import render_blocks

        text = render_blocks(message.blocks)
        if text.startswith(self.MARK) and "…" in text and self.last.get(message.ts) != text:
            status = text.partition("…")[2].strip()
            if status:
                self.write(f"  … {status}")
            self.last[message.ts] = text


def console_session(stack: DemoStack, write: Write | None = None) -> tuple[Any, Callable[[], Awaitable[None]]]:
    """A `bot.console.ConsoleSession` talking to the stack's collaborator, and how to close it.

    With `write`, the agents' progress is printed live as the bot edits its "Working…" message.
    """
    from bot.collaborator import CollaboratorClient
    from bot.console import ConsoleSession

    token = stack.settings.agent_token.get_secret_value() if stack.settings.agent_token else None
    collaborator = CollaboratorClient(stack.collaborator_url, token=token)
    redis = stack.redis.make()
    on_change = Progress(write) if write is not None else None
    session = ConsoleSession(stack.settings, redis, collaborator, on_change=on_change)

    async def close() -> None:
        await collaborator.aclose()
        await redis.aclose()

    return session, close


async def scripted(stack: DemoStack, question: str, *, approve: bool, write: Write = _print) -> int:
    """One conversation: ask; with `approve`, approve the fix and ask again about the last minutes."""
    session, close = console_session(stack, write)
    transcript = Transcript(session, write)
    try:
        await session.ask(question)
        transcript.show()
        tree = await session.view_trace()
        if tree is not None:
            write("> OPERATOR clicks [View trace]\n")
            write(tree + "\n")
        if approve:
            write("> OPERATOR clicks [Apply TCP fixes] and confirms the dialog\n")
            await session.approve()
            transcript.show()
            write(f"> OPERATOR replies in the thread: {FOLLOW_UP}\n")
            await session.ask(FOLLOW_UP)
            transcript.show()
    finally:
        await close()
    return 0


async def interactive(
    stack: DemoStack, *, read: Callable[[str], Awaitable[str]] = read_line, write: Write = _print
) -> int:
    """The operator's prompt; returns on `quit`, end of input or Ctrl-C."""
    session, close = console_session(stack, write)
    transcript = Transcript(session, write)
    write(HELP)
    try:
        while True:
            try:
                line = (await read("\nnetops> ")).strip()
            except EOFError:
                return 0
            command, _, rest = line.partition(" ")
            if not line:
                continue
            if command in ("quit", "exit"):
                return 0
            if command in ("approve", "dismiss"):
                await (session.approve() if command == "approve" else session.dismiss(rest))
                if session.nothing_waiting:
                    write(session.nothing_waiting)
            elif command == "thread":
                write(session.thread())
            elif command == "trace":
                write(await session.view_trace() or "(no trace in this thread yet)")
            elif command == "help":
                write(HELP)
            else:
                await session.ask(line)
            transcript.show()
    finally:
        await close()


async def slack(stack: DemoStack) -> int:
    """The real bot in Socket Mode against the lab, until Ctrl-C."""
    from bot.server import serve

    if stack.redis.embedded:
        raise SettingsError(
            "the Slack demo needs a Redis server for the bot's job queue: start one and set REDIS_URL "
            "(the console demo works without)"
        )
    await serve(stack.settings, port=0, host="127.0.0.1")
    return 0


def wants_slack(settings: Settings) -> bool:
    return settings.slack_bot_token is not None and settings.slack_app_token is not None


async def run(
    base: Settings,
    *,
    ask: str | None,
    approve: bool,
    surface: Callable[[DemoStack], Awaitable[int]] | None = None,
    write: Write = _print,
) -> int:
    """Start everything, run the chosen surface, and shut everything down whatever happens."""
    async with demo_stack(base) as stack:
        write(stack.banner())
        if surface is not None:
            return await surface(stack)
        if wants_slack(base):
            write("  surface: Slack, Socket Mode (SLACK_BOT_TOKEN and SLACK_APP_TOKEN are set); Ctrl-C stops")
            return await slack(stack)
        write("  surface: console (no Slack tokens set)")
        from bot.console_logging import quiet_library_noise

        quiet_library_noise()
        if ask is not None:
            return await scripted(stack, ask, approve=approve, write=write)
        return await interactive(stack, write=write)


def main(base: Settings, *, ask: str | None, approve: bool) -> int:
    """Run the demo; Ctrl-C cancels the surface, and the stack still shuts down in order."""
    try:
        return asyncio.run(run(base, ask=ask, approve=approve))
    except KeyboardInterrupt:
        with contextlib.suppress(Exception):
            sys.stderr.write("\nnetops demo: stopped.\n")
        return 130
    except SettingsError:
        raise  # the CLI prints it as the one line naming the setting
    except Exception as exc:
        log.debug("netops demo failed", exc_info=True)
        sys.stderr.write(
            f"netops demo: {type(exc).__name__}: {exc}. Nothing is left running; "
            "run again with NETOPS_LOG_LEVEL=DEBUG to see where it failed.\n"
        )
        return 1
