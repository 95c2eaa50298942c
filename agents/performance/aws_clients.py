"""boto3 clients, created once per region per process and closed on shutdown.

Every client gets the same retry policy (botocore standard mode, `NETOPS_AWS_MAX_ATTEMPTS`)
and endpoint (`AWS_ENDPOINT_URL`: moto or the embedded lab); Network Flow Monitor can have its
own endpoint (`NETOPS_NFM_ENDPOINT_URL`), because moto has none and the lab serves a fake.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config

from agents.settings import Settings

_REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
_SERVICES = ("ec2", "s3", "cloudwatch", "ssm", "sts")


def region_or_default(value: Any, default: str) -> str:
    """A region someone supplied, if it is a region name at all; otherwise the default."""
    return str(value) if value and _REGION.match(str(value)) else default


@dataclass
class AwsClients:
    ec2: Any
    s3: Any
    cloudwatch: Any
    ssm: Any
    sts: Any
    nfm: Any

    def close(self) -> None:
        for client in vars(self).values():
            client.close()


class ClientPool:
    """boto3 clients per region, created on first use and kept for the process's life."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._clients: dict[str, AwsClients] = {}
        self._lock = threading.Lock()
        self.account_id: str | None = None  # from STS, once per process

    def get(self, region: str) -> AwsClients:
        if not _REGION.match(region):
            raise ValueError(f"{region!r} is not an AWS region name")
        with self._lock:
            if region not in self._clients:
                self._clients[region] = self._create(region)
            return self._clients[region]

    def _create(self, region: str) -> AwsClients:
        attempts = self._settings.aws_max_attempts
        config = Config(retries={"mode": "standard", "max_attempts": attempts}, connect_timeout=5, read_timeout=60)
        endpoint = self._settings.aws_endpoint_url
        made = {s: boto3.client(s, region_name=region, endpoint_url=endpoint, config=config) for s in _SERVICES}
        nfm_endpoint = self._settings.nfm_endpoint_url or endpoint
        made["nfm"] = boto3.client("networkflowmonitor", region_name=region, endpoint_url=nfm_endpoint, config=config)
        return AwsClients(**made)

    def close(self) -> None:
        with self._lock:
            for clients in self._clients.values():
                clients.close()
            self._clients.clear()
