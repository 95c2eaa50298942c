"""A simulated Linux host on which remediation scripts really run.

moto's SSM answers Success without running anything, so neither the tests nor the demo lab
would ever see whether a fix script works. `SimHost` runs the script under `bash` with
`sysctl`, `tc` and `ip` shims (`agents.lab.shims`) first on PATH; the shims work on a
`/proc/sys`-like tree and a qdisc state file under `root`, so the script's reads, writes,
skips and failures all happen for real, only on files instead of a kernel.

`create_host(root, spec=...)` builds a host as its scenario describes it (sysctls, root qdisc,
ENA allowance counters rising at the scenario's rate per minute, its address and route).
Without a spec, an impaired host looks like the instance the lab breaks on purpose: small
socket buffers, window scaling off and a root `netem loss 3%` qdisc on eth0.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from agents.lab import shims

if TYPE_CHECKING:
    from agents.lab.scenarios import HostSpec

TARGET_BUFFER = 134217728

IMPAIRED_SYSCTL: dict[str, str] = {
    "net.core.rmem_max": "212992",
    "net.core.wmem_max": "212992",
    "net.core.default_qdisc": "fq_codel",
    "net.ipv4.tcp_rmem": "4096\t87380\t212992",
    "net.ipv4.tcp_wmem": "4096\t16384\t212992",
    "net.ipv4.tcp_window_scaling": "0",
    "net.ipv4.tcp_sack": "1",
    "net.ipv4.tcp_congestion_control": "cubic",
}

HEALTHY_SYSCTL: dict[str, str] = {
    **IMPAIRED_SYSCTL,
    "net.core.rmem_max": str(TARGET_BUFFER),
    "net.core.wmem_max": str(TARGET_BUFFER),
    "net.ipv4.tcp_rmem": f"4096\t87380\t{TARGET_BUFFER}",
    "net.ipv4.tcp_wmem": f"4096\t16384\t{TARGET_BUFFER}",
    "net.ipv4.tcp_window_scaling": "1",
}

_NETWORK = {
    "routes": [
        "default via 10.0.1.1 dev eth0 proto dhcp src 10.0.1.10 metric 100",
        "10.0.1.0/24 dev eth0 proto kernel scope link src 10.0.1.10 metric 100",
    ],
    "links": {
        "lo": "<LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000",
        "eth0": "<BROADCAST,MULTICAST,UP,LOWER_UP> mtu 9001 qdisc mq state UP mode DEFAULT group default qlen 1000",
    },
}


@dataclass(frozen=True)
class ScriptResult:
    exit_code: int
    stdout: str
    stderr: str


@dataclass(frozen=True)
class ShimCall:
    tool: str
    argv: list[str]
    exit_code: int


class SimHost:
    """One simulated host; all state is in files under `root`, so shims and tests share it."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.bin_dir = self.root / "bin"
        self.proc_sys = self.root / "proc" / "sys"
        self.sysctl_d = self.root / "etc" / "sysctl.d"

    def run_script(self, script: str, timeout_s: float = 30) -> ScriptResult:
        """Run `script` under bash as SSM's AWS-RunShellScript would, with the shims first on PATH."""
        run_dir = self.root / "run"
        run_dir.mkdir(exist_ok=True)
        path = run_dir / "_script.sh"
        path.write_text(script)
        env = {
            "PATH": f"{self.bin_dir}:{os.environ.get('PATH', '/usr/bin:/bin')}",
            "HOME": str(self.root),
            "LANG": "C",
            "NETOPS_PROC_SYS": str(self.proc_sys),
            "NETOPS_SYSCTL_D": str(self.sysctl_d),
        }
        try:
            done = subprocess.run(
                ["bash", str(path)], cwd=run_dir, env=env, capture_output=True, text=True, timeout=timeout_s
            )
        except subprocess.TimeoutExpired as exc:
            stdout = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
            return ScriptResult(124, stdout, f"script timed out after {timeout_s:g} s")
        return ScriptResult(done.returncode, done.stdout, done.stderr)

    def sysctl_values(self) -> dict[str, str]:
        values = {}
        for path in sorted(p for p in self.proc_sys.rglob("*") if p.is_file()):
            key = ".".join(path.relative_to(self.proc_sys).parts)
            values[key] = " ".join(path.read_text().split())
        return values

    def qdiscs(self) -> dict[str, str | None]:
        return json.loads((self.root / "qdisc.json").read_text())

    def state(self) -> dict:
        """What an operator would read back: sysctl values and the configured root qdisc per device."""
        return {"sysctl": self.sysctl_values(), "qdisc": self.qdiscs()}

    def is_healthy(self) -> bool:
        """Buffers at least 128 MB, window scaling on, no netem on any device (missing keys are not judged)."""
        values = self.sysctl_values()
        for key in ("net.core.rmem_max", "net.core.wmem_max"):
            if key in values and int(values[key]) < TARGET_BUFFER:
                return False
        for key in ("net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"):
            if key in values and int(values[key].split()[-1]) < TARGET_BUFFER:
                return False
        if values.get("net.ipv4.tcp_window_scaling", "1") != "1":
            return False
        return not any(q and q.startswith("netem") for q in self.qdiscs().values())

    def refuse_writes(self, *keys: str) -> None:
        """Make `sysctl -w` fail on these keys, as a kernel does for read-only ones."""
        (self.root / "read_only_keys.json").write_text(json.dumps(sorted(keys)))

    def calls(self) -> list[ShimCall]:
        """Every shim invocation so far, in order."""
        path = self.root / "calls.jsonl"
        if not path.exists():
            return []
        return [ShimCall(**json.loads(line)) for line in path.read_text().splitlines() if line]


