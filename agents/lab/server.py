"""The lab: one local AWS endpoint, seeded with a scenario, whose hosts really change.

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
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from moto.core.base_backend import BackendDict, BaseBackend, backend_lock
from moto.core.common_models import BaseModel
from moto.core.model_instances import model_data
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

from agents.lab import topology
from agents.lab.alarms import LabAlarm
from agents.lab.flowmonitor import FlowMonitorService
from agents.lab.host import SimHost, create_host
from agents.lab.live import Recorder
from agents.lab.model import FlowCondition, HostState, Observation, flow_conditions
from agents.lab.scenarios import DEFAULT_SCENARIO, Scenario, load_scenario
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


def forget_account(account_id: str) -> None:
    """Drop everything moto holds for one account, in every service (after the lab's server stopped).

    moto's backends are process-global and a lab owns its account (a random one unless set), so
    without this a stopped lab's captures, instances and metrics stay in memory for the life of
    the process: about 17 MB a lab, which a process that starts lab after lab (a test session,
    `netops eval`) keeps adding up. moto also tracks every model object it ever made, for its
    dashboard (which the lab does not serve), and caches some results by object (a backend's
    regions, a subnet's next free address); those caches cannot be cleared for one account
    without resetting every other live lab's subnets, so the dead objects are emptied instead and
    the caches keep only their shells.
    """
    with backend_lock:
        for backends in list(BackendDict._instances):
            account = backends.pop(account_id, None)
            if account is not None:
                account.clear()  # its region backends
        for models in model_data.values():
            for model in models.values():
                tracked = model.instances_tracked
                if not tracked:
                    continue
                keep = []
                for obj in tracked:
                    if _account_of(obj) != account_id:
                        keep.append(obj)
                    elif callable(getattr(obj, "dispose", None)):
                        obj.dispose()  # an S3 key: its buffer goes now (its __del__ would do it later)
                    elif isinstance(state := getattr(obj, "__dict__", None), dict):
                        state.clear()
                model.instances_tracked = keep


def _account_of(obj: object, depth: int = 2) -> str | None:
    """The account a moto model object belongs to: its backend's (directly or through a model it
    points to, as a route through its table), else its own `account_id` (the backend first: an
    AMI's `account_id` can be its publisher's)."""
    values = list(getattr(obj, "__dict__", {}).values())
    for value in values:
        if isinstance(value, BaseBackend):
            return value.account_id
    account = getattr(obj, "account_id", None)
    if isinstance(account, str):
        return account
    if depth:
        for value in values:
            if isinstance(value, BaseModel) and (found := _account_of(value, depth - 1)) is not None:
                return found
    return None


def _incident() -> Scenario:
    return load_scenario(DEFAULT_SCENARIO)


@dataclass(frozen=True)
class LabConfig:
    """How the lab behaves; the defaults suit the demo, tests tighten what they check.

    The lab starts as an operator finds an incident: `history_minutes` of evidence already
    published, up to the current minute. From then on a stretch of evidence closes (a capture
    uploaded, its metrics published) every `rotation_s` on the wall clock, at every host change
    and at `rotate_now()`, so what is produced after a fix shows the fixed host.
    """

    scenario: Scenario = field(default_factory=_incident)
    region: str = topology.REGION
    account_id: str | None = None  # None: a fresh random one, isolating this lab
    history_minutes: int = 60
    rotation_s: float | None = 60.0  # None: close stretches only on host changes and rotate_now()
    nfm_polls_before_success: int = 0
    ssm_settle_s: float = 2.0


class Lab:
    """Start, seed, serve, stop. Use as a context manager, or `start()`/`stop()`."""

    def __init__(self, root: Path | None = None, config: LabConfig | None = None) -> None:
        self.config = config or LabConfig()
        self.scenario = self.config.scenario
        self.account_id = self.config.account_id or str(random.randrange(10**11, 10**12))
        self.region = self.config.region
        self.bucket = f"{topology.BUCKET}-{self.account_id}"
        self._own_root = root is None
        self.root = Path(root) if root is not None else Path(tempfile.mkdtemp(prefix="netops-lab-"))
        self._front_door = FrontDoor(None, self.account_id)
        self._server = LabServer(self._front_door)
        self.url = ""
        self.ids: LabIds | None = None
        self.hosts: dict[str, SimHost] = {}
        self._clients: dict[str, Any] = {}
        self._ssm: SsmService | None = None
        self._recorder: Recorder | None = None
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
        if self._recorder is not None:
            self._recorder.stop_clock()
        if self._ssm is not None:
            self._ssm.wait_idle(timeout_s=10)
        if self.url:
            self._server.stop()
            self.url = ""
            try:
                forget_account(self.account_id)
            except Exception as exc:  # moto's internals moved: the lab stops anyway, holding its memory
                log.warning("lab: moto's state for account %s was not dropped (%s)", self.account_id, exc)
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
        """The lab's CloudWatch alarm on its first monitor (created on first use), notifying
        `endpoint_url` as SNS would when `evaluate()` moves it (agents/lab/alarms.py)."""
        if self._alarm is None:
            monitor = self.scenario.monitors[0].name if self.scenario.monitors else topology.MONITOR_NAME
            cloudwatch, sns = self.client("cloudwatch"), self.client("sns")
            self._alarm = LabAlarm(cloudwatch, sns, self.account_id, self.region, monitor)
        if endpoint_url is not None:
            self._alarm.endpoint_url = endpoint_url
        return self._alarm

    @property
    def instances(self) -> dict[str, str]:
        """Role → instance id."""
        assert self.ids is not None, "start() the lab first"
        return dict(self.ids.instances)

    @property
    def ips(self) -> dict[str, str]:
        """Role → private IP."""
        return {role: str(spec.ip) for role, spec in self.scenario.hosts.items()}

    def host(self, role: str) -> SimHost:
        return self.hosts[self.instances[role]]

    @property
    def app_host(self) -> SimHost:
        """The app host (the two-host lab's impaired one)."""
        return self.host("app")

    def states(self) -> dict[str, HostState]:
        """Role → each host's current state, read from its files (what SSM scripts change)."""
        return {
            role: HostState.of_host(self.host(role).state(), spec.ena) for role, spec in self.scenario.hosts.items()
        }

    def conditions(self) -> list[FlowCondition]:
        """The flows as the hosts' current state makes them."""
        return flow_conditions(self.scenario, self.states())

    def rotate_now(self) -> str | None:
        """Close the open capture now (upload it) and publish its metrics, as a rotation would; returns the key."""
        assert self._recorder is not None, "start() the lab first"
        return self._recorder.close()

    def observed(self, start: float, end: float) -> list[Observation]:
        """The closed stretches of evidence that started in [start, end] (epoch seconds)."""
        assert self._recorder is not None, "start() the lab first"
        return self._recorder.observed(start, end)

    def wait_for_observations(self, count: int, timeout_s: float) -> bool:
        """Block until at least `count` stretches are closed (seeded ones included); False on timeout."""
        assert self._recorder is not None, "start() the lab first"
        return self._recorder.wait_for(count, timeout_s)

    # --- seeding ----------------------------------------------------------------------

    def _seed(self) -> None:
        scenario = self.scenario
        self.ids = ids = seed_stack(self.client("cloudformation"), self.client("ec2"), scenario)
        seed_bucket(self.client("s3"), self.bucket)
        self.hosts = {
            ids.instances[role]: create_host(self.root / ids.instances[role], spec=spec)
            for role, spec in scenario.hosts.items()
        }
        writer = TelemetryWriter(
            s3=self.client("s3"),
            cloudwatch=self.client("cloudwatch"),
            bucket=self.bucket,
            mirrored_role=scenario.mirror,
            mirrored_instance_id=ids.instances[scenario.mirror] if scenario.mirror else None,
            monitors=list(scenario.monitors),
            seed_text=scenario.name,
        )
        self._recorder = Recorder(writer, self.states, partial(flow_conditions, scenario), self._backdate)
        self._recorder.seed(self.config.history_minutes)
        self._front_door.flowmonitor = FlowMonitorService(
            account_id=self.account_id,
            region=self.region,
            ids=ids,
            monitors=list(scenario.monitors),
            azs={role: spec.az for role, spec in scenario.hosts.items()},
            observed=self.observed,
            polls_before_success=self.config.nfm_polls_before_success,
        )
        managed = {ids.instances[role]: self.host(role) for role, spec in scenario.hosts.items() if spec.ssm_managed}
        self._ssm = SsmService(hosts=managed, after_run=self._after_ssm, settle_s=self.config.ssm_settle_s)
        self._front_door.ssm = self._ssm
        if self.config.rotation_s:
            self._recorder.start_clock(self.config.rotation_s)
        log.info("lab seeded at %s (scenario %s, account %s)", self.url, scenario.name, self.account_id)

    def _backdate(self, key: str, uploaded: datetime) -> None:
        """Set an object's LastModified to when the collector would have uploaded it.

        S3's API cannot upload in the past, so this one step reaches into moto's store; without
        it every seeded capture would look uploaded at start-up and fall into any time window.
        """
        from moto.s3.models import s3_backends

        obj = s3_backends[self.account_id]["aws"].get_object(self.bucket, key)
        assert obj is not None, key
        obj.last_modified = uploaded.astimezone(UTC).replace(tzinfo=None)

    def _after_ssm(self, instance_id: str) -> None:
        assert self._recorder is not None
        self._recorder.host_changed()
