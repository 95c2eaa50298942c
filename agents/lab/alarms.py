"""The lab's CloudWatch alarm, and SNS's part in delivering it, so an incident can start by itself.

The alarm is a real one in moto (`put_metric_alarm` on the lab monitor's `Retransmissions`,
its actions an SNS topic also in moto). moto neither evaluates alarms nor signs what it
publishes, so the lab does both: `evaluate()` reads the newest minute CloudWatch holds, moves
the alarm with `set_alarm_state` when it crosses the threshold, and posts the notification
SNS would send to the subscribed endpoint, signed (SignatureVersion 2) with a certificate made
for this lab. A bot trusts that certificate only in lab mode (`NETOPS_LAB_MODE`), and only for
the lab's certificate path (`bot.sns.certificates.LAB_CERT_PATH`).

The string to sign is AWS's, written here from its documentation; the bot's verifier is
separate code, so the two check each other.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from agents.lab import topology

log = logging.getLogger(__name__)

ALARM_NAME = "netops-lab-app-db-retransmissions"
TOPIC_NAME = "netops-lab-alarms"
METRIC = "Retransmissions"
# Retransmitted segments a minute on the lab's monitor: 0.5 % of the 6,000 segments the app sends
# the db a minute. Healthy TCP in a VPC stays well below it; the incident's 3 % loss gives ~180.
THRESHOLD = 30.0
# How far back the newest datapoint may be.
LOOKBACK_MINUTES = 15
# The lab publishes a stretch of telemetry a minute and at every host change, stamped with the
# stretch's start and scaled to its length. One-second buckets keep the stretch before a fix and
# the one after it apart, where a minute's Sum would add them and hold a fixed flow in ALARM; two
# stretches starting in one second mean the first lasted under a second, too little to cross.
EVALUATION_PERIOD_S = 1
LAB_CERT_PATH = "/SimpleNotificationService-netops-lab.pem"
REGION_NAMES = {"us-east-1": "US East (N. Virginia)", "us-west-2": "US West (Oregon)", "eu-west-1": "EU (Ireland)"}

SIGNED_NOTIFICATION_KEYS = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")


@dataclass(frozen=True)
class Transition:
    """One state change the lab's alarm made, and how the subscriber answered its notification."""

    old_state: str
    new_state: str
    value: float | None
    status: int | None  # the endpoint's HTTP status; None without an endpoint
    message: dict[str, Any]


