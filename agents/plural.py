"""Counted nouns for texts people read: "1 capture", "3 captures", never "1 captures"."""

from __future__ import annotations


def counted(count: float, noun: str, plural: str | None = None, *, spec: str = "") -> str:
    """`count` formatted by `spec` (e.g. ",", ".0f"), then the noun, singular only when the number reads 1.

    The number as shown decides, so 1.0 formatted with ".0f" is "1 retransmission".
    """
    number = format(count, spec)
    return f"{number} {noun if number == '1' else plural or noun + 's'}"
