# What the delivery pipeline needs in the tooling account (the shared root): one
# ECR repository that every environment runs images from (prod runs the very
# digest dev ran), and the role the build job pushes images with. Each
# environment's own roles are made in its own account (modules/deploy_access).

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  # An environment without an account ID lives in this account.
  environment_accounts = { for env, settings in var.environments : env => coalesce(settings.account_id, local.account_id) }
}

################################################################################
# ECR
################################################################################

resource "aws_ecr_repository" "this" {
  name = var.ecr_repository_name
  # A tag, once pushed, always names the same image: what dev tested is what
  # prod runs, and a tag cannot be moved under a running service.
  image_tag_mutability = "IMMUTABLE"
  force_delete         = var.force_delete_repository

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
  }

  tags = var.tags
}

# No rule expires an image that has a tag: the image prod runs and every revision a
# rollback returns to carry the commit tag the build pushed them with, and no count
# of other images can push them out. IAM cannot limit which tag a role writes (ECR
# has no condition key for an image's tag), so a count rule over tags could be
# flooded by any role that may push; here only the build job's push role may, and
# even it can expire nothing. Untagged images (superseded pushes) expire after
# untagged_days; an administrator removes old tagged images by hand
# (infra/README.md).
resource "aws_ecr_lifecycle_policy" "this" {
  repository = aws_ecr_repository.this.name

  policy = jsonencode({
    rules = [
      {
        rulePriority = 1
        description  = "Expire untagged images after ${var.image_retention.untagged_days} days; tagged images are kept"
        selection = {
          tagStatus   = "untagged"
          countType   = "sinceImagePushed"
          countUnit   = "days"
          countNumber = var.image_retention.untagged_days
        }
        action = { type = "expire" }
      },
    ]
  })
}

# Each environment's roles read from the repository: its services (the
# execution role) pull, its deploy and plan roles read digests. None of them may
# write: only the build job's push role (in this account) adds images and tags.
# Principals are the environment's account, narrowed to
# the roles by aws:PrincipalArn, so the policy holds before those roles exist.
data "aws_iam_policy_document" "repository" {
  dynamic "statement" {
    for_each = local.environment_accounts
    content {
      sid       = "${title(statement.key)}ServicesPull"
      actions   = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
      resources = [aws_ecr_repository.this.arn]
      principals {
        type        = "AWS"
        identifiers = ["arn:${local.partition}:iam::${statement.value}:root"]
      }
      condition {
        test     = "ArnLike"
        variable = "aws:PrincipalArn"
        values   = ["arn:${local.partition}:iam::${statement.value}:role/${var.name}-${statement.key}-*"]
      }
    }
  }

  dynamic "statement" {
    for_each = local.environment_accounts
    content {
      sid       = "${title(statement.key)}DeploymentRolesRead"
      actions   = ["ecr:BatchGetImage", "ecr:DescribeImages"]
      resources = [aws_ecr_repository.this.arn]
      principals {
        type        = "AWS"
        identifiers = ["arn:${local.partition}:iam::${statement.value}:root"]
      }
      condition {
        test     = "ArnEquals"
        variable = "aws:PrincipalArn"
        values = [
          "arn:${local.partition}:iam::${statement.value}:role/${module.names[statement.key].deploy_role}",
          "arn:${local.partition}:iam::${statement.value}:role/${module.names[statement.key].plan_role}",
        ]
      }
    }
  }
}

module "names" {
  source   = "../role_names"
  for_each = var.environments

  project     = var.name
  environment = each.key
}

resource "aws_ecr_repository_policy" "this" {
  repository = aws_ecr_repository.this.name
  policy     = data.aws_iam_policy_document.repository.json
}

################################################################################
# The build job's role: push images, nothing else
################################################################################

data "aws_iam_policy_document" "push" {
  statement {
    sid       = "EcrLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  statement {
    sid = "EcrPushAndFindImages"
    actions = [
      "ecr:BatchCheckLayerAvailability",
      "ecr:BatchGetImage",
      "ecr:CompleteLayerUpload",
      "ecr:DescribeImages",
      "ecr:InitiateLayerUpload",
      "ecr:PutImage",
      "ecr:UploadLayerPart",
    ]
    resources = [aws_ecr_repository.this.arn]
  }
}

module "github" {
  source = "../github_oidc"

  github_repository = var.github_repository
  create_provider   = var.create_github_oidc_provider
  roles = {
    "${var.name}-image-push" = {
      github_environment = var.build.github_environment
      branch             = var.build.branch
      description        = "The GitHub Actions build job pushes ${var.name} images with this role"
      policy_json        = data.aws_iam_policy_document.push.json
    }
  }

  tags = var.tags
}
