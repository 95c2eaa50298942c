"""The demo's surfaces: the console (interactive or one scripted conversation) and Slack.

The console drives `bot.console.ConsoleSession`, the bot's own job code with a text surface,
so the transcript is the thread exactly as Slack would render it. `--ask` runs one
conversation with no prompt: the question, then with `--approve` the approval and a second
look at the last few minutes, which after the fix should find the flow healthy.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from agents.demo.answer_line import answer_line
from agents.demo.conversation import ASKER, DemoSession, Script, play
from agents.demo.exchanges import RecordingCollaborator
from agents.demo.stack import DEMO_ROTATION_S, DemoStack, demo_stack
from agents.lab.scenarios import DEFAULT_SCENARIO, ScenarioError, load_scenario
from agents.lab.server import LabConfig
from agents.settings import Settings, SettingsError

log = logging.getLogger(__name__)
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
    from bot.console import ConsoleSession

    return _session(stack, write, ConsoleSession)


def demo_session(
    stack: DemoStack, write: Write | None = None, *, channel: str = "CONSOLE"
) -> tuple[DemoSession, RecordingCollaborator, Callable[[], Awaitable[None]]]:
    """A two-person `DemoSession` whose exchanges with the collaborator are recorded, and how to close it."""
    recorders: list[RecordingCollaborator] = []

    def make(settings: Settings, redis: Any, collaborator: Any, *, on_change: Any) -> DemoSession:
        recorders.append(RecordingCollaborator(collaborator))
        return DemoSession(settings, redis, recorders[-1], channel=channel, on_change=on_change)

    session, close = _session(stack, write, make)
    return session, recorders[0], close


def _session(
    stack: DemoStack, write: Write | None, make: Callable[..., Any]
) -> tuple[Any, Callable[[], Awaitable[None]]]:
    """`make(settings, redis, collaborator, on_change=…)` with the clients it needs, and how to close them."""
    from bot.collaborator import CollaboratorClient

    token = stack.settings.agent_token.get_secret_value() if stack.settings.agent_token else None
    collaborator = CollaboratorClient(stack.collaborator_url, token=token)
    redis = stack.redis.make()
    on_change = Progress(write) if write is not None else None
    session = make(stack.settings, redis, collaborator, on_change=on_change)

    async def close() -> None:
        await collaborator.aclose()
        await redis.aclose()

    return session, close


class TranscriptListener:
    """The human transcript of a scripted conversation: the thread as it grows, and who clicked what."""

    def __init__(self, session: Any, write: Write) -> None:
        self.session = session
        self.write = write
        self.transcript = Transcript(session, write)
        self.trace_shown = False

    def asking(self, question: str, *, first: bool) -> None:
        if not first:
            self.write(f"> {ASKER} replies in the thread: {question}\n")

    def approving(self, approver: str) -> None:
        self.write(f"> {approver} clicks [Apply TCP fixes] and confirms the dialog\n")

    async def stepped(self) -> None:
        self.transcript.show()
        if self.trace_shown:
            return
        self.trace_shown = True
        tree = await self.session.view_trace()
        if tree is not None:
            self.write(f"> {ASKER} clicks [View trace]\n")
            self.write(tree + "\n")


class JsonListener:
    """`--json`: one line per answer, printed as soon as the step that produced it has ended."""

    def __init__(self, recorder: RecordingCollaborator, write: Write) -> None:
        self.recorder = recorder
        self.write = write
        self.lines: list[dict[str, Any]] = []

    def asking(self, question: str, *, first: bool) -> None:
        pass

    def approving(self, approver: str) -> None:
        pass

    async def stepped(self) -> None:
        for exchange in self.recorder.exchanges[len(self.lines) :]:
            line = answer_line(exchange.question, exchange.final, exchange.trace(), exchange.error)
            self.lines.append(line)
            self.write(json.dumps(line, ensure_ascii=False))


async def scripted(stack: DemoStack, plan: Script, *, as_json: bool = False, write: Write = _print) -> int:
    """One conversation (`--ask`, `--then`, `--approve`), as the transcript or as JSON lines."""
    session, recorder, close = demo_session(stack, None if as_json else write)
    listener = JsonListener(recorder, write) if as_json else TranscriptListener(session, write)
    try:
        await play(session, plan, listener)
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


def _note(text: str) -> None:
    """Where `--json` sends what is not an answer (the banner): stderr, so stdout stays one object a line."""
    print(text, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class DemoOptions:
    scenario: str | None = None  # a scenario name or YAML file; None: the lab's default incident
    plan: Script | None = None  # None: the interactive prompt (or Slack)
    as_json: bool = False
    alarm: bool = False  # the incident starts from the lab's CloudWatch alarm (agents/demo/alarm.py)


async def run(
    base: Settings,
    options: DemoOptions,
    *,
    surface: Callable[[DemoStack], Awaitable[int]] | None = None,
    write: Write = _print,
) -> int:
    """Start everything, run the chosen surface, and shut everything down whatever happens."""
    scenario = load_scenario(options.scenario or DEFAULT_SCENARIO)  # a bad one stops here, before anything starts
    note = _note if options.as_json else write
    async with demo_stack(base, lab_config=LabConfig(scenario=scenario, rotation_s=DEMO_ROTATION_S)) as stack:
        note(stack.banner())
        if surface is not None:
            return await surface(stack)
        if wants_slack(base):
            note("  surface: Slack, Socket Mode (SLACK_BOT_TOKEN and SLACK_APP_TOKEN are set); Ctrl-C stops")
            return await slack(stack)
        note("  surface: console (no Slack tokens set)")
        from bot.console_logging import quiet_library_noise

        quiet_library_noise()

        if options.alarm:
            from agents.demo.alarm import alarm_story

            return await alarm_story(stack, write)
        if options.plan is not None:
            return await scripted(stack, options.plan, as_json=options.as_json, write=write)
        return await interactive(stack, write=write)


def main(base: Settings, options: DemoOptions) -> int:
    """Run the demo; Ctrl-C cancels the surface, and the stack still shuts down in order."""
    try:
        return asyncio.run(run(base, options))
    except KeyboardInterrupt:
        with contextlib.suppress(Exception):
            sys.stderr.write("\nnetops demo: stopped.\n")
        return 130
    except SettingsError:
        raise  # the CLI prints it as the one line naming the setting
    except ScenarioError as exc:
        sys.stderr.write(f"netops demo: {exc}\n")
        return 2
    except Exception as exc:
        log.debug("netops demo failed", exc_info=True)
        sys.stderr.write(
            f"netops demo: {type(exc).__name__}: {exc}. Nothing is left running; "
            "run again with NETOPS_LOG_LEVEL=DEBUG to see where it failed.\n"
        )
        return 1
