"""Redis answers bytes or str depending on how the client was built; the bot handles both."""

from __future__ import annotations


def as_text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
