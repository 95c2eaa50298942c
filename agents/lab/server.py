"""The lab: one local AWS endpoint, seeded with the incident, whose hosts really change.

`Lab` runs moto's `ThreadedMotoServer` with a front door in front of moto's dispatcher: the
front door reads the service from each request's SigV4 credential scope and sends Network
Flow Monitor and SSM Run Command to the lab's own implementations, everything else to moto.
So one URL serves every service, and unchanged boto3 code reaches it through
`AWS_ENDPOINT_URL` or the per-service `AWS_ENDPOINT_URL_<SERVICE>` variables (`Lab.env()`).

Each lab gets its own moto account id (the front door adds moto's `x-moto-account-id`
header), so two labs in one process, or a lab next to another test's moto server, never see
each other's resources.
"""

from __future__ import annotations

import logging
import random
import shutil
import tempfile
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

from agents.lab import topology
from agents.lab.alarms import LabAlarm
from agents.lab.conditions import FlowCondition, flow_conditions, impairment_of
from agents.lab.flowmonitor import FlowMonitorService
from agents.lab.host import SimHost, create_host
from agents.lab.seed import seed_bucket, seed_stack
from agents.lab.ssm import SsmService
from agents.lab.telemetry import TelemetryWriter
from agents.lab.topology import LabIds
from agents.lab.wire import AwsError, StartResponse, respond_error

log = logging.getLogger(__name__)

# Services whose endpoint the lab serves; `env()` exports one variable per service for tools
# that read only the per-service form, plus the global `AWS_ENDPOINT_URL`.
SERVICES = ("EC2", "S3", "CLOUDWATCH", "CLOUDWATCH_LOGS", "CLOUDFORMATION", "SSM", "STS", "NETWORKFLOWMONITOR")
LAB_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def signing_service(environ: dict) -> str | None:
    """The service a SigV4 request was signed for (`Credential=AKID/date/region/SERVICE/aws4_request`)."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    try:
        scope = auth.split("Credential=", 1)[1].split(",", 1)[0]
        return scope.split("/")[3].lower()
    except IndexError:
        return None


class FrontDoor:
    """The WSGI app the lab's server runs: lab services first, moto for the rest."""

    def __init__(self, moto_app: Any, account_id: str) -> None:
        self.moto_app = moto_app
        self.account_id = account_id
        self.flowmonitor: FlowMonitorService | None = None
        self.ssm: SsmService | None = None

    def __call__(self, environ: dict, start_response: StartResponse) -> Any:
        service = signing_service(environ)
        if service == "networkflowmonitor":
            if self.flowmonitor is None:
                error = AwsError("ServiceUnavailableException", "the lab is still seeding; retry in a moment", 503)
                return respond_error(start_response, error, content_type="application/json")
            return self.flowmonitor(environ, start_response)
        if service == "ssm" and self.ssm is not None and SsmService.handles(environ):
            return self.ssm(environ, start_response)
        environ["HTTP_X_MOTO_ACCOUNT_ID"] = self.account_id
        return self.moto_app(environ, start_response)


