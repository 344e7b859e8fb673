"""cloudsplaining and parliament on every policy the apply made (iam_policies.py).

cloudsplaining runs the scan of `scan-policy-file` through its Python API, which
returns the findings as data (the command prints text only, in a layout a parser
would have to follow), with every risky action flagged: by default it skips any
statement limited by a condition or a specific ARN, which is nearly all of ours.
parliament reads the identity, trust and resource policies.

A finding fails the test unless it is listed below, with the reason it is accepted
written next to it; a listed finding that no longer appears fails too, so the lists
never outlive what they excuse.

parliament 1.6.4 ships IAM definitions newer than its own code: condition keys typed
ArrayOfARN, ArrayOfBool or IPAddress make it raise instead of checking the value. The
shim below maps those types to the ones its checker knows (Arn, Bool, Ip) before the
analysis, and changes nothing else.
"""

import json
from pathlib import Path

import parliament.statement
import pytest
from parliament import analyze_policy_string

_translate = parliament.statement.translate_documentation_types
_NEWER_TYPES = {"ArrayOfARN": "Arn", "ArrayOfBool": "Bool", "IPAddress": "Ip"}
parliament.statement.translate_documentation_types = lambda kind: _translate(_NEWER_TYPES.get(kind, kind))

# parliament: (document name fragment, issue, detail fragment) -> why it is accepted.
PARLIAMENT_ACCEPTED = {
    ("http-echo-deploy-", "RESOURCE_STAR", "ec2:AllocateAddress"): (
        "Ec2ChangeOwnResources: EC2 ARNs are IDs, so changes are bound by aws:ResourceTag/Environment instead, "
        "which test_policy_evaluation.py evaluates against every EC2 resource of the other environment, tagged or "
        "not, and against untagged ones of the account"),
    ("http-echo-deploy-", "RESOURCE_MISMATCH", '"required_format": "arn:*:ec2:*:*:vpc/*"'): (
        "Ec2Create*ForThisEnvironment name only the type of resource each creation makes, on purpose: what the "
        "creation uses (the VPC of a subnet, route table or endpoint, the subnet of a NAT gateway, the security "
        "group of a rule) is authorized by Ec2ChangeOwnResources, which needs it tagged with the environment. "
        "Granting those types in the creation statements would let a creation use an untagged VPC or open an "
        "untagged security group (test_b_no_deploy_role_can_adopt_an_untagged_ec2_resource)"),
    ("http-echo-deploy-", "RESOURCE_STAR", "application-autoscaling:"): (
        "Application Auto Scaling has no resource ARNs before a target exists: AutoScalingRegisterForThisEnvironment "
        "and AutoScalingChangeOwn bind it by aws:RequestTag/Environment (creation) or aws:ResourceTag/Environment "
        "(change), evaluated against the other environment's scalable target in test_policy_evaluation.py"),
    ("http-echo-deploy-", "RESOURCE_STAR", "acm:AddTagsToCertificate"): (
        "CertificateForThisEnvironment: a certificate has no ARN before RequestCertificate; the request must tag it "
        "with the environment and target no tagged certificate"),
    ("http-echo-deploy-", "RESOURCE_STAR", "acm:DeleteCertificate"): (
        "CertificateChangeOwn: certificate ARNs are IDs, so the statement binds them by aws:ResourceTag/Environment"),
    ("http-echo-deploy-", "RESOURCE_STAR", '["kms:TagResource"]'): (
        "KmsCreateKeyForThisEnvironment: a key has no ARN before CreateKey; the request must tag it with the "
        "environment and target no tagged key; everything else on the key comes from its key policy"),
    ("http-echo-", "RESOURCE_STAR", "acm:DescribeCertificate"): (
        "ReadEnvironmentMetadata: Describe/List/Get of metadata that a plan's refresh reads, in this region only "
        "(aws:RequestedRegion); reading another environment's settings changes nothing, and the ARNs of what a "
        "refresh reads are not all known before the apply"),
    ("http-echo-deploy-", "RESOURCE_MISMATCH", "listener/net/"): (
        "LoadBalancerOwn: the listener actions also apply to Network Load Balancer listeners (listener/net/...); the "
        "environment has an Application Load Balancer only, so only listener/app/<prefix>/* is granted"),
    ("http-echo-deploy-", "RESOURCE_MISMATCH", "kms:UpdateAlias"): (
        "KmsOwnAlias: an alias action is authorized on the alias and on the key; the identity policy grants the "
        "alias (alias/<prefix>), the key policy of the environment's key grants the key, so no identity statement "
        "names keys at all"),
    ("http-echo-deploy-", "RESOURCE_POLICY_PRIVILEGE_ESCALATION", "s3:PutBucketPolicy"): (
        "AccessLogBucketOwn: the bucket is the environment's own access-log bucket (<prefix>-alb-logs-<account>), "
        "whose policy Terraform manages (it lets the load balancer's log delivery write); a policy written there "
        "concerns only that bucket, which the role manages already; the state bucket does not match <prefix>-*"),
    ("resource/arn:aws:kms:", "RESOURCE_STAR", "kms:"): (
        "in a key policy, Resource \"*\" means this key and nothing else (the documented form)"),
    ("resource/arn:aws:kms:", "MISMATCHED_TYPE", "ArnLike requires a value of type Arn"): (
        "AWS's documented key policy statement for CloudWatch Logs (ArnLike on kms:EncryptionContext:aws:logs:arn, "
        "an ARN parliament's type table does not know as one), narrowed to this service's log group"),
    ("resource/arn:aws:kms:", "UNKNOWN_CONDITION_FOR_ACTION", "kms:EncryptionContext:aws:logs:arn"): (
        "the same CloudWatch Logs statement: kms:EncryptionContext:<key> is one key per encryption context entry, "
        "which parliament's per-action table cannot list"),
    ("resource/arn:aws:sns:", "RESOURCE_MISMATCH", "sns:"): (
        "AWS's default topic policy statement: the account manages its topic (sns:* for the account, which hands "
        "the decision to IAM); on a topic ARN only the topic's own actions apply"),
    ("trust/http-echo-", "UNKNOWN_FEDERATION_SOURCE", "oidc-provider/token.actions.githubusercontent.com"): (
        "parliament knows only Cognito, Amazon, Facebook, Google and SAML as federation sources; this is the "
        "account's GitHub Actions OIDC provider, the only principal of the GitHub roles' trust, which "
        "test_policy_evaluation.py (c) pins to one repository, environment, workflow file and branch"),
    ("trust/http-echo-", "UNKNOWN_CONDITION_FOR_ACTION", "token.actions.githubusercontent.com:sub"): (
        "an OIDC provider's claims are condition keys named after its host (here the subject: repository, "
        "environment, workflow and branch), defined per provider rather than per action, so parliament's action "
        "table cannot list them; test_policy_evaluation.py (c) evaluates what each trust admits with them"),
    ("trust/http-echo-", "UNKNOWN_CONDITION_FOR_ACTION", "token.actions.githubusercontent.com:aud"): (
        "the provider's audience claim, pinned to sts.amazonaws.com: a provider condition key, as for :sub"),
}

