"""Keep the README's configuration table identical to the settings classes.

`python -m agents.readme_sync` rewrites the table between the README's markers; a test fails
when they differ, so a new setting cannot ship undocumented.
"""

from __future__ import annotations

import sys
from pathlib import Path

from agents.config_command import reference_markdown

START = "<!-- config-reference:start -->"
END = "<!-- config-reference:end -->"
README = Path(__file__).resolve().parent.parent / "README.md"


def with_reference(readme_text: str) -> str:
    """The README text with the table between the markers replaced by the current one."""
    head, _, rest = readme_text.partition(START)
    _, _, tail = rest.partition(END)
    return f"{head}{START}\n{reference_markdown()}{END}{tail}"


def main() -> int:
    README.write_text(with_reference(README.read_text()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
