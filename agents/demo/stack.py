"""Everything `netops demo` runs, started in order and stopped in reverse.

The lab (its own thread, like any AWS endpoint), then the Performance Agent and the
collaborator as real A2A servers on 127.0.0.1 with OS-chosen ports, all in this process's
event loop. Each server listens on a socket bound before its app is built, so the agent card
names the port it really serves. Redis is the one at `REDIS_URL` when it answers, otherwise an
in-process fakeredis server shared by every part (the start-up banner says which).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
import uvicorn

from agents.lab import topology
from agents.lab.server import Lab, LabConfig
from agents.settings import Settings, load_settings

log = logging.getLogger(__name__)
START_TIMEOUT_S = 30.0
REDIS_PING_TIMEOUT_S = 1.0


class EmbeddedServer(uvicorn.Server):
    """A uvicorn server that leaves signals to the demo, which owns the process."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def bind_local() -> socket.socket:
    """A listening socket on 127.0.0.1 with a port the OS chose."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://{host}:{port}/"


@contextlib.asynccontextmanager
async def serving(app: Any, sock: socket.socket, name: str) -> AsyncIterator[None]:
    """Serve `app` on `sock` until the block exits; the app's lifespan runs (and closes its clients)."""
    server = EmbeddedServer(uvicorn.Config(app, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve(sockets=[sock]), name=f"serve-{name}")
    started = asyncio.get_running_loop().time()
    while not server.started:
        if task.done():
            await task
            raise RuntimeError(f"{name} stopped during start-up")
        if asyncio.get_running_loop().time() - started > START_TIMEOUT_S:
            raise RuntimeError(f"{name} did not start within {START_TIMEOUT_S:g} s")
        await asyncio.sleep(0.01)
    try:
        yield
    finally:
        server.should_exit = True
        await task
        sock.close()


@dataclass
class RedisChoice:
    """Which Redis the demo uses, and a way to make one client per part."""

    description: str
    make: Callable[[], aioredis.Redis]
    embedded: bool


async def choose_redis(url: str) -> RedisChoice:
    """The Redis at `url` if it answers a PING quickly, otherwise an in-process fakeredis server."""
    probe = aioredis.from_url(url, socket_connect_timeout=REDIS_PING_TIMEOUT_S, socket_timeout=REDIS_PING_TIMEOUT_S)
    try:
        await probe.ping()
        return RedisChoice(f"Redis at {_redacted(url)}", lambda: aioredis.from_url(url), embedded=False)
    except (aioredis.RedisError, OSError):
        pass
    finally:
        await probe.aclose()
    import fakeredis

    server = fakeredis.FakeServer()
    return RedisChoice(
        f"embedded in-process Redis (fakeredis): nothing answered at {_redacted(url)}",
        lambda: fakeredis.FakeAsyncRedis(server=server),
        embedded=True,
    )


def _redacted(url: str) -> str:
    """A Redis URL without its password, for the banner."""
    if "@" not in url:
        return url
    scheme, rest = url.split("://", 1)
    return f"{scheme}://***@{rest.split('@', 1)[1]}"


def lab_settings(base: Settings, lab: Lab, *, agent_url: str, collaborator_url: str) -> Settings:
    """The process's settings pointed at the lab and the local agents."""
    overrides: dict[str, Any] = {
        name: getattr(base, name) for name in Settings.model_fields if name in base.model_fields_set
    }
    overrides.update(
        aws_endpoint_url=lab.url,
        nfm_endpoint_url=lab.url,
        aws_region=lab.region,
        capture_bucket=lab.bucket,
        capture_prefix=topology.CAPTURE_PREFIX,
        stack_name=topology.STACK_NAME,
        agent_urls=[agent_url],
        collaborator_url=collaborator_url,
    )
    if base.approval_secret is None:
        overrides["approval_secret"] = secrets.token_urlsafe(32)  # this run only; never printed
    return load_settings(**overrides)


def use_lab_credentials(lab: Lab) -> None:
    """Point this process's boto3 credential chain at the lab's dummy keys.

    The demo must never reach real AWS, nor send real keys anywhere: the environment's AWS
    credentials and profile are replaced for this process only.
    """
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        os.environ.pop(name, None)
    os.environ.update(lab.env())


def demo_planner(settings: Settings) -> object | None:
    """The LLM planner the settings ask for, if the lab can serve it; None means the built-in planner.

    An OpenAI-compatible endpoint is reached as configured. Bedrock would be called through the
    lab's AWS endpoint, which has no Bedrock, so the demo keeps the built-in planner then.
    """
    if settings.llm_mode != "openai":
        return None
    from agents.performance.llm import create_llm_planner

    return create_llm_planner(settings)


def planner_note(settings: Settings) -> str:
    if settings.llm_mode == "bedrock":
        return "built-in (NETOPS_LLM_MODE=bedrock is ignored: the lab has no Bedrock)"
    if settings.llm_mode == "openai":
        return f"LLM {settings.llm_model} at {settings.llm_base_url}"
    return "built-in (no LLM)"


@dataclass
class DemoStack:
    """What a running demo offers its surface."""

    lab: Lab
    settings: Settings
    redis: RedisChoice
    agent_url: str
    collaborator_url: str

    def banner(self) -> str:
        hosts = ", ".join(f"{role} {instance}" for role, instance in self.lab.instances.items())
        return "\n".join(
            [
                f"netops demo: local AWS lab at {self.lab.url} (account {self.lab.account_id}, {self.lab.region}):"
                f" stack {topology.STACK_NAME}, scenario {self.lab.scenario.name}: {hosts}",
                f"  Redis: {self.redis.description}",
                f"  Performance_Agent: {self.agent_url}   collaborator: {self.collaborator_url}",
                f"  planner: {planner_note(self.settings)}",
            ]
        )


@contextlib.asynccontextmanager
async def demo_stack(base: Settings, *, lab_config: LabConfig | None = None) -> AsyncIterator[DemoStack]:
    """Start the lab, Redis, the Performance Agent and the collaborator; stop them all on exit."""
    from agents.collaborator.forwarding import make_http_client
    from agents.collaborator.registry import Registry
    from agents.collaborator.server import Collaborator
    from agents.performance.server import create_app as create_performance_app

    lab = Lab(config=lab_config)
    starting = asyncio.ensure_future(asyncio.to_thread(lab.start))
    clients: list[aioredis.Redis] = []
    try:
        await asyncio.shield(starting)
        use_lab_credentials(lab)
        redis = await choose_redis(base.redis_url)
        agent_sock, collaborator_sock = bind_local(), bind_local()
        agent_url, collaborator_url = url_of(agent_sock), url_of(collaborator_sock)
        settings = lab_settings(base, lab, agent_url=agent_url, collaborator_url=collaborator_url)
        clients.append(redis.make())  # the agent does not close a client it was given
        performance = create_performance_app(
            settings, public_url=agent_url, redis=clients[-1], llm=demo_planner(settings)
        )
        collaborator = Collaborator(
            settings,
            redis=redis.make(),
            http=make_http_client(
                connect_timeout_s=settings.agent_connect_timeout_s,
                read_timeout_s=settings.agent_read_timeout_s,
                token=settings.agent_token,
            ),
            registry=Registry(lambda: [agent_url]),
        ).app(collaborator_url)
        async with (
            serving(performance, agent_sock, "Performance_Agent"),
            serving(collaborator, collaborator_sock, "collaborator"),
        ):
            yield DemoStack(lab, settings, redis, agent_url, collaborator_url)
    finally:
        for client in clients:
            await client.aclose()
        with contextlib.suppress(BaseException):
            await starting  # a start interrupted by Ctrl-C finishes first, so stop() finds it whole
        await asyncio.to_thread(lab.stop)
