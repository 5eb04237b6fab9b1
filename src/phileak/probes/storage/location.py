"""Where a storage target lives: provider, bucket (or account + container), key prefix, endpoint, and which
provider hosts an authorised bucket rule implies.

Target forms: `s3://bucket[/prefix]`, `gs://bucket[/prefix]`, `azure://account/container[/prefix]`, and the
providers' https forms (`canonical_ref` turns those into the former).

Implied hosts (no --endpoint). A bucket rule (`s3://exh-*`) authorises buckets, not hosts; to reach a bucket
phileak must also contact its provider's public endpoint. For a bucket the scope allows, and for that bucket
only, these are implied:
  s3     https://s3.amazonaws.com/BUCKET/ and https://s3.REGION.amazonaws.com/BUCKET/ (path style),
         BUCKET.s3.amazonaws.com and BUCKET.s3.REGION.amazonaws.com (virtual-hosted style);
         with the owner's credentials also sts[.REGION].amazonaws.com (the account id) and
         ACCOUNT.s3-control.REGION.amazonaws.com (account Block Public Access).
  gs     https://storage.googleapis.com/storage/v1/b/BUCKET/, https://storage.googleapis.com/BUCKET/,
         https://www.googleapis.com/storage/v1/b/BUCKET/
  azure  https://ACCOUNT.blob.core.windows.net/CONTAINER/
Nothing else is implied: another bucket on the same host stays out of scope (URL-prefix rules match on path
segments), and the resolved addresses still go through the scope's address checks (a scope with CIDR rules
only reaches the provider if its addresses are inside one). With --endpoint, nothing is implied: the endpoint
must be in scope itself (a hostname, CIDR or URL-prefix rule).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote, unquote, urlsplit

from phileak.errors import InputError

Provider = Literal["s3", "gcs", "azure"]

_SCHEME_PROVIDER: dict[str, Provider] = {"s3": "s3", "gs": "gcs", "azure": "azure"}
_PROVIDER_SCHEME = {provider: scheme for scheme, provider in _SCHEME_PROVIDER.items()}
_S3_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\Z")
_GCS_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]\Z")
_AZURE_ACCOUNT = re.compile(r"[a-z0-9]{3,24}\Z")
_AZURE_CONTAINER = re.compile(r"(?:\$root|\$web|[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62})\Z")
_REGION = re.compile(r"[a-z]{2}(?:-[a-z]+)+-\d\Z")
_AWS_VIRTUAL = re.compile(r"(?P<bucket>.+)\.s3(?:[.-](?P<region>[a-z0-9-]+))?\.amazonaws\.com\Z")
_AWS_PATH = re.compile(r"s3(?:[.-](?P<region>[a-z0-9-]+))?\.amazonaws\.com\Z")
_AZURE_HOST = re.compile(r"(?P<account>[a-z0-9]{3,24})\.blob\.core\.windows\.net\Z")
_GCS_HOSTS = ("storage.googleapis.com", "storage.cloud.google.com")

AWS_DEFAULT_REGION = "us-east-1"


@dataclass(frozen=True)
class BucketLocation:
    """One bucket or container to audit, and the key prefix under it ("" = all of it)."""

    provider: Provider
    bucket: str  # the bucket; the container for azure
    prefix: str = ""
    account: str | None = None  # azure only
    endpoint: str | None = None  # an S3/Azure/GCS-compatible server instead of the provider's own

    @property
    def scheme(self) -> str:
        return _PROVIDER_SCHEME[self.provider]

    @property
    def scope_url(self) -> str:
        """The URL a bucket scope rule is checked against (no prefix)."""
        if self.provider == "azure":
            return f"azure://{self.account}/{self.bucket}"
        return f"{self.scheme}://{self.bucket}"

    @property
    def ref(self) -> str:
        prefix = f"/{self.prefix}" if self.prefix else ""
        return self.scope_url + prefix

    @property
    def custom_endpoint(self) -> bool:
        return self.endpoint is not None


def parse_location(ref: str, endpoint: str | None = None) -> BucketLocation:
    """The location of a storage target (`s3://`, `gs://`, `azure://` or an https form); InputError if none."""
    text = canonical_ref(ref.strip())
    parts = urlsplit(text)
    provider = _SCHEME_PROVIDER.get(parts.scheme)
    if provider is None or not parts.netloc:
        raise InputError(f"not a storage target: {ref!r} (s3://bucket, gs://bucket, azure://account/container)")
    netloc = parts.netloc.lower()
    path = unquote(parts.path).lstrip("/")
    if endpoint is not None:
        endpoint = _checked_endpoint(endpoint)
    if provider == "azure":
        container, _, prefix = path.partition("/")
        container = container.lower()
        if not _AZURE_ACCOUNT.match(netloc) and endpoint is None:
            raise InputError(f"not an Azure storage account name: {netloc!r}")
        if not _AZURE_CONTAINER.match(container):
            raise InputError(f"azure target needs a container: azure://account/container (got {ref!r})")
        return BucketLocation("azure", container, prefix, account=netloc, endpoint=endpoint)
    pattern = _S3_NAME if provider == "s3" else _GCS_NAME
    if not pattern.match(netloc) or ".." in netloc:
        raise InputError(f"not a valid bucket name: {netloc!r}")
    return BucketLocation(provider, netloc, path, endpoint=endpoint)


def canonical_ref(text: str) -> str:
    """`s3://`/`gs://`/`azure://` text unchanged; a provider https URL turned into that form."""
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return text
    host = parts.hostname.lower()
    path = parts.path.lstrip("/")
    virtual = _AWS_VIRTUAL.match(host)
    if virtual and not _AWS_PATH.match(host):
        return tidy_ref(f"s3://{virtual['bucket']}/{path}")
    if _AWS_PATH.match(host):
        return tidy_ref(f"s3://{path}")
    if host in _GCS_HOSTS:
        path = path.removeprefix("storage/v1/b/")
        bucket, _, rest = path.partition("/")
        rest = rest.removeprefix("o/")
        return tidy_ref(f"gs://{bucket}/{rest}")
    azure = _AZURE_HOST.match(host)
    if azure:
        return tidy_ref(f"azure://{azure['account']}/{path}")
    return text


def tidy_ref(ref: str) -> str:
    """`ref` without the trailing slash of a bare bucket or container (`s3://b/` is `s3://b`). A prefix keeps
    its slash: `s3://b/reports/` is the folder `reports/`, not every key starting "reports" (`reports-old/`)."""
    scheme, _, rest = ref.partition("://")
    _netloc, _, path = rest.partition("/")
    container_depth = 1 if scheme == "azure" else 0
    if len([part for part in path.split("/") if part]) <= container_depth:
        return ref.rstrip("/")
    return ref


def _checked_endpoint(endpoint: str) -> str:
    parts = urlsplit(endpoint.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise InputError(f"--endpoint must be an http(s) URL without query: {endpoint!r}")
    if parts.username is not None:
        raise InputError("--endpoint takes no credentials in the URL")
    return endpoint.strip().rstrip("/")


def is_region(text: str) -> bool:
    return bool(_REGION.match(text))


def implied_rules(
    location: BucketLocation, region: str | None = None, *, owner: bool = False, account_id: str | None = None
) -> list[str]:
    """Scope rules implied by an authorised bucket rule for this one bucket on its provider's own hosts
    (module docstring); `owner` when the owner's credentials are used. None with a custom endpoint."""
    if location.custom_endpoint:
        return []
    bucket = location.bucket
    if location.provider == "s3":
        rules = [f"https://s3.amazonaws.com/{bucket}/"]
        if "." not in bucket:
            rules.append(f"{bucket}.s3.amazonaws.com")
        if region and is_region(region):
            rules.append(f"https://s3.{region}.amazonaws.com/{bucket}/")
            if "." not in bucket:
                rules.append(f"{bucket}.s3.{region}.amazonaws.com")
            if owner and account_id and account_id.isdigit():
                rules.append(f"{account_id}.s3-control.{region}.amazonaws.com")
        if owner:
            rules.append("https://sts.amazonaws.com/")
            rules.append(f"https://sts.{region if region and is_region(region) else AWS_DEFAULT_REGION}.amazonaws.com/")
        return rules
    if location.provider == "gcs":
        return [
            f"https://storage.googleapis.com/storage/v1/b/{bucket}/",
            f"https://storage.googleapis.com/{bucket}/",
            f"https://www.googleapis.com/storage/v1/b/{bucket}/",
        ]
    return [f"https://{location.account}.blob.core.windows.net/{bucket}/"]


def object_path(key: str) -> str:
    """A key as a URL path component: every byte but unreserved ones and '/' percent-encoded."""
    return quote(key, safe="/~")
