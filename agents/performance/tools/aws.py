"""What the tools share: AWS failures as data, and one traced step per AWS call group.

A failed AWS call must not end the analysis (the other tools still run) and must leave a
failed TOOL step in the trace plus a sentence telling the operator what to do. `aws_step`
does both: the exception passes through the `TraceStep` (so the step records it), is caught
here, and becomes an `AwsProblem` the diagnosis turns into a finding.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError, NoCredentialsError

from agents.traceability import CallType, TraceStep

_ACCESS = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedException"}
_THROTTLE = {"Throttling", "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded", "SlowDown"}
_CREDENTIALS = {"ExpiredToken", "ExpiredTokenException", "InvalidClientTokenId", "UnrecognizedClientException"}


@dataclass(frozen=True)
class AwsProblem:
    """One failed AWS call: where, AWS's code and message, and what the operator should do."""

    operation: str
    code: str
    message: str
    advice: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


def describe_aws_error(exc: Exception, operation: str, resource: str | None = None) -> AwsProblem:
    """Turn a boto3 exception into a problem whose advice is one actionable sentence."""
    what = f" on {resource}" if resource else ""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", "Unknown"))
        message = str(error.get("Message", "")) or str(exc)
    elif isinstance(exc, NoCredentialsError):
        code, message = "NoCredentials", str(exc)
    elif isinstance(exc, EndpointConnectionError):
        code, message = "EndpointConnectionError", str(exc)
    else:
        code, message = type(exc).__name__, str(exc)
    if code in _ACCESS:
        advice = f"Grant the agent's IAM role permission for {operation}{what}, then ask again."
    elif code in _THROTTLE:
        advice = f"AWS is throttling {operation}; wait a minute and ask again."
    elif code == "NoSuchBucket":
        advice = f"The bucket{what or ''} does not exist: set NETOPS_CAPTURE_BUCKET or name the bucket in the question."
    elif code in _CREDENTIALS or code == "NoCredentials":
        advice = "The agent has no valid AWS credentials: refresh them (AWS_PROFILE or the instance role) and restart."
    elif code == "EndpointConnectionError":
        advice = f"The AWS endpoint for {operation} could not be reached: check the region and AWS_ENDPOINT_URL."
    elif code in {"ResourceNotFoundException", "ValidationError", "ValidationException"} or code.endswith(
        ("NotFound", ".Malformed")
    ):
        advice = f"AWS could not find or accept what {operation} asked for{what}: check the name and region."
    else:
        advice = f"{operation} failed with {code}: check the agent's logs and the AWS console, then ask again."
    return AwsProblem(operation=operation, code=code, message=message[:500], advice=advice)


class StepFailed(Exception):
    """Raised inside `aws_step` to fail the step with a problem that is not a boto3 exception."""

    def __init__(self, problem: AwsProblem) -> None:
        super().__init__(problem.message)
        self.problem = problem


@contextmanager
def aws_step(
    name: str, problems: list[AwsProblem], *, parameters: dict[str, Any] | None = None, resource: str | None = None
) -> Iterator[TraceStep]:
    """A TOOL step around AWS calls; an AWS error fails the step, is recorded in `problems`, and is swallowed.

    Code after the `with` block runs either way, so callers initialise their results first.
    """
    try:
        with TraceStep(name, CallType.TOOL, parameters=parameters or {}) as step:
            yield step
    except (ClientError, BotoCoreError) as exc:
        problems.append(describe_aws_error(exc, name, resource))
    except StepFailed as exc:
        problems.append(exc.problem)
