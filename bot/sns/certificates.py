"""SNS signing certificates: fetched only from AWS's SNS hosts over HTTPS, and cached.

The certificate URL arrives inside the message it is meant to verify, so it is the first
thing an attacker controls: a verifier that fetched it from anywhere would accept a message
signed with the attacker's own key. Only `https://sns.<region>.amazonaws.com/….pem` is
fetched (TLS verified, no redirects), each URL once per `ttl_s`.

The embedded lab signs with a certificate of its own. It is trusted only when the process
runs in lab mode (`NETOPS_LAB_MODE`), and only for the lab's certificate path, so a
production bot never accepts it whatever a message names.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import OrderedDict
from urllib.parse import urlsplit

import httpx
from cryptography import x509

from bot.sns.message import SnsRejected

SNS_HOST = re.compile(r"^sns\.[a-z]{2}(?:-[a-z]+)+-\d\.amazonaws\.com(?:\.cn)?$")
LAB_CERT_PATH = "/SimpleNotificationService-netops-lab.pem"
MAX_CERT_BYTES = 64 * 1024
CACHE_SIZE = 32


def check_aws_url(url: str, what: str) -> None:
    """Raises unless `url` is HTTPS on an `sns.<region>.amazonaws.com` host (no port, no user)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme != "https" or parts.port is not None or parts.username or parts.password:
        raise SnsRejected(f"{what} {url[:120]!r} is not a plain https URL")
    if not SNS_HOST.match(host) or parts.netloc.lower() != host:
        raise SnsRejected(f"{what} {url[:120]!r} is not on an sns.<region>.amazonaws.com host")


def check_cert_url(url: str) -> None:
    check_aws_url(url, "SigningCertURL")
    if not urlsplit(url).path.endswith(".pem"):
        raise SnsRejected(f"SigningCertURL {url[:120]!r} does not name a .pem certificate")


class CertificateStore:
    """Certificates by URL: the lab's (lab mode only), then the cache, then one fetch per URL."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        lab_certificate: x509.Certificate | None = None,
        ttl_s: float = 24 * 3600,
        clock=time.monotonic,  # type: ignore[no-untyped-def]
    ) -> None:
        self._http = http
        self._lab = lab_certificate
        self._ttl_s = ttl_s
        self._clock = clock
        self._cache: OrderedDict[str, tuple[float, x509.Certificate]] = OrderedDict()
        self._fetching: dict[str, asyncio.Future[x509.Certificate]] = {}
        self.fetches = 0

    async def get(self, url: str) -> x509.Certificate:
        check_cert_url(url)
        if self._lab is not None and urlsplit(url).path == LAB_CERT_PATH:
            return self._lab
        cached = self._cache.get(url)
        if cached is not None and self._clock() - cached[0] < self._ttl_s:
            self._cache.move_to_end(url)
            return cached[1]
        if url in self._fetching:  # a concurrent message already asked for it
            return await asyncio.shield(self._fetching[url])
        future: asyncio.Future[x509.Certificate] = asyncio.get_running_loop().create_future()
        self._fetching[url] = future
        try:
            certificate = await self._fetch(url)
        except BaseException as exc:
            future.set_exception(
                exc if isinstance(exc, SnsRejected) else SnsRejected(f"certificate fetch failed: {exc}")
            )
            future.exception()  # retrieved: no "never retrieved" warning when nobody else waits
            raise
        finally:
            self._fetching.pop(url, None)
        future.set_result(certificate)
        self._cache[url] = (self._clock(), certificate)
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return certificate

    async def _fetch(self, url: str) -> x509.Certificate:
        self.fetches += 1
        try:
            response = await self._http.get(url, follow_redirects=False, timeout=5.0)
        except httpx.HTTPError as exc:
            raise SnsRejected(f"could not fetch {url[:120]}: {type(exc).__name__}") from None
        if response.status_code != 200:
            raise SnsRejected(f"{url[:120]} answered {response.status_code}")
        if len(response.content) > MAX_CERT_BYTES:
            raise SnsRejected(f"{url[:120]} is too large for a certificate")
        try:
            return x509.load_pem_x509_certificate(response.content)
        except ValueError:
            raise SnsRejected(f"{url[:120]} is not a PEM certificate") from None


def load_lab_certificate(pem: str | None, lab_mode: bool) -> x509.Certificate | None:
    """The lab's certificate when lab mode is on; None otherwise (production never trusts it)."""
    if not pem or not lab_mode:
        return None
    return x509.load_pem_x509_certificate(pem.encode())
