"""SNS as AWS would send it, for the bot's tests: a throwaway signing key and certificate,
messages signed with SignatureVersion 1 or 2, and an httpx transport that plays AWS's
certificate host and SubscribeURL (the only parts of AWS the endpoint talks to).

The string to sign is written out here by hand from AWS's documentation, independently of
`bot.sns.message`, so a wrong key order in the bot fails these tests.
"""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

REGION = "us-east-1"
TOPIC = "arn:aws:sns:us-east-1:123456789012:netops-alarms"
CERT_URL = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0123456789abcdef.pem"
ALARM_ARN = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:app-db-retransmissions"


@dataclass
class Signer:
    key: rsa.RSAPrivateKey
    certificate: x509.Certificate

    @classmethod
    def throwaway(cls, common_name: str = "sns.amazonaws.com") -> Signer:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        now = datetime.now(UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=30))
            .sign(key, hashes.SHA256())
        )
        return cls(key, certificate)

    @property
    def pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def sign(self, message: dict[str, Any], version: str = "1") -> dict[str, Any]:
        if message["Type"] == "Notification":
            keys = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
        else:
            keys = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
        text = "".join(f"{key}\n{message[key]}\n" for key in keys if key in message)
        algorithm = hashes.SHA1() if version == "1" else hashes.SHA256()
        signature = self.key.sign(text.encode(), padding.PKCS1v15(), algorithm)
        return message | {"SignatureVersion": version, "Signature": base64.b64encode(signature).decode()}


def alarm_message(
    state: str = "ALARM",
    *,
    changed_at: datetime | None = None,
    name: str = "app-db-retransmissions",
    reason: str | None = None,
    description: str = "Retransmissions on the app → db flow",
    dimensions: list[dict[str, str]] | None = None,
) -> str:
    """CloudWatch's JSON, as it arrives in an SNS notification's Message."""
    moment = changed_at or datetime.now(UTC)
    value = "42.0" if state == "ALARM" else "0.0"
    return json.dumps(
        {
            "AlarmName": name,
            "AlarmDescription": description,
            "AWSAccountId": "123456789012",
            "NewStateValue": state,
            "NewStateReason": reason
            or f"Threshold Crossed: 1 datapoint [{value} (01/12/26 16:00:00)] was "
            f"{'greater' if state == 'ALARM' else 'not greater'} than the threshold (10.0).",
            "StateChangeTime": moment.strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
            "Region": "US East (N. Virginia)",
            "AlarmArn": ALARM_ARN.replace("app-db-retransmissions", name),
            "OldStateValue": "OK" if state == "ALARM" else "ALARM",
            "Trigger": {
                "MetricName": "Retransmissions",
                "Namespace": "AWS/NetworkFlowMonitor",
                "Statistic": "SUM",
                "Dimensions": dimensions
                if dimensions is not None
                else [{"value": "netops-lab-app-db", "name": "MonitorName"}, {"value": "i-0abc", "name": "InstanceId"}],
                "Period": 60,
                "EvaluationPeriods": 1,
                "ComparisonOperator": "GreaterThanThreshold",
                "Threshold": 10.0,
            },
        }
    )


def notification(message: str, *, topic: str = TOPIC, cert_url: str = CERT_URL, **extra: Any) -> dict[str, Any]:
    return {
        "Type": "Notification",
        "MessageId": str(uuid.uuid4()),
        "TopicArn": topic,
        "Subject": 'ALARM: "app-db-retransmissions" in US East (N. Virginia)',
        "Message": message,
        "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        "SigningCertURL": cert_url,
        "UnsubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=x",
    } | extra


def subscription_confirmation(*, topic: str = TOPIC, subscribe_url: str | None = None) -> dict[str, Any]:
    token = uuid.uuid4().hex
    return {
        "Type": "SubscriptionConfirmation",
        "MessageId": str(uuid.uuid4()),
        "Token": token,
        "TopicArn": topic,
        "Message": f"You have chosen to subscribe to the topic {topic}.",
        "SubscribeURL": subscribe_url
        or f"https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn={topic}&Token={token}",
        "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "SigningCertURL": CERT_URL,
    }


@dataclass
class FakeAws:
    """What the endpoint may reach of AWS: the certificate host and SubscribeURL. Records each request."""

    certificates: dict[str, bytes] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        url = str(request.url)
        if url in self.certificates:
            return httpx.Response(200, content=self.certificates[url])
        if request.url.params.get("Action") == "ConfirmSubscription":
            return httpx.Response(200, text="<ConfirmSubscriptionResponse/>")
        return httpx.Response(404)

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self.handler))

    def fetched(self, url: str) -> int:
        return sum(1 for request in self.requests if str(request.url) == url)


async def post_sns(http: httpx.AsyncClient, base_url: str, message: dict[str, Any]) -> httpx.Response:
    """POST as SNS does: JSON with Content-Type text/plain and the message type header."""
    return await http.post(
        base_url + "/aws/sns",
        content=json.dumps(message).encode(),
        headers={
            "Content-Type": "text/plain; charset=UTF-8",
            "x-amz-sns-message-type": message["Type"],
            "x-amz-sns-message-id": message["MessageId"],
            "x-amz-sns-topic-arn": message["TopicArn"],
        },
    )
