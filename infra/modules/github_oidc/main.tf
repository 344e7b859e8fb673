# IAM roles that GitHub Actions jobs assume through OIDC, each trusted by exactly
# one job context: this repository, one GitHub environment, and one workflow file
# on one branch. The subject claim carries all of it once the repository's OIDC
# subject is customised to "repo", "context" and "job_workflow_ref"
# (pipeline/setup-github.sh does that); with GitHub's default subject no token
# matches, so nothing works until the customisation is in place.
#
# An account holds one provider per URL: the first root applied in an account
# creates it (create_provider), the others in the same account reuse it.

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
}

resource "aws_iam_role_policy" "this" {
  for_each = var.roles

  name   = "permissions"
  role   = aws_iam_role.this[each.key].id
  policy = each.value.policy_json
}
