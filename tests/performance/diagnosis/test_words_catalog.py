"""Every sentence of the Performance Agent's answers has its Korean translation, placeholders intact."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

import agents.performance
from agents.i18n import tr, translations

PACKAGE = Path(agents.performance.__file__).parent
TABLES = {"CAUSE_TITLES", "CAUSE_NAMES", "_ACTIONS"}


def _literal(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _names_a_table(node: ast.Assign) -> bool:
    return any(isinstance(t, ast.Name) and t.id in TABLES for t in node.targets)


def message_ids() -> list[str]:
    """The English message ids: `tr(lang, "…")`, `fact("…")` and the message tables, read from the source."""
    found: list[str] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
                position = {"tr": 1, "fact": 0, "progress": 0}.get(name)
                if position is not None and len(node.args) > position and (text := _literal(node.args[position])):
                    found.append(text)
            elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict) and _names_a_table(node):
                found += [text for v in node.value.values if (text := _literal(v))]
    return list(dict.fromkeys(found))


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_the_answers_use_a_good_number_of_messages():
    assert len(message_ids()) > 100  # the scan finds them; a broken scan would pass everything below


@pytest.mark.parametrize("msgid", message_ids())
def test_every_message_has_a_korean_translation_with_the_same_placeholders(msgid: str):
    korean = translations("ko").get(msgid)
    assert korean, f"no Korean for {msgid!r}"
    # Korean may leave out an English-only value (a counted noun) and use the bare number beside it instead
    assert placeholders(korean) <= placeholders(msgid)


def test_the_translations_are_korean_not_copies():
    table = translations("ko")
    copies = [m for m in message_ids() if not re.search(r"[\uac00-\ud7a3]", table.get(m, ""))]
    # only what has no words to translate
    assert set(copies) == {"{start}–{end} {tz}", "RTT p99 {p99} ms", "{start}–{end} UTC"}


def test_tr_fills_the_korean_text():
    assert tr("ko", "last {n} minutes", n=5) == "최근 5분"
    assert tr("en", "last {n} minutes", n=5) == "last 5 minutes"
