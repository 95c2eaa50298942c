# One image for every role: the command picks it (see compose.yaml).
#   docker build -t netops-chatops .
#   docker run --rm -p 10006:10006 netops-chatops agent performance --host 0.0.0.0
#   docker run --rm -it netops-chatops demo          # the embedded lab, no credentials needed

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- build: resolve exactly what uv.lock pins into a virtualenv --------------------------
FROM ${PYTHON_IMAGE} AS build
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN pip install --no-cache-dir uv==0.13.9
# a C compiler for the PCAP analyzer's kernel (setup.py); only this stage has it. The versions are
# those of the base image's Debian release, which the base image already pins.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libc6-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# Dependencies first, so code changes do not invalidate this layer. The `otel` extra (the OTLP
# exporter) is in the image, so NETOPS_OTEL_ENABLED=true sends spans to OTEL_EXPORTER_OTLP_ENDPOINT.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --extra otel --no-install-project
COPY setup.py ./
COPY agents ./agents
COPY bot ./bot
RUN uv sync --frozen --no-dev --extra otel --no-editable

# --- runtime: the virtualenv and nothing else, as an unprivileged user --------------------
FROM ${PYTHON_IMAGE} AS runtime
RUN groupadd --system --gid 10001 netops \
    && useradd --system --uid 10001 --gid netops --home-dir /app --shell /usr/sbin/nologin netops
WORKDIR /app
COPY --from=build --chown=netops:netops /app/.venv /app/.venv
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    NETOPS_HEALTHCHECK_URL=http://127.0.0.1:10006/.well-known/agent-card.json
USER 10001:10001
# collaborator, performance agent, bot (HTTP mode)
EXPOSE 10000 10006 3000
# Each role serves HTTP; compose sets NETOPS_HEALTHCHECK_URL to the role's own endpoint.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(os.environ['NETOPS_HEALTHCHECK_URL'], timeout=4)"]
ENTRYPOINT ["netops"]
CMD ["agent", "performance", "--host", "0.0.0.0"]
