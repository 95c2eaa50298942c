"""Process settings, read once at start-up from the environment and `.env`.

One `Settings` object is built per process by `load_settings()` and passed down; nothing
reads the environment later. Names carry the `NETOPS_` prefix, except the conventional
`SLACK_*`, `REDIS_URL` and `AWS_*` ones, which keep the names every Slack and AWS tool uses.
A missing or malformed value stops start-up with one line naming the variable
(`SettingsError`), instead of a pydantic traceback. An empty value (`SLACK_SIGNING_SECRET=` on a
blank line of `.env`) is the same as an unset one, for every setting: an empty secret must never
read as "set", nor an empty URL as a URL.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from agents.errors import SettingsError


def _csv(value: object) -> object:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


def _blank(value: object) -> bool:
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    return isinstance(value, str) and not value.strip()


class Settings(BaseSettings):
    """Every setting of every role; each role reads only what it uses."""

    model_config = SettingsConfigDict(
        env_prefix="NETOPS_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
        env_ignore_empty=True,  # the environment's and .env's blanks; `_empty_is_unset` catches keywords'
    )

    # --- Slack (conventional names) ---
    slack_bot_token: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("SLACK_BOT_TOKEN"),
        description="Bot token (xoxb-…); with none, `netops demo` uses the console surface.",
    )
    slack_app_token: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("SLACK_APP_TOKEN"),
        description="App-level token (xapp-…) with connections:write; set = Socket Mode, unset = HTTP mode.",
    )
    slack_signing_secret: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("SLACK_SIGNING_SECRET"),
        description="Signing secret that verifies Slack's requests (required in HTTP mode).",
    )
    slack_api_url: str = Field(
        default="https://slack.com/api/",
        description="Slack Web API base URL (a local fake in tests).",
    )

    # --- Redis ---
    redis_url: str = Field(
        default="redis://127.0.0.1:6379/0",
        validation_alias=AliasChoices("REDIS_URL"),
        description="Redis for jobs, conversations, approvals, card cache and audit.",
    )

    # --- A2A wiring ---
    agent_urls: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["http://127.0.0.1:10006"],
        description="Comma-separated base URLs of the agents the collaborator discovers.",
    )
    collaborator_url: str = Field(default="http://127.0.0.1:10000", description="Where the bot sends questions.")
    agent_token: SecretStr | None = Field(
        default=None, description="Bearer token between the agents and their callers; unset = open."
    )
    request_timeout_s: float = Field(
        default=120.0, gt=0, description="Overall deadline for one question through the agents."
    )

    # --- collaborator ---
    card_refresh_s: float = Field(
        default=30.0,
        gt=0,
        description="How often the collaborator re-reads NETOPS_AGENT_URLS and refreshes stale cards.",
    )
    card_default_ttl_s: float = Field(
        default=60.0, ge=0, description="How long a card stays fresh when its response has no Cache-Control."
    )
    card_max_ttl_s: float = Field(
        default=3600.0, ge=0, description="Upper bound on a card's freshness, whatever its Cache-Control says."
    )
    agent_retry_base_s: float = Field(
        default=2.0, gt=0, description="First retry delay for an agent marked down; doubles on each failure."
    )
    agent_retry_max_s: float = Field(default=300.0, gt=0, description="Longest retry delay for an agent marked down.")
    agent_connect_timeout_s: float = Field(
        default=5.0, gt=0, description="Connect timeout of the collaborator's calls to agents."
    )
    agent_read_timeout_s: float = Field(
        default=90.0, gt=0, description="Longest silence allowed mid-stream from an agent before giving up."
    )
    route_min_score: float = Field(
        default=1.5, ge=0, description="Routing score under which the collaborator asks the operator to clarify."
    )
    max_tasks: int = Field(
        default=2000, gt=0, description="Finished A2A tasks an agent keeps in memory; the oldest are forgotten."
    )
    max_request_bytes: int = Field(
        default=1024 * 1024,
        gt=0,
        description="Largest request body an agent accepts; larger ones get 413 (a question is a few KB).",
    )
    route_llm: bool = Field(
        default=False,
        description="Let the LLM (NETOPS_LLM_MODE=openai) pick the agent, with the scorer as its fallback.",
    )
    route_tie_ratio: float = Field(
        default=0.8,
        gt=0,
        le=1,
        description="A runner-up scoring this share of the best score or more is a tie: the collaborator asks back.",
    )

    # --- approvals ---
    approvers: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Comma-separated Slack user ids allowed to approve fixes."
    )
    approver_group: str | None = Field(
        default=None, description="A Slack user group id whose members may approve fixes."
    )
    approval_secret: SecretStr | None = Field(
        default=None, description="HMAC secret that signs approval tokens (bot and performance agent)."
    )
    approval_ttl_s: int = Field(default=1800, gt=0, description="How long an approval button stays valid.")
    allow_self_approval: bool = Field(
        default=False, description="Whether the person who asked may approve their own fix."
    )

    # --- the bot's job queue ---
    job_reclaim_s: float = Field(
        default=60.0,
        gt=0,
        description="Seconds a queued job may go unrefreshed before another bot replica takes it over.",
    )
    job_concurrency: int = Field(default=8, gt=0, le=64, description="Jobs one bot process runs at the same time.")

    # --- AWS defaults for the performance agent ---
    aws_region: str = Field(
        default="us-east-1",
        validation_alias=AliasChoices("AWS_REGION", "AWS_DEFAULT_REGION", "NETOPS_AWS_REGION"),
        description="Region the tools query when the question names none.",
    )
    capture_bucket: str | None = Field(default=None, description="S3 bucket holding Traffic Mirroring captures.")
    capture_prefix: str = Field(default="raw-captures/", description="Key prefix of the captures.")
    stack_name: str = Field(
        default="netops-lab", description="CloudFormation stack whose outputs name the instance to fix."
    )
    persist_sysctl: bool = Field(default=False, description="Also persist TCP fixes under /etc/sysctl.d.")
    aws_endpoint_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("AWS_ENDPOINT_URL"),
        description="AWS API endpoint for every service (moto or the embedded lab); unset = real AWS.",
    )
    nfm_endpoint_url: str | None = Field(
        default=None, description="Network Flow Monitor endpoint (the lab's fake); unset = AWS_ENDPOINT_URL or AWS."
    )
    analysis_window_minutes: float = Field(
        default=30, gt=0, description="Time window the tools look at when the question names none."
    )
    capture_max_files: int = Field(default=20, gt=0, description="Most capture files analyzed for one question.")
    capture_byte_budget: int = Field(
        default=2 * 1024**3, gt=0, description="Most capture bytes streamed from S3 for one question."
    )
    nfm_query_timeout_s: float = Field(
        default=60, gt=0, description="How long Network Flow Monitor queries may run before they are stopped."
    )
    push_allow_private_urls: bool = Field(
        default=False,
        description="Let A2A push notifications go to private or loopback addresses (the local lab); "
        "off = public addresses only, so a caller cannot aim the agent at the VPC.",
    )
    aws_max_attempts: int = Field(
        default=3, ge=1, le=10, description="Attempts per AWS call, retries included (botocore standard mode)."
    )
    ssm_poll_interval_s: float = Field(default=2, gt=0, description="Delay between SSM command status polls.")
    ssm_timeout_s: float = Field(default=120, gt=0, description="How long a TCP fix command may run over SSM.")
    post_fix_wait_s: float = Field(
        default=90,
        ge=0,
        description="After a fix, how long a question waits for the first capture taken after it (the mirror target "
        "rotates every minute), so it is answered from post-fix traffic only.",
    )

    # --- traceability ---
    trace_tracebacks: bool = Field(default=False, description="Record tracebacks in failed trace steps (redacted).")
    trace_max_bytes: int = Field(default=256 * 1024, gt=1024, description="Size cap of one trace.")
    otel_enabled: bool = Field(default=False, description="Export trace steps as OpenTelemetry spans.")
    trace_prices: dict[str, dict[str, float]] = Field(
        default_factory=dict,
        description='Model prices in USD per million tokens, as JSON: {"model-id": {"input": 3.0, "output": 15.0}};'
        " extends and overrides the built-in table.",
    )

    # --- LLM (optional) ---
    llm_mode: Literal["none", "bedrock", "openai"] = Field(
        default="none", description="Planner mode: deterministic (none), Bedrock Converse, or OpenAI-compatible."
    )
    llm_model: str | None = Field(default=None, description="Model id for the LLM planner.")
    llm_base_url: str | None = Field(default=None, description="OpenAI-compatible endpoint base URL.")
    llm_api_key: SecretStr | None = Field(default=None, description="API key for the OpenAI-compatible endpoint.")

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(default="INFO", description="Log level.")

    # --- observability (traces branch) ---
    log_json: bool = Field(default=False, description="Write log lines as JSON objects (trace_id and step_id fields).")
    dashboard_url: str | None = Field(
        default=None, description="Public base URL of the trace dashboard; set = the View trace modal links to it."
    )
    dashboard_token: SecretStr | None = Field(
        default=None,
        description="Token for the trace dashboard and the bot's /metrics; unset = only local clients may open them.",
    )

    @field_validator("dashboard_url", "dashboard_token", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("dashboard_url")
    @classmethod
    def _dashboard_http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError(f"expected an http:// or https:// URL, got {value!r}")
        return value

    # --- CloudWatch alarms over SNS (alarms branch) ---
    sns_topic_arns: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated SNS topic ARNs whose alarm notifications POST /aws/sns accepts; empty = none.",
    )
    alarm_channels: dict[str, str] = Field(
        default_factory=dict,
        description='Where each alarm opens its incident thread, as JSON: {"alarm name or topic ARN": "C0123"};'
        " an alarm name wins over its topic.",
    )
    alarm_window_minutes: int = Field(
        default=15, gt=0, le=1440, description="Minutes before an alarm fired that its diagnosis looks at."
    )
    lab_mode: bool = Field(
        default=False,
        description="The process runs against the embedded lab (netops demo sets it); never set in production.",
    )
    slack_streaming: bool = Field(
        default=True,
        description="Stream answers with task cards (chat.startStream) where the workspace allows; "
        "off = the edited Working… message.",
    )
    scenario: str | None = Field(
        default=None,
        description="The lab scenario this process runs against (netops demo sets it); stored with answer feedback.",
    )
    sns_lab_certificate: str | None = Field(
        default=None,
        description="PEM of the embedded lab's SNS signing certificate; trusted only when NETOPS_LAB_MODE is true.",
    )

    _split = field_validator("agent_urls", "approvers", "sns_topic_arns", mode="before")(_csv)

    @model_validator(mode="before")
    @classmethod
    def _empty_is_unset(cls, values: object) -> object:
        """Drops blank values (environment, `.env` or keyword), so each takes its default."""
        if not isinstance(values, dict):
            return values
        return {key: value for key, value in values.items() if not _blank(value)}

    @field_validator("trace_prices")
    @classmethod
    def _prices(cls, value: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        from agents.traceability.cost import parse_price

        for model, price in value.items():
            parse_price(model, price)
        return value

    @field_validator("agent_urls", "collaborator_url", "slack_api_url")
    @classmethod
    def _http_urls(cls, value: object) -> object:
        urls = value if isinstance(value, list) else [value]
        for url in urls:
            if not str(url).startswith(("http://", "https://")):
                raise ValueError(f"expected an http:// or https:// URL, got {url!r}")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str) -> str:
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(f"expected a redis://, rediss:// or unix:// URL, got {value!r}")
        return value

    @field_validator("aws_endpoint_url", "nfm_endpoint_url")
    @classmethod
    def _optional_http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError(f"expected an http:// or https:// URL, got {value!r}")
        return value


_ENV_NAMES = {
    name: (
        field.validation_alias.choices[0]
        if isinstance(field.validation_alias, AliasChoices)
        else f"NETOPS_{name.upper()}"
    )
    for name, field in Settings.model_fields.items()
}


def env_name(field_name: str) -> str:
    """The environment variable an operator sets for `field_name`."""
    return _ENV_NAMES[field_name]


def load_settings(**overrides: object) -> Settings:
    """Build the process's settings, turning validation errors into one readable line."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = str(first["loc"][0]) if first["loc"] else "?"
        name = _ENV_NAMES.get(loc, loc)
        raise SettingsError(f"setting {name} is invalid: {first['msg']}") from None
