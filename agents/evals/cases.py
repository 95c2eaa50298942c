"""Eval cases as data: `evals/<scenario>.yaml`, checked on load.

A case is a conversation (question, follow-ups, whether a second person approves what is
offered) on one scenario, and the facts its answers must show. Facts left out default to the
scenario's ground truth, so a case states only what differs from it. Questions name hosts by
placeholders (`{app_instance}`, `{db_ip}`, `{region}`) filled from the running lab, because
instance ids are new in every lab.
"""

from __future__ import annotations

import re
import string
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

SUITE_DIR = Path(__file__).resolve().parents[2] / "evals"
STATUSES = ("critical", "warning", "ok", "unknown")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_XFAIL = re.compile(r"^issue \d+\b")


class CaseError(ValueError):
    """A suite the runner cannot use; the message is one sentence naming the file, case and field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FlowFact(_Strict):
    client: str  # role
    server: str  # role
    dport: int


class Expect(_Strict):
    """Facts one answer must show; a field left out is taken from the scenario (first answer) or not checked."""

    status: str | list[str] | None = None
    cause: str | None = None
    flow: FlowFact | None = None
    direction: Literal["client_to_server", "server_to_client"] | None = None
    instance: str | None = None  # role of the host the answer names first
    fix: dict[str, list[str]] | None = None  # role → settings; {} = no host change recommended
    language: Literal["en", "ko"] | None = None
    asked_back: bool | None = None
    fixed: bool | None = None  # a verified fix result follows this answer
    restored: bool | None = None  # this turn's fix result puts back what the earlier fix changed

    @field_validator("status")
    @classmethod
    def _known_status(cls, value: str | list[str] | None) -> str | list[str] | None:
        for status in [value] if isinstance(value, str) else value or []:
            if status not in STATUSES:
                raise ValueError(f"{status!r} is not one of {', '.join(STATUSES)}")
        return value

    def given(self) -> set[str]:
        """The facts this case states itself (an explicit `null` included)."""
        return set(self.model_fields_set)


class FollowUp(_Strict):
    ask: str
    expect: Expect = Field(default_factory=Expect)


class Case(_Strict):
    id: str
    question: str
    then: list[FollowUp] = Field(default_factory=list)
    approve: bool = False
    expect: Expect = Field(default_factory=Expect)
    xfail: str | None = None  # the issue that will make it pass: "issue 11"
    scenario: str = ""  # filled from the file

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError("must be lower-case letters, digits and dashes")
        return value

    @field_validator("xfail")
    @classmethod
    def _names_issue(cls, value: str | None) -> str | None:
        if value is not None and not _XFAIL.match(value):
            raise ValueError('must name the issue that will fix it, as "issue 11"')
        return value

    @field_validator("then", mode="before")
    @classmethod
    def _plain_follow_ups(cls, value: Any) -> Any:
        return [{"ask": item} if isinstance(item, str) else item for item in value or []]


class SuiteFile(_Strict):
    scenario: str
    cases: list[Case]

    @model_validator(mode="after")
    def _scenario_into_cases(self) -> SuiteFile:
        object.__setattr__(self, "cases", [case.model_copy(update={"scenario": self.scenario}) for case in self.cases])
        return self


def _where(error: dict[str, Any], raw: dict[str, Any]) -> str:
    """`cases[3] (id x).expect.status` for a pydantic error location."""
    parts: list[str] = []
    loc = list(error["loc"])
    if loc[:1] == ["cases"] and len(loc) > 1 and isinstance(loc[1], int):
        index = loc[1]
        cases = raw.get("cases") if isinstance(raw, dict) else None
        case_id = cases[index].get("id") if isinstance(cases, list) and isinstance(cases[index], dict) else None
        parts.append(f"cases[{index}]" + (f" (id {case_id})" if case_id else ""))
        loc = loc[2:]
    parts += [str(item) for item in loc]
    return ".".join(parts) or "the file"


def load_file(path: Path) -> list[Case]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CaseError(f"{path.name}: cannot be read as YAML ({type(exc).__name__})") from None
    try:
        return SuiteFile.model_validate(raw).cases
    except ValidationError as exc:
        first = exc.errors()[0]
        raise CaseError(f"{path.name}: {_where(first, raw)}: {first['msg']}") from None


def load_suite(directory: Path = SUITE_DIR) -> list[Case]:
    """Every case of every `*.yaml` in `directory`, in file order; ids are unique across the suite."""
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise CaseError(f"no eval cases (*.yaml) in {directory}")
    cases: list[Case] = []
    seen: dict[str, str] = {}
    for path in files:
        for case in load_file(path):
            if case.id in seen:
                raise CaseError(f"{path.name}: case id {case.id!r} is already used in {seen[case.id]}")
            seen[case.id] = path.name
            cases.append(case)
    return cases


def placeholders(text: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(text) if name]


def fill(text: str, values: dict[str, str]) -> str:
    """`text` with `{app_instance}`-style placeholders replaced; an unknown one is a `CaseError` naming it."""
    missing = [name for name in placeholders(text) if name not in values]
    if missing:
        known = ", ".join(sorted(values))
        raise CaseError(f"placeholder {{{missing[0]}}} is not one the lab fills (it fills {known})")
    return text.format_map(values)


def lab_values(
    instances: dict[str, str], ips: dict[str, str], region: str, now: datetime | None = None
) -> dict[str, str]:
    """What a question's placeholders may name: `{<role>_instance}`, `{<role>_ip}`, `{region}`, and
    `{half_hour_ago}` ("14:00", UTC), for "since 14:00" questions that must fall inside the lab's history."""
    values = {f"{role}_instance": instance for role, instance in instances.items()}
    values |= {f"{role}_ip": ip for role, ip in ips.items()}
    values["region"] = region
    values["half_hour_ago"] = ((now or datetime.now(UTC)) - timedelta(minutes=30)).strftime("%H:%M")
    return values
