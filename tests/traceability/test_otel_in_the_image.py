"""The container image carries the OTLP exporter, so NETOPS_OTEL_ENABLED=true exports instead of failing."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_dependency_install_in_the_image_includes_the_otel_extra() -> None:
    installs = [line for line in (ROOT / "Dockerfile").read_text().splitlines() if "uv sync" in line]
    assert installs and all("--extra otel" in line for line in installs)


def test_the_lock_file_resolves_the_otel_extra_to_the_otlp_http_exporter() -> None:
    uv = shutil.which("uv")
    assert uv, "uv runs the test suite (.ci/run installs it)"
    done = subprocess.run(
        [uv, "export", "--frozen", "--no-dev", "--extra", "otel", "--no-hashes", "--no-header"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    pinned = {line.split("==")[0] for line in done.stdout.splitlines() if "==" in line and not line.startswith(" ")}
    assert {"opentelemetry-sdk", "opentelemetry-exporter-otlp-proto-http"} <= pinned