def lab_certificate() -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    """A fresh key and self-signed certificate for one lab (never leaves the process)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "netops lab SNS signing")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=2))
        .sign(key, hashes.SHA256())
    )
    return key, certificate


def sign_notification(message: dict[str, Any], key: rsa.RSAPrivateKey) -> dict[str, Any]:
    """`message` with SignatureVersion 2 (SHA256withRSA over AWS's `Key\\nValue\\n` string)."""
    text = "".join(f"{name}\n{message[name]}\n" for name in SIGNED_NOTIFICATION_KEYS if name in message)
    signature = key.sign(text.encode(), padding.PKCS1v15(), hashes.SHA256())
    return message | {"SignatureVersion": "2", "Signature": base64.b64encode(signature).decode()}


def alarm_payload(alarm: dict[str, Any], old: str, new: str, reason: str, when: datetime, account: str) -> str:
    """The `Message` CloudWatch publishes on a state change (its JSON layout)."""
    region = alarm["AlarmArn"].split(":")[3]
    return json.dumps(
        {
            "AlarmName": alarm["AlarmName"],
            "AlarmDescription": alarm.get("AlarmDescription", ""),
            "AWSAccountId": account,
            "NewStateValue": new,
            "NewStateReason": reason,
            "StateChangeTime": when.strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
            "Region": REGION_NAMES.get(region, region),
            "AlarmArn": alarm["AlarmArn"],
            "OldStateValue": old,
            "OKActions": alarm.get("OKActions", []),
            "AlarmActions": alarm.get("AlarmActions", []),
            "Trigger": {
                "MetricName": alarm["MetricName"],
                "Namespace": alarm["Namespace"],
                "StatisticType": "Statistic",
                "Statistic": str(alarm.get("Statistic", "Sum")).upper(),
                "Unit": None,
                "Dimensions": [{"value": d["Value"], "name": d["Name"]} for d in alarm.get("Dimensions", [])],
                "Period": alarm["Period"],
                "EvaluationPeriods": alarm["EvaluationPeriods"],
                "ComparisonOperator": alarm["ComparisonOperator"],
                "Threshold": alarm["Threshold"],
                "TreatMissingData": "missing",
            },
        }
    )


def reason_for(value: float | None, when: datetime, crossed: bool) -> str:
    if value is None:
        return f"Insufficient Data: no datapoint in the last {LOOKBACK_MINUTES} minutes."
    stamp = when.strftime("%d/%m/%y %H:%M:%S")
    relation = "greater than" if crossed else "not greater than"
    return f"Threshold Crossed: 1 datapoint [{value:g} ({stamp})] was {relation} the threshold ({THRESHOLD:g})."


class LabAlarm:
    """The alarm, its topic and the lab's signing key; `evaluate()` is one CloudWatch evaluation."""

    def __init__(
        self, cloudwatch: Any, sns: Any, account_id: str, region: str, monitor: str, endpoint_url: str | None = None
    ) -> None:
        self._cloudwatch = cloudwatch
        self._account = account_id
        self.region = region
        self.endpoint_url = endpoint_url
        self._key, self._certificate = lab_certificate()
        self._lock = threading.Lock()  # one evaluation at a time (rotation thread and callers)
        self.topic_arn: str = sns.create_topic(Name=TOPIC_NAME)["TopicArn"]
        cloudwatch.put_metric_alarm(
            AlarmName=ALARM_NAME,
            AlarmDescription="Retransmissions on the lab's app → db flow (Network Flow Monitor)",
            Namespace=topology.METRIC_NAMESPACE,
            MetricName=METRIC,
            Dimensions=[
                {"Name": "MeasurementSource", "Value": topology.MEASUREMENT_SOURCE},
                {"Name": "MonitorName", "Value": monitor},
            ],
            Statistic="Sum",
            Period=60,
            EvaluationPeriods=1,
            Threshold=THRESHOLD,
            ComparisonOperator="GreaterThanThreshold",
            AlarmActions=[self.topic_arn],
            OKActions=[self.topic_arn],
        )
        self.name = ALARM_NAME

    @property
    def certificate_pem(self) -> str:
        return self._certificate.public_bytes(serialization.Encoding.PEM).decode()

    @property
    def cert_url(self) -> str:
        return f"https://sns.{self.region}.amazonaws.com{LAB_CERT_PATH}"

    def _alarm(self) -> dict[str, Any]:
        return self._cloudwatch.describe_alarms(AlarmNames=[ALARM_NAME])["MetricAlarms"][0]

    def newest_value(self, now: datetime) -> tuple[float | None, datetime]:
        alarm = self._alarm()
        points = self._cloudwatch.get_metric_statistics(
            Namespace=alarm["Namespace"],
            MetricName=alarm["MetricName"],
            Dimensions=alarm["Dimensions"],
            StartTime=now - timedelta(minutes=LOOKBACK_MINUTES),
            EndTime=now + timedelta(minutes=1),  # a stretch closed this second may be stamped just ahead
            Period=EVALUATION_PERIOD_S,
            Statistics=["Sum"],
        )["Datapoints"]
        if not points:
            return None, now
        newest = max(points, key=lambda point: point["Timestamp"])
        return float(newest["Sum"]), newest["Timestamp"]

    def evaluate(self, now: datetime | None = None) -> Transition | None:
        """Moves the alarm if the newest minute says so, and notifies the endpoint; None if unchanged."""
        with self._lock:
            now = now or datetime.now(UTC)
            value, at = self.newest_value(now)
            crossed = value is not None and value > THRESHOLD
            new = "INSUFFICIENT_DATA" if value is None else "ALARM" if crossed else "OK"
            alarm = self._alarm()
            old = alarm["StateValue"]
            if new == old:
                return None
            reason = reason_for(value, at, crossed)
            self._cloudwatch.set_alarm_state(AlarmName=ALARM_NAME, StateValue=new, StateReason=reason)
            message = self.notification(alarm_payload(alarm, old, new, reason, now, self._account), new)
            return Transition(old, new, value, self.deliver(message), message)

    def notification(self, payload: str, state: str) -> dict[str, Any]:
        """The signed SNS notification of one alarm message."""
        region = REGION_NAMES.get(self.region, self.region)
        message = {
            "Type": "Notification",
            "MessageId": str(uuid.uuid4()),
            "TopicArn": self.topic_arn,
            "Subject": f'{state}: "{ALARM_NAME}" in {region}'[:100],
            "Message": payload,
            "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
            "SigningCertURL": self.cert_url,
            "UnsubscribeURL": f"https://sns.{self.region}.amazonaws.com/?Action=Unsubscribe",
        }
        return sign_notification(message, self._key)

    def deliver(self, message: dict[str, Any]) -> int | None:
        """POSTs as SNS does (JSON as text/plain, the type header); the endpoint's status."""
        if not self.endpoint_url:
            return None
        headers = {
            "Content-Type": "text/plain; charset=UTF-8",
            "x-amz-sns-message-type": message["Type"],
            "x-amz-sns-message-id": message["MessageId"],
            "x-amz-sns-topic-arn": message["TopicArn"],
        }
        try:
            response = httpx.post(self.endpoint_url, content=json.dumps(message).encode(), headers=headers, timeout=30)
        except httpx.HTTPError as exc:
            log.warning("lab alarm: delivering to %s failed: %s", self.endpoint_url, exc)
            return None
        return response.status_code
