"""The network side of one storage target: the scope it may use (the user's, plus the provider hosts the bucket
rule implies, location.py), the scoped HTTP client, and the stores and botocore clients built on it."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from phileak.net import ScopedHttpClient
from phileak.net_quick import QuickHttp
from phileak.probes.base import ScanContext
from phileak.probes.storage.location import AWS_DEFAULT_REGION, BucketLocation, implied_rules, is_region
from phileak.probes.storage.posture import owner_keys
from phileak.probes.storage.stores import ObjectStore, StoreError
from phileak.probes.storage.stores.azure import AzureStore
from phileak.probes.storage.stores.gcs import GcsStore
from phileak.probes.storage.stores.s3 import AwsKeys, S3Store, aws_call, make_client
from phileak.probes.storage.transport import BotoBridge, StorageHttp
from phileak.scope import Scope

REQUEST_TIMEOUT_S = 30.0


@dataclass
class StorageAccess:
    """Everything that talks to the provider for one target. Close with `aclose()`."""

    location: BucketLocation
    http: StorageHttp
    anonymous: ObjectStore
    region: str | None = None
    owner: S3Store | None = None
    control: Any = None  # botocore s3control client (owner)
    sts: Any = None  # botocore sts client (owner)
    keys: AwsKeys | None = None
    account_id: str | None = None

    async def aclose(self) -> None:
        await self.http.aclose()

    @property
    def host(self) -> str:
        """The host that holds the data (for reports and the HDS check)."""
        if self.location.endpoint:
            return urlsplit(self.location.endpoint).hostname or ""
        if self.location.provider == "s3":
            return f"s3.{self.region}.amazonaws.com" if self.region else "s3.amazonaws.com"
        if self.location.provider == "gcs":
            return "storage.googleapis.com"
        return f"{self.location.account}.blob.core.windows.net"


def _option(name: str, target_options: Mapping[str, Any], ctx: ScanContext) -> Any:
    value = target_options.get(name)
    return value if value is not None else ctx.options.get(name)


def _http(ctx: ScanContext, scope: Scope) -> StorageHttp:
    timeout = min(REQUEST_TIMEOUT_S, ctx.limits.timeout_s)
    client = ScopedHttpClient(
        scope, ctx.resolver, insecure=ctx.insecure, timeout=timeout, max_bytes=ctx.limits.max_bytes
    )
    return StorageHttp(
        client, quick=QuickHttp.beside(client), retries=max(ctx.limits.retries, 3), backoff_s=ctx.limits.retry_backoff_s
    )


async def open_access(location: BucketLocation, target_options: Mapping[str, Any], ctx: ScanContext) -> StorageAccess:
    """Check the bucket against the scope (ScopeViolation otherwise), then build its clients."""
    ctx.scope.check_bucket(location.scope_url, location.endpoint)
    keys = owner_keys(location, target_options)
    region = _option("region", target_options, ctx)
    region = str(region) if region and is_region(str(region)) else None
    account_id = target_options.get("account_id")
    account_id = str(account_id) if account_id else None
    loop = asyncio.get_running_loop()
    if location.provider != "s3":
        scope = ctx.scope.merged(Scope.from_rules(implied_rules(location)))
        http = _http(ctx, scope)
        store: ObjectStore = GcsStore(location, http) if location.provider == "gcs" else AzureStore(location, http)
        return StorageAccess(location, http, store)
    if not location.custom_endpoint:
        first = _http(ctx, ctx.scope.merged(Scope.from_rules(implied_rules(location, owner=keys is not None))))
        try:
            region = region or await discover_region(first, location)
            if keys is not None and account_id is None:
                account_id = await _account_id(first, loop, location, region, keys)
        finally:
            await first.aclose()
    if not location.custom_endpoint:
        region = region or AWS_DEFAULT_REGION
    rules = implied_rules(location, region, owner=keys is not None, account_id=account_id)
    http = _http(ctx, ctx.scope.merged(Scope.from_rules(rules)) if rules else ctx.scope)
    account_level = keys is not None and (not location.custom_endpoint or bool(target_options.get("s3control")))
    if location.custom_endpoint and account_level and keys is not None and account_id is None:
        account_id = await _account_id(http, loop, location, region, keys)
    rewrite = {}
    if location.endpoint and account_id:
        netloc = urlsplit(location.endpoint).netloc
        rewrite[f"{account_id}.{netloc}"] = netloc  # S3 Control prefixes the account id to the endpoint host
    bridge = BotoBridge(http, loop, rewrite)
    region = region or AWS_DEFAULT_REGION
    client = make_client("s3", location, bridge, region=region, keys=None)
    anonymous = S3Store(location, client, bridge, unsigned=True, region=region)
    access = StorageAccess(location, http, anonymous, region=region, keys=keys, account_id=account_id)
    if keys is not None:
        access.owner = S3Store(location, make_client("s3", location, bridge, region=region, keys=keys), bridge)
        if account_level:
            access.control = make_client("s3control", location, bridge, region=region, keys=keys)
            access.sts = make_client("sts", location, bridge, region=region, keys=keys)
    return access


async def discover_region(http: StorageHttp, location: BucketLocation) -> str | None:
    """AWS names a bucket's region in `x-amz-bucket-region`, even to strangers refused access."""
    response = await http.request("HEAD", f"https://s3.amazonaws.com/{quote(location.bucket)}", max_bytes=0)
    region = response.headers.get("x-amz-bucket-region")
    return region if region and is_region(region) else None


async def _account_id(
    http: StorageHttp, loop: asyncio.AbstractEventLoop, location: BucketLocation, region: str | None, keys: AwsKeys
) -> str | None:
    bridge = BotoBridge(http, loop)
    sts = make_client("sts", location, bridge, region=region or AWS_DEFAULT_REGION, keys=keys)
    try:
        answer = await aws_call(bridge, "GetCallerIdentity", sts.get_caller_identity)
    except StoreError:
        return None
    account = str(answer.get("Account") or "")
    return account if account.isdigit() else None
