"""Every IAM policy of the account, read back from moto after the roots' apply, and a
real policy evaluator over them.

render() collects identity policies (each role's inline and attached policies and its
permissions boundary), trust policies, and the resource policies that take part in
authorization here (the ECR repository's, the KMS keys', the SNS topics', the S3
buckets'), with every ARN as the apply made it. write() puts each document in a JSON
file of its own, for cloudsplaining and parliament.

The evaluator is principalmapper's local policy simulator: it evaluates actions,
resources, condition operators (StringEquals, ArnLike, Null, ForAllValues, ...),
explicit denies, permissions boundaries and resource policies, including the rule that
IAM trust and KMS key policies must admit the caller even within the account.
principalmapper 1.1.5 still imports Mapping and MutableMapping from `collections`,
which Python 3.10 removed; the shim below puts the `collections.abc` ones back before
the import, and changes nothing else.
"""

import collections
import collections.abc
import json
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

for _name in ("Mapping", "MutableMapping", "Sequence", "Iterable"):
    if not hasattr(collections, _name):
        setattr(collections, _name, getattr(collections.abc, _name))

from principalmapper.common import Node, Policy  # noqa: E402  (after the shim)
from principalmapper.querying.local_policy_simulation import policy_has_matching_statement  # noqa: E402
from principalmapper.querying.query_interface import local_check_authorization_full  # noqa: E402
from principalmapper.util.case_insensitive_dict import CaseInsensitiveDict  # noqa: E402

ACCOUNT = "123456789012"
REGION = "us-east-1"


def document(value) -> dict:
    """A policy document as AWS returns it: a dict, JSON text, or URL-encoded JSON text."""
    if isinstance(value, dict):
        return value
    text = value if value.lstrip().startswith("{") else urllib.parse.unquote(value)
    return json.loads(text)


@dataclass
class Role:
    name: str
    arn: str
    trust: dict
    policies: dict[str, dict] = field(default_factory=dict)  # name or ARN -> document
    boundary_arn: str | None = None
    boundary: dict | None = None

    def node(self) -> Node:
        """The role as principalmapper's simulator sees it."""
        return Node(
            self.arn, f"AROA{abs(hash(self.arn)) % 10**16:016d}",
            [Policy(self.arn if "/" not in key else key, key, doc) for key, doc in self.policies.items()],
            [], self.trust, None, 0, False, False,
            Policy(self.boundary_arn, self.boundary_arn, self.boundary) if self.boundary else None,
            False, {},
        )


@dataclass
class Rendered:
    roles: dict[str, Role]
    managed: dict[str, dict]  # customer managed policy ARN -> default version
    resource_policies: dict[str, dict]  # resource ARN -> its policy

    def all_documents(self) -> dict[str, dict]:
        """Every document by a file-safe name: identity, trust, boundary and resource policies."""
        documents = {}
        for role in self.roles.values():
            documents[f"role-{role.name}-trust"] = role.trust
            for key, doc in role.policies.items():
                documents[f"role-{role.name}-{key.rsplit('/', 1)[-1]}"] = doc
        for arn, doc in self.managed.items():
            documents[f"managed-{arn.rsplit('/', 1)[-1]}"] = doc
        for arn, doc in self.resource_policies.items():
            safe = arn.split(":", 2)[2].replace(":", "-").replace("/", "-")
            documents[f"resource-{safe}"] = doc
        return documents


