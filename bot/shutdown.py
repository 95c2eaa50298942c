"""Stopping the bot on SIGTERM and SIGINT the same way however it is run, with the drain in its bound.

uvicorn's own handlers re-raise the signal once `serve()` returns, so the default action killed
the process before `bot_runtime` could drain the job worker and close the Socket Mode handler
(only PID 1, which ignores a default SIGTERM, survived that). Here the signals are ours: they
set an event, every server serves until it is set, and the process then leaves the way it
entered, through every `finally`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Iterator

import uvicorn

log = logging.getLogger(__name__)


class OwnSignalsServer(uvicorn.Server):
    """uvicorn without its signal handling: it re-raised SIGTERM once `serve()` returned, which killed
    the process before the worker drained and the Socket Mode handler closed (unless it was PID 1).
    `stop_on_signals` installs ours instead, for every way the bot is run."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@contextlib.contextmanager
def stop_on_signals(stop: asyncio.Event) -> Iterator[None]:
    """SIGTERM and SIGINT set `stop` (a second one is logged: the drain is bounded by itself)."""
    loop = asyncio.get_running_loop()

    def on_signal(sig: signal.Signals) -> None:
        log.info("netops bot: %s, draining (a second signal changes nothing: the drain is bounded)", sig.name)
        stop.set()

    installed = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, on_signal, sig)
            installed.append(sig)
    try:
        yield
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


async def serve_until(server: uvicorn.Server, stop: asyncio.Event) -> None:
    """Serves until `stop` is set (or the server ends by itself)."""
    serving = asyncio.create_task(server.serve())
    stopping = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
        server.should_exit = True
        await serving
