"""Messages people read, in English and Korean: gettext catalogs read with Babel.

The English text is the message id (gettext's convention), with `{named}` placeholders, so
code reads as the sentence it shows. Korean lives in `locale/ko/LC_MESSAGES/<domain>.po`, one
domain per part of the product (`performance`, `collaborator`, `bot`, ...), so parts add
messages without touching each other's files. Catalogs are parsed once, on first use.

Numbers, ids and setting names are placeholders, never translated; `tests/test_i18n.py`
checks that every message id used in the code has a Korean translation.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

LANGUAGES = ("en", "ko")
DEFAULT_LANGUAGE = "en"
LOCALE_DIR = Path(__file__).parent / "locale"
# Hangul syllables and jamo: a question with any Korean in it is answered in Korean.
_HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]")


def detect_language(text: str | None) -> str:
    """ "ko" when the text holds Hangul, else "en": operators write one or the other."""
    return "ko" if text and _HANGUL.search(text) else "en"


def normalize_language(language: str | None) -> str:
    """A supported language code for anything a caller passes ("ko-KR" → "ko", None → "en")."""
    code = (language or "").split("-")[0].split("_")[0].lower()
    return code if code in LANGUAGES else DEFAULT_LANGUAGE


@functools.cache
def _catalogs(language: str) -> dict[str, str]:
    """msgid → translation for every domain of `language` (singular messages only)."""
    table: dict[str, str] = {}
    folder = LOCALE_DIR / language / "LC_MESSAGES"
    for path in sorted(folder.glob("*.po")):
        with path.open("rb") as handle:
            catalog: Catalog = read_po(handle, locale=language)
        for message in catalog:
            if message.id and isinstance(message.id, str) and isinstance(message.string, str) and message.string:
                table[message.id] = message.string
    return table


def translations(language: str) -> dict[str, str]:
    """Every translated message of `language` (for tests and tools)."""
    return dict(_catalogs(normalize_language(language)))


def tr(language: str | None, msgid: str, /, **values: object) -> str:
    """`msgid` in `language`, with `{named}` placeholders filled; English when no translation exists."""
    language = normalize_language(language)
    text = msgid if language == DEFAULT_LANGUAGE else _catalogs(language).get(msgid, msgid)
    return text.format(**values) if values else text


def N_(msgid: str, /) -> str:
    """Marks `msgid` as a message translated later (by `tr(language, msgid)`); returns it unchanged.

    For message ids kept in tables: `tests/test_i18n.py` finds them by this call, as it finds
    `tr(language, "literal")`, and checks each has a Korean translation.
    """
    return msgid
