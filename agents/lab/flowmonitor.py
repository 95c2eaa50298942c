"""Network Flow Monitor for the lab, over its real restJson wire protocol (moto has none).

Serves the operations the performance agent calls: ListMonitors, GetMonitor, and the
top-contributors query cycle (Start, GetQueryStatus, GetQueryResults, StopQuery). A query's
rows add up the minutes the lab has observed inside the query's window (the same minutes it
published to CloudWatch), so Network Flow Monitor and CloudWatch always agree, and a window
that starts after the fix sees only the healed flow.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import parse_qs

from agents.lab.model import METRIC_UNITS, FlowCondition, Observation, totals
from agents.lab.scenarios import Monitor
from agents.lab.topology import LabIds
from agents.lab.wire import AwsError, StartResponse, read_json, respond, respond_error

CONTENT_TYPE = "application/json"
DESTINATION_CATEGORIES = frozenset(
    {
        "INTRA_AZ",
        "INTER_AZ",
        "INTER_VPC",
        "UNCLASSIFIED",
        "AMAZON_S3",
        "AMAZON_DYNAMODB",
        "INTER_REGION",
        "INTERNET",
        "AWS_SERVICE",
        "LOCAL_ZONE",
        "TRANSIT_GATEWAY",
    }
)
MAX_QUERIES = 1000
_NAME = r"[a-zA-Z0-9_.-]+"
_ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    ("GET", re.compile(r"^/monitors/?$"), "list_monitors"),
    ("GET", re.compile(rf"^/monitors/(?P<monitor>{_NAME})$"), "get_monitor"),
    ("POST", re.compile(rf"^/monitors/(?P<monitor>{_NAME})/topContributorsQueries$"), "start_query"),
    (
        "GET",
        re.compile(rf"^/monitors/(?P<monitor>{_NAME})/topContributorsQueries/(?P<query_id>{_NAME})/status$"),
        "query_status",
    ),
    (
        "GET",
        re.compile(rf"^/monitors/(?P<monitor>{_NAME})/topContributorsQueries/(?P<query_id>{_NAME})/results$"),
        "query_results",
    ),
    (
        "DELETE",
        re.compile(rf"^/monitors/(?P<monitor>{_NAME})/topContributorsQueries/(?P<query_id>{_NAME})$"),
        "stop_query",
    ),
]


@dataclass
class _Query:
    monitor: str
    metric: str
    unit: str
    rows: list[dict]
    polls_left: int
    status: str = "QUEUED"


@dataclass
class FlowMonitorService:
    """The lab's Network Flow Monitor account: the scenario's monitors, each over the lab VPC.

    `observed(start, end)` returns the observed stretches of time in the window (epoch
    seconds); `azs` is each role's AZ; `polls_before_success` is how many status polls answer
    RUNNING first, so clients' polling loops are exercised (0 = done at once).
    """

    account_id: str
    region: str
    ids: LabIds
    monitors: list[Monitor]
    azs: dict[str, str]
    observed: Callable[[float, float], list[Observation]]
    polls_before_success: int = 0
    created_at: float = field(default_factory=time.time)
    _queries: dict[str, _Query] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # --- WSGI entry -------------------------------------------------------------------

    def __call__(self, environ: dict, start_response: StartResponse) -> list[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "")
        params = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        try:
            for route_method, pattern, handler in _ROUTES:
                match = pattern.match(path)
                if match and route_method == method:
                    payload = getattr(self, handler)(environ, params, **match.groupdict())
                    return respond(start_response, payload, content_type=CONTENT_TYPE)
            raise AwsError("ValidationException", f"the lab's Network Flow Monitor does not serve {method} {path}", 400)
        except AwsError as error:
            return respond_error(start_response, error, content_type=CONTENT_TYPE)

    # --- monitors ---------------------------------------------------------------------

    def _monitor_arn(self, name: str) -> str:
        return f"arn:aws:networkflowmonitor:{self.region}:{self.account_id}:monitor/{name}"

    def _vpc_arn(self) -> str:
        return f"arn:aws:ec2:{self.region}:{self.account_id}:vpc/{self.ids.vpc_id}"

    def _require_monitor(self, name: str) -> None:
        if name not in {m.name for m in self.monitors}:
            raise AwsError("ResourceNotFoundException", f"monitor {name!r} does not exist", 404)

    def list_monitors(self, environ: dict, params: dict) -> dict:
        wanted = params.get("monitorStatus")
        monitors = [
            {"monitorArn": self._monitor_arn(m.name), "monitorName": m.name, "monitorStatus": "ACTIVE"}
            for m in self.monitors
        ]
        return {"monitors": [m for m in monitors if wanted in (None, m["monitorStatus"])]}

    def get_monitor(self, environ: dict, params: dict, monitor: str) -> dict:
        self._require_monitor(monitor)
        vpc = {"type": "AWS::EC2::VPC", "identifier": self._vpc_arn()}
        return {
            "monitorArn": self._monitor_arn(monitor),
            "monitorName": monitor,
            "monitorStatus": "ACTIVE",
            "localResources": [vpc],
            "remoteResources": [vpc],
            "createdAt": self.created_at,
            "modifiedAt": self.created_at,
            "tags": {"netops:lab": "true"},
        }

    # --- top-contributors queries -----------------------------------------------------

    def start_query(self, environ: dict, params: dict, monitor: str) -> dict:
        self._require_monitor(monitor)
        body = read_json(environ)
        metric = body.get("metricName")
        if metric not in METRIC_UNITS:
            raise AwsError("ValidationException", f"metricName must be one of {sorted(METRIC_UNITS)}, got {metric!r}")
        category = body.get("destinationCategory")
        if category not in DESTINATION_CATEGORIES:
            raise AwsError("ValidationException", f"destinationCategory {category!r} is not a valid category")
        start, end = _timestamp(body, "startTime"), _timestamp(body, "endTime")
        if end <= start:
            raise AwsError("ValidationException", "endTime must be after startTime")
        rows = [
            self._row(flow, int(values[metric]))
            for flow, values in totals(self.observed(start, end))
            if flow.destination_category == category
        ]
        rows.sort(key=lambda row: row["value"], reverse=True)
        query_id = str(uuid.uuid4())
        with self._lock:
            self._queries[query_id] = _Query(monitor, metric, METRIC_UNITS[metric], rows, self.polls_before_success)
            while (
                len(self._queries) > MAX_QUERIES
            ):  # a long-running lab forgets the oldest, as the service expires them
                del self._queries[next(iter(self._queries))]
        return {"queryId": query_id}

    def _query(self, monitor: str, query_id: str) -> _Query:
        self._require_monitor(monitor)
        found = self._queries.get(query_id)
        if found is None or found.monitor != monitor:
            raise AwsError("ResourceNotFoundException", f"query {query_id!r} does not exist", 404)
        return found

    def query_status(self, environ: dict, params: dict, monitor: str, query_id: str) -> dict:
        with self._lock:
            found = self._query(monitor, query_id)
            if found.status in ("QUEUED", "RUNNING"):
                if found.polls_left > 0:
                    found.polls_left -= 1
                    found.status = "RUNNING"
                else:
                    found.status = "SUCCEEDED"
            return {"status": found.status}

    def query_results(self, environ: dict, params: dict, monitor: str, query_id: str) -> dict:
        with self._lock:
            found = self._query(monitor, query_id)
            if found.status != "SUCCEEDED":
                raise AwsError("ValidationException", f"query {query_id} is {found.status}, not SUCCEEDED")
        try:
            start = int(params.get("nextToken") or 0)
            size = int(params.get("maxResults") or 100)
        except ValueError:
            raise AwsError("ValidationException", "nextToken and maxResults must be integers") from None
        page = found.rows[start : start + size]
        payload: dict = {"unit": found.unit, "topContributors": page}
        if start + size < len(found.rows):
            payload["nextToken"] = str(start + size)
        return payload

    def stop_query(self, environ: dict, params: dict, monitor: str, query_id: str) -> dict:
        with self._lock:
            found = self._query(monitor, query_id)
            if found.status in ("QUEUED", "RUNNING"):
                found.status = "CANCELED"
        return {}

    def _row(self, flow: FlowCondition, value: int) -> dict:
        ids = self.ids
        instance, subnet, az = ids.instances, ids.subnets, self.azs
        arn = f"arn:aws:ec2:{self.region}:{self.account_id}"
        local, remote = flow.client_role, flow.server_role
        return {
            "localIp": flow.client_ip,
            "localInstanceId": instance[local],
            "localInstanceArn": f"{arn}:instance/{instance[local]}",
            "localVpcId": ids.vpc_id,
            "localVpcArn": self._vpc_arn(),
            "localRegion": self.region,
            "localAz": az[local],
            "localSubnetId": subnet[local],
            "localSubnetArn": f"{arn}:subnet/{subnet[local]}",
            "remoteIp": flow.server_ip,
            "remoteInstanceId": instance[remote],
            "remoteInstanceArn": f"{arn}:instance/{instance[remote]}",
            "remoteVpcId": ids.vpc_id,
            "remoteVpcArn": self._vpc_arn(),
            "remoteRegion": self.region,
            "remoteAz": az[remote],
            "remoteSubnetId": subnet[remote],
            "remoteSubnetArn": f"{arn}:subnet/{subnet[remote]}",
            "targetPort": flow.server_port,
            "destinationCategory": flow.destination_category,
            "value": value,
            "traversedConstructs": [],
        }


def _timestamp(body: dict, name: str) -> float:
    raw = body.get(name)
    if raw is None:
        raise AwsError("ValidationException", f"{name} is required")
    try:
        if isinstance(raw, int | float):
            return float(raw)
        return datetime.fromisoformat(str(raw).replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise AwsError("ValidationException", f"{name} is not a timestamp: {raw!r}") from None
