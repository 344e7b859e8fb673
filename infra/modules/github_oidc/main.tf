# IAM roles that GitHub Actions jobs assume through OIDC, each trusted by exactly
# one job context: this repository, one GitHub environment, and one workflow file
# on one branch. The subject claim carries all of it once the repository's OIDC
# subject is customised to "repo", "context" and "job_workflow_ref"
# (pipeline/setup-github.sh does that); with GitHub's default subject no token
# matches, so nothing works until the customisation is in place.
#
# An account holds one provider per URL: the first root applied in an account
# creates it (create_provider), the others in the same account reuse it.
#
# A role's permissions are an inline policy or customer managed policies attached
# to it. IAM refuses a role whose inline policies exceed 10,240 characters
# together, a managed policy over 6,144, a trust policy over 2,048 (the default
# quota) and more than 10 managed policies on a role (the default quota), white
# space not counted; the preconditions below say so at plan time, counting the
# documents as compact JSON.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  host         = "token.actions.githubusercontent.com"
  provider_arn = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:oidc-provider/${local.host}"

  subjects = {
    for name, role in var.roles : name => join(":", [
      "repo", var.github_repository,
      "environment", role.github_environment,
      "job_workflow_ref", "${var.github_repository}/${var.workflow}@refs/heads/${role.branch}",
    ])
  }

  # Every managed policy of every role, by its name "<role>-<purpose>".
  managed_policies = merge([
    for name, role in var.roles : {
      for purpose, policy in role.managed_policies : "${name}-${purpose}" => merge(policy, { role = name })
    }
  ]...)
}

resource "aws_iam_openid_connect_provider" "github" {
  count = var.create_provider ? 1 : 0

  url            = "https://${local.host}"
  client_id_list = ["sts.amazonaws.com"]
  # AWS verifies GitHub's certificate through its own trusted CAs; the API still
  # wants thumbprints, so these are GitHub's published ones.
  thumbprint_list = [
    "6938fd4d98bab03faadb97b34396831e3780aea1",
    "1c58a3a8518e8759bf075b76b750d4f2df264fcd",
  ]

  tags = var.tags
}

data "aws_iam_policy_document" "trust" {
  for_each = var.roles

  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [local.provider_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.host}:aud"
      values   = ["sts.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.host}:sub"
      values   = [local.subjects[each.key]]
    }
  }
}

resource "aws_iam_role" "this" {
  for_each = var.roles

  name                 = each.key
  description          = each.value.description
  assume_role_policy   = data.aws_iam_policy_document.trust[each.key].json
  permissions_boundary = each.value.permissions_boundary_arn
  max_session_duration = 3600

  tags = var.tags

  depends_on = [aws_iam_openid_connect_provider.github]

  lifecycle {
    precondition {
      condition     = length(jsonencode(jsondecode(data.aws_iam_policy_document.trust[each.key].json))) <= 2048
      error_message = "The trust policy of ${each.key} exceeds IAM's 2,048 characters."
    }
  }
}

resource "aws_iam_role_policy" "this" {
  # Decided by the keys of managed_policies, which are known at plan time, where a
  # policy's JSON may not be (an ARN the same apply makes).
  for_each = { for name, role in var.roles : name => role if length(role.managed_policies) == 0 }

  name   = "permissions"
  role   = aws_iam_role.this[each.key].id
  policy = each.value.policy_json

  lifecycle {
    precondition {
      condition     = length(jsonencode(jsondecode(each.value.policy_json))) <= 10240
      error_message = "The inline policy of ${each.key} exceeds IAM's 10,240 characters for a role's inline policies: move statements into managed policies."
    }
  }
}

resource "aws_iam_policy" "this" {
  for_each = local.managed_policies

  name        = each.key
  description = each.value.description
  policy      = each.value.policy_json

  tags = var.tags

  lifecycle {
    precondition {
      condition     = length(jsonencode(jsondecode(each.value.policy_json))) <= 6144
      error_message = "The managed policy ${each.key} exceeds IAM's 6,144 characters: split it by purpose."
    }
  }
}

resource "aws_iam_role_policy_attachment" "this" {
  for_each = local.managed_policies

  role       = aws_iam_role.this[each.value.role].name
  policy_arn = aws_iam_policy.this[each.key].arn
}