def render(aws) -> Rendered:
    iam = aws("iam")
    managed = {}
    for page in iam.get_paginator("list_policies").paginate(Scope="Local"):
        for policy in page["Policies"]:
            version = iam.get_policy_version(PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"])
            managed[policy["Arn"]] = document(version["PolicyVersion"]["Document"])

    roles = {}
    for page in iam.get_paginator("list_roles").paginate():
        for listed in page["Roles"]:
            name = listed["RoleName"]
            role = iam.get_role(RoleName=name)["Role"]
            rendered = Role(name, role["Arn"], document(role["AssumeRolePolicyDocument"]))
            for policy_name in iam.list_role_policies(RoleName=name)["PolicyNames"]:
                inline = iam.get_role_policy(RoleName=name, PolicyName=policy_name)["PolicyDocument"]
                rendered.policies[policy_name] = document(inline)
            for attached in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
                rendered.policies[attached["PolicyArn"]] = managed[attached["PolicyArn"]]
            boundary = (role.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
            if boundary:
                rendered.boundary_arn, rendered.boundary = boundary, managed[boundary]
            roles[name] = rendered

    resources = {}
    ecr = aws("ecr")
    for repository in ecr.describe_repositories()["repositories"]:
        try:
            text = ecr.get_repository_policy(repositoryName=repository["repositoryName"])["policyText"]
        except ecr.exceptions.RepositoryPolicyNotFoundException:
            continue
        resources[repository["repositoryArn"]] = document(text)
    kms = aws("kms")
    for key in kms.list_keys()["Keys"]:
        resources[key["KeyArn"]] = document(kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"])
    sns = aws("sns")
    for topic in sns.list_topics()["Topics"]:
        policy = sns.get_topic_attributes(TopicArn=topic["TopicArn"])["Attributes"].get("Policy")
        if policy:
            resources[topic["TopicArn"]] = document(policy)
    s3 = aws("s3")
    for bucket in s3.list_buckets()["Buckets"]:
        try:
            resources[f"arn:aws:s3:::{bucket['Name']}"] = document(s3.get_bucket_policy(Bucket=bucket["Name"])["Policy"])
        except s3.exceptions.ClientError:
            continue
    return Rendered(roles, managed, resources)


def write(rendered: Rendered, directory: str) -> None:
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    for old in target.glob("*.json"):
        old.unlink()
    for name, doc in rendered.all_documents().items():
        (target / f"{name}.json").write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def allowed(role: Role | Node, action: str, resource: str, context: dict | None = None,
            resource_policy: dict | None = None) -> bool:
    """Would AWS allow `role` this call, by its policies, boundary and the resource's policy?

    Every request here is made in the deployment's region, as AWS says in
    aws:RequestedRegion (principalmapper adds the principal's own keys itself).
    """
    node = role.node() if isinstance(role, Role) else role
    owner = ACCOUNT if resource_policy is not None else None
    request = {"aws:RequestedRegion": REGION, **(context or {})}
    return local_check_authorization_full(node, action, resource, request, resource_policy, owner)


def web_identity_admits(trust: dict, provider_arn: str, claims: dict[str, str], role_arn: str) -> bool:
    """Would this trust policy let a GitHub OIDC token with these claims assume the role?

    principalmapper matches AWS and service principals, not federated ones, so the
    statements naming the provider are selected here and then evaluated by its
    simulator, conditions included; an explicit deny wins as in AWS.
    """
    host = provider_arn.split("oidc-provider/", 1)[1]
    context = CaseInsensitiveDict({f"{host}:{key}": value for key, value in claims.items()})
    federated = [statement for statement in _statements(trust)
                 if provider_arn in _as_list((statement.get("Principal") or {}).get("Federated"))]
    stripped = {"Statement": [{key: value for key, value in statement.items() if key != "Principal"}
                              for statement in federated]}
    if policy_has_matching_statement(stripped, "Deny", "sts:AssumeRoleWithWebIdentity", role_arn, context):
        return False
    return policy_has_matching_statement(stripped, "Allow", "sts:AssumeRoleWithWebIdentity", role_arn, context)


def _statements(doc: dict) -> list[dict]:
    statements = doc.get("Statement", [])
    return [statements] if isinstance(statements, dict) else statements


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def principals(trust: dict) -> list[tuple[str, str]]:
    """(kind, identifier) of every principal a trust policy's Allow statements name."""
    found = []
    for statement in _statements(trust):
        if statement.get("Effect") != "Allow":
            continue
        principal = statement.get("Principal")
        if principal == "*":
            found.append(("AWS", "*"))
            continue
        for kind, identifiers in (principal or {}).items():
            found.extend((kind, identifier) for identifier in _as_list(identifiers))
    return found
