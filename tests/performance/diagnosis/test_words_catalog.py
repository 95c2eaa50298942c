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
POSITION = {"tr": 1, "fact": 0, "progress": 0}  # where each call takes its message id


def _literal(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _names_a_table(node: ast.Assign) -> bool:
    return any(isinstance(t, ast.Name) and t.id in TABLES for t in node.targets)


def messages() -> dict[str, set[str]]:
    """English message id → the values its callers pass (`tr`, `fact`, `progress` calls and the tables)."""
    found: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
                position = POSITION.get(name)
                if position is not None and len(node.args) > position and (text := _literal(node.args[position])):
                    found.setdefault(text, set()).update(k.arg for k in node.keywords if k.arg)
            elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict) and _names_a_table(node):
                for value in node.value.values:
                    if text := _literal(value):
                        found.setdefault(text, set())
    # a message that is only a placeholder ("{status}") carries text already said in the language
    return {m: kw for m, kw in found.items() if re.sub(r"\{[a-z_]+\}", "", m).strip()}


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_the_answers_use_a_good_number_of_messages():
    assert len(messages()) > 100  # the scan finds them; a broken scan would pass everything below


@pytest.mark.parametrize("msgid", sorted(messages()))
def test_every_message_has_a_korean_translation_whose_placeholders_are_given(msgid: str):
    korean = translations("ko").get(msgid)
    assert korean, f"no Korean for {msgid!r}"
    # Korean may use a bare number the caller passes beside an English counted noun ("{n}" for "{monitors}")
    assert placeholders(korean) <= placeholders(msgid) | messages()[msgid]


def test_the_translations_are_korean_not_copies():
    table = translations("ko")
    copies = [m for m in messages() if not re.search(r"[\uac00-\ud7a3]", table.get(m, ""))]
    # only what has no words to translate
    assert set(copies) == {"{start}–{end} {tz}", "RTT p99 {p99} ms", "{start}–{end} UTC"}


def test_tr_fills_the_korean_text():
    assert tr("ko", "last {n} minutes", n=5) == "최근 5분"
    assert tr("en", "last {n} minutes", n=5) == "last 5 minutes"
