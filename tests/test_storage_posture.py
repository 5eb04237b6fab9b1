"""The owner's view (Block Public Access, ACLs, policy) and its reconciliation with the live unsigned probe.

Account-level calls no local S3 server implements (S3 Control account Block Public Access, bucket policy status)
run against moto in server mode. moto does not enforce anonymous denial: its unsigned answers stand in for a live
probe that contradicts the configuration."""

from __future__ import annotations

import json
from typing import Any

import pytest

from phileak.lab.storage_services import public_policy
from phileak.model import Finding
from phileak.probes.storage.location import parse_location
from phileak.probes.storage.posture import BpaFlags, OwnerPosture, PolicyGrants, owner_keys, policy_grants
from phileak.probes.storage.probe import StorageProbe
from phileak.targets import parse_target
from storage_peers import MOTO_ENV, MOTO_OPTIONS, Moto, context, moto


@pytest.fixture
def server(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Moto:
    peer = moto(request)
    for name, value in MOTO_ENV.items():
        monkeypatch.setenv(name, value)
    return peer


def owner(server: Moto, service: str = "s3") -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(service, endpoint_url=server.endpoint, region_name="us-east-1",
                        aws_access_key_id=MOTO_ENV["MOTO_ACCESS"], aws_secret_access_key=MOTO_ENV["MOTO_SECRET"],
                        config=Config(s3={"addressing_style": "path"}))  # fmt: skip


async def scan(server: Moto, bucket: str) -> dict[str, Finding]:
    options = {"endpoint": server.endpoint, "s3control": True, **MOTO_OPTIONS}
    target = parse_target("storage", f"s3://{bucket}", options)
    findings = [f async for f in StorageProbe().scan(target, context(["s3://moto-*", "127.0.0.1/32"], no_content=True))]
    return {f.kind: f for f in findings}


async def test_account_block_public_access_is_read_and_reconciled_with_the_live_probe(server: Moto) -> None:
    s3 = owner(server)
    s3.create_bucket(Bucket="moto-blocked")
    s3.put_object(Bucket="moto-blocked", Key="a.txt", Body=b"nothing personal")
    s3.put_bucket_acl(Bucket="moto-blocked", ACL="public-read")
    account = owner(server, "sts").get_caller_identity()["Account"]
    flags = {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }
    _put_account_bpa(server, account, flags)
    kinds = await scan(server, "moto-blocked")
    mismatch = kinds["bucket-config-mismatch"]
    configuration = mismatch.evidence.model_extra["configuration"]
    assert configuration["account_block_public_access"] == flags
    assert configuration["public_acl_grants"] == ["AllUsers:READ"]
    assert configuration["public_list"] is False  # IgnorePublicAcls: the ACL grant does not count
    assert {"access": "list", "configuration": False, "live": True} in mismatch.evidence.model_extra["differences"]
    assert mismatch.evidence.model_extra["live"]["listable"] is True
    _put_account_bpa(server, account, dict.fromkeys(flags, False))


async def test_policy_status_public_matches_a_public_bucket(server: Moto) -> None:
    s3 = owner(server)
    s3.create_bucket(Bucket="moto-policy")
    s3.put_object(Bucket="moto-policy", Key="a.txt", Body=b"nothing personal")
    s3.put_bucket_policy(Bucket="moto-policy", Policy=json.dumps(public_policy("moto-policy")))
    kinds = await scan(server, "moto-policy")
    configuration = kinds["bucket-public-list"].evidence.model_extra["configuration"]
    assert configuration["policy_is_public"] is True
    assert configuration["public_list"] is True
    assert configuration["bucket_block_public_access"] == dict.fromkeys(BpaFlags.none_set().as_dict(), False)
    assert "bucket-config-mismatch" not in kinds


def _put_account_bpa(server: Moto, account: str, flags: dict[str, bool]) -> None:
    """Set account BPA in moto through boto3 (set-up only): S3 Control puts the account id in front of the
    endpoint's host, which does not resolve, so the request is sent to the endpoint itself."""
    import httpx
    from botocore.awsrequest import AWSResponse

    class Body:
        def __init__(self, data: bytes) -> None:
            self.data = data

        def stream(self, **_: Any) -> Any:
            yield self.data

    def send(request: Any, **_: Any) -> AWSResponse:
        url = request.url.replace(f"{account}.127.0.0.1", "127.0.0.1")
        answer = httpx.request(request.method, url, headers=dict(request.headers.items()), content=request.body)
        return AWSResponse(url, answer.status_code, dict(answer.headers), Body(answer.content))

    control = owner(server, "s3control")
    control.meta.events.register("before-send", send)
    control.put_public_access_block(AccountId=account, PublicAccessBlockConfiguration=flags)


# ---------------------------------------------------------------- the configuration's verdicts (no server)


def posture(**fields: Any) -> OwnerPosture:
    base: dict[str, Any] = {"account_bpa": BpaFlags.none_set(), "bucket_bpa": BpaFlags.none_set(), "acl_grants": (),
                            "policy_public": False, "object_acl_public": 0, "object_acls_sampled": 3}  # fmt: skip
    base.update(fields)
    return OwnerPosture(**base)


def test_acl_read_grant_lists_but_does_not_make_objects_readable() -> None:
    p = posture(acl_grants=("AllUsers:READ",))
    assert (p.says_public_list(), p.says_public_read(), p.says_writable()) == (True, False, False)


def test_block_public_access_overrides_grants_and_policies() -> None:
    blocked = BpaFlags(True, True, True, True)
    p = posture(
        acl_grants=("AllUsers:FULL_CONTROL",),
        policy_public=True,
        policy_grants=PolicyGrants(frozenset({"list", "read", "write"})),
        bucket_bpa=blocked,
    )
    assert (p.says_public_list(), p.says_public_read(), p.says_writable()) == (False, False, False)


def test_unreadable_parts_make_the_verdict_unknown_not_private() -> None:
    assert posture(acl_grants=None).says_public_list() is None
    assert posture(account_bpa=None, acl_grants=("AllUsers:READ",)).says_public_list() is None
    assert posture(account_bpa=None).says_public_list() is False  # nothing grants: BPA cannot matter
    assert posture(object_acl_public=None).says_public_read() is None


def test_policy_statements_for_everyone_are_classified() -> None:
    policy = {"Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:GetObject", "Resource": "*"},
        {"Effect": "Allow", "Principal": "*", "Action": ["s3:PutObject"], "Condition": {"IpAddress": {}}},
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:root"}, "Action": "s3:ListBucket"},
        {"Effect": "Deny", "Principal": "*", "Action": "s3:*"},
    ]}  # fmt: skip
    grants = policy_grants(json.dumps(policy))
    assert grants.actions == {"read", "write"} and grants.conditional
    assert policy_grants("not json").actions == frozenset()


def test_owner_keys_come_only_from_named_sources() -> None:
    aws = parse_location("s3://bucket-a")
    custom = parse_location("s3://bucket-a", "http://127.0.0.1:9000")
    env = {"AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "secret", "MINE": "AKIAMINE"}
    keys = owner_keys(aws, {}, env)
    assert keys is not None and keys.access_key == "AKIAENV" and "secret" not in repr(keys)
    assert owner_keys(custom, {}, env) is None
    named = owner_keys(custom, {"access_key_env": "MINE"}, env)
    assert named is not None and named.access_key == "AKIAMINE"
    assert owner_keys(aws, {"credentials": "none"}, env) is None
    assert owner_keys(parse_location("gs://bucket-a"), {}, env) is None
