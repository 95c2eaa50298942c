"""`netops config`: the configuration reference and the values this process would use.

Operators debugging a deployment need to see what the process actually read, with secrets
masked; the README's configuration table is generated from the same function, so the two
cannot drift.
"""

from __future__ import annotations

import argparse

from pydantic import SecretStr

from agents.settings import Settings, env_name, load_settings


def reference_rows() -> list[tuple[str, str, str]]:
    """(variable, default, description) for every setting, in declaration order."""
    rows = []
    for name, field in Settings.model_fields.items():
        default = field.get_default(call_default_factory=True)
        if isinstance(default, list):
            default = ",".join(default)
        shown = "" if default is None else str(default)
        rows.append((env_name(name), shown, field.description or ""))
    return rows


def reference_markdown() -> str:
    """The README's configuration table."""
    lines = ["| variable | default | what it does |", "| --- | --- | --- |"]
    lines += [
        f"| `{var}` | `{default}` | {text} |" if default else f"| `{var}` | | {text} |"
        for var, default, text in reference_rows()
    ]
    return "\n".join(lines) + "\n"


def _effective(settings: Settings) -> list[tuple[str, str]]:
    out = []
    for name in Settings.model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            shown = "(set, hidden)"
        elif value is None:
            shown = "(unset)"
        elif isinstance(value, list):
            shown = ",".join(value) or "(empty)"
        else:
            shown = str(value)
        out.append((env_name(name), shown))
    return out


def _run(args: argparse.Namespace) -> int:
    if args.markdown:
        print(reference_markdown(), end="")
        return 0
    settings = load_settings()
    width = max(len(var) for var, _ in _effective(settings))
    for var, shown in _effective(settings):
        print(f"{var:<{width}}  {shown}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("config", help="show the settings this process reads (secrets hidden)")
    parser.add_argument("--markdown", action="store_true", help="print the reference table for the README")
    parser.set_defaults(handler=_run)
