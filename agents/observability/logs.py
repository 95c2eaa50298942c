"""Log lines that carry the trace: `trace_id`, `step_id` and `service` on every record.

The filter reads the running `TraceStep` from its contextvar, so a line logged anywhere inside
a step (a tool, a library it calls, a thread started with asyncio.to_thread) names the trace and
the step without the caller passing them; the Slack thread's trace id then finds the lines of
every process that worked on the question. Outside a step the fields are "-".
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

from agents.traceability.tracer import current_step, current_tracer

TEXT_FORMAT = "%(asctime)s %(levelname)s %(service)s %(name)s [trace=%(trace_id)s step=%(step_id)s]: %(message)s"
NO_VALUE = "-"


class TraceContextFilter(logging.Filter):
    """Adds `trace_id`, `step_id` and `service` to each record; never drops one.

    `service` is the running trace's (its TraceConfig's `service_name`), else this process's
    default, so in-process stacks (tests, `netops demo`) still tell the bot's lines from the agents'.
    """

    def __init__(self, service: str = "netops") -> None:
        super().__init__()
        self._service = service

    def filter(self, record: logging.LogRecord) -> bool:
        step = current_step()
        tracer = step.tracer if step is not None else current_tracer()
        record.trace_id = (tracer.trace_id if tracer is not None else None) or NO_VALUE
        record.step_id = step.record.step_id if step is not None and step.record is not None else NO_VALUE
        configured = tracer.config.service_name if tracer is not None else None
        record.service = configured or self._service
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line, for log pipelines that index fields (`NETOPS_LOG_JSON=true`)."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "service": getattr(record, "service", NO_VALUE),
            "logger": record.name,
            "trace_id": getattr(record, "trace_id", NO_VALUE),
            "step_id": getattr(record, "step_id", NO_VALUE),
            "message": record.getMessage(),
        }
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


def trace_log_handler(service: str, *, json_lines: bool = False, stream: Any = None) -> logging.Handler:
    """A stream handler (stderr by default) whose lines carry the trace fields."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(TraceContextFilter(service))
    handler.setFormatter(JsonFormatter() if json_lines else logging.Formatter(TEXT_FORMAT))
    return handler


def configure_logging(level: str, service: str, *, json_lines: bool = False) -> None:
    """The process's logging: one handler on the root logger (replacing earlier ones), trace fields on."""
    logging.basicConfig(level=level, handlers=[trace_log_handler(service, json_lines=json_lines)], force=True)
