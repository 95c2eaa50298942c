"""Tool: read-only looks at the hosts over SSM: TCP sysctls, the root qdisc, ENA allowance counters.

A fix is only honest when it starts from what the host has now, and some causes live only on
the host: a `tc netem` qdisc, window scaling switched off on one end, an instance exceeding its
ENA allowances (`ethtool -S`, read twice a second apart so a rising counter is told from an old
one). One `AWS-RunShellScript` command runs the read script on every host at once; the script
only reads (its commands are listed in CONTRACTS.md) and prints `NETOPS <kind> <key>=<value>`
lines. A host that cannot be read (not managed by SSM, agent offline, command failed) is
reported as unreadable with the reason, never as healthy.
"""

from __future__ import annotations

import contextlib
import math
import time
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError, WaiterError

from agents.performance.tools.aws import AwsProblem, aws_step, describe_aws_error
from agents.performance.tools.fix_script import INSTANCE_ID_RE, qdisc_summary

READ_KEYS = (
    "net.ipv4.tcp_rmem",
    "net.ipv4.tcp_wmem",
    "net.core.rmem_max",
    "net.core.wmem_max",
    "net.ipv4.tcp_window_scaling",
    "net.ipv4.tcp_sack",
    "net.ipv4.tcp_congestion_control",
    "net.core.default_qdisc",
)
ENA_COUNTERS = (
    "bw_in_allowance_exceeded",
    "bw_out_allowance_exceeded",
    "pps_allowance_exceeded",
    "conntrack_allowance_exceeded",
    "linklocal_allowance_exceeded",
)
ENA_GAP_S = 1  # between the two counter reads: long enough to see a counter that is rising now
MAX_HOSTS = 10

READ_SCRIPT = r"""#!/bin/sh
# netops read-only host look: sysctls, root qdisc, ENA allowance counters. Changes nothing.
say() { printf 'NETOPS %s\n' "$*"; }
sysctl -e {keys} 2>/dev/null | while IFS= read -r line; do
  say "sysctl $(printf '%s' "$line" | tr -s ' \t' '  ')"
done
IFACE=""
set -f
set -- $(ip route show default 2>/dev/null)
while [ $# -gt 1 ]; do
  if [ "$1" = dev ]; then IFACE=$2; break; fi
  shift
done
if [ -z "$IFACE" ]; then say "error no default route"; say done; exit 0; fi
say "interface $IFACE"
say "qdisc $(tc qdisc show dev "$IFACE" root 2>/dev/null | head -n 1)"
ena() {
  ethtool -S "$IFACE" 2>/dev/null | while read -r name value; do
    case "$name" in *allowance_exceeded:) say "$1 ${name%:}=$value" ;; esac
  done
}
ena ena1
sleep {gap}
ena ena2
say done
"""


def read_script() -> str:
    return READ_SCRIPT.replace("{keys}", " ".join(READ_KEYS)).replace("{gap}", str(ENA_GAP_S))


@dataclass
class HostRead:
    """What one host answered; `error` says why it could not be read (then nothing else is known)."""

    instance_id: str
    sysctl: dict[str, str] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    interface: str | None = None
    qdisc: str | None = None  # summarised: "netem loss 3%", "mq"
    ena_first: dict[str, int] = field(default_factory=dict)
    ena_second: dict[str, int] = field(default_factory=dict)
    error: str | None = None

    @property
    def readable(self) -> bool:
        return self.error is None

    @property
    def ena_rising(self) -> dict[str, int]:
        """Counters that grew between the two reads, with by how much."""
        return {
            name: self.ena_second[name] - self.ena_first[name]
            for name in self.ena_second
            if name in self.ena_first and self.ena_second[name] > self.ena_first[name]
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "instance_id": self.instance_id,
            "sysctl": self.sysctl,
            "interface": self.interface,
            "qdisc": self.qdisc,
            "ena": self.ena_second,
            "ena_rising": self.ena_rising,
            "error": self.error,
        }


