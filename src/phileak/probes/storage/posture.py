"""The owner's view of an S3 bucket (their credentials): account and bucket Block Public Access, ACL grants, bucket
policy status and public statements, sampled object ACLs; and what that configuration says strangers may do.

Credentials are never taken from a credential chain (no instance metadata, no SSO): a target names them
(`access_key_env` + `secret_key_env` [+ `session_token_env`], or `profile` from the shared credentials file,
`credentials_file` naming another file of that format),
or, for AWS itself only, AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN are used. A custom endpoint
never receives the environment's AWS keys unless the target names them: its operator would see the key id.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from phileak.errors import InputError, LimitExceeded, TransientError
from phileak.probes.storage.anonymous import grants_read, public_grants
from phileak.probes.storage.location import BucketLocation
from phileak.probes.storage.stores import StoreError
from phileak.probes.storage.stores.s3 import AwsKeys, S3Store, aws_call
from phileak.probes.storage.transport import ThrottledError

OBJECT_ACL_SAMPLE = 5
_NO_CONFIG = ("NoSuchPublicAccessBlockConfiguration", "NoSuchBucketPolicy")
_NOT_IMPLEMENTED = ("NotImplemented", "MethodNotAllowed")


@dataclass(frozen=True)
class BpaFlags:
    block_public_acls: bool
    ignore_public_acls: bool
    block_public_policy: bool
    restrict_public_buckets: bool

    @classmethod
    def from_aws(cls, data: Mapping[str, Any]) -> BpaFlags:
        return cls(
            bool(data.get("BlockPublicAcls")),
            bool(data.get("IgnorePublicAcls")),
            bool(data.get("BlockPublicPolicy")),
            bool(data.get("RestrictPublicBuckets")),
        )

    @classmethod
    def none_set(cls) -> BpaFlags:
        return cls(False, False, False, False)

    def as_dict(self) -> dict[str, bool]:
        return {
            "BlockPublicAcls": self.block_public_acls,
            "IgnorePublicAcls": self.ignore_public_acls,
            "BlockPublicPolicy": self.block_public_policy,
            "RestrictPublicBuckets": self.restrict_public_buckets,
        }


@dataclass(frozen=True)
class PolicyGrants:
    """What the bucket policy grants to everyone ("*") without a condition: list, read, write."""

    actions: frozenset[str]
    conditional: bool = False


@dataclass(frozen=True)
class OwnerPosture:
    """Each field None when it could not be read (`unreadable` says why), never a default."""

    account_id: str | None = None
    account_bpa: BpaFlags | None = None
    bucket_bpa: BpaFlags | None = None
    acl_grants: tuple[str, ...] | None = None
    policy_public: bool | None = None
    policy_grants: PolicyGrants | None = None
    object_acl_public: int | None = None
    object_acls_sampled: int = 0
    unreadable: Mapping[str, str] = field(default_factory=dict)

    def _any_bpa(self, flag: str) -> bool | None:
        values = [getattr(bpa, flag) if bpa is not None else None for bpa in (self.account_bpa, self.bucket_bpa)]
        if any(values):
            return True
        return False if all(value is False for value in values) else None

    @property
    def ignores_public_acls(self) -> bool | None:
        return self._any_bpa("ignore_public_acls")

    @property
    def restricts_public_policy(self) -> bool | None:
        return self._any_bpa("restrict_public_buckets")

    def says_public_list(self) -> bool | None:
        """Whether the configuration lets strangers list the bucket (AWS semantics)."""
        by_acl = _blocked(
            grants_read(self.acl_grants) if self.acl_grants is not None else None, self.ignores_public_acls
        )
        by_policy = _blocked(self._policy_allows("list"), self.restricts_public_policy)
        return _either(by_acl, by_policy)

    def says_public_read(self) -> bool | None:
        """Whether the configuration lets strangers read objects: a public policy GetObject, or public object
        ACLs (a bucket ACL READ grant lists objects on AWS; it does not make them readable)."""
        objects = None if self.object_acl_public is None else self.object_acl_public > 0
        if objects is False and self.object_acls_sampled == 0:
            objects = None
        by_acl = _blocked(objects, self.ignores_public_acls)
        by_policy = _blocked(self._policy_allows("read"), self.restricts_public_policy)
        return _either(by_acl, by_policy)

    def says_writable(self) -> bool | None:
        acl = None if self.acl_grants is None else any(g.endswith((":WRITE", ":FULL_CONTROL")) for g in self.acl_grants)
        return _either(
            _blocked(acl, self.ignores_public_acls),
            _blocked(self._policy_allows("write"), self.restricts_public_policy),
        )

    def _policy_allows(self, action: str) -> bool | None:
        if self.policy_public is False:
            return False
        if self.policy_grants is not None:
            return action in self.policy_grants.actions
        return None

    def as_evidence(self) -> dict[str, Any]:
        return {
            "account_block_public_access": self.account_bpa.as_dict() if self.account_bpa else None,
            "bucket_block_public_access": self.bucket_bpa.as_dict() if self.bucket_bpa else None,
            "public_acl_grants": list(self.acl_grants) if self.acl_grants is not None else None,
            "policy_is_public": self.policy_public,
            "policy_public_actions": sorted(self.policy_grants.actions) if self.policy_grants else None,
            "sampled_object_acls": self.object_acls_sampled,
            "sampled_object_acls_public": self.object_acl_public,
            "unreadable": dict(self.unreadable),
        }


def _blocked(value: bool | None, block: bool | None) -> bool | None:
    if block is True:
        return False
    if value is True and block is None:
        return None
    return value


def _either(a: bool | None, b: bool | None) -> bool | None:
    if a is True or b is True:
        return True
    if a is False and b is False:
        return False
    return None


_ACTION_CLASSES = {
    "list": ("s3:*", "s3:list*", "s3:listbucket", "*"),
    "read": ("s3:*", "s3:get*", "s3:getobject", "*"),
    "write": ("s3:*", "s3:put*", "s3:putobject", "s3:deleteobject", "s3:putobjectacl", "*"),
}


def policy_grants(text: str) -> PolicyGrants:
    """The classes of actions (list/read/write) a policy allows to "*"; statements with a Condition count,
    flagged `conditional` (a condition may or may not restrict them)."""
    try:
        document = json.loads(text)
    except ValueError:
        return PolicyGrants(frozenset())
    statements = document.get("Statement", []) if isinstance(document, dict) else []
    if isinstance(statements, dict):
        statements = [statements]
    actions: set[str] = set()
    conditional = False
    for statement in statements if isinstance(statements, list) else []:
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        if not _everyone(statement.get("Principal")):
            continue
        conditional = conditional or bool(statement.get("Condition"))
        named = statement.get("Action", [])
        named = [named] if isinstance(named, str) else named
        lowered = {str(a).lower() for a in named if isinstance(a, str)}
        actions.update(kind for kind, patterns in _ACTION_CLASSES.items() if lowered & set(patterns))
    return PolicyGrants(frozenset(actions), conditional)


def _everyone(principal: Any) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, dict):
        aws = principal.get("AWS")
        return aws == "*" or (isinstance(aws, list) and "*" in aws)
    return False


def owner_keys(
    location: BucketLocation, options: Mapping[str, Any], env: Mapping[str, str] | None = None
) -> AwsKeys | None:
    """The owner's credentials for this target (module docstring), or None to probe anonymously only."""
    env = os.environ if env is None else env
    if location.provider != "s3" or str(options.get("credentials", "")).lower() == "none":
        return None
    access_env = options.get("access_key_env")
    if access_env:
        secret_env = str(options.get("secret_key_env") or "AWS_SECRET_ACCESS_KEY")
        token_env = options.get("session_token_env")
        access, secret = env.get(str(access_env)), env.get(secret_env)
        if not access or not secret:
            raise InputError(
                f"credentials named by access_key_env/secret_key_env are not set ({access_env}, {secret_env})"
            )
        return AwsKeys(access, secret, env.get(str(token_env)) if token_env else None, source=f"env:{access_env}")
    profile = options.get("profile")
    if profile:
        credentials_file = options.get("credentials_file")
        return _profile_keys(str(profile), str(credentials_file) if credentials_file else None)
    if location.custom_endpoint:
        return None
    access, secret = env.get("AWS_ACCESS_KEY_ID"), env.get("AWS_SECRET_ACCESS_KEY")
    if access and secret:
        return AwsKeys(access, secret, env.get("AWS_SESSION_TOKEN") or None, source="env:AWS_ACCESS_KEY_ID")
    return None


