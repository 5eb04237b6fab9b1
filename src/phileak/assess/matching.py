"""Does a finding meet a rule's FindingMatch: kind, page context, data categories, recipient, hosting."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit

from phileak.assess.groups import CATEGORY_GROUPS, KIND_GROUPS, expand
from phileak.assess.rules_model import FindingMatch
from phileak.model import Finding
from phileak.scope import host_pattern_matches


def extra(finding: Finding) -> dict[str, Any]:
    return dict(finding.evidence.model_extra or {})


def page_contexts(finding: Finding) -> set[str]:
    """The page contexts a web or app leak was seen in (probes/web/legal.py PageContext)."""
    data = extra(finding)
    contexts = {str(c) for c in data.get("page_contexts") or []}
    if isinstance(data.get("page_context"), str):
        contexts.add(data["page_context"])
    return contexts


def finding_host(finding: Finding) -> str | None:
    """The host serving the exposed data: the storage probe's evidence, or the target's own host."""
    host = extra(finding).get("host")
    if isinstance(host, str) and host:
        return host.lower()
    target = finding.target
    if target.startswith(("http://", "https://", "dicom-tls://")):
        return (urlsplit(target).hostname or "").lower() or None
    if "://" not in target and ":" in target:  # a DICOM host:port
        return target.rsplit(":", 1)[0].strip("[]").lower() or None
    return None


def is_hds_certified(host: str, certified: Sequence[str]) -> bool:
    return any(pattern == host or host_pattern_matches(pattern, host) for pattern in certified)


def finding_matches(matcher: FindingMatch, finding: Finding, hds_certified_hosts: Sequence[str]) -> bool:
    if finding.kind not in expand(matcher.kinds, KIND_GROUPS):
        return False
    if matcher.page_contexts and not page_contexts(finding) & set(matcher.page_contexts):
        return False
    categories = {c.value for c in finding.data_categories}
    for group in matcher.categories_all_of:
        if not categories & expand(group, CATEGORY_GROUPS):
            return False
    if matcher.recipient_categories:
        category = finding.recipient.category if finding.recipient else None
        if category not in matcher.recipient_categories:
            return False
    if matcher.hosted_outside_hds and finding.kind != "hds-uncertified-host":
        host = finding_host(finding)
        if host is None or is_hds_certified(host, hds_certified_hosts):
            return False
    return True


def matching_findings(
    matchers: Iterable[FindingMatch], findings: Iterable[Finding], hds_certified_hosts: Sequence[str]
) -> list[Finding]:
    chosen = list(matchers)
    return [f for f in findings if any(finding_matches(m, f, hds_certified_hosts) for m in chosen)]
