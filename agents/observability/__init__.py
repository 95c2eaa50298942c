"""What a NetOps process shows an operator about itself: Prometheus metrics and trace-carrying logs.

`ProcessMetrics(service)` is built once per process; its `steps.observe_trace` is the
`TraceConfig.on_finish` hook, `metrics_route` serves it, `configure_logging` puts `trace_id` and
`step_id` on every log line. The metric list is in the README ("Metrics").
"""

from agents.observability.http import METRICS_PATH, metrics_route
from agents.observability.logs import TEXT_FORMAT, TraceContextFilter, configure_logging
from agents.observability.metrics import ProcessMetrics

BOT_SERVICE = "netops-bot"
COLLABORATOR_SERVICE = "netops-collaborator"
PERFORMANCE_SERVICE = "netops-performance"

__all__ = [
    "BOT_SERVICE",
    "COLLABORATOR_SERVICE",
    "METRICS_PATH",
    "PERFORMANCE_SERVICE",
    "TEXT_FORMAT",
    "ProcessMetrics",
    "TraceContextFilter",
    "configure_logging",
    "metrics_route",
]
