"""Both agents as real processes: oversized requests refused (413), the collaborator's 401 says
how to authenticate, the Performance Agent forgets the oldest tasks past NETOPS_MAX_TASKS, and
the collaborator's backoff survives any number of failures in a row."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
import redis.asyncio as aioredis
from a2a.client import A2ACardResolver, ClientConfig, ClientFactory
from a2a.types import GetTaskRequest, Message, Part, Role, SendMessageRequest
from a2a.utils.errors import TaskNotFoundError
from fault_processes import START_S, eventually, free_port

from agents.collaborator.discovery import Discovery, DiscoveryConfig, retry_delay
from agents.collaborator.store import Health, RedisStore

TOKEN = "fault-suite-agent-token"


def _agent_env(redis_url: str, **extra: str) -> dict[str, str]:
    import os

    env = {key: value for key, value in os.environ.items() if not key.startswith(("NETOPS_", "AWS_"))}
    env |= {
        "REDIS_URL": redis_url,
        "NETOPS_AGENT_TOKEN": TOKEN,
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",  # no AWS call is made by these tests
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_REGION": "us-east-1",
    }
    return env | extra


async def _start_agent(netops, role: str, env: dict[str, str]) -> str:  # type: ignore[no-untyped-def]
    port = free_port()
    process = await netops(["agent", role, "--host", "127.0.0.1", "--port", str(port)], env)
    url = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(timeout=2) as http:

        async def card() -> bool:
            assert process.process.returncode is None, process.log()
            try:
                return (await http.get(url + "/.well-known/agent-card.json")).status_code == 200
            except httpx.TransportError:
                return False

        await eventually(card, START_S, f"the {role} agent serves its card")
    return url


def _send(message_id: str, text: str) -> dict:  # type: ignore[type-arg]
    message = {"messageId": message_id, "role": "ROLE_USER", "parts": [{"text": text}]}
    return {"jsonrpc": "2.0", "id": message_id, "method": "SendMessage", "params": {"message": message}}


@pytest.mark.parametrize("role", ["collaborator", "performance"])
async def test_a_request_larger_than_the_limit_is_refused_with_413(netops, own_redis, role: str) -> None:  # type: ignore[no-untyped-def]
    url = await _start_agent(netops, role, _agent_env(own_redis().url, NETOPS_MAX_REQUEST_BYTES="65536"))
    status, body = await _post_declaring(url, 5 * 1024 * 1024)
    assert status == 413
    assert b"NETOPS_MAX_REQUEST_BYTES" in body


async def _post_declaring(url: str, size: int) -> tuple[int, bytes]:
    """Declares a body of `size` bytes and sends none of it: the refusal must come without waiting for the body.
    (Sending part of it would leave unread bytes at the server, whose close then resets the connection and can
    drop the answer before the client reads it.)"""
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    head = (
        f"POST / HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {TOKEN}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {size}\r\n\r\n"
    )
    writer.write(head.encode())
    await writer.drain()
    try:
        response = await asyncio.wait_for(reader.read(), 30)  # the refusal closes the connection
    finally:
        writer.close()
    status_line, _, rest = response.partition(b"\r\n")
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2]


@pytest.mark.parametrize("role", ["collaborator", "performance"])
async def test_a_request_without_the_token_is_401_with_www_authenticate(netops, own_redis, role: str) -> None:  # type: ignore[no-untyped-def]
    url = await _start_agent(netops, role, _agent_env(own_redis().url))
    async with httpx.AsyncClient(timeout=10) as http:
        response = await http.post(url + "/", json=_send("m1", "why?"))
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_the_performance_agent_forgets_the_oldest_tasks_past_its_limit(netops, own_redis) -> None:  # type: ignore[no-untyped-def]
    url = await _start_agent(netops, "performance", _agent_env(own_redis().url, NETOPS_MAX_TASKS="2"))
    async with httpx.AsyncClient(timeout=30, headers={"Authorization": f"Bearer {TOKEN}"}) as http:
        card = await A2ACardResolver(http, url).get_agent_card()
        client = ClientFactory(ClientConfig(httpx_client=http, streaming=False)).create(card)
        task_ids = []
        for n in range(3):
            # No text and no remediation part: REJECTED at once, without any AWS call.
            data = Part()
            data.data.struct_value.update({"n": n})
            message = Message(role=Role.ROLE_USER, message_id=uuid.uuid4().hex, parts=[data])
            events = [event async for event in client.send_message(SendMessageRequest(message=message))]
            task_ids.append(next(e.task.id for e in events if e.HasField("task")))
        found = []
        for task_id in task_ids:
            try:
                await client.get_task(GetTaskRequest(id=task_id))
                found.append(True)
            except TaskNotFoundError:
                found.append(False)
    assert found == [False, True, True]


def test_the_retry_delay_is_capped_whatever_the_number_of_failures() -> None:
    assert retry_delay(1, 2.0, 300.0) == 2.0
    assert retry_delay(3, 2.0, 300.0) == 8.0
    assert retry_delay(1025, 2.0, 300.0) == retry_delay(10**9, 2.0, 300.0) == 300.0


async def test_discovery_of_an_agent_down_1025_times_in_a_row_still_reports_it(redis_client: aioredis.Redis) -> None:
    store = RedisStore(redis_client)
    url = "http://127.0.0.1:9"
    await store.save_health(url, Health(1025, 0.0, "agent at http://127.0.0.1:9 is down"))
    async with httpx.AsyncClient() as http:
        statuses = await Discovery(http, store, DiscoveryConfig(fetch_timeout_s=1.0)).discover([url])
    assert [(s.url, s.source) for s in statuses] == [(url, "down")]
    _, health = await store.load_cards([url])
    assert health[0] is not None and health[0].failures == 1026 and health[0].next_retry_at > 0
