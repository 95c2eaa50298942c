"""What the console demo prints from the bot's thread: new messages, edits, live progress."""

from __future__ import annotations

from types import SimpleNamespace

from agents.demo.run import Progress, Transcript
from bot.blocks.ask import working_blocks
from bot.console import ConsoleSurface


def _section(text: str) -> list[dict]:
    return [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]


async def _thread() -> tuple[SimpleNamespace, list[str]]:
    surface = ConsoleSurface()
    root = await surface.post("C1", _section("question"), "question")
    session = SimpleNamespace(surface=surface, channel="C1", thread_ts=root)
    return session, []


async def test_each_new_message_is_printed_once() -> None:
    session, lines = await _thread()
    transcript = Transcript(session, lines.append)
    transcript.show()
    await session.surface.post("C1", _section("answer"), "answer", thread_ts=session.thread_ts)
    transcript.show()
    transcript.show()
    assert [line for line in lines if line] == ["question", "answer"]


async def test_an_edit_prints_only_the_lines_it_added() -> None:
    session, lines = await _thread()
    ts = await session.surface.post("C1", _section("finding\n[button]"), "x", thread_ts=session.thread_ts)
    transcript = Transcript(session, lines.append)
    transcript.show()
    await session.surface.update("C1", ts, _section("finding\napproved by @U1"), "x")
    transcript.show()
    assert lines[-2:] == ["(the message above was updated)\napproved by @U1", ""]


async def test_progress_prints_each_new_working_status_once() -> None:
    lines: list[str] = []
    surface = ConsoleSurface(on_change=Progress(lines.append))
    ts = await surface.post("C1", working_blocks(), "working")
    await surface.update("C1", ts, working_blocks("Asking Performance_Agent"), "working")
    await surface.update("C1", ts, working_blocks("Asking Performance_Agent"), "working")
    await surface.update("C1", ts, _section("the answer"), "answer")
    assert lines == ["  … Asking Performance_Agent"]