def parse_read(instance_id: str, stdout: str) -> HostRead:
    read = HostRead(instance_id)
    complete = False
    for line in stdout.splitlines():
        if not line.startswith("NETOPS "):
            continue
        kind, _, rest = line[len("NETOPS ") :].partition(" ")
        key, _, value = rest.partition("=")
        if kind == "sysctl":  # `sysctl -e` prints "key = value" for the keys this kernel has
            name, _, found = rest.partition(" = ")
            read.sysctl[name.strip()] = " ".join(found.split())
        elif kind == "interface":
            read.interface = rest.strip()
        elif kind == "qdisc":
            read.qdisc = qdisc_summary(rest) if rest.strip() else None
        elif kind in {"ena1", "ena2"} and value.strip().isdigit():
            (read.ena_first if kind == "ena1" else read.ena_second)[key] = int(value)
        elif kind == "error":
            read.error = rest.strip()
        elif kind == "done":
            complete = True
    if not complete and read.error is None:
        read.error = "the read script did not finish, so nothing it printed can be trusted"
    read.missing = [k for k in READ_KEYS if k not in read.sysctl]
    return read


def read_hosts(
    ssm: Any,
    instance_ids: list[str],
    problems: list[AwsProblem],
    *,
    poll_interval_s: float = 2.0,
    timeout_s: float = 60.0,
    sleep: Any = time.sleep,
) -> dict[str, HostRead]:
    """Run the read script on every host at once; each host's answer, or why it has none."""
    ids = [i for i in dict.fromkeys(instance_ids) if INSTANCE_ID_RE.fullmatch(i)][:MAX_HOSTS]
    if not ids:
        return {}
    reads = {i: HostRead(i, error="not read") for i in ids}
    sendable = _managed(ssm, ids, reads)
    if not sendable:
        return reads
    command_id = None
    with aws_step("ssm.read_hosts", problems, parameters={"instances": sendable}) as step:
        try:
            sent = ssm.send_command(
                InstanceIds=sendable,
                DocumentName="AWS-RunShellScript",
                Comment="netops read-only host look",
                Parameters={"commands": [read_script()], "executionTimeout": [str(int(timeout_s))]},
                TimeoutSeconds=max(30, int(timeout_s)),
            )
        except ClientError as exc:
            advice = describe_aws_error(exc, "ssm.send_command").message
            for instance_id in sendable:
                reads[instance_id].error = f"SSM refused the read command: {advice}"
            step.set_attribute("error", advice)
            return reads
        command_id = sent["Command"]["CommandId"]
        step.set_attribute("command_id", command_id)
        for instance_id in sendable:
            reads[instance_id] = _wait_one(ssm, command_id, instance_id, poll_interval_s, timeout_s)
        step.set_attribute("readable", sum(1 for r in reads.values() if r.readable))
    return reads


def _managed(ssm: Any, ids: list[str], reads: dict[str, HostRead]) -> list[str]:
    """The hosts SSM manages and can reach; the others get the reason in their read."""
    try:
        info = ssm.describe_instance_information(
            Filters=[{"Key": "InstanceIds", "Values": ids}], MaxResults=max(5, len(ids))
        ).get("InstanceInformationList", [])
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in {"InvalidInstanceId", "InvalidInstanceInformationFilterValue"}:
            for instance_id in ids:
                reads[instance_id].error = "SSM does not manage this instance (no SSM agent or instance profile)"
            return []
        return ids  # cannot tell: let send_command decide, per host
    online = {i.get("InstanceId"): i.get("PingStatus") for i in info}
    ok = []
    for instance_id in ids:
        status = online.get(instance_id)
        if status is None:
            reads[instance_id].error = "SSM does not manage this instance (no SSM agent or instance profile)"
        elif status != "Online":
            reads[instance_id].error = f"the SSM agent on this instance is {status}"
        else:
            ok.append(instance_id)
    return ok


def _wait_one(ssm: Any, command_id: str, instance_id: str, poll_interval_s: float, timeout_s: float) -> HostRead:
    with contextlib.suppress(WaiterError):  # a terminal failure: the invocation's status says which
        ssm.get_waiter("command_executed").wait(
            CommandId=command_id,
            InstanceId=instance_id,
            WaiterConfig={"Delay": poll_interval_s, "MaxAttempts": max(1, math.ceil(timeout_s / poll_interval_s))},
        )
    try:
        invocation = ssm.get_command_invocation(CommandId=command_id, InstanceId=instance_id)
    except ClientError as exc:
        return HostRead(instance_id, error=describe_aws_error(exc, "ssm.get_command_invocation").message)
    status = invocation.get("Status", "Unknown")
    if status != "Success":
        detail = (invocation.get("StandardErrorContent") or "").strip()[-200:]
        return HostRead(instance_id, error=f"the read command ended {status}" + (f": {detail}" if detail else ""))
    return parse_read(instance_id, invocation.get("StandardOutputContent", ""))
