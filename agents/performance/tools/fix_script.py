"""What the agent's SSM scripts print, read back: `NETOPS <kind> <key>=<value>` lines.

Pure functions shared by the plan script (`plan_script`), the apply (`apply_plan`) and the
read-only host look (`host_reads`): the instance-id pattern every script and call is checked
against, the parser of the scripts' before/after lines, and the qdisc summary both print.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

INSTANCE_ID_RE = re.compile(r"i-(?:[0-9a-f]{8}|[0-9a-f]{17})")  # use with fullmatch


@dataclass
class ScriptReport:
    """What the script printed: values before and after, what it skipped and changed."""

    interface: str | None = None
    before: dict[str, str] = field(default_factory=dict)
    after: dict[str, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    in_place: list[str] = field(default_factory=list)  # settings that already had the planned value
    persisted: str | None = None
    complete: bool = False


def qdisc_summary(line: str) -> str:
    """`qdisc netem 8001: root refcnt 2 limit 1000 loss 3%` → `netem loss 3%`; `qdisc mq 0: root` → `mq`."""
    words = line.split()
    if len(words) < 2 or words[0] != "qdisc":
        return line.strip()
    kind, rest = words[1], words[3:]
    skip = {"root": 0, "refcnt": 1, "limit": 1, "parent": 1}
    params: list[str] = []
    i = 0
    while i < len(rest):
        if rest[i] in skip:
            i += 1 + skip[rest[i]]
            continue
        params.append(rest[i])
        i += 1
    return " ".join([kind, *params])


def parse_output(stdout: str) -> ScriptReport:
    """Read the `NETOPS …` lines; anything else (warnings, noise) is ignored."""
    report = ScriptReport()
    for line in stdout.splitlines():
        if not line.startswith("NETOPS "):
            continue
        kind, _, rest = line[len("NETOPS ") :].partition(" ")
        if kind in {"before", "after"}:
            key, _, value = rest.partition("=")
            value = qdisc_summary(value) if key == "qdisc" else value.strip()
            (report.before if kind == "before" else report.after)[key] = value
        elif kind == "skipped":
            report.skipped.append(rest.strip())
        elif kind == "change":
            report.changes.append(rest.strip())
        elif kind == "inplace":
            report.in_place.append(rest.strip())
        elif kind == "interface":
            report.interface = rest.strip()
        elif kind == "persisted":
            report.persisted = rest.strip()
        elif kind == "done":
            report.complete = True
    return report