def _profile_keys(profile: str, credentials_file: str | None = None) -> AwsKeys:
    from botocore.credentials import ConfigProvider, SharedCredentialProvider

    credentials_file = os.path.expanduser(
        credentials_file or os.environ.get("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials")
    )
    config_file = os.path.expanduser(os.environ.get("AWS_CONFIG_FILE", "~/.aws/config"))
    found = SharedCredentialProvider(credentials_file, profile).load()
    if found is None:
        from botocore.configloader import load_config

        try:
            config = load_config(config_file)
        except Exception:
            config = {}
        found = ConfigProvider(config_file, profile, config).load()
    if found is None:
        raise InputError(f"no static keys for AWS profile {profile!r} in the shared credentials or config file")
    return AwsKeys(found.access_key, found.secret_key, found.token, source=f"profile:{profile}")


async def collect_posture(
    store: S3Store,
    control: Any | None,
    sts: Any | None,
    object_keys: Sequence[str],
    account_id: str | None = None,
) -> OwnerPosture:
    """Read the owner's configuration, one call per field; a failed call leaves its field None."""
    bucket = store.location.bucket
    bridge = store.bridge
    unreadable: dict[str, str] = {}

    async def attempt(field_name: str, what: str, fn: Any, /, **kwargs: Any) -> Any:
        try:
            return await aws_call(bridge, what, fn, **kwargs)
        except StoreError as exc:
            unreadable[field_name] = _reason(exc)
            return exc
        except (TransientError, LimitExceeded, ThrottledError) as exc:  # this field is unknown; the rest goes on
            unreadable[field_name] = f"{what} failed: {type(exc).__name__}"
            return StoreError(what, 0, type(exc).__name__)

    if account_id is None and sts is not None:
        answer = await attempt("account_id", "GetCallerIdentity", sts.get_caller_identity)
        account_id = None if isinstance(answer, StoreError) else str(answer.get("Account") or "") or None
    account_bpa: BpaFlags | None = None
    if control is None:
        # S3 Control is an AWS API: an S3-compatible server has no account-level Block Public Access to block.
        unreadable["account_bpa"] = "not applicable: account Block Public Access exists on AWS only"
        account_bpa = BpaFlags.none_set()
    elif account_id:
        answer = await attempt(
            "account_bpa", "GetPublicAccessBlock", control.get_public_access_block, AccountId=account_id
        )
        account_bpa = _bpa(answer, unreadable, "account_bpa")
    else:
        unreadable.setdefault("account_bpa", "no account id")
    answer = await attempt("bucket_bpa", "GetPublicAccessBlock", store.client.get_public_access_block, Bucket=bucket)
    bucket_bpa = _bpa(answer, unreadable, "bucket_bpa")
    answer = await attempt("acl_grants", "GetBucketAcl", store.client.get_bucket_acl, Bucket=bucket)
    acl = None if isinstance(answer, StoreError) else public_grants(answer.get("Grants"))
    answer = await attempt(
        "policy_public", "GetBucketPolicyStatus", store.client.get_bucket_policy_status, Bucket=bucket
    )
    policy_public: bool | None = None
    if isinstance(answer, StoreError):
        if answer.code == "NoSuchBucketPolicy":
            policy_public = False
            unreadable.pop("policy_public", None)
    else:
        policy_public = bool(answer.get("PolicyStatus", {}).get("IsPublic"))
    grants: PolicyGrants | None = None
    if policy_public is not False:
        answer = await attempt("policy_grants", "GetBucketPolicy", store.client.get_bucket_policy, Bucket=bucket)
        if not isinstance(answer, StoreError):
            grants = policy_grants(str(answer.get("Policy") or ""))
            if policy_public is None:
                policy_public = bool(grants.actions)
        elif answer.code == "NoSuchBucketPolicy":
            policy_public, grants = False, None
            unreadable.pop("policy_grants", None)
            unreadable.pop("policy_public", None)
    public_objects: int | None = 0
    sampled = 0
    for key in _spread(object_keys, OBJECT_ACL_SAMPLE):
        answer = await attempt("object_acls", "GetObjectAcl", store.client.get_object_acl, Bucket=bucket, Key=key)
        if isinstance(answer, StoreError):
            public_objects = None
            break
        sampled += 1
        if grants_read(public_grants(answer.get("Grants"))) and public_objects is not None:
            public_objects += 1
    return OwnerPosture(
        account_id=account_id,
        account_bpa=account_bpa,
        bucket_bpa=bucket_bpa,
        acl_grants=acl,
        policy_public=policy_public,
        policy_grants=grants,
        object_acl_public=public_objects,
        object_acls_sampled=sampled,
        unreadable=unreadable,
    )


def _bpa(answer: Any, unreadable: dict[str, str], name: str) -> BpaFlags | None:
    if isinstance(answer, StoreError):
        if answer.code in _NO_CONFIG:
            unreadable.pop(name, None)
            return BpaFlags.none_set()
        if answer.code in _NOT_IMPLEMENTED or answer.status == 501:
            # The server has no Block Public Access feature: nothing there can block (said in `unreadable`).
            unreadable[name] = f"{answer.summary}: this server has no Block Public Access API"
            return BpaFlags.none_set()
        return None
    return BpaFlags.from_aws(answer.get("PublicAccessBlockConfiguration", {}))


def _reason(exc: StoreError) -> str:
    return exc.summary


def _spread(keys: Sequence[str], count: int) -> list[str]:
    """`count` keys evenly spaced over `keys` (Prowler's object-ACL spot check)."""
    if len(keys) <= count:
        return list(keys)
    step = len(keys) / count
    return [keys[int(i * step)] for i in range(count)]