# cloudsplaining: (document name fragment, risk, action fragment) -> why it is accepted.
CLOUDSPLAINING_ACCEPTED = {
    ("", "CredentialsExposure", "ecr:GetAuthorizationToken"): (
        "ecr:GetAuthorizationToken has no resource-level permission and is needed by every docker login; the token "
        "it returns opens only the repositories the caller's own ECR permissions (and the repository policy) "
        "allow: here the one http-echo repository"),
    ("http-echo-deploy-", "InfrastructureModification", ""): (
        "the deploy role applies the environment's root, so every write it holds modifies infrastructure: that is "
        "its job. Each write is held to the environment by ARN prefix or by the Environment tag (policies.tf), and "
        "test_policy_evaluation.py (b) evaluates every destructive action on every resource of the other "
        "environment and on untagged ones"),
    ("http-echo-deploy-", "ResourceExposure", "iam:"): (
        "IAM writes only on roles named <prefix>-* (IamCreateRolesUnderTheBoundary, IamManageOwnRoles): creation "
        "and policies only with the environment's boundary, no trust change, PassRole only to ecs-tasks and "
        "vpc-flow-logs, service-linked roles only for ECS, ELB and Application Auto Scaling, explicit denies on "
        "the boundary and the deployment roles; test_policy_evaluation.py (a) evaluates every escalation path"),
    ("http-echo-deploy-", "ResourceExposure", "s3:"): (
        "AccessLogBucketOwn: the environment's own ALB access-log bucket (<prefix>-*), whose policy and public "
        "access block Terraform writes (log delivery may write, nothing is public); the state bucket does not "
        "match"),
    ("http-echo-deploy-", "ResourceExposure", "sns:"): (
        "TopicOwn: the environment's own alerts topic (<prefix>-*), whose policy lets CloudWatch and EventBridge "
        "publish; test_policy_evaluation.py (b) checks the other environment's topic is out of reach"),
    ("http-echo-deploy-", "DataExfiltration", "s3:GetObject"): (
        "StateReadWriteOwnKeys: the Terraform state under the environment's own key prefix, which the role must "
        "read to apply it; no other object"),
    ("http-echo-plan-", "DataExfiltration", "s3:GetObject"): (
        "StateRead: the Terraform state under the environment's own key prefix, which a plan reads"),
    ("http-echo-plan-", "InfrastructureModification", "s3:"): (
        "StateRead and StateLock: the plan role reads its environment's state and writes or deletes only the "
        "state lock file (<env>/terraform.tfstate.tflock), never the state itself"),
    ("-execution/", "InfrastructureModification", "logs:"): (
        "the execution role creates the task's log stream and writes its events (awslogs driver), in the "
        "service's own log group only"),
    ("-flow-logs/", "InfrastructureModification", "logs:"): (
        "flow log delivery creates its streams and writes its records in the VPC's own flow-log group only"),
    ("managed/http-echo-boundary-", "InfrastructureModification", "logs:"): (
        "the boundary's ceiling: the environment's roles may write the environment's log groups, nothing else"),
    ("http-echo-image-push/", "InfrastructureModification", "ecr:"): (
        "the build job's push role uploads layers and puts images in the one repository: its only write, and the "
        "repository's only writer (test_policy_evaluation.py)"),
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


def trust_as_parliament_reads_it(role) -> dict:
    """A trust policy with its resource, the role, named in each statement.

    A trust policy has no Resource element (the role is the resource); parliament stops
    at a statement without one (MALFORMED) before it checks the actions and condition
    keys, so it is given the role's ARN as the statements' Resource."""
    statements = role.trust.get("Statement", [])
    statements = [statements] if isinstance(statements, dict) else statements
    return {**role.trust, "Statement": [{**statement, "Resource": role.arn} for statement in statements]}


def parliament_findings(policies) -> set[tuple[str, str, str]]:
    found = set()
    documents = {**identity_documents(policies),
                 **{f"trust/{role.name}": trust_as_parliament_reads_it(role) for role in policies.roles.values()
                    if role.name.startswith("http-echo-")},
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


@pytest.fixture(scope="module")
def rendered(policies):
    """The policies the apply made (moto), with the deploy roles among them."""
    assert any(name.startswith("http-echo-deploy-") for name in policies.roles), "no deploy roles rendered"
    return policies


def test_parliament_finds_nothing_unexplained(rendered):
    unexplained, stale = accepted(parliament_findings(rendered), PARLIAMENT_ACCEPTED)
    assert unexplained == [], "\n".join(unexplained)
    assert stale == [], f"accepted findings that no longer occur: {stale}"


def cloudsplaining_findings(policies, tmp_path: Path) -> set[tuple[str, str, str]]:
    """(document, risk, action) for every finding of cloudsplaining's policy scan.

    Through its Python API (scan_policy, what `scan-policy-file` runs), which returns the
    findings as data: the command prints text only. With every risky action flagged
    (the command's --flag-all-risky-actions), including those in statements limited by
    conditions or specific ARNs: by default cloudsplaining skips such statements, and
    nearly every statement here is one. `tmp_path` is unused, kept for the callers."""
    from cloudsplaining.command.scan_policy_file import scan_policy
    from cloudsplaining.shared.constants import DEFAULT_EXCLUSIONS_CONFIG

    found = set()
    for name, doc in identity_documents(policies).items():
        results = scan_policy(doc, DEFAULT_EXCLUSIONS_CONFIG, flag_conditional_statements=True,
                              flag_resource_arn_statements=True)
        for risk, result in (results or {}).items():
            if not isinstance(result, dict):  # ServicesAffected: a list of services, no finding
                continue
            for finding in result.get("findings", []):
                if isinstance(finding, dict):  # PrivilegeEscalation: a method and its actions
                    for action in finding.get("actions", []):
                        found.add((name, f"{risk} ({finding.get('type')})", action))
                else:
                    found.add((name, risk, finding))
    return found


def test_cloudsplaining_finds_nothing_unexplained(rendered, tmp_path):
    unexplained, stale = accepted(cloudsplaining_findings(rendered, tmp_path), CLOUDSPLAINING_ACCEPTED)
    assert unexplained == [], "\n".join(unexplained)
    assert stale == [], f"accepted findings that no longer occur: {stale}"


def test_cloudsplaining_sees_privilege_escalation_and_conditional_statements(tmp_path):
    """The scan reports what a deliberately bad policy does: a privilege-escalation path
    (a role whose trust can be changed and to which any policy can be attached) and a
    risky action hidden behind a condition and a specific ARN. A parser or a scan that
    drops either category would let the tests above pass on anything."""
    from iam_policies import Rendered, Role

    bad = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["iam:AttachRolePolicy", "iam:UpdateAssumeRolePolicy", "sts:AssumeRole"],
         "Resource": "*"},
        {"Effect": "Allow", "Action": "s3:PutBucketPolicy", "Resource": "arn:aws:s3:::some-bucket",
         "Condition": {"StringEquals": {"aws:RequestedRegion": "us-east-1"}}},
    ]}
    rendered = Rendered({"http-echo-bad": Role("http-echo-bad", "arn:aws:iam::123456789012:role/http-echo-bad", {},
                                               {"bad": bad})}, {}, {})
    found = cloudsplaining_findings(rendered, tmp_path)
    escalations = {action for name, risk, action in found if risk.startswith("PrivilegeEscalation")}
    assert {"iam:attachrolepolicy", "iam:updateassumerolepolicy"} <= {action.lower() for action in escalations}, found
    assert ("http-echo-bad/bad", "ResourceExposure", "s3:PutBucketPolicy") in found, found
