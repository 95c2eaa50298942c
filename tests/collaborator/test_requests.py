"""Reading what the caller asked (CONTRACTS section 4)."""

from __future__ import annotations

import pytest
from a2a.helpers.proto_helpers import new_data_part
from a2a.types import Message, Part, Role

from agents.collaborator.requests import read_request

GOOD = {"kind": "netops.remediate/v1", "approval_token": "t", "instance_id": "i-0123456789abcdef0"}


def _message(text: str | None, data: dict | None = None) -> Message:
    message = Message(message_id="m", role=Role.ROLE_USER)
    if text is not None:
        message.parts.append(Part(text=text))
    if data is not None:
        message.parts.append(new_data_part(data))
    return message


def test_a_question_is_its_text() -> None:
    request = read_request(_message("why is it slow?"))
    assert (request.text, request.remediation, request.problem) == ("why is it slow?", False, None)


def test_a_remediate_data_part_makes_a_remediation() -> None:
    request = read_request(_message("apply TCP fixes", GOOD))
    assert request.remediation and request.problem is None


def test_a_data_part_of_another_kind_is_not_a_remediation() -> None:
    assert not read_request(_message("hi", {"kind": "netops.other/v1"})).remediation


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({**GOOD, "instance_id": "i-1; reboot"}, "no valid EC2 instance id"),
        ({k: v for k, v in GOOD.items() if k != "instance_id"}, "no valid EC2 instance id"),
        ({**GOOD, "approval_token": ""}, "carries no approval token"),
    ],
)
def test_a_malformed_remediation_says_what_is_missing(data: dict, problem: str) -> None:
    assert problem in read_request(_message("apply", data)).problem


def test_a_message_without_a_question_is_refused() -> None:
    assert read_request(_message(None)).problem == "The message has no question in it; ask again with some text."
