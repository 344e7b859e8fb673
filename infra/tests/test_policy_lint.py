"""cloudsplaining (scan-policy-file) and parliament on every policy the apply made
(iam_policies.py).

A finding fails the test unless it is listed below with the reason it is accepted;
a listed finding that no longer appears fails too, so the lists never outlive what
they excuse.

parliament 1.6.4 ships IAM definitions newer than its own code: condition keys typed
ArrayOfARN, ArrayOfBool or IPAddress make it raise instead of checking the value. The
shim below maps those types to the ones its checker knows (Arn, Bool, Ip) before the
analysis, and changes nothing else.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import parliament.statement
import pytest
from parliament import analyze_policy_string

_translate = parliament.statement.translate_documentation_types
_NEWER_TYPES = {"ArrayOfARN": "Arn", "ArrayOfBool": "Bool", "IPAddress": "Ip"}
parliament.statement.translate_documentation_types = lambda kind: _translate(_NEWER_TYPES.get(kind, kind))

GET_AUTHORIZATION_TOKEN = (
    "ecr:GetAuthorizationToken has no resource-level permission and is needed by every "
    "docker login; the token it returns opens only the repositories the caller's own ECR "
    "permissions (and the repository policy) allow: here the one http-echo repository."
)

TAG_BOUND = (
    "these actions create resources that have no ARN before the call, or whose ARNs are IDs (EC2, "
    "Application Auto Scaling, ACM, KMS keys): the statement binds them to the environment by "
    "aws:RequestTag/Environment with no aws:ResourceTag yet (creation), or by aws:ResourceTag/Environment "
    "(change), which test_policy_evaluation.py evaluates against the other environment's resources"
)
METADATA_READS = (
    "Describe/List/Get of metadata that a plan's refresh reads, in this region only (aws:RequestedRegion): "
    "reading another environment's settings changes nothing, and the ARNs of what a refresh reads are not all "
    "known before the apply"
)
KEY_POLICY_STAR = "in a key policy, Resource \"*\" means this key and nothing else (the documented form)"
LOGS_KEY_STATEMENT = (
    "AWS's documented key policy statement for CloudWatch Logs (kms:Describe* and ArnLike on "
    "kms:EncryptionContext:aws:logs:arn), narrowed to this service's log group"
)

# parliament: (document name fragment, issue, detail fragment) -> why it is accepted.
PARLIAMENT_ACCEPTED = {
    ("http-echo-deploy-", "RESOURCE_STAR", "ec2:AllocateAddress"): TAG_BOUND,
    ("http-echo-deploy-", "RESOURCE_STAR", "application-autoscaling:"): TAG_BOUND,
    ("http-echo-deploy-", "RESOURCE_STAR", "acm:AddTagsToCertificate"): TAG_BOUND,
    ("http-echo-deploy-", "RESOURCE_STAR", "acm:DeleteCertificate"): TAG_BOUND,
    ("http-echo-deploy-", "RESOURCE_STAR", '["kms:TagResource"]'): TAG_BOUND,
    ("http-echo-", "RESOURCE_STAR", "acm:DescribeCertificate"): METADATA_READS,
    ("http-echo-deploy-", "RESOURCE_MISMATCH", "listener/net/"): (
        "the listener actions also apply to Network Load Balancer listeners (listener/net/...); the environment "
        "has an Application Load Balancer only, so only listener/app/<prefix>/* is granted"),
    ("http-echo-deploy-", "RESOURCE_MISMATCH", "kms:UpdateAlias"): (
        "an alias action is authorized on the alias and on the key: the identity policy grants the alias "
        "(alias/<prefix>), the key policy of the environment's key grants the key, so no identity statement "
        "names keys at all"),
    ("http-echo-deploy-", "RESOURCE_POLICY_PRIVILEGE_ESCALATION", "s3:PutBucketPolicy"): (
        "the bucket is the environment's own access-log bucket (<prefix>-alb-logs-<account>), whose policy "
        "Terraform manages (it lets the load balancer's log delivery write); a policy written there concerns "
        "only that bucket, which the role manages already; the state bucket does not match <prefix>-*"),
    ("resource/arn:aws:kms:", "RESOURCE_STAR", "kms:"): KEY_POLICY_STAR,
    ("resource/arn:aws:kms:", "MISMATCHED_TYPE", "ArnLike requires a value of type Arn"): LOGS_KEY_STATEMENT,
    ("resource/arn:aws:kms:", "UNKNOWN_CONDITION_FOR_ACTION", "kms:EncryptionContext:aws:logs:arn"): LOGS_KEY_STATEMENT,
    ("resource/arn:aws:sns:", "RESOURCE_MISMATCH", "sns:"): (
        "AWS's default topic policy statement: the account manages its topic (sns:* for the account, which "
        "hands the decision to IAM); on a topic ARN only the topic's own actions apply"),
}

# cloudsplaining: (document name fragment, risk, action) -> why it is accepted.
CLOUDSPLAINING_ACCEPTED = {
    ("", "Policy allows actions that return credentials", "ecr:GetAuthorizationToken"): GET_AUTHORIZATION_TOKEN,
}


def identity_documents(policies) -> dict[str, dict]:
    """Inline and managed policies of the project's roles (not trust or resource policies)."""
    documents = {}
    for role in policies.roles.values():
        if not role.name.startswith("http-echo-"):
            continue
        for key, doc in role.policies.items():
            documents[f"{role.name}/{key.rsplit('/', 1)[-1]}"] = doc
    for arn, doc in policies.managed.items():
        documents[f"managed/{arn.rsplit('/', 1)[-1]}"] = doc
    return documents


