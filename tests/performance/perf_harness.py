"""Helpers for the Performance Agent tests: the lab seeded in moto, the agent on uvicorn, an A2A ask.

Not named conftest: tests import from it, and `tests/performance/pcap` has a conftest of its own."""

from __future__ import annotations

import asyncio
import json
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import uvicorn
from a2a.client import A2ACardResolver, ClientConfig, ClientFactory
from a2a.helpers import get_data_parts, get_text_parts
from a2a.types import Message, Part, Role, SendMessageRequest, StreamResponse, TaskState
from botocore.stub import ANY, Stubber
from shared_captures import CAPTURES

from agents.performance.aws_clients import ClientPool
from agents.performance.server import create_app
from agents.performance.tools.flow_monitor import DESTINATION_CATEGORIES, METRICS
from agents.settings import Settings, load_settings
from agents.traceability.a2a import traced_send_message

REGION = "us-east-1"


# --------------------------------------------------------------------------- the lab in moto


SYNTHETIC_VXLAN = CAPTURES / "synthetic" / "synthetic_tcp_events_vxlan_sll2.pcap"
BUCKET = "netops-captures"


@dataclass
class Lab:
    client_instance: str  # 10.0.1.10, the mirrored source
    db_instance: str  # 10.0.2.20
    sensor_instance: str  # the mirror target
    stack_instance: str  # what the CloudFormation stack declares
    now: datetime


def capture_key(instance: str, at: datetime) -> str:
    return f"raw-captures/year={at:%Y}/month={at:%m}/day={at:%d}/instance-{instance}/capture-{at:%Y%m%d-%H%M%S}.pcap"


def seed_lab(aws: Any) -> Lab:
    """The workshop's shape in moto: client → db across two subnets, the client mirrored to a sensor,
    one real capture in S3 five minutes old, and a CloudFormation stack naming an instance."""
    ec2, s3, cfn = aws("ec2"), aws("s3"), aws("cloudformation")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    app = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    data = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.2.0/24")["Subnet"]["SubnetId"]
    ami = "ami-12c6146b"  # one of moto's built-in AMIs (listing them all takes seconds)

    def launch(subnet: str, ip: str) -> dict:
        return ec2.run_instances(ImageId=ami, MinCount=1, MaxCount=1, SubnetId=subnet, PrivateIpAddress=ip)[
            "Instances"
        ][0]

    client, db, sensor = launch(app, "10.0.1.10"), launch(data, "10.0.2.20"), launch(app, "10.0.1.50")
    target = ec2.create_traffic_mirror_target(NetworkInterfaceId=sensor["NetworkInterfaces"][0]["NetworkInterfaceId"])
    mirror_filter = ec2.create_traffic_mirror_filter()["TrafficMirrorFilter"]["TrafficMirrorFilterId"]
    ec2.create_traffic_mirror_session(
        NetworkInterfaceId=client["NetworkInterfaces"][0]["NetworkInterfaceId"],
        TrafficMirrorTargetId=target["TrafficMirrorTarget"]["TrafficMirrorTargetId"],
        TrafficMirrorFilterId=mirror_filter,
        SessionNumber=1,
        VirtualNetworkId=1234,
    )
    now = datetime.now(UTC)
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(
        Bucket=BUCKET,
        Key=capture_key(sensor["InstanceId"], now - timedelta(minutes=5)),
        Body=SYNTHETIC_VXLAN.read_bytes(),
    )
    template = {
        "Resources": {
            "Web": {"Type": "AWS::EC2::Instance", "Properties": {"ImageId": ami, "InstanceType": "t3.micro"}}
        },
        "Outputs": {"WebInstanceId": {"Value": {"Ref": "Web"}}},
    }
    cfn.create_stack(StackName="netops-lab", TemplateBody=json.dumps(template))
    stack_instance = cfn.describe_stacks(StackName="netops-lab")["Stacks"][0]["Outputs"][0]["OutputValue"]
    return Lab(client["InstanceId"], db["InstanceId"], sensor["InstanceId"], stack_instance, now)


# --------------------------------------------------------------------------- the agent over real HTTP


@dataclass
class RunningAgent:
    url: str
    pool: ClientPool
    nfm: Stubber  # Network Flow Monitor is stubbed at the protocol boundary (moto has none)
    settings: Settings


def agent_settings(moto_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "aws_endpoint_url": moto_url,
        "aws_region": REGION,
        "capture_bucket": BUCKET,
        "approval_secret": "test-approval-secret",
        "aws_max_attempts": 1,
        "ssm_poll_interval_s": 0.05,
        "nfm_query_timeout_s": 5,
    }
    values.update(overrides)
    return load_settings(**values)


