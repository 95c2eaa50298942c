"""Keeps library noise off the console operator's screen (`netops demo` on the console surface).

a2a-sdk 1.3 logs "Dispatcher task is not running. Cannot wait for event dispatch." at WARNING
whenever a turn ends with INPUT_REQUIRED and when its servers stop: its event queue is closed by
then, and nothing is lost. The operator cannot act on it, so the console drops exactly that
record; every other warning still shows.
"""

from __future__ import annotations

import logging

NOISY_LOGGER = "a2a.server.events.event_queue_v2"
NOISE = "Dispatcher task is not running"


class DropLibraryNoise(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(NOISE)


def quiet_library_noise() -> None:
    """Installs the filter once on the noisy logger (idempotent)."""
    logger = logging.getLogger(NOISY_LOGGER)
    if not any(isinstance(f, DropLibraryNoise) for f in logger.filters):
        logger.addFilter(DropLibraryNoise())
