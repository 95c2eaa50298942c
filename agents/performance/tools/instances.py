"""Tool: what EC2 says about the instances a question names or its flows touch.

Three things the diagnosis cannot do without: whether a named instance exists at all (an id
that is not found is said plainly, never swapped for another), where each instance sits (AZ:
the RTT a path should have depends on it), and how much bandwidth its type has (a receive
buffer is sized from the bandwidth-delay product, not picked from a table).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from botocore.exceptions import ClientError

from agents.performance.tools.aws import AwsProblem, aws_step
from agents.performance.tools.fix_script import INSTANCE_ID_RE

MAX_INSTANCES = 50


@dataclass(frozen=True)
class InstanceInfo:
    instance_id: str
    az: str | None
    instance_type: str | None
    ips: tuple[str, ...]
    name: str | None
    state: str | None
    peak_gbps: float | None = None
    baseline_gbps: float | None = None


@dataclass
class InstancesReport:
    found: dict[str, InstanceInfo] = field(default_factory=dict)
    not_found: list[str] = field(default_factory=list)

    def by_ip(self) -> dict[str, str]:
        return {ip: info.instance_id for info in self.found.values() for ip in info.ips}


def _info(raw: dict[str, Any]) -> InstanceInfo:
    tags = {t.get("Key"): t.get("Value") for t in raw.get("Tags", [])}
    ips = {raw.get("PrivateIpAddress")} | {
        a.get("PrivateIpAddress") for eni in raw.get("NetworkInterfaces", []) for a in eni.get("PrivateIpAddresses", [])
    }
    return InstanceInfo(
        instance_id=raw["InstanceId"],
        az=(raw.get("Placement") or {}).get("AvailabilityZone"),
        instance_type=raw.get("InstanceType"),
        ips=tuple(sorted(ip for ip in ips if ip)),
        name=tags.get("Name"),
        state=(raw.get("State") or {}).get("Name"),
    )


def _describe_each(ec2: Any, ids: list[str], report: InstancesReport) -> list[dict[str, Any]]:
    """describe_instances fails whole on one unknown id: ask again one by one to tell which."""
    raws: list[dict[str, Any]] = []
    for instance_id in ids:
        try:
            reservations = ec2.describe_instances(InstanceIds=[instance_id]).get("Reservations", [])
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code", "").startswith("InvalidInstanceID"):
                report.not_found.append(instance_id)
                continue
            raise
        found = [i for r in reservations for i in r.get("Instances", [])]
        if not found:
            report.not_found.append(instance_id)
        raws.extend(found)
    return raws


def describe_instances(ec2: Any, instance_ids: list[str], problems: list[AwsProblem]) -> InstancesReport:
    """The instances that exist (with AZ, type, IPs and bandwidth) and the ids EC2 does not know."""
    report = InstancesReport()
    ids = [i for i in dict.fromkeys(instance_ids) if INSTANCE_ID_RE.fullmatch(i)][:MAX_INSTANCES]
    if not ids:
        return report
    with aws_step("ec2.describe_instances", problems, parameters={"instances": len(ids)}) as step:
        try:
            reservations = ec2.describe_instances(InstanceIds=ids).get("Reservations", [])
            raws = [i for r in reservations for i in r.get("Instances", [])]
        except ClientError as exc:
            if not exc.response.get("Error", {}).get("Code", "").startswith("InvalidInstanceID"):
                raise
            raws = _describe_each(ec2, ids, report)
        infos = [_info(raw) for raw in raws]
        report.not_found += [i for i in ids if i not in {x.instance_id for x in infos} and i not in report.not_found]
        types = sorted({i.instance_type for i in infos if i.instance_type})
        bandwidth: dict[str, tuple[float | None, float | None]] = {}
        if types:
            for item in ec2.describe_instance_types(InstanceTypes=types).get("InstanceTypes", []):
                cards = (item.get("NetworkInfo") or {}).get("NetworkCards") or [{}]
                card = cards[0]
                bandwidth[item["InstanceType"]] = (card.get("PeakBandwidthInGbps"), card.get("BaselineBandwidthInGbps"))
        for info in infos:
            peak, baseline = bandwidth.get(info.instance_type or "", (None, None))
            report.found[info.instance_id] = replace(info, peak_gbps=peak, baseline_gbps=baseline)
        step.set_attribute("found", len(report.found))
        step.set_attribute("not_found", len(report.not_found))
    return report
