"""WSGI plumbing shared by the lab's own AWS services (Network Flow Monitor, SSM).

botocore decides success or failure from the status code and reads the error code from the
`x-amzn-ErrorType` header (restJson) or the `__type` field (awsJson), so both are always set:
a client cannot tell the lab from AWS by the shape of an error.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable
from typing import Any

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict, StartResponse], Iterable[bytes]]

_REASONS = {200: "OK", 400: "Bad Request", 403: "Forbidden", 404: "Not Found", 500: "Internal Server Error"}


class AwsError(Exception):
    """An error answered in the service's wire format: code, HTTP status and a readable message."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def read_body(environ: dict) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    return environ["wsgi.input"].read(length) if length > 0 else b""


def read_json(environ: dict) -> dict:
    """The request's JSON object; an empty body is `{}`, anything else malformed is a 400."""
    body = read_body(environ)
    if not body:
        return {}
    try:
        data = json.loads(body)
    except ValueError:
        raise AwsError("SerializationException", "the request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise AwsError("SerializationException", "the request body must be a JSON object")
    return data


def respond(
    start_response: StartResponse,
    payload: dict,
    *,
    status: int = 200,
    content_type: str = "application/json",
    headers: Iterable[tuple[str, str]] = (),
) -> list[bytes]:
    body = json.dumps(payload, separators=(",", ":")).encode()
    start_response(
        f"{status} {_REASONS.get(status, 'Error')}",
        [
            ("Content-Type", content_type),
            ("Content-Length", str(len(body))),
            ("x-amzn-RequestId", str(uuid.uuid4())),
            *headers,
        ],
    )
    return [body]


def respond_error(start_response: StartResponse, error: AwsError, *, content_type: str) -> list[bytes]:
    """Both error conventions at once: the restJson header and the awsJson `__type`."""
    return respond(
        start_response,
        {"__type": error.code, "message": error.message, "Message": error.message},
        status=error.status,
        content_type=content_type,
        headers=[("x-amzn-ErrorType", error.code)],
    )
