"""One host's part of a recommended plan as a shell script, all or nothing, with a read-back.

Pure: the text is what the confirm dialog's plan describes and exactly what SSM runs. The
script first checks that every setting still has the value the recommendation read (a host
that changed since gets no change at all), then writes, and if any write fails it restores
what it had already changed before exiting non-zero; it ends by printing every setting before
and after as `NETOPS before|after <key>=<value>` lines (`fix_script.parse_output` reads them).
POSIX sh, tools called by name (PATH) so a simulated host's shims are used.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass

from agents.performance.tools.fix_script import INSTANCE_ID_RE, ScriptReport, qdisc_summary

QDISC = "qdisc"
REMOVED = "removed"
_SYSCTL_KEY = re.compile(r"^net\.(?:core|ipv4)\.[a-z0-9_]+$")
_SYSCTL_VALUE = re.compile(r"^[0-9a-z_]+(?: [0-9]+)*$")
_NETEM = re.compile(r"^netem(?: [a-z]+ [0-9.]+(?:%|ms|us|s|[kmg]?bit)?)*$")


@dataclass(frozen=True)
class PlannedChange:
    setting: str
    current: str | None
    proposed: str


def _check(change: PlannedChange) -> None:
    """Only sysctl keys and the root netem removal, with values of their shape, ever reach a script."""
    if change.setting == QDISC:
        if change.proposed != REMOVED or not (change.current and _NETEM.fullmatch(change.current)):
            raise ValueError(f"only a root netem qdisc can be removed, not {change.current!r}")
        return
    if not _SYSCTL_KEY.fullmatch(change.setting):
        raise ValueError(f"{change.setting!r} is not a TCP sysctl this agent changes")
    for value in (change.current, change.proposed):
        if value is None or not _SYSCTL_VALUE.fullmatch(value):
            raise ValueError(f"{change.setting} value {value!r} is not a sysctl value")


_HEAD = r"""#!/bin/sh
# netops plan for {instance_id}: {summary}
# Checks every value first, changes all or nothing, prints before/after for verification.
set -u
say() {{ printf 'NETOPS %s\n' "$*"; }}
fail() {{ printf 'netops: %s\n' "$*" >&2; exit 3; }}
squeeze() {{ printf '%s' "$1" | tr -s ' \t' '  '; }}
IFACE=""
set -f
set -- $(ip route show default)
while [ $# -gt 1 ]; do
  if [ "$1" = dev ]; then IFACE=$2; break; fi
  shift
done
[ -n "$IFACE" ] || fail "no default route, so the primary interface is unknown; nothing was changed"
say "interface $IFACE"
UNDO=""
rollback() {{
  eval "$UNDO"
  fail "$1; what had been changed was restored"
}}
"""


def _sysctl_lines(change: PlannedChange) -> tuple[str, str, str]:
    key, want, was = change.setting, shlex.quote(change.proposed), shlex.quote(change.current or "")
    check = (
        f'now=$(sysctl -n {key}) || fail "{key} cannot be read; nothing was changed"\n'
        'now=$(squeeze "$now")\n'
        f'say "before {key}=$now"\n'
        f'[ "$now" = {was} ] || fail "{key} is $now, not {change.current} as read before; nothing was changed"\n'
    )
    apply = (
        f'sysctl -q -w {key}={want} || rollback "writing {key} failed"\n'
        f'UNDO="sysctl -q -w {key}={was}; $UNDO"\n'
        f'say "change {key}={change.proposed}"\n'
    )
    read_back = f'say "after {key}=$(squeeze "$(sysctl -n {key})")"\n'
    return check, apply, read_back


def _qdisc_lines(change: PlannedChange) -> tuple[str, str, str]:
    spec = change.current or ""
    check = (
        'now=$(tc qdisc show dev "$IFACE" root)\n'
        'say "before qdisc=$(squeeze "$now")"\n'
        "set -- $now\n"
        '[ "${2:-}" = netem ] || fail "the root qdisc is no longer netem ($now); nothing was changed"\n'
    )
    apply = (
        'tc qdisc del dev "$IFACE" root || rollback "removing the netem qdisc failed"\n'
        f'UNDO="tc qdisc replace dev $IFACE root {spec}; $UNDO"\n'
        'say "change removed the root netem qdisc on $IFACE"\n'
    )
    read_back = 'say "after qdisc=$(squeeze "$(tc qdisc show dev "$IFACE" root)")"\n'
    return check, apply, read_back


def build_plan_script(instance_id: str, changes: Sequence[PlannedChange]) -> str:
    """The exact AWS-RunShellScript for one host's changes (validated: ids and values by pattern)."""
    if not INSTANCE_ID_RE.fullmatch(instance_id):
        raise ValueError(f"{instance_id!r} is not an EC2 instance id")
    if not changes:
        raise ValueError("a plan script needs at least one change")
    for change in changes:
        _check(change)
    parts = [_qdisc_lines(c) if c.setting == QDISC else _sysctl_lines(c) for c in changes]
    summary = ", ".join(f"{c.setting} → {c.proposed}" for c in changes)
    script = _HEAD.format(instance_id=instance_id, summary=summary)
    script += "".join(p[0] for p in parts) + "".join(p[1] for p in parts) + "".join(p[2] for p in parts)
    return script + 'say "done"\n'


def plan_problems(report: ScriptReport, changes: Sequence[PlannedChange]) -> list[str]:
    """Why the read-back does not show the plan in place; empty means verified."""
    if not report.complete:
        return ["the script did not finish, so there is no complete read-back"]
    problems = []
    for change in changes:
        after = report.after.get(change.setting)
        if after is None:
            problems.append(f"{change.setting} was not read back")
        elif change.setting == QDISC:
            if qdisc_summary(after).startswith("netem"):
                problems.append(f"the root qdisc is still {after}")
        elif " ".join(after.split()) != change.proposed:
            problems.append(f"{change.setting} reads back {after}, not {change.proposed}")
    return problems
