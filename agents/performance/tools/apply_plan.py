"""Tool: apply an approved plan, one SSM command per host, each verified by its own read-back.

Hosts are changed side by side; each host's script checks its values before writing and
restores what it changed if a write fails, so a host is either changed as planned or left as it
was, and a host that fails leaves the others' results intact. `verified` is true for a host only
when SSM said Success and the read-back shows every planned value; for the plan, only when
every host is verified.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from contextvars import copy_context
from typing import Any

from botocore.exceptions import WaiterError

from agents.performance.answer import Remediation
from agents.performance.plans import HostChanges, StoredPlan, new_plan_id
from agents.performance.tools.aws import AwsProblem, aws_step
from agents.performance.tools.fix_script import parse_output
from agents.performance.tools.plan_script import PlannedChange, build_plan_script, plan_problems


def apply_host(
    ssm: Any, host: HostChanges, *, poll_interval_s: float, timeout_s: float, persist: bool = False
) -> dict[str, Any]:
    """One host's changes over SSM; its result as the remediation's `hosts[]` entry."""
    problems: list[AwsProblem] = []
    script = build_plan_script(host.instance_id, host.changes, persist=persist)
    result: dict[str, Any] = {
        "instance_id": host.instance_id,
        "command_id": None,
        "status": "NotSent",
        "verified": False,
        "before": {},
        "after": {},
        "error": None,
    }
    params = {"instance_id": host.instance_id, "changes": [c.setting for c in host.changes]}
    with aws_step("ssm.apply_plan", problems, parameters=params, resource=host.instance_id) as step:
        sent = ssm.send_command(
            InstanceIds=[host.instance_id],
            DocumentName="AWS-RunShellScript",
            Comment="netops apply approved plan",
            Parameters={"commands": [script], "executionTimeout": [str(int(timeout_s))]},
            TimeoutSeconds=max(30, int(timeout_s)),
        )
        result["command_id"] = command_id = sent["Command"]["CommandId"]
        step.set_attribute("command_id", command_id)
        try:
            ssm.get_waiter("command_executed").wait(
                CommandId=command_id,
                InstanceId=host.instance_id,
                WaiterConfig={"Delay": poll_interval_s, "MaxAttempts": max(1, math.ceil(timeout_s / poll_interval_s))},
            )
        except WaiterError as exc:
            step.set_attribute("waiter", str((exc.last_response or {}).get("Status", exc)))
        invocation = ssm.get_command_invocation(CommandId=command_id, InstanceId=host.instance_id)
        result["status"] = status = invocation.get("Status", "Unknown")
        step.set_attribute("status", status)
        report = parse_output(invocation.get("StandardOutputContent", ""))
        result["before"], result["after"] = report.before, report.after
        result["in_place"] = report.in_place
        result["changed"] = [c.setting for c in host.changes if c.setting not in report.in_place]
        issues = plan_problems(report, host.changes)
        stderr = (invocation.get("StandardErrorContent") or "").strip()
        if status != "Success":
            result["error"] = f"the plan ended {status} on {host.instance_id}: {stderr[-300:] or 'no error output'}"
        elif issues:
            result["error"] = "the read-back does not show the plan: " + "; ".join(issues)
        result["verified"] = status == "Success" and not issues
    if problems:
        result["error"] = problems[0].advice
    return result


def apply_plan(
    ssm: Any, plan: StoredPlan, *, poll_interval_s: float = 2.0, timeout_s: float = 120.0, persist: bool = False
) -> Remediation:
    """Every host of the plan at once; the remediation reports each host and the whole."""
    with ThreadPoolExecutor(max_workers=max(1, len(plan.hosts)), thread_name_prefix="apply-plan") as pool:
        futures = [
            pool.submit(
                copy_context().run,
                apply_host,
                ssm,
                host,
                poll_interval_s=poll_interval_s,
                timeout_s=timeout_s,
                persist=persist,
            )
            for host in plan.hosts
        ]
        hosts = [f.result() for f in futures]
    several = len(hosts) > 1

    def keyed(result: dict[str, Any], values: dict[str, str]) -> dict[str, str]:
        return {(f"{result['instance_id']} {k}" if several else k): v for k, v in values.items()}

    failed = [h for h in hosts if h["status"] != "Success"]
    errors = [h["error"] for h in hosts if h["error"]]
    nothing_to_do = not failed and all(not h.get("changed") for h in hosts)
    return Remediation(
        instance_id=plan.hosts[0].instance_id,
        command_id=hosts[0]["command_id"],
        status=failed[0]["status"] if failed else "AlreadyInPlace" if nothing_to_do else "Success",
        verified=all(h["verified"] for h in hosts),
        before={k: v for h in hosts for k, v in keyed(h, h["before"]).items()},
        after={k: v for h in hosts for k, v in keyed(h, h["after"]).items()},
        error="; ".join(errors) if errors else None,
        hosts=hosts,
    )


def undo_plan(plan: StoredPlan, remediation: Remediation) -> StoredPlan | None:
    """The plan that puts back what a verified apply changed (from its own read-back), or None."""
    hosts = []
    for result in remediation.hosts:
        if result.get("status") != "Success":
            continue
        changes = []
        for setting in result.get("changed", []):
            before, after = result["before"].get(setting), result["after"].get(setting)
            if before is None or after is None or before == after:
                continue
            if setting == "qdisc":
                changes.append(PlannedChange(setting, after, before))
            else:
                changes.append(PlannedChange(setting, " ".join(after.split()), " ".join(before.split())))
        if changes:
            hosts.append(HostChanges(result["instance_id"], tuple(changes)))
    if not hosts:
        return None
    return StoredPlan(plan_id=new_plan_id(), cause=plan.cause, hosts=tuple(hosts), action="undo")
