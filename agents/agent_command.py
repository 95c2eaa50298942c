"""`netops agent ROLE [--host H] [--port P]`: serve one of the A2A agents.

A role is offered only when its package is present, so the command never advertises an
agent that cannot start. Each role's module exposes `serve(settings, host, port) -> None`,
which blocks until Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os

from agents.settings import load_settings

# a2a-sdk wraps its request path in OpenTelemetry spans (about 130 per streamed question), which
# go to the global tracer provider. Our traces go to a provider of their own (traceability/otel.py)
# and nothing installs a global one, so those spans are no-ops that still cost milliseconds per
# question. Set this variable to "true" to get them (e.g. under opentelemetry-instrument).
SDK_SPANS_VARIABLE = "OTEL_INSTRUMENTATION_A2A_SDK_ENABLED"

# role -> (module with serve(), default port)
ROLES: dict[str, tuple[str, int]] = {
    "performance": ("agents.performance.server", 10006),
    "collaborator": ("agents.collaborator.server", 10000),
}


def _available() -> dict[str, tuple[str, int]]:
    found = {}
    for role, (module, port) in ROLES.items():
        try:
            present = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:
            present = False
        if present:
            found[role] = (module, port)
    return found


def quiet_sdk_spans() -> None:
    """Turn a2a-sdk's no-op spans off unless the operator chose; must run before a2a is imported."""
    os.environ.setdefault(SDK_SPANS_VARIABLE, "false")


def _run(args: argparse.Namespace) -> int:
    module, default_port = _available()[args.role]
    settings = load_settings()
    quiet_sdk_spans()
    importlib.import_module(module).serve(settings, args.host, args.port or default_port)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    roles = _available()
    if not roles:
        return
    parser = subparsers.add_parser("agent", help="serve an A2A agent: " + ", ".join(roles))
    parser.add_argument("role", choices=sorted(roles))
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=None, help="port (performance 10006, collaborator 10000)")
    parser.set_defaults(handler=_run)