def _write_shims(bin_dir: Path, root: Path) -> None:
    bin_dir.mkdir(parents=True, exist_ok=True)
    python = shlex.quote(sys.executable)
    module = shlex.quote(str(Path(shims.__file__).resolve()))
    for tool in shims.TOOLS:
        wrapper = bin_dir / tool
        wrapper.write_text(
            f'#!/bin/sh\nNETOPS_SIM_ROOT={shlex.quote(str(root))} exec {python} -I -S {module} {tool} "$@"\n'
        )
        wrapper.chmod(0o755)


def _network(spec: HostSpec) -> dict:
    """The host's routes as `ip route` prints them: the VPC router is the subnet's first address."""
    gateway = spec.subnet.network_address + 1
    return {
        "routes": [
            f"default via {gateway} dev eth0 proto dhcp src {spec.ip} metric 100",
            f"{spec.subnet} dev eth0 proto kernel scope link src {spec.ip} metric 100",
        ],
        "links": _NETWORK["links"],
    }


def create_host(
    root: Path, *, impaired: bool = True, missing_keys: Iterable[str] = (), spec: HostSpec | None = None
) -> SimHost:
    """A fresh simulated host under `root` (its previous state, if any, is replaced).

    With `spec`, the host is the scenario's; otherwise `impaired` picks the demo incident's app
    host or a healthy one. ENA counters start at zero now and rise at the spec's rate.
    """
    root = Path(root)
    host = SimHost(root)
    missing = set(missing_keys)
    if spec is not None:
        values = spec.sysctls()
        netem = f"netem {spec.qdisc.tc_params()}" if spec.qdisc else None
        network = _network(spec)
        ena = {"epoch": time.time(), "per_minute": dict(spec.ena)}
    else:
        values = IMPAIRED_SYSCTL if impaired else HEALTHY_SYSCTL
        netem = "netem loss 3%" if impaired else None
        network = _NETWORK
        ena = {"epoch": time.time(), "per_minute": {}}
    unknown = missing - values.keys()
    if unknown:
        raise ValueError(f"missing_keys names keys the simulated host does not have: {sorted(unknown)}")
    if host.proc_sys.exists():
        for path in sorted(host.proc_sys.rglob("*"), reverse=True):
            path.unlink() if path.is_file() else path.rmdir()
    for key, value in values.items():
        if key in missing:
            continue
        path = host.proc_sys / key.replace(".", "/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(value + "\n")
    (root / "qdisc.json").write_text(json.dumps({"lo": None, "eth0": netem}))
    (root / "network.json").write_text(json.dumps(network))
    (root / "ena.json").write_text(json.dumps(ena))
    (root / "calls.jsonl").write_text("")
    (root / "read_only_keys.json").unlink(missing_ok=True)
    host.sysctl_d.mkdir(parents=True, exist_ok=True)
    _write_shims(host.bin_dir, root)
    return host
