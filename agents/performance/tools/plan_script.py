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
    """Only TCP sysctls and the root netem qdisc (removed, or restored by an undo), with values of their shape."""
    if change.setting == QDISC:
        removing = change.proposed == REMOVED and bool(change.current and _NETEM.fullmatch(change.current))
        restoring = bool(_NETEM.fullmatch(change.proposed)) and not (change.current or "").startswith("netem")
        if not (removing or restoring):
            raise ValueError(
                f"only a root netem qdisc can be removed or restored, not {change.current!r} → {change.proposed!r}"
            )
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


def _sysctl_lines(i: int, change: PlannedChange) -> tuple[str, str, str]:
    key, want, was = change.setting, shlex.quote(change.proposed), shlex.quote(change.current or "")
    check = (
        f'now=$(sysctl -n {key}) || fail "{key} cannot be read; nothing was changed"\n'
        'now=$(squeeze "$now")\n'
        f'say "before {key}=$now"\n'
        f"DO{i}=1\n"
        f'if [ "$now" = {want} ]; then DO{i}=0; say "inplace {key}"\n'
        f'elif [ "$now" != {was} ]; then fail "{key} is $now, not {change.current} as read before; nothing was changed"'
        "\nfi\n"
    )
    apply = (
        f'if [ "$DO{i}" = 1 ]; then\n'
        f'  sysctl -q -w {key}={want} || rollback "writing {key} failed"\n'
        f'  UNDO="sysctl -q -w {key}={was}; $UNDO"\n'
        f'  say "change {key}={change.proposed}"\n'
        "fi\n"
    )
    read_back = f'say "after {key}=$(squeeze "$(sysctl -n {key})")"\n'
    return check, apply, read_back


def _qdisc_lines(i: int, change: PlannedChange) -> tuple[str, str, str]:
    check = f'now=$(tc qdisc show dev "$IFACE" root)\nsay "before qdisc=$(squeeze "$now")"\nset -- $now\nDO{i}=1\n'
    if change.proposed == REMOVED:  # remove an injected netem; put it back if a later write fails
        check += f'if [ "${{2:-}}" != netem ]; then DO{i}=0; say "inplace qdisc"; fi\n'
        apply = (
            f'if [ "$DO{i}" = 1 ]; then\n'
            '  tc qdisc del dev "$IFACE" root || rollback "removing the netem qdisc failed"\n'
            f'  UNDO="tc qdisc replace dev $IFACE root {change.current}; $UNDO"\n'
            '  say "change removed the root netem qdisc on $IFACE"\n'
            "fi\n"
        )
    else:  # an undo: restore the netem the fix removed
        check += f'if [ "${{2:-}}" = netem ]; then DO{i}=0; say "inplace qdisc"; fi\n'
        apply = (
            f'if [ "$DO{i}" = 1 ]; then\n'
            f'  tc qdisc replace dev "$IFACE" root {change.proposed} || rollback "restoring the netem qdisc failed"\n'
            '  UNDO="tc qdisc del dev $IFACE root; $UNDO"\n'
            f'  say "change restored the root qdisc {change.proposed} on $IFACE"\n'
            "fi\n"
        )
    read_back = 'say "after qdisc=$(squeeze "$(tc qdisc show dev "$IFACE" root)")"\n'
    return check, apply, read_back


SYSCTL_CONF = "90-netops-tcp.conf"


def _persist_lines(changes: Sequence[PlannedChange]) -> str:
    """NETOPS_PERSIST_SYSCTL: the sysctl values the plan set, written (atomically) where boot reads them."""
    sysctls = [c for c in changes if c.setting != QDISC]
    if not sysctls:
        return ""
    lines = "".join(f"printf '%s = %s\\n' {c.setting} {shlex.quote(c.proposed)} >> \"$conf.tmp\"\n" for c in sysctls)
    return (
        'SYSCTL_D="${NETOPS_SYSCTL_D:-/etc/sysctl.d}"\n'
        'mkdir -p "$SYSCTL_D" || rollback "the sysctl.d folder cannot be created"\n'
        f'conf="$SYSCTL_D/{SYSCTL_CONF}"\n'
        ': > "$conf.tmp" || rollback "the persisted settings cannot be written"\n'
        + lines
        + 'mv "$conf.tmp" "$conf" || rollback "the persisted settings cannot be written"\n'
        'say "persisted $conf"\n'
    )


def build_plan_script(instance_id: str, changes: Sequence[PlannedChange], *, persist: bool = False) -> str:
    """The exact AWS-RunShellScript for one host's changes (validated: ids and values by pattern)."""
    if not INSTANCE_ID_RE.fullmatch(instance_id):
        raise ValueError(f"{instance_id!r} is not an EC2 instance id")
    if not changes:
        raise ValueError("a plan script needs at least one change")
    for change in changes:
        _check(change)
    parts = [_qdisc_lines(i, c) if c.setting == QDISC else _sysctl_lines(i, c) for i, c in enumerate(changes)]
    summary = ", ".join(f"{c.setting} → {c.proposed}" for c in changes)
    script = _HEAD.format(instance_id=instance_id, summary=summary)
    script += "".join(p[0] for p in parts) + "".join(p[1] for p in parts)
    script += _persist_lines(changes) if persist else ""
    return script + "".join(p[2] for p in parts) + 'say "done"\n'


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
            netem = qdisc_summary(after).startswith("netem")
            if change.proposed == REMOVED and netem:
                problems.append(f"the root qdisc is still {after}")
            elif change.proposed != REMOVED and not netem:
                problems.append(f"the root qdisc reads back {after}, not {change.proposed}")
        elif " ".join(after.split()) != change.proposed:
            problems.append(f"{change.setting} reads back {after}, not {change.proposed}")
    return problems