@asynccontextmanager
async def serve_performance_agent(settings: Settings, redis: Any, llm: Any = None) -> AsyncIterator[RunningAgent]:
    """The real app on uvicorn at 127.0.0.1 (OS-chosen port); the socket listens before uvicorn starts."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    pool = ClientPool(settings)
    stubber = Stubber(pool.get(REGION).nfm)
    stubber.activate()
    app = create_app(settings, public_url=url + "/", pool=pool, redis=redis, llm=llm)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        yield RunningAgent(url, pool, stubber, settings)
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=10)
        sock.close()
        stubber.deactivate()
        pool.close()


@dataclass
class Reply:
    events: list[StreamResponse]

    @property
    def final_state(self) -> str:
        for event in reversed(self.events):
            if event.HasField("status_update"):
                return TaskState.Name(event.status_update.status.state)
        raise AssertionError("no status update was received")

    @property
    def statuses(self) -> list[str]:
        return [
            " ".join(get_text_parts(e.status_update.status.message.parts))
            for e in self.events
            if e.HasField("status_update")
        ]

    @property
    def context_id(self) -> str:
        return next(e.task.context_id for e in self.events if e.HasField("task"))

    @property
    def artifacts(self) -> list[Any]:
        return [e.artifact_update.artifact for e in self.events if e.HasField("artifact_update")]

    @property
    def data(self) -> dict[str, Any]:
        [artifact] = self.artifacts
        [data] = get_data_parts(artifact.parts)
        return data

    @property
    def markdown(self) -> str:
        [artifact] = self.artifacts
        return "\n".join(get_text_parts(artifact.parts))


async def ask(
    http: httpx.AsyncClient, url: str, *parts: Part, token: str | None = None, context_id: str | None = None
) -> Reply:
    """Send one user message through a real a2a-sdk client (card → ClientFactory), requesting the trace."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    card = await A2ACardResolver(http, url).get_agent_card()
    http.headers.update(headers)
    client = ClientFactory(ClientConfig(httpx_client=http, streaming=True)).create(card)
    message = Message(role=Role.ROLE_USER, message_id=str(uuid.uuid4()), parts=list(parts), context_id=context_id)
    message.metadata.update({"netops": {"channel": "C1", "thread_ts": "1.2", "user": "U1"}})
    events = [e async for e in traced_send_message(client, SendMessageRequest(message=message), agent_name="perf")]
    return Reply(events)


def stub_no_monitors(stub: Stubber) -> None:
    stub.add_response("list_monitors", {"monitors": []})


def stub_monitor_with_flow(stub: Stubber, *, instance: str, retransmissions: int, timeouts: int) -> None:
    """One active monitor whose INTRA_AZ top contributors name `instance`'s flow to the db."""
    row = {
        "localIp": "10.0.1.10",
        "localInstanceId": instance,
        "localSubnetId": "subnet-app",
        "localAz": "use1-az1",
        "remoteIp": "10.0.2.20",
        "targetPort": 5432,
    }
    values = {
        "RETRANSMISSIONS": ("Count", retransmissions),
        "TIMEOUTS": ("Count", timeouts),
        "ROUND_TRIP_TIME": ("Microseconds", 180_000),
        "DATA_TRANSFERRED": ("Bytes", 14_480_000),
    }
    stub.add_response(
        "list_monitors",
        {
            "monitors": [
                {
                    "monitorArn": "arn:aws:networkflowmonitor:us-east-1:123456789012:monitor/lab",
                    "monitorName": "lab",
                    "monitorStatus": "ACTIVE",
                }
            ]
        },
    )
    stub.add_response(
        "get_monitor",
        {
            "monitorArn": "arn:aws:networkflowmonitor:us-east-1:123456789012:monitor/lab",
            "monitorName": "lab",
            "monitorStatus": "ACTIVE",
            "localResources": [],
            "remoteResources": [],
            "createdAt": datetime.now(UTC),
            "modifiedAt": datetime.now(UTC),
        },
    )
    queries = [(m, c) for m in METRICS for c in DESTINATION_CATEGORIES]
    for i, (metric, category) in enumerate(queries):
        stub.add_response(
            "start_query_monitor_top_contributors",
            {"queryId": f"q{i}"},
            {
                "monitorName": "lab",
                "startTime": ANY,
                "endTime": ANY,
                "metricName": metric,
                "destinationCategory": category,
                "limit": 10,
            },
        )
    for _ in queries:
        stub.add_response("get_query_status_monitor_top_contributors", {"status": "SUCCEEDED"})
    for metric, category in queries:
        unit, value = values[metric]
        rows = [row | {"value": value, "destinationCategory": category}] if category == "INTRA_AZ" else []
        stub.add_response("get_query_results_monitor_top_contributors", {"unit": unit, "topContributors": rows})
