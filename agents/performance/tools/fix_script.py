"""The TCP fix as one shell script, and the parser of what it prints.

Pure functions: the script text is what the confirm dialog shows (dry run) and exactly what
SSM runs, so it is built in one place. The script is POSIX sh (SSM runs AWS-RunShellScript
with `sh`, which is dash on Ubuntu), stops on the first failing command, touches only keys
that exist on that kernel, removes a root `netem` qdisc on the primary interface only if one
is there, never lowers a buffer that is already larger, and ends with a read-back printed as
`NETOPS <kind> <key>=<value>` lines that `parse_output` turns into before/after maps.
`sysctl`, `tc` and `ip` are called by name (PATH) so a simulated host's shims are used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

TARGET_BUFFER = 134217728
BUFFER_KEYS = ("net.core.rmem_max", "net.core.wmem_max")
VECTOR_KEYS = ("net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem")
SWITCH_KEYS = ("net.ipv4.tcp_window_scaling",)
FIX_KEYS = BUFFER_KEYS + VECTOR_KEYS + SWITCH_KEYS
SYSCTL_CONF_NAME = "90-netops-tcp.conf"
INSTANCE_ID_RE = re.compile(r"^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$")


def planned_changes(*, persist: bool) -> list[str]:
    """The changes as the confirm dialog lists them (the script decides per host what applies)."""
    changes = [f"{key} → {TARGET_BUFFER} (if lower)" for key in BUFFER_KEYS]
    changes += [f"{key} maximum → {TARGET_BUFFER} (if lower)" for key in VECTOR_KEYS]
    changes += ["net.ipv4.tcp_window_scaling → 1", "remove the root netem qdisc on the primary interface, if present"]
    if persist:
        changes.append(f"persist the values in /etc/sysctl.d/{SYSCTL_CONF_NAME}")
    return changes


_SCRIPT = r"""#!/bin/sh
# netops fix_retransmissions for {instance_id}: raise TCP buffers to 128 MB, enable window
# scaling, remove an injected root netem qdisc; print before/after for verification.
set -eu
TARGET={target}
PERSIST={persist}
PROC_SYS="${{NETOPS_PROC_SYS:-/proc/sys}}"
SYSCTL_D="${{NETOPS_SYSCTL_D:-/etc/sysctl.d}}"
say() {{ printf 'NETOPS %s\n' "$*"; }}
fail() {{ printf 'netops: %s\n' "$*" >&2; exit 3; }}
squeeze() {{ printf '%s' "$1" | tr -s ' \t' '  '; }}

route=$(ip route show default)
IFACE=""
set -f
set -- $route
while [ $# -gt 1 ]; do
  if [ "$1" = dev ]; then IFACE=$2; break; fi
  shift
done
[ -n "$IFACE" ] || fail "no default route, so the primary interface is unknown; nothing was changed"
say "interface $IFACE"

PRESENT=""
for key in {keys}; do
  if [ -f "$PROC_SYS/$(printf '%s' "$key" | tr . /)" ]; then PRESENT="$PRESENT $key"; else say "skipped $key"; fi
done

for key in $PRESENT; do
  value=$(sysctl -n "$key")
  say "before $key=$(squeeze "$value")"
done
qdisc=$(tc qdisc show dev "$IFACE" root)
say "before qdisc=$(squeeze "$qdisc")"

set -- $qdisc
if [ "${{2:-}}" = netem ]; then
  tc qdisc del dev "$IFACE" root
  say "change removed the root netem qdisc on $IFACE"
fi
for key in $PRESENT; do
  value=$(sysctl -n "$key")
  set -- $value
  case "$key" in
    net.core.rmem_max|net.core.wmem_max)
      [ "$1" -ge "$TARGET" ] && continue
      want=$TARGET ;;
    net.ipv4.tcp_rmem|net.ipv4.tcp_wmem)
      [ $# -eq 3 ] || fail "$key has an unexpected value '$value'; nothing more was changed"
      [ "$3" -ge "$TARGET" ] && continue
      want="$1 $2 $TARGET" ;;
    net.ipv4.tcp_window_scaling)
      [ "$1" = 1 ] && continue
      want=1 ;;
    *) fail "no rule for $key" ;;
  esac
  sysctl -q -w "$key=$want"
  say "change $key=$want"
done

if [ "$PERSIST" = 1 ] && [ -n "$PRESENT" ]; then
  mkdir -p "$SYSCTL_D"
  conf="$SYSCTL_D/{conf_name}"
  : > "$conf.tmp"
  for key in $PRESENT; do
    value=$(sysctl -n "$key")
    printf '%s = %s\n' "$key" "$(squeeze "$value")" >> "$conf.tmp"
  done
  mv "$conf.tmp" "$conf"
  say "persisted $conf"
fi

for key in $PRESENT; do
  value=$(sysctl -n "$key")
  say "after $key=$(squeeze "$value")"
done
qdisc=$(tc qdisc show dev "$IFACE" root)
say "after qdisc=$(squeeze "$qdisc")"
say "done"
"""


def build_script(instance_id: str, *, persist: bool = False) -> str:
    """The exact AWS-RunShellScript text for `instance_id` (validated: it appears in the script)."""
    if not INSTANCE_ID_RE.fullmatch(instance_id):
        raise ValueError(f"{instance_id!r} is not an EC2 instance id (i- and 8 or 17 hex digits)")
    return _SCRIPT.format(
        instance_id=instance_id,
        target=TARGET_BUFFER,
        persist=1 if persist else 0,
        keys=" ".join(FIX_KEYS),
        conf_name=SYSCTL_CONF_NAME,
    )


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


def verification_problems(report: ScriptReport) -> list[str]:
    """Why the read-back does not show a fixed host; empty means verified."""
    if not report.complete and report.interface is None:
        return ["SSM returned none of the script's output, so nothing was read back"]
    if not report.complete:
        return ["the script did not finish, so there is no complete read-back"]
    problems = []
    for key in FIX_KEYS:
        if key in report.skipped:
            continue
        value = report.after.get(key)
        if value is None:
            problems.append(f"{key} was not read back")
            continue
        words = value.split()
        try:
            if key in BUFFER_KEYS and int(words[0]) < TARGET_BUFFER:
                problems.append(f"{key} reads back {value}, below {TARGET_BUFFER}")
            elif key in VECTOR_KEYS and (len(words) != 3 or int(words[2]) < TARGET_BUFFER):
                problems.append(f"{key} reads back {value}, maximum below {TARGET_BUFFER}")
            elif key in SWITCH_KEYS and words != ["1"]:
                problems.append(f"{key} reads back {value}, expected 1")
        except (ValueError, IndexError):
            problems.append(f"{key} reads back {value!r}, which is not a number")
    qdisc = report.after.get("qdisc")
    if qdisc is None:
        problems.append("the root qdisc was not read back")
    elif qdisc.startswith("netem"):
        problems.append(f"the root qdisc is still {qdisc}")
    return problems
