"""Every message an operator reads has its Korean translation, and no catalog holds an empty one.

Message ids are found in the code as `tr(language, "literal", ...)` and `N_("literal")` (ids kept
in tables), by parsing every module of `agents/` and `bot/` with `ast`.
"""

from __future__ import annotations

import ast
from pathlib import Path

from babel.messages.pofile import read_po

from agents.i18n import LOCALE_DIR, detect_language, tr, translations

ROOT = Path(__file__).resolve().parent.parent
MARKERS = {"tr": 1, "N_": 0}  # the function, and the position of its msgid


def _called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def message_ids() -> dict[str, str]:
    """msgid → where it is used first ("path:line"), for every literal msgid in the code."""
    found: dict[str, str] = {}
    for package in ("agents", "bot"):
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if not isinstance(node, ast.Call) or _called_name(node) not in MARKERS:
                    continue
                position = MARKERS[_called_name(node)]
                if len(node.args) > position and isinstance(node.args[position], ast.Constant):
                    value = node.args[position].value
                    if isinstance(value, str):
                        found.setdefault(value, f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_the_code_uses_message_ids_at_all() -> None:
    assert len(message_ids()) >= 20


def test_every_message_id_in_the_code_has_a_korean_translation() -> None:
    korean = translations("ko")
    missing = {msgid: where for msgid, where in message_ids().items() if msgid not in korean}
    assert not missing, "\n".join(f"{where}: {msgid!r}" for msgid, where in missing.items())


def test_no_catalog_has_an_empty_translation() -> None:
    empty = []
    for path in sorted(LOCALE_DIR.glob("*/LC_MESSAGES/*.po")):
        with path.open("rb") as handle:
            empty += [f"{path.name}: {m.id!r}" for m in read_po(handle) if m.id and not m.string]
    assert not empty, "\n".join(empty)


def passed_values() -> dict[str, set[str]]:
    """msgid → the keyword values its callers pass (a Korean text may use a bare number passed beside an
    English counted noun: "{n}" for "{monitors}")."""
    passed: dict[str, set[str]] = {}
    for package in ("agents", "bot"):
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Call) and _called_name(node) in {"tr", "progress", "fact"}:
                    position = 1 if _called_name(node) == "tr" else 0
                    if len(node.args) > position and isinstance(node.args[position], ast.Constant):
                        passed.setdefault(str(node.args[position].value), set()).update(
                            k.arg for k in node.keywords if k.arg
                        )
    return passed


def test_every_translation_keeps_the_placeholders_of_its_message_id() -> None:
    def names(text: str) -> set[str]:
        import string

        return {field for _, field, _, _ in string.Formatter().parse(text) if field}

    korean = translations("ko")
    passed = passed_values()
    wrong = [
        msgid
        for msgid, text in korean.items()
        if names(msgid) != names(text) and not names(text) <= names(msgid) | passed.get(msgid, set())
    ]
    assert not wrong, wrong


def test_korean_translations_are_korean() -> None:
    assert all(
        detect_language(text) == "ko"
        for msgid, text in translations("ko").items()
        if detect_language(msgid) == "en" and any(c.isalpha() for c in msgid) and msgid not in NAMES_ONLY
    )


# names, numbers and units that read the same in Korean
NAMES_ONLY = {
    "DNS",
    "Network Flow Monitor",
    "RTT p99 {p99} ms",
    "{start}–{end} UTC",
    "{start}–{end} {tz}",
    "netops lab: {reason}",
}


def test_tr_falls_back_to_english_for_an_unknown_message() -> None:
    assert tr("ko", "no such message {n}", n=3) == "no such message 3"
