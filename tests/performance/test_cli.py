"""`netops agent performance`: the real process serves its card; bad LLM settings stop it in one line."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import httpx


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NETOPS_", "AWS_"))}
    env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_ENDPOINT_URL="http://127.0.0.1:9")
    env.update(extra)
    return env


def test_netops_agent_performance_serves_the_card() -> None:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "agents.cli", "agent", "performance", "--host", "127.0.0.1", "--port", str(port)],
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        lines = []
        for line in process.stderr:  # uvicorn says when it listens; EOF means the process died
            lines.append(line.decode())
            if "Application startup complete" in lines[-1]:
                break
        assert process.poll() is None, "".join(lines)
        card = httpx.get(f"http://127.0.0.1:{port}/.well-known/agent-card.json", timeout=5).json()
        assert card["name"] == "Performance_Agent"
        assert card["supportedInterfaces"][0]["url"] == f"http://127.0.0.1:{port}/"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_llm_mode_without_a_model_fails_at_start_up_naming_the_setting() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "agents.cli", "agent", "performance", "--port", str(_free_port())],
        env=_env(NETOPS_LLM_MODE="openai"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == "netops: setting NETOPS_LLM_MODEL is required when NETOPS_LLM_MODE is not none"