class _QuietHandler(MotoRequestHandler):
    """No per-request access log on the console: the demo's transcript is the output."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class LabServer(ThreadedMotoServer):
    """moto's threaded server with the lab's front door wrapped around its dispatcher."""

    def __init__(self, front_door: FrontDoor, ip_address: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(ip_address=ip_address, port=port, verbose=False)
        self.front_door = front_door

    def _server_entry(self) -> None:
        self.front_door.moto_app = DomainDispatcherApplication(create_backend_app)
        self._server = make_server(
            self._ip_address, self._port, self.front_door, threaded=True, request_handler=_QuietHandler
        )
        self._server_ready_event.set()
        self._server.serve_forever()


@dataclass(frozen=True)
class LabConfig:
    """How the lab behaves; the defaults suit the demo, tests tighten what they check.

    The lab starts as an operator finds an incident: `history_minutes` of evidence already
    published, ending `publish_lag_minutes` before start-up (the collectors' delay). From then
    on it records a minute of evidence and a capture at every host change (an SSM run) and
    every `rotation_s`, so a question about "the last 5 minutes" asked after the fix sees only
    what happened since.
    """

    region: str = topology.REGION
    account_id: str | None = None  # None: a fresh random one, isolating this lab
    history_minutes: int = 30
    publish_lag_minutes: int = 5
    capture_interval_minutes: int = 5  # rotation of the seeded captures
    capture_length_s: int = 60  # each rotated capture covers this long, then is uploaded
    rotation_s: float | None = 300.0  # None: record only on host changes
    nfm_polls_before_success: int = 0
    ssm_settle_s: float = 2.0


@dataclass(frozen=True)
class Observation:
    """One recorded minute: when, and the flows as they were."""

    when: datetime
    flows: list[FlowCondition]


class Lab:
    """Start, seed, serve, stop. Use as a context manager, or `start()`/`stop()`."""

    def __init__(self, root: Path | None = None, config: LabConfig | None = None) -> None:
        self.config = config or LabConfig()
        self.account_id = self.config.account_id or str(random.randrange(10**11, 10**12))
        self.region = self.config.region
        self.bucket = f"{topology.BUCKET}-{self.account_id}"
        self._own_root = root is None
        self.root = Path(root) if root is not None else Path(tempfile.mkdtemp(prefix="netops-lab-"))
        self._front_door = FrontDoor(None, self.account_id)
        self._server = LabServer(self._front_door)
        self._telemetry_lock = threading.Condition()
        self.url = ""
        self.ids: LabIds | None = None
        self.hosts: dict[str, SimHost] = {}
        self._clients: dict[str, Any] = {}
        self._writer: TelemetryWriter | None = None
        self._ssm: SsmService | None = None
        self._observations: list[Observation] = []
        self._stop_rotation = threading.Event()
        self._rotation: threading.Thread | None = None
        self._alarm: LabAlarm | None = None

    # --- lifecycle --------------------------------------------------------------------

    def start(self) -> Lab:
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.url = f"http://{host}:{port}"
        try:
            self._seed()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        self._stop_rotation.set()
        if self._rotation is not None:
            self._rotation.join(timeout=30)
        if self._ssm is not None:
            self._ssm.wait_idle(timeout_s=10)
        if self.url:
            self._server.stop()
            self.url = ""
        for client in self._clients.values():
            client.close()
        self._clients.clear()
        if self._own_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Lab:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- what callers need ------------------------------------------------------------

    def client(self, service: str) -> Any:
        """A boto3 client for this lab (cached; closed at `stop()`)."""
        if service not in self._clients:
            self._clients[service] = boto3.client(
                service,
                endpoint_url=self.url,
                region_name=self.region,
                config=Config(retries={"max_attempts": 2, "mode": "standard"}),
                **LAB_CREDENTIALS,
            )
        return self._clients[service]

    def env(self) -> dict[str, str]:
        """The environment that points boto3 (and the agents' settings) at this lab."""
        env = {
            "AWS_ENDPOINT_URL": self.url,
            "AWS_ACCESS_KEY_ID": LAB_CREDENTIALS["aws_access_key_id"],
            "AWS_SECRET_ACCESS_KEY": LAB_CREDENTIALS["aws_secret_access_key"],
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "NETOPS_CAPTURE_BUCKET": self.bucket,
            "NETOPS_CAPTURE_PREFIX": topology.CAPTURE_PREFIX,
            "NETOPS_STACK_NAME": topology.STACK_NAME,
        }
        env.update({f"AWS_ENDPOINT_URL_{service}": self.url for service in SERVICES})
        return env

    def alarm(self, endpoint_url: str | None = None) -> LabAlarm:
        """The lab's CloudWatch alarm (created on first use), notifying `endpoint_url` as SNS would;
        every rotation evaluates it after recording its minute."""
        if self._alarm is None:
            self._alarm = LabAlarm(self.client("cloudwatch"), self.client("sns"), self.account_id, self.region, None)
        if endpoint_url is not None:
            self._alarm.endpoint_url = endpoint_url
        return self._alarm

    @property
    def app_host(self) -> SimHost:
        assert self.ids is not None, "start() the lab first"
        return self.hosts[self.ids.app_instance_id]

    def conditions(self) -> list[FlowCondition]:
        """The flows as the app host's current state makes them."""
        return flow_conditions(impairment_of(self.app_host.state()))

    def record(self, when: datetime | None = None) -> str:
        """Record the current host state as evidence: a capture and a minute of metrics; returns the key."""
        assert self._writer is not None, "start() the lab first"
        # Stamped a second back: CloudWatch's EndTime is exclusive at one-second resolution, so a
        # question asked in the same second as the fix must still see the new minute.
        when = (when or datetime.now(UTC) - timedelta(seconds=1)).replace(microsecond=0)
        with self._telemetry_lock:
            flows = self.conditions()
            key = self._writer.write_capture(flows, when)
            self._writer.write_metrics(flows, [when])
            self._observations.append(Observation(when, flows))
            self._telemetry_lock.notify_all()
        return key

    def wait_for_observations(self, count: int, timeout_s: float) -> bool:
        """Block until at least `count` minutes are recorded (seeded ones included); False on timeout."""
        with self._telemetry_lock:
            return self._telemetry_lock.wait_for(lambda: len(self._observations) >= count, timeout=timeout_s)

    def observed(self, start: float, end: float) -> list[list[FlowCondition]]:
        """The flows of each recorded minute in [start, end] (epoch seconds)."""
        with self._telemetry_lock:
            return [o.flows for o in self._observations if start <= o.when.timestamp() <= end]

    # --- seeding ----------------------------------------------------------------------

    def _seed(self) -> None:
        self.ids = ids = seed_stack(self.client("cloudformation"), self.client("ec2"))
        seed_bucket(self.client("s3"), self.bucket)
        self.hosts = {
            ids.app_instance_id: create_host(self.root / ids.app_instance_id, impaired=True),
            ids.db_instance_id: create_host(self.root / ids.db_instance_id, impaired=False),
        }
        self._writer = TelemetryWriter(
            s3=self.client("s3"),
            cloudwatch=self.client("cloudwatch"),
            bucket=self.bucket,
            mirrored_instance_id=ids.app_instance_id,
        )
        self._seed_history()
        self._front_door.flowmonitor = FlowMonitorService(
            account_id=self.account_id,
            region=self.region,
            ids=ids,
            observed=self.observed,
            polls_before_success=self.config.nfm_polls_before_success,
        )
        self._ssm = SsmService(hosts=self.hosts, after_run=self._after_ssm, settle_s=self.config.ssm_settle_s)
        self._front_door.ssm = self._ssm
        if self.config.rotation_s:
            self._rotation = threading.Thread(target=self._rotate, name="lab-rotation", daemon=True)
            self._rotation.start()
        log.info("lab seeded at %s (account %s, bucket %s)", self.url, self.account_id, self.bucket)

    def _seed_history(self) -> None:
        """The incident's published past: per-minute metrics and rotated captures, uploaded back then."""
        assert self._writer is not None
        config = self.config
        last = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=config.publish_lag_minutes)
        first = last - timedelta(minutes=config.history_minutes - 1)
        flows = self.conditions()
        minutes = [first + timedelta(minutes=m) for m in range(config.history_minutes)]
        self._writer.write_metrics(flows, minutes)
        self._observations.extend(Observation(when, flows) for when in minutes)
        # Captures rotate every capture_interval_minutes; the newest was uploaded when it closed,
        # at least capture_length_s before the end of the published history.
        newest = last - timedelta(seconds=config.capture_length_s)
        for when in minutes:
            if when <= newest and (newest - when) % timedelta(minutes=config.capture_interval_minutes) == timedelta(0):
                key = self._writer.write_capture(flows, when)
                self._backdate(key, when + timedelta(seconds=config.capture_length_s))

    def _backdate(self, key: str, uploaded: datetime) -> None:
        """Set an object's LastModified to when the collector would have uploaded it.

        S3's API cannot upload in the past, so this one step reaches into moto's store; without
        it every seeded capture would look uploaded at start-up and fall into any time window.
        """
        from moto.s3.models import s3_backends

        obj = s3_backends[self.account_id]["aws"].get_object(self.bucket, key)
        assert obj is not None, key
        obj.last_modified = uploaded.astimezone(UTC).replace(tzinfo=None)

    def _rotate(self) -> None:
        assert self.config.rotation_s
        while not self._stop_rotation.wait(self.config.rotation_s):
            try:
                self.record()
                if self._alarm is not None:
                    self._alarm.evaluate()
            except Exception:
                log.exception("the lab could not record its periodic evidence")

    def _after_ssm(self, instance_id: str) -> None:
        self.record()