def parliament_findings(policies) -> set[tuple[str, str, str]]:
    found = set()
    documents = {**identity_documents(policies),
                 **{f"resource/{arn}": doc for arn, doc in policies.resource_policies.items()}}
    for name, doc in documents.items():
        for finding in analyze_policy_string(json.dumps(doc)).findings:
            detail = finding.detail if isinstance(finding.detail, str) else json.dumps(finding.detail, sort_keys=True)
            found.add((name, finding.issue, detail))
    return found


def accepted(found: set[tuple[str, str, str]], rules: dict) -> tuple[list, list]:
    """(findings no rule accepts, rules no finding matches)."""
    used = set()
    unexplained = []
    for name, issue, detail in sorted(found):
        rule = next((key for key in rules if key[0] in name and key[1] == issue and key[2] in detail), None)
        if rule is None:
            unexplained.append(f"{name}: {issue}: {detail}")
        else:
            used.add(rule)
    return unexplained, sorted(set(rules) - used)


def test_parliament_finds_nothing_unexplained(policies):
    unexplained, stale = accepted(parliament_findings(policies), PARLIAMENT_ACCEPTED)
    assert unexplained == [], "\n".join(unexplained)
    assert stale == [], f"accepted findings that no longer occur: {stale}"


def cloudsplaining_findings(policies, tmp_path: Path) -> set[tuple[str, str, str]]:
    found = set()
    cli = Path(sys.executable).parent / "cloudsplaining"
    for name, doc in identity_documents(policies).items():
        path = tmp_path / (name.replace("/", "__") + ".json")
        path.write_text(json.dumps(doc), encoding="utf-8")
        result = subprocess.run([str(cli), "scan-policy-file", "--input-file", str(path)],
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr
        # Its report is text: "Potential Issue found: <risk>" then "Actions: a, b".
        text = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout)
        for risk, actions in re.findall(r"Potential Issue found: (.+)\nActions: (.+)", text):
            for action in actions.split(","):
                found.add((name, risk.strip(), action.strip()))
        assert found or "no results" in text or "Potential Issue" in text, f"unexpected report: {text}"
    return found


def test_cloudsplaining_finds_nothing_unexplained(policies, tmp_path):
    unexplained, stale = accepted(cloudsplaining_findings(policies, tmp_path), CLOUDSPLAINING_ACCEPTED)
    assert unexplained == [], "\n".join(unexplained)
    assert stale == [], f"accepted findings that no longer occur: {stale}"


@pytest.fixture(scope="module", autouse=True)
def _policies_rendered(policies):
    assert any(name.startswith("http-echo-deploy-") for name in policies.roles), "no deploy roles rendered"
