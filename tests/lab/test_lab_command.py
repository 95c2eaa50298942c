"""`netops lab` as an operator runs it: prints the exports, serves, and stops cleanly on Ctrl-C."""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import boto3

from agents.cli import build_parser
from agents.i18n import translations

START_TIMEOUT_S = 90


def _lines(process: subprocess.Popen) -> queue.Queue:
    lines: queue.Queue = queue.Queue()

    def pump() -> None:
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    return lines


def test_lab_is_a_netops_subcommand() -> None:
    assert build_parser().parse_args(["lab"]).command == "lab"


def test_netops_lab_serves_until_interrupted_and_leaves_nothing_listening() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    process = subprocess.Popen([sys.executable, "-m", "agents.cli", "lab"], stdout=subprocess.PIPE, text=True, env=env)
    try:
        lines = _lines(process)
        seen = []
        while not seen or not seen[-1].startswith("Serving"):
            line = lines.get(timeout=START_TIMEOUT_S)
            assert line is not None, f"netops lab exited early: {''.join(seen)}"
            seen.append(line)
        output = "".join(seen)
        exports = dict(re.findall(r"^\s+export (\w+)=(\S+)$", output, re.MULTILINE))
        url = exports["AWS_ENDPOINT_URL_NETWORKFLOWMONITOR"]
        nfm = boto3.client(
            "networkflowmonitor",
            endpoint_url=url,
            region_name=exports["AWS_REGION"],
            aws_access_key_id=exports["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=exports["AWS_SECRET_ACCESS_KEY"],
        )
        assert [m["monitorName"] for m in nfm.list_monitors()["monitors"]] == ["netops-lab-app-db"]
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    host, port = url.removeprefix("http://").split(":")
    with socket.socket() as probe:
        assert probe.connect_ex((host, int(port))) != 0


def test_lab_takes_a_scenario_by_name_and_defaults_to_the_incident() -> None:
    assert build_parser().parse_args(["lab"]).scenario == "incident"
    assert build_parser().parse_args(["lab", "--scenario", "resets"]).scenario == "resets"


def test_a_bad_scenario_is_one_line_on_stderr_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\n")
    done = subprocess.run(
        [sys.executable, "-m", "agents.cli", "lab", "--scenario", str(bad)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == ["netops lab: scenario bad.yaml: description: Field required."]


def test_every_line_netops_lab_prints_has_a_korean_translation() -> None:
    source = (Path(__file__).parents[2] / "agents/lab/command.py").read_text()
    msgids = re.findall(r'tr\(\s*lang,\s*"([^"]+)"', source)
    assert len(msgids) >= 10
    assert [m for m in msgids if m not in translations("ko")] == []
