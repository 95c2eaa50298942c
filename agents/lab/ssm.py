"""SSM Run Command for the lab's simulated hosts, over the real awsJson1_1 protocol.

moto's SendCommand answers Success without running anything, so an unverified fix would look
verified. Here the script really runs (under bash, on the lab host's simulated `/proc/sys`
and qdisc state) and GetCommandInvocation returns its real exit code and output. That is not a
sandbox: the script runs as this user on this machine, which is why the lab listens on
127.0.0.1 only and accepts only the lab's own instance ids.

As on AWS, SendCommand answers at once with the command Pending and the script runs in the
background. GetCommandInvocation waits briefly (`settle_s`) for a running invocation to
finish before answering, which keeps a waiter's first poll from sleeping needlessly while
still reporting Pending/InProgress for a script that takes longer. `after_run(instance_id)`
is called once the script has finished and before the invocation reports its final status,
so telemetry produced after a fix is in place by the time the caller sees Success.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from agents.lab.wire import AwsError, StartResponse, read_json, respond, respond_error

CONTENT_TYPE = "application/x-amz-json-1.1"
TARGET_PREFIX = "AmazonSSM."
OPERATIONS = frozenset({"SendCommand", "GetCommandInvocation", "ListCommandInvocations", "DescribeInstanceInformation"})
DOCUMENT = "AWS-RunShellScript"
OUTPUT_LIMIT = 24_000  # SSM truncates StandardOutputContent/StandardErrorContent here
_INSTANCE_ID = re.compile(r"^i-[0-9a-f]{8,17}$")
_FINAL = frozenset({"Success", "Failed", "TimedOut", "Cancelled"})


class ScriptResultLike(Protocol):
    exit_code: int
    stdout: str
    stderr: str


class HostLike(Protocol):
    def run_script(self, script: str, timeout_s: float = 30) -> ScriptResultLike: ...


@dataclass
class _Invocation:
    command_id: str
    instance_id: str
    comment: str
    requested_at: float
    status: str = "Pending"
    response_code: int = -1
    stdout: str = ""
    stderr: str = ""
    started_at: float | None = None
    ended_at: float | None = None
    done: threading.Event = field(default_factory=threading.Event)


@dataclass
class SsmService:
    """Run Command for the instances in `hosts`; any other instance id is `InvalidInstanceId`."""

    hosts: Mapping[str, HostLike]
    after_run: Callable[[str], None] = lambda instance_id: None
    settle_s: float = 2.0
    _invocations: dict[tuple[str, str], _Invocation] = field(default_factory=dict)
    _commands: dict[str, dict] = field(default_factory=dict)
    _host_locks: dict[str, threading.Lock] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _threads: list[threading.Thread] = field(default_factory=list)

    @staticmethod
    def handles(environ: dict) -> bool:
        """Whether a request (already known to be SSM) is one of the operations served here."""
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        return target.startswith(TARGET_PREFIX) and target[len(TARGET_PREFIX) :] in OPERATIONS

    def __call__(self, environ: dict, start_response: StartResponse) -> list[bytes]:
        operation = environ.get("HTTP_X_AMZ_TARGET", "")[len(TARGET_PREFIX) :]
        try:
            body = read_json(environ)
            handler = {
                "SendCommand": self.send_command,
                "GetCommandInvocation": self.get_command_invocation,
                "ListCommandInvocations": self.list_command_invocations,
                "DescribeInstanceInformation": self.describe_instance_information,
            }[operation]
            return respond(start_response, handler(body), content_type=CONTENT_TYPE)
        except AwsError as error:
            return respond_error(start_response, error, content_type=CONTENT_TYPE)

    def wait_idle(self, timeout_s: float = 30.0) -> None:
        """Join the scripts still running (used at shutdown)."""
        deadline = time.monotonic() + timeout_s
        for thread in list(self._threads):
            thread.join(max(0.0, deadline - time.monotonic()))

    # --- operations -------------------------------------------------------------------

    def send_command(self, body: dict) -> dict:
        if body.get("DocumentName") != DOCUMENT:
            raise AwsError("InvalidDocument", f"the lab runs only {DOCUMENT}, not {body.get('DocumentName')!r}")
        if body.get("Targets"):
            raise AwsError("InvalidParameters", "the lab addresses instances by InstanceIds, not Targets")
        instance_ids = body.get("InstanceIds") or []
        if not instance_ids:
            raise AwsError("InvalidInstanceId", "InstanceIds is empty")
        if len(set(instance_ids)) != len(instance_ids):
            raise AwsError("DuplicateInstanceId", "an instance id is listed twice")
        for instance_id in instance_ids:
            self._require_instance(instance_id)
        commands = (body.get("Parameters") or {}).get("commands")
        if not isinstance(commands, list) or not commands or not all(isinstance(c, str) for c in commands):
            raise AwsError("InvalidParameters", "Parameters.commands must be a non-empty list of strings")
        timeout_s = float(body.get("TimeoutSeconds") or 3600)
        command_id = str(uuid.uuid4())
        now = time.time()
        script = "\n".join(commands)
        command = {
            "CommandId": command_id,
            "DocumentName": DOCUMENT,
            "DocumentVersion": "$DEFAULT",
            "Comment": body.get("Comment", ""),
            "ExpiresAfter": now + timeout_s,
            "Parameters": body.get("Parameters"),
            "InstanceIds": instance_ids,
            "Targets": [],
            "RequestedDateTime": now,
            "Status": "Pending",
            "StatusDetails": "Pending",
            "TargetCount": len(instance_ids),
            "CompletedCount": 0,
            "ErrorCount": 0,
            "DeliveryTimedOutCount": 0,
            "TimeoutSeconds": int(timeout_s),
        }
        with self._lock:
            self._threads = [thread for thread in self._threads if thread.is_alive()]
            self._commands[command_id] = command
            for instance_id in instance_ids:
                invocation = _Invocation(command_id, instance_id, command["Comment"], now)
                self._invocations[(command_id, instance_id)] = invocation
                thread = threading.Thread(
                    target=self._run, args=(invocation, script, timeout_s), name=f"lab-ssm-{instance_id}", daemon=True
                )
                self._threads.append(thread)
                thread.start()
        return {"Command": command}

    def get_command_invocation(self, body: dict) -> dict:
        command_id, instance_id = body.get("CommandId"), body.get("InstanceId")
        if not command_id or not isinstance(command_id, str):
            raise AwsError("InvalidCommandId", "CommandId is required")
        if not instance_id or not _INSTANCE_ID.match(str(instance_id)):
            raise AwsError("InvalidInstanceId", f"{instance_id!r} is not an instance id")
        invocation = self._invocations.get((command_id, instance_id))
        if invocation is None:
            raise AwsError("InvocationDoesNotExist", f"no invocation of {command_id} on {instance_id}")
        invocation.done.wait(self.settle_s)
        return {
            "CommandId": command_id,
            "InstanceId": instance_id,
            "Comment": invocation.comment,
            "DocumentName": DOCUMENT,
            "DocumentVersion": "$DEFAULT",
            "PluginName": "aws:runShellScript",
            "ResponseCode": invocation.response_code,
            "ExecutionStartDateTime": _iso(invocation.started_at),
            "ExecutionElapsedTime": _elapsed(invocation),
            "ExecutionEndDateTime": _iso(invocation.ended_at),
            "Status": invocation.status,
            "StatusDetails": invocation.status,
            "StandardOutputContent": invocation.stdout,
            "StandardOutputUrl": "",
            "StandardErrorContent": invocation.stderr,
            "StandardErrorUrl": "",
            "CloudWatchOutputConfig": {"CloudWatchLogGroupName": "", "CloudWatchOutputEnabled": False},
        }

    def list_command_invocations(self, body: dict) -> dict:
        command_id, instance_id = body.get("CommandId"), body.get("InstanceId")
        details = bool(body.get("Details"))
        found = []
        for (cid, iid), invocation in sorted(self._invocations.items(), key=lambda kv: kv[1].requested_at):
            if (command_id and cid != command_id) or (instance_id and iid != instance_id):
                continue
            entry = {
                "CommandId": cid,
                "InstanceId": iid,
                "Comment": invocation.comment,
                "DocumentName": DOCUMENT,
                "DocumentVersion": "$DEFAULT",
                "RequestedDateTime": invocation.requested_at,
                "Status": invocation.status,
                "StatusDetails": invocation.status,
                "CommandPlugins": [],
            }
            if details:
                entry["CommandPlugins"] = [
                    {
                        "Name": "aws:runShellScript",
                        "Status": invocation.status,
                        "StatusDetails": invocation.status,
                        "ResponseCode": invocation.response_code,
                        "Output": invocation.stdout[:2500],
                    }
                ]
            found.append(entry)
        return {"CommandInvocations": found}

    def describe_instance_information(self, body: dict) -> dict:
        wanted: set[str] | None = None
        for item in body.get("InstanceInformationFilterList") or []:
            if item.get("key") == "InstanceIds":
                wanted = set(item.get("valueSet") or [])
        for item in body.get("Filters") or []:
            if item.get("Key") == "InstanceIds":
                wanted = set(item.get("Values") or [])
        now = time.time()
        return {
            "InstanceInformationList": [
                {
                    "InstanceId": instance_id,
                    "PingStatus": "Online",
                    "LastPingDateTime": now,
                    "AgentVersion": "3.3.0.0",
                    "IsLatestVersion": True,
                    "PlatformType": "Linux",
                    "PlatformName": "Amazon Linux",
                    "PlatformVersion": "2023",
                    "ResourceType": "EC2Instance",
                }
                for instance_id in sorted(self.hosts)
                if wanted is None or instance_id in wanted
            ]
        }

    # --- running ----------------------------------------------------------------------

    def _require_instance(self, instance_id: object) -> None:
        if not isinstance(instance_id, str) or not _INSTANCE_ID.match(instance_id):
            raise AwsError("InvalidInstanceId", f"{instance_id!r} is not an instance id")
        if instance_id not in self.hosts:
            raise AwsError("InvalidInstanceId", f"{instance_id} is not a managed instance in this lab")

    def _run(self, invocation: _Invocation, script: str, timeout_s: float) -> None:
        host_lock = self._host_locks.setdefault(invocation.instance_id, threading.Lock())
        with host_lock:
            invocation.started_at = time.time()
            invocation.status = "InProgress"
            try:
                result = self.hosts[invocation.instance_id].run_script(script, timeout_s=timeout_s)
                code, stdout, stderr = result.exit_code, result.stdout, result.stderr
            except Exception as exc:  # the host itself broke: report it as the agent would see it
                code, stdout, stderr = 1, "", f"lab host error: {exc}"
            try:
                self.after_run(invocation.instance_id)
            except Exception as exc:
                stderr += f"\nlab telemetry refresh failed: {exc}"
            invocation.response_code = code
            invocation.stdout = stdout[:OUTPUT_LIMIT]
            invocation.stderr = stderr[:OUTPUT_LIMIT]
            invocation.ended_at = time.time()
            invocation.status = "TimedOut" if code == 124 else ("Success" if code == 0 else "Failed")
        invocation.done.set()
        with self._lock:
            command = self._commands[invocation.command_id]
            command["CompletedCount"] += 1
            if invocation.status != "Success":
                command["ErrorCount"] += 1
            if command["CompletedCount"] == command["TargetCount"]:
                command["Status"] = "Success" if command["ErrorCount"] == 0 else "Failed"


def _iso(ts: float | None) -> str:
    if ts is None:
        return ""
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _elapsed(invocation: _Invocation) -> str:
    if invocation.started_at is None:
        return ""
    end = invocation.ended_at or time.time()
    return f"PT{end - invocation.started_at:.3f}S"
