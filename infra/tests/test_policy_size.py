"""Every role and policy the roots made fits IAM's size quotas.

moto stores a policy of any size, so an apply against it cannot show that AWS would
refuse one: a real apply fails with LimitExceeded on the first policy or attachment
past a quota. This test counts what IAM counts, on every role and every customer
managed policy read back from moto after bootstrap, shared, dev-access, prod-access,
dev and prod were applied (iam_policies.py).

The quotas (AWS IAM User Guide, "IAM and AWS STS quotas"):

  - the inline policies of a role, all together: 10,240 characters;
  - one managed policy: 6,144 characters (a permissions boundary is a managed policy);
  - a role's trust policy: 2,048 characters (the default; adjustable up to 4,096);
  - managed policies attached to a role: 10 (the default; adjustable up to 20). The
    permissions boundary is not one of them.

IAM does not count white space: a size here is the length of the document as compact
JSON, with no white space outside strings.
"""

import json

import pytest

ROLE_INLINE_POLICIES = 10_240
MANAGED_POLICY = 6_144
TRUST_POLICY = 2_048
ATTACHED_PER_ROLE = 10

# Every kind of role the roots make, so that a test that finds no role cannot pass.
EXPECTED_ROLES = {
    "http-echo-image-push",
    *(f"http-echo-{kind}-{env}" for kind in ("deploy", "plan") for env in ("dev", "prod")),
    "http-echo-promotion-reader-dev",
    *(f"http-echo-{env}-{kind}" for env in ("dev", "prod") for kind in ("execution", "task", "flow-logs")),
}


def size(document: dict) -> int:
    """The characters IAM counts: the document as compact JSON."""
    return len(json.dumps(document, separators=(",", ":"), ensure_ascii=False))


def is_managed(key: str) -> bool:
    """Role.policies holds inline policies by name and attached ones by ARN."""
    return key.startswith("arn:")


@pytest.fixture(scope="module")
def roles(policies):
    missing = EXPECTED_ROLES - set(policies.roles)
    assert not missing, f"roles not found in moto's account: {sorted(missing)}"
    return policies.roles


def test_the_inline_policies_of_each_role_fit_together(roles):
    sizes = {name: sum(size(doc) for key, doc in role.policies.items() if not is_managed(key))
             for name, role in roles.items()}
    over = [f"{name}: {total} characters of inline policy" for name, total in sorted(sizes.items())
            if total > ROLE_INLINE_POLICIES]
    assert over == [], f"over IAM's {ROLE_INLINE_POLICIES:,} for a role's inline policies:\n" + "\n".join(over)


def test_each_managed_policy_fits(policies, roles):
    # Every customer managed policy of the account: those attached to a role and
    # the permissions boundaries.
    assert policies.managed, "no customer managed policy found in moto's account"
    over = [f"{arn}: {size(doc)} characters" for arn, doc in sorted(policies.managed.items())
            if size(doc) > MANAGED_POLICY]
    assert over == [], f"over IAM's {MANAGED_POLICY:,} for a managed policy:\n" + "\n".join(over)


def test_each_trust_policy_fits(roles):
    over = [f"{name}: {size(role.trust)} characters" for name, role in sorted(roles.items())
            if size(role.trust) > TRUST_POLICY]
    assert over == [], f"over IAM's default {TRUST_POLICY:,} for a trust policy:\n" + "\n".join(over)


def test_each_role_has_at_most_ten_managed_policies(roles):
    over = [f"{name}: {count} attached" for name, count in sorted(
                (name, sum(is_managed(key) for key in role.policies)) for name, role in roles.items())
            if count > ATTACHED_PER_ROLE]
    assert over == [], f"over IAM's default {ATTACHED_PER_ROLE} managed policies for a role:\n" + "\n".join(over)
