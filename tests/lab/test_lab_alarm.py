"""The lab's CloudWatch alarm: real in moto, moved by the lab's own minutes, notified as SNS signs it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import httpx
import pytest

from agents.lab import alarms
from agents.lab.server import Lab, LabConfig
from bot.sns.alarm import parse_alarm
from bot.sns.certificates import LAB_CERT_PATH, CertificateStore, load_lab_certificate
from bot.sns.message import SnsRejected
from bot.sns.verify import SnsVerifier


@pytest.fixture
def lab() -> Iterator[Lab]:
    with Lab(config=LabConfig(rotation_s=None)) as fresh:  # stretches close when the test says
        yield fresh


def _verify(lab: Lab, message: dict) -> None:
    """What the bot does with it, in lab mode: raises unless the signature and topic check out."""
    alarm = lab.alarm()

    async def run() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(404))) as http:
            store = CertificateStore(http, lab_certificate=load_lab_certificate(alarm.certificate_pem, True))
            await SnsVerifier([alarm.topic_arn], store).verify(json.dumps(message).encode(), message["Type"])

    asyncio.run(run())


def test_the_alarm_is_a_real_cloudwatch_alarm_whose_actions_are_the_lab_topic(lab: Lab) -> None:
    alarm = lab.alarm()
    described = lab.client("cloudwatch").describe_alarms(AlarmNames=[alarms.ALARM_NAME])["MetricAlarms"][0]
    assert described["AlarmActions"] == [alarm.topic_arn] and described["OKActions"] == [alarm.topic_arn]
    assert described["MetricName"] == "Retransmissions" and described["Threshold"] == alarms.THRESHOLD
    topics = [t["TopicArn"] for t in lab.client("sns").list_topics()["Topics"]]
    assert alarm.topic_arn in topics


def test_the_incident_moves_the_alarm_to_alarm_with_the_value_it_read(lab: Lab) -> None:
    transition = lab.alarm().evaluate()
    assert transition is not None and transition.new_state == "ALARM"
    assert transition.value is not None and transition.value > alarms.THRESHOLD
    state = lab.client("cloudwatch").describe_alarms(AlarmNames=[alarms.ALARM_NAME])["MetricAlarms"][0]
    assert state["StateValue"] == "ALARM"
    change = parse_alarm(transition.message["Message"])
    assert (change.state, change.value, change.threshold) == ("ALARM", transition.value, alarms.THRESHOLD)
    assert ("MonitorName", "netops-lab-app-db") in change.dimensions


def test_an_unchanged_state_sends_nothing(lab: Lab) -> None:
    assert lab.alarm().evaluate() is not None
    assert lab.alarm().evaluate() is None


def test_a_healthy_minute_after_the_fix_returns_the_alarm_to_ok(lab: Lab) -> None:
    lab.alarm().evaluate()
    assert lab.app_host.run_script("tc qdisc del dev eth0 root").exit_code == 0
    lab.rotate_now()  # the stretch that was open, still impaired
    lab.rotate_now()  # the first healthy one
    transition = lab.alarm().evaluate()
    assert transition is not None and (transition.old_state, transition.new_state) == ("ALARM", "OK")
    assert transition.value == 0.0


def test_its_notification_verifies_with_the_bot_in_lab_mode(lab: Lab) -> None:
    transition = lab.alarm().evaluate()
    assert transition is not None
    assert transition.message["SignatureVersion"] == "2"
    _verify(lab, transition.message)


def test_a_tampered_lab_notification_does_not_verify(lab: Lab) -> None:
    transition = lab.alarm().evaluate()
    assert transition is not None
    with pytest.raises(SnsRejected):
        _verify(lab, transition.message | {"Subject": "OK: all good"})


def test_the_lab_and_the_bot_agree_on_the_lab_certificate_path() -> None:
    assert alarms.LAB_CERT_PATH == LAB_CERT_PATH
