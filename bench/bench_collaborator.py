"""Latency added by the collaborator: the same question straight to an agent, and through it.

    uv run python bench/bench_collaborator.py [--n 300] [--profile PATH]

Starts three real processes on 127.0.0.1: a test agent (this file with --agent PORT),
`netops agent collaborator` pointed at it (Redis at REDIS_URL), and, as a floor, a bare
a2a-sdk relay in front of the same agent. All paths request the trace extension, as the bot
does, and each question through the collaborator starts a new conversation. Questions rotate
between the paths so drift hits all alike. Timed: from sending to the end of the answer
stream. Also printed: each server's CPU time per question (Linux), steadier than latency on a
shared machine, where the collaborator's added latency tracks its CPU per question. `--profile`
runs the collaborator under pyinstrument when installed (text to PATH, session to PATH.pyisession),
else under cProfile on CPU time. Last line: the added p50 and p99 in ms (collaborator vs straight
to the agent).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
from a2a.client import A2ACardResolver, ClientCallContext, ClientConfig, ClientFactory
from a2a.types import Message, Part, Role, SendMessageRequest

from agents.traceability import TRACE_EXTENSION_URI

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "Why are there TCP retransmissions between the app and the database?"


def serve_agent(port: int) -> None:
    """The test agent: a performance-like card, one status update, one artifact, done."""
    import uvicorn
    from a2a.helpers.proto_helpers import new_task_from_user_message, new_text_message, new_text_part
    from a2a.server.agent_execution import AgentExecutor
    from a2a.server.request_handlers import DefaultRequestHandler
    from a2a.server.routes import create_agent_card_routes, create_jsonrpc_routes
    from a2a.server.tasks import InMemoryTaskStore, TaskUpdater
    from a2a.types import AgentCapabilities, AgentCard, AgentInterface, AgentSkill, TaskState
    from starlette.applications import Starlette

    from agents.traceability.a2a import TracingAgentExecutor

    class Answer(AgentExecutor):
        async def execute(self, context, event_queue) -> None:
            task = context.current_task or new_task_from_user_message(context.message)
            if context.current_task is None:
                await event_queue.enqueue_event(task)
            updater = TaskUpdater(event_queue, task.id, task.context_id)
            await updater.update_status(
                TaskState.TASK_STATE_WORKING, new_text_message("Looking…", task.context_id, task.id)
            )
            await updater.add_artifact([new_text_part("No retransmissions found.")], name="answer")
            await updater.complete()

        async def cancel(self, context, event_queue) -> None:
            return None

    url = f"http://127.0.0.1:{port}/"
    card = AgentCard(
        name="Performance_Agent",
        description="Diagnoses AWS network performance problems.",
        version="1.0.0",
        supported_interfaces=[AgentInterface(url=url, protocol_binding="JSONRPC", protocol_version="1.0")],
        capabilities=AgentCapabilities(streaming=True),
        default_input_modes=["text/plain"],
        default_output_modes=["text/plain"],
        skills=[
            AgentSkill(
                id="analyze_network_performance",
                name="Analyze network performance",
                description="TCP analysis of traffic mirroring captures: retransmissions, round-trip time.",
                tags=["performance", "tcp-analysis", "traffic-mirroring"],
            )
        ],
    )
    handler = DefaultRequestHandler(TracingAgentExecutor(Answer(), name="Performance_Agent"), InMemoryTaskStore(), card)
    app = Starlette(
        routes=create_agent_card_routes(card, cache_control="max-age=300") + create_jsonrpc_routes(handler, "/")
    )
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def serve_relay(port: int, agent_url: str) -> None:
    """The floor: a bare a2a-sdk relay (no discovery, routing, Redis or trace) in front of the agent.

    Whatever the collaborator adds beyond this relay is the collaborator's own work; the rest
    is the price of one more a2a-sdk hop (JSON-RPC, SSE, task store, event queue).
    """
    import uvicorn
    from a2a.helpers.proto_helpers import new_task_from_user_message
    from a2a.server.agent_execution import AgentExecutor
    from a2a.server.request_handlers import DefaultRequestHandler
    from a2a.server.routes import create_agent_card_routes, create_jsonrpc_routes
    from a2a.server.tasks import InMemoryTaskStore, TaskUpdater
    from a2a.types import AgentCapabilities, AgentCard, AgentInterface, AgentSkill, TaskArtifactUpdateEvent
    from starlette.applications import Starlette

    http = httpx.AsyncClient(timeout=httpx.Timeout(30.0))
    state: dict = {}

    class Relay(AgentExecutor):
        async def execute(self, context, event_queue) -> None:
            task = new_task_from_user_message(context.message)
            await event_queue.enqueue_event(task)
            updater = TaskUpdater(event_queue, task.id, task.context_id)
            if "client" not in state:
                card = await A2ACardResolver(http, agent_url).get_agent_card()
                state["client"] = ClientFactory(ClientConfig(httpx_client=http, streaming=True)).create(card)
            out = Message(message_id=str(uuid.uuid4()), role=Role.ROLE_USER, parts=context.message.parts)
            # Pass the caller's extensions on, so the agent does the same (trace) work on both paths.
            wanted = ",".join(sorted(context.requested_extensions))
            call = ClientCallContext(service_parameters={"A2A-Extensions": wanted} if wanted else {})
            async for event in state["client"].send_message(SendMessageRequest(message=out), context=call):
                kind = event.WhichOneof("payload")
                if kind == "artifact_update":
                    relayed = TaskArtifactUpdateEvent()
                    relayed.CopyFrom(event.artifact_update)
                    relayed.task_id, relayed.context_id = task.id, task.context_id
                    await event_queue.enqueue_event(relayed)
                elif kind == "status_update":
                    await updater.update_status(event.status_update.status.state)

        async def cancel(self, context, event_queue) -> None:
            return None

    url = f"http://127.0.0.1:{port}/"
    card = AgentCard(
        name="Relay",
        description="A bare relay.",
        version="1.0.0",
        supported_interfaces=[AgentInterface(url=url, protocol_binding="JSONRPC", protocol_version="1.0")],
        capabilities=AgentCapabilities(streaming=True),
        default_input_modes=["text/plain"],
        default_output_modes=["text/plain"],
        skills=[AgentSkill(id="relay", name="Relay", description="Relays.", tags=["relay"])],
    )
    handler = DefaultRequestHandler(Relay(), InMemoryTaskStore(), card)
    app = Starlette(routes=create_agent_card_routes(card) + create_jsonrpc_routes(handler, "/"))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


# pyinstrument (a sampling profiler, so cheap calls are not inflated) when installed, else cProfile
# on CPU time: on a shared machine, wall time charges other processes' turns to whatever ran.
_PROFILED = """
import runpy, time
try:
    import pyinstrument
