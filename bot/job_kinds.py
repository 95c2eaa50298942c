"""The kinds of job the runner runs, and how a job hands on a follow-up.

Listeners enqueue these kinds and the runner dispatches on them; a handler that starts another
job (an approval schedules its remediation, an alarm its diagnosis) names the kind here, so no
handler has to import the runner that imports it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

QUESTION = "question"
DECISION = "decision"
REMEDIATION = "remediation"

# (kind, payload, dedupe key) -> queued; the console runs follow-up jobs inline instead.
Schedule = Callable[[str, dict[str, Any], str], Awaitable[Any]]
