"""Where the workspace's shared packet captures (`../shared/captures`, with tshark's answers) are.

One lookup for every test that reads them: NETOPS_TEST_CAPTURES when set; else beside the
checkout or any folder above it (git worktrees sit deeper); else beside the checkout this one
was cloned from, so that a clone made elsewhere (`git clone . /tmp/fresh`) still finds them.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[1]


def _cloned_from() -> Path | None:
    """The local checkout this one was cloned from, if its origin is a folder on this machine."""
    try:
        url = subprocess.run(
            ["git", "-C", str(CHECKOUT), "config", "--get", "remote.origin.url"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout.strip()
    except OSError:
        return None
    origin = Path(url.removeprefix("file://")) if url else None
    return origin.resolve() if origin is not None and origin.is_dir() else None


def captures_dir() -> Path:
    candidates = [Path(os.environ["NETOPS_TEST_CAPTURES"])] if os.environ.get("NETOPS_TEST_CAPTURES") else []
    candidates += [folder / "shared" / "captures" for folder in (CHECKOUT, *CHECKOUT.parents)]
    if (origin := _cloned_from()) is not None:
        candidates += [folder / "shared" / "captures" for folder in (origin, *origin.parents)]
    for candidate in candidates:
        if (candidate / "expected.jsonl").is_file():
            return candidate
    raise RuntimeError("../shared/captures not found: set NETOPS_TEST_CAPTURES to the captures folder")


CAPTURES = captures_dir()