except ImportError:
    import cProfile
    profile = cProfile.Profile(time.process_time)
    start, stop = profile.enable, lambda: (profile.disable(), profile.dump_stats({path!r}))
else:
    profile = pyinstrument.Profiler(interval=0.0002, async_mode="disabled")
    start = profile.start
    def stop():
        profile.stop()
        with open({path!r}, "w") as out:
            out.write(profile.output_text(unicode=True, show_all=False, timeline=False))
        profile.last_session.save({path!r} + ".pyisession")  # re-render: pyinstrument --load FILE
start()
try:
    runpy.run_module("agents.cli", run_name="__main__")
except (KeyboardInterrupt, SystemExit):
    pass
finally:
    stop()
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def wait_until_up(http: httpx.AsyncClient, url: str, deadline_s: float = 30.0) -> None:
    end = time.monotonic() + deadline_s
    while True:
        try:
            if (await http.get(url + "/.well-known/agent-card.json")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > end:
            raise SystemExit(f"{url} did not come up within {deadline_s:g} s")
        await asyncio.sleep(0.1)


async def one(client, call: ClientCallContext) -> float:
    message = Message(message_id=str(uuid.uuid4()), role=Role.ROLE_USER, parts=[Part(text=QUESTION)])
    start = time.perf_counter()
    last = None
    async for event in client.send_message(SendMessageRequest(message=message), context=call):
        last = event
    elapsed = (time.perf_counter() - start) * 1000.0
    if last is None or last.status_update.status.state != 3:  # TASK_STATE_COMPLETED
        raise SystemExit(f"unexpected answer: {last}")
    return elapsed


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def cpu_s(pid: int) -> float | None:
    """User + system CPU seconds a process has used so far (Linux /proc; None elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def run(
    n: int, warmup: int, agent_url: str, collab_url: str, relay_url: str, *, trace: bool, pids: dict[str, int]
) -> None:
    async with httpx.AsyncClient(timeout=httpx.Timeout(30.0)) as http:
        for url in (agent_url, collab_url, relay_url):
            await wait_until_up(http, url)
        factory = ClientFactory(ClientConfig(httpx_client=http, streaming=True))
        direct = factory.create(await A2ACardResolver(http, agent_url).get_agent_card())
        via = factory.create(await A2ACardResolver(http, collab_url).get_agent_card())
        relay = factory.create(await A2ACardResolver(http, relay_url).get_agent_card())
        call = ClientCallContext(service_parameters={"A2A-Extensions": TRACE_EXTENSION_URI} if trace else {})
        for _ in range(warmup):
            for client in (direct, via, relay):
                await one(client, call)
        straight, through, relayed = [], [], []
        before = {name: cpu_s(pid) for name, pid in pids.items()}
        for _ in range(n):
            straight.append(await one(direct, call))
            through.append(await one(via, call))
            relayed.append(await one(relay, call))
        after = {name: cpu_s(pid) for name, pid in pids.items()}
    p50s, p99s = pct(straight, 50), pct(straight, 99)
    p50c, p99c = pct(through, 50), pct(through, 99)
    p50r, p99r = pct(relayed, 50), pct(relayed, 99)
    print(f"questions per path: {n} (after {warmup} warm-up)")
    print(f"straight to the agent:     p50 {p50s:7.2f} ms   p99 {p99s:7.2f} ms")
    print(f"through a bare SDK relay:  p50 {p50r:7.2f} ms   p99 {p99r:7.2f} ms   (the price of one more hop)")
    print(f"through the collaborator:  p50 {p50c:7.2f} ms   p99 {p99c:7.2f} ms")
    print(f"collaborator beyond the bare relay: p50 +{p50c - p50r:.2f} ms, p99 +{p99c - p99r:.2f} ms")
    cpu = {name: (after[name] - before[name]) * 1000.0 / n for name in pids if before[name] is not None}
    if cpu:
        print("CPU per question: " + ", ".join(f"{name} {ms:.2f} ms" for name, ms in cpu.items()))
    ratio = p50c / p50s
    print(f"added by the collaborator: p50 +{p50c - p50s:.2f} ms, p99 +{p99c - p99s:.2f} ms (p50 ratio {ratio:.2f}x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--no-trace", action="store_true", help="do not request the trace extension")
    parser.add_argument(
        "--profile", metavar="PATH", help="profile the collaborator (pyinstrument text, or cProfile stats) into PATH"
    )
    parser.add_argument("--agent", type=int, help=argparse.SUPPRESS)  # internal: serve the test agent
    parser.add_argument("--relay", nargs=2, help=argparse.SUPPRESS)  # internal: PORT AGENT_URL
    args = parser.parse_args()
    if args.agent:
        serve_agent(args.agent)
        return
    if args.relay:
        serve_relay(int(args.relay[0]), args.relay[1])
        return
    agent_port, collab_port, relay_port = free_port(), free_port(), free_port()
    agent_url, collab_url = f"http://127.0.0.1:{agent_port}", f"http://127.0.0.1:{collab_port}"
    relay_url = f"http://127.0.0.1:{relay_port}"
    env = {**os.environ, "NETOPS_AGENT_URLS": agent_url, "NETOPS_LOG_LEVEL": "WARNING"}
    env.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    collaborator = [sys.executable, "-m", "agents.cli", "agent", "collaborator", "--port", str(collab_port)]
    if args.profile:
        collaborator[1:3] = ["-c", _PROFILED.format(path=str(Path(args.profile).resolve()))]
    procs = [
        subprocess.Popen([sys.executable, __file__, "--agent", str(agent_port)], cwd=ROOT, env=env),
        subprocess.Popen(collaborator, cwd=ROOT, env=env),
        subprocess.Popen([sys.executable, __file__, "--relay", str(relay_port), agent_url], cwd=ROOT, env=env),
    ]
    pids = {"agent": procs[0].pid, "collaborator": procs[1].pid, "relay": procs[2].pid}
    try:
        asyncio.run(run(args.n, args.warmup, agent_url, collab_url, relay_url, trace=not args.no_trace, pids=pids))
    finally:
        for proc in procs[::2] if args.profile else procs:
            proc.terminate()
        if args.profile:  # uvicorn re-raises SIGTERM after shutdown, killing cProfile before it writes; SIGINT lets it
            procs[1].send_signal(signal.SIGINT)
        for proc in procs:
            proc.wait(timeout=120 if args.profile else 10)  # writing a profile takes a while


if __name__ == "__main__":
    main()
