"""What a process decides about its traces, built once from `Settings` and handed to the tracers.

Kept apart from `Settings` so that the hot path reads a few plain attributes and so that
library users (tests, the benchmark) can trace without building settings at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from agents.traceability.cost import DEFAULT_PRICE_TABLE, PriceTable

if TYPE_CHECKING:
    from agents.settings import Settings
    from agents.traceability.model import ResponseTrace

DEFAULT_MAX_BYTES = 256 * 1024


@dataclass(frozen=True, slots=True)
class TraceConfig:
    """`tracebacks`: record (redacted) tracebacks of failed steps; `max_bytes`: the size cap of an
    exported trace; `on_finish`: called with the local steps when a trace ends (the metrics and
    the OpenTelemetry export hook in here); `service_name`: the process's OpenTelemetry
    `service.name`, also written on its log lines."""

    prices: PriceTable = DEFAULT_PRICE_TABLE
    tracebacks: bool = False
    max_bytes: int = DEFAULT_MAX_BYTES
    on_finish: Callable[[ResponseTrace], None] | None = field(default=None, compare=False)
    service_name: str | None = None

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        service_name: str = "netops",
        on_finish: Callable[[ResponseTrace], None] | None = None,
    ) -> TraceConfig:
        """The process's trace configuration; starts the OpenTelemetry export when it is enabled.

        `on_finish` (the process's step metrics) runs before the export, on every finished trace.
        """
        hooks = [on_finish] if on_finish is not None else []
        if settings.otel_enabled:
            try:
                from agents.traceability.otel import exporter_from_settings
            except ImportError:
                from agents.settings import SettingsError, env_name

                raise SettingsError(
                    f"setting {env_name('otel_enabled')} is on but the OpenTelemetry SDK is not installed;"
                    " install the `otel` extra or turn the setting off"
                ) from None
            hooks.append(exporter_from_settings(settings, service_name).export)
        return cls(
            prices=PriceTable.with_overrides(settings.trace_prices),
            tracebacks=settings.trace_tracebacks,
            max_bytes=settings.trace_max_bytes,
            on_finish=_chain(hooks),
            service_name=service_name,
        )


def _chain(hooks: list[Callable[[ResponseTrace], None]]) -> Callable[[ResponseTrace], None] | None:
    """One hook calling each in turn; a failing one does not stop the next (the tracer logs it)."""
    if len(hooks) <= 1:
        return hooks[0] if hooks else None

    def run_all(trace: ResponseTrace) -> None:
        errors = []
        for hook in hooks:
            try:
                hook(trace)
            except Exception as exc:
                errors.append(exc)
        if errors:
            raise errors[0]

    return run_all


DEFAULT_CONFIG = TraceConfig()
