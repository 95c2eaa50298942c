"""Stand-ins for `sysctl`, `tc`, `ip` and `ethtool` that work on a simulated host's files.

Run as `python -I -S shims.py TOOL ARGS...` from the wrapper scripts `SimHost` puts first on
PATH, so a remediation script exercises the same command lines it would run on an instance.
Stdlib only (the wrappers start Python without site-packages, for speed). The state lives
under `$NETOPS_SIM_ROOT`: a `/proc/sys`-like tree, `qdisc.json` (the root qdisc per device),
`ena.json` (the ENA allowance counters' rates per minute since an epoch) and `calls.jsonl`,
where every invocation is recorded with its exit code. Bad input fails the way the real tools
do (message on stderr, same exit code), so a script's error handling is tested, not just its
happy path.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from pathlib import Path

ROOT = Path(os.environ.get("NETOPS_SIM_ROOT", "."))
PROC_SYS = ROOT / "proc" / "sys"
QDISC_FILE = ROOT / "qdisc.json"
CALLS_FILE = ROOT / "calls.jsonl"
NETWORK_FILE = ROOT / "network.json"
READ_ONLY_FILE = ROOT / "read_only_keys.json"
ENA_FILE = ROOT / "ena.json"

# Keys whose value is a vector of integers (`tcp_rmem` is "min default max").
_TRIPLES = {"net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem", "net.ipv4.tcp_mem"}
_BOOLEANS = {"net.ipv4.tcp_window_scaling", "net.ipv4.tcp_sack", "net.ipv4.tcp_timestamps"}
_STRINGS = {"net.ipv4.tcp_congestion_control": {"reno", "cubic", "bbr"}, "net.core.default_qdisc": None}


class ToolError(Exception):
    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


# ---------------------------------------------------------------- sysctl


def _key_path(key: str) -> Path:
    return PROC_SYS / key.replace(".", "/")


def valid_value(key: str, value: str) -> str | None:
    """The value as the kernel would store it, or None when the kernel would refuse it."""
    words = value.split()
    if key in _STRINGS:
        allowed = _STRINGS[key]
        return words[0] if len(words) == 1 and (allowed is None or words[0] in allowed) else None
    if not words or not all(re.fullmatch(r"-?\d+", w) for w in words):
        return None
    if key in _TRIPLES:
        return "\t".join(words) if len(words) == 3 else None
    if len(words) != 1:
        return None
    if key in _BOOLEANS and words[0] not in {"0", "1"}:
        return None
    return words[0]


def _sysctl_read(key: str, *, names: bool, ignore: bool) -> str | None:
    path = _key_path(key)
    if not path.is_file():
        if ignore:
            return None
        raise ToolError(f"sysctl: cannot stat /proc/sys/{key.replace('.', '/')}: No such file or directory", 255)
    value = path.read_text().rstrip("\n")
    return value if not names else f"{key} = {value}"


def _sysctl_write(key: str, value: str, *, quiet: bool, ignore: bool) -> str | None:
    path = _key_path(key)
    if not path.is_file():
        if ignore:
            return None
        raise ToolError(f"sysctl: cannot stat /proc/sys/{key.replace('.', '/')}: No such file or directory", 255)
    if READ_ONLY_FILE.exists() and key in json.loads(READ_ONLY_FILE.read_text()):
        # As in a container's network namespace, where the kernel refuses writes to net.core.*.
        raise ToolError(f'sysctl: permission denied on key "{key}"', 255)
    stored = valid_value(key, value)
    if stored is None:
        raise ToolError(f'sysctl: setting key "{key}": Invalid argument', 255)
    path.write_text(stored + "\n")
    return None if quiet else f"{key} = {stored}"


def sysctl(argv: list[str]) -> tuple[int, list[str]]:
    flags: set[str] = set()
    args: list[str] = []
    for arg in argv:
        if arg.startswith("--"):
            raise ToolError(f"sysctl: unrecognized option '{arg}'\nTry `sysctl --help' for more information.", 1)
        if arg.startswith("-") and len(arg) > 1:
            for flag in arg[1:]:
                if flag not in "nNeqwp":
                    raise ToolError(f"sysctl: invalid option -- '{flag}'\nTry `sysctl --help' for more information.", 1)
                flags.add(flag)
        else:
            args.append(arg)
    if "p" in flags:
        return _sysctl_load(args, quiet="q" in flags, ignore="e" in flags)
    if not args:
        raise ToolError("sysctl: no variables specified\nTry `sysctl --help' for more information.", 255)
    out: list[str] = []
    for arg in args:
        if "=" in arg:
            key, value = arg.split("=", 1)
            line = _sysctl_write(key.strip(), value, quiet="q" in flags, ignore="e" in flags)
        elif "w" in flags:
            raise ToolError(f'sysctl: "{arg}" must be of the form name=value', 255)
        else:
            line = _sysctl_read(arg, names="n" not in flags, ignore="e" in flags)
        if line is not None:
            out.append(line)
    return 0, out


def _sysctl_load(args: list[str], *, quiet: bool, ignore: bool) -> tuple[int, list[str]]:
    conf = Path(args[0]) if args else ROOT / "etc" / "sysctl.conf"
    if not conf.is_file():
        raise ToolError(f'sysctl: cannot open "{conf}": No such file or directory', 255)
    out: list[str] = []
    for raw in conf.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        key, _, value = line.partition("=")
        written = _sysctl_write(key.strip(), value.strip(), quiet=quiet, ignore=ignore)
        if written is not None:
            out.append(written)
    return 0, out


# ---------------------------------------------------------------- tc


def _qdiscs() -> dict[str, str | None]:
    return json.loads(QDISC_FILE.read_text())


def _default_root(dev: str) -> str:
    return "qdisc noqueue 0: root refcnt 2" if dev == "lo" else "qdisc mq 0: root"


def _root_line(dev: str, configured: str | None) -> str:
    if configured is None:
        return _default_root(dev)
    kind, _, params = configured.partition(" ")
    return f"qdisc {kind} 8001: root refcnt 2 limit 1000 {params}".rstrip()


def _parse_netem(words: list[str]) -> str:
    if not words or words[0] != "netem":
        raise ToolError(f'Error: Specified qdisc kind is unknown: "{words[0] if words else ""}"', 2)
    params = words[1:]
    known = {
        "loss": r"\d+(\.\d+)?%",
        "reorder": r"\d+(\.\d+)?%",
        "delay": r"\d+(\.\d+)?(us|ms|s)",
        "rate": r"\d+[kmg]?bit",
        "limit": r"\d+",
    }
    i = 0
    while i < len(params):
        name = params[i]
        if name not in known:
            raise ToolError(f'What is "{name}"?\nUsage: ... netem [ limit PACKETS ] [ delay TIME ] [ loss PERCENT ]', 1)
        if i + 1 >= len(params) or not re.fullmatch(known[name], params[i + 1]):
            raise ToolError(f'Illegal "{name}"', 1)
        i += 2
    return " ".join(["netem", *params])


def tc(argv: list[str]) -> tuple[int, list[str]]:
    if not argv:
        raise ToolError("Usage: tc [ OPTIONS ] OBJECT { COMMAND | help }", 255)
    if argv[0] != "qdisc":
        raise ToolError(f'Object "{argv[0]}" is unknown, try "tc help".', 255)
    command, rest = (argv[1], argv[2:]) if len(argv) > 1 else ("show", [])
    qdiscs = _qdiscs()
    dev = None
    if "dev" in rest:
        at = rest.index("dev")
        if at + 1 >= len(rest):
            raise ToolError('Command line is not complete. Try option "help"', 255)
        dev = rest[at + 1]
        if dev not in qdiscs:
            raise ToolError(f'Cannot find device "{dev}"', 1)
        rest = rest[:at] + rest[at + 2 :]
    if command in {"show", "list", "ls"}:
        devices = [dev] if dev else sorted(qdiscs)
        return 0, [_root_line(d, qdiscs[d]) for d in devices]
    if dev is None:
        raise ToolError('Cannot find device ""' if rest else 'Command line is not complete. Try option "help"', 1)
    if not rest or rest[0] != "root":
        raise ToolError("Error: only root qdiscs are simulated on this host.", 2)
    if command in {"del", "delete"}:
        if qdiscs[dev] is None:
            raise ToolError("Error: Cannot delete qdisc with handle of zero.", 2)
        qdiscs[dev] = None
    elif command in {"add", "replace", "change"}:
        if command == "add" and qdiscs[dev] is not None:
            raise ToolError("Error: Exclusivity flag on, cannot modify.", 2)
        if command == "change" and qdiscs[dev] is None:
            raise ToolError("Error: Invalid handle.", 2)
        qdiscs[dev] = _parse_netem(rest[1:])
    else:
        raise ToolError(f'Command "{command}" is unknown, try "tc qdisc help".', 255)
    QDISC_FILE.write_text(json.dumps(qdiscs))
    return 0, []


# ---------------------------------------------------------------- ip


def ip(argv: list[str]) -> tuple[int, list[str]]:
    network = json.loads(NETWORK_FILE.read_text())
    args = [a for a in argv if a not in {"-o", "-oneline", "-4"}]
    if not args:
        raise ToolError("Usage: ip [ OPTIONS ] OBJECT { COMMAND | help }", 255)
    obj, rest = args[0], args[1:]
    if obj in {"route", "r", "ro"}:
        if rest and rest[0] not in {"show", "list", "ls"}:
            raise ToolError(f'Command "{rest[0]}" is unknown, try "ip route help".', 255)
        routes = network["routes"]
        if rest[1:] == ["default"]:
            routes = [r for r in routes if r.startswith("default")]
        elif rest[1:]:
            raise ToolError(f'Error: any valid prefix is expected rather than "{rest[1]}".', 1)
        return 0, routes
    if obj in {"link", "l"}:
        links = network["links"]
        if "dev" in rest:
            name = rest[rest.index("dev") + 1] if rest.index("dev") + 1 < len(rest) else ""
            if name not in links:
                raise ToolError(f'Device "{name}" does not exist.', 1)
            links = {name: links[name]}
        return 0, [f"{i + 1}: {name}: {desc}" for i, (name, desc) in enumerate(links.items())]
    raise ToolError(f'Object "{obj}" is unknown, try "ip help".', 255)


# ---------------------------------------------------------------- ethtool

# What `ethtool -S eth0` prints on an ENA interface besides the allowance counters (static here).
_ENA_STATIC = [
    ("tx_timeout", 0),
    ("suspend", 0),
    ("resume", 0),
    ("wd_expired", 0),
    ("interface_up", 1),
    ("interface_down", 0),
    ("admin_q_pause", 0),
]
_ALLOWANCES = (
    "bw_in_allowance_exceeded",
    "bw_out_allowance_exceeded",
    "pps_allowance_exceeded",
    "conntrack_allowance_exceeded",
    "linklocal_allowance_exceeded",
)


def ethtool(argv: list[str]) -> tuple[int, list[str]]:
    """`ethtool -S eth0`: ENA's statistics, the allowance counters grown with the clock since the epoch."""
    if len(argv) != 2 or argv[0] not in {"-S", "--statistics"}:
        raise ToolError("ethtool: this host simulates only `ethtool -S DEVICE`", 1)
    if argv[1] != "eth0":
        raise ToolError(f"netlink error: no device matches name ({argv[1]})", 1 if argv[1] == "lo" else 75)
    ena = json.loads(ENA_FILE.read_text()) if ENA_FILE.exists() else {"epoch": time.time(), "per_minute": {}}
    minutes = max(0.0, time.time() - float(ena["epoch"])) / 60
    rates = ena.get("per_minute") or {}
    counters = [(name, int(float(rates.get(name, 0)) * minutes)) for name in _ALLOWANCES]
    lines = ["NIC statistics:", *(f"     {name}: {value}" for name, value in [*_ENA_STATIC, *counters])]
    lines.append("     conntrack_allowance_available: 136812")
    return 0, lines


TOOLS = {"sysctl": sysctl, "tc": tc, "ip": ip, "ethtool": ethtool}


def main(argv: list[str]) -> int:
    tool, args = argv[0], argv[1:]
    try:
        code, lines = TOOLS[tool](args)
        for line in lines:
            print(line)
    except ToolError as exc:
        print(exc, file=sys.stderr)
        code = exc.code
    with CALLS_FILE.open("a") as calls:
        calls.write(json.dumps({"tool": tool, "argv": args, "exit_code": code}) + "\n")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
