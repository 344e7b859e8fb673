# The pipeline module against a mocked AWS: the shared ECR repository, GitHub's
# OIDC provider, and deploy roles each trusted by one GitHub environment only.

mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  name              = "http-echo"
  github_repository = "example-org/http-echo"
  state_bucket_name = "http-echo-tfstate-123456789012"
  deploy_roles = {
    dev  = { github_environment = "dev", can_push_images = true, resource_prefix = "http-echo-dev" }
    prod = { github_environment = "production", resource_prefix = "http-echo-prod" }
  }
}

run "ecr_repository" {
  assert {
    condition     = aws_ecr_repository.this.image_tag_mutability == "IMMUTABLE"
    error_message = "Tags are immutable."
  }
  assert {
    condition     = aws_ecr_repository.this.image_scanning_configuration[0].scan_on_push == true
    error_message = "Images are scanned on push."
  }
  assert {
    condition     = aws_ecr_repository.this.encryption_configuration[0].encryption_type == "KMS"
    error_message = "Images are encrypted with KMS."
  }
  assert {
    condition = [for rule in jsondecode(aws_ecr_lifecycle_policy.this.policy).rules : [rule.selection.tagStatus, rule.selection.countType, rule.selection.countNumber, rule.action.type]] == [
      ["untagged", "sinceImagePushed", 7, "expire"],
      ["any", "imageCountMoreThan", 100, "expire"],
    ]
    error_message = "Lifecycle: untagged images expire after 7 days, beyond the newest 100 images the oldest expire."
  }
}

run "github_oidc" {
  assert {
    condition     = aws_iam_openid_connect_provider.github[0].url == "https://token.actions.githubusercontent.com" && aws_iam_openid_connect_provider.github[0].client_id_list == toset(["sts.amazonaws.com"])
    error_message = "The OIDC provider is GitHub Actions' with the STS audience."
  }
  assert {
    condition     = output.deploy_role_subjects == { dev = "repo:example-org/http-echo:environment:dev", prod = "repo:example-org/http-echo:environment:production" }
    error_message = "Each role trusts exactly its own GitHub environment of the repository."
  }
  assert {
    condition = alltrue([
      for env, document in data.aws_iam_policy_document.deploy_assume : anytrue([
        for condition in one(document.statement).condition :
        condition.variable == "token.actions.githubusercontent.com:sub" && condition.test == "StringEquals" && toset(condition.values) == toset([output.deploy_role_subjects[env]])
      ])
    ])
    error_message = "The trust policies pin the OIDC subject with StringEquals (no wildcards)."
  }
  assert {
    condition     = alltrue([for document in data.aws_iam_policy_document.deploy_assume : one(document.statement).actions == toset(["sts:AssumeRoleWithWebIdentity"])])
    error_message = "Deploy roles are assumed through web identity only."
  }
  assert {
    condition     = toset(keys(output.deploy_role_arns)) == toset(["dev", "prod"])
    error_message = "One deploy role per environment."
  }
}

run "deploy_role_permissions" {
  assert {
    condition     = length([for statement in data.aws_iam_policy_document.deploy["dev"].statement : statement if statement.sid == "EcrPushImages"]) == 1 && length([for statement in data.aws_iam_policy_document.deploy["prod"].statement : statement if statement.sid == "EcrPushImages"]) == 0
    error_message = "Only the environment that builds images may push them."
  }
  assert {
    condition     = one([for statement in data.aws_iam_policy_document.deploy["prod"].statement : statement.resources if statement.sid == "StateReadWriteOwnKeys"]) == toset(["arn:aws:s3:::http-echo-tfstate-123456789012/prod/*"])
    error_message = "A deploy role reads and writes only its own environment's state."
  }
  assert {
    condition     = one([for statement in data.aws_iam_policy_document.deploy["dev"].statement : statement.resources if statement.sid == "ManageEnvironmentRoles"]) == toset(["arn:aws:iam::123456789012:role/http-echo-dev-*"])
    error_message = "IAM changes are limited to the environment's own roles."
  }
}

run "existing_oidc_provider" {
  command = plan
  variables {
    create_github_oidc_provider = false
    github_oidc_provider_arn    = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
  }
  assert {
    condition     = length(aws_iam_openid_connect_provider.github) == 0 && output.github_oidc_provider_arn == "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
    error_message = "An existing OIDC provider is reused instead of created."
  }
}

run "rejects_bad_repository" {
  command = plan
  variables {
    github_repository = "http-echo"
  }
  expect_failures = [var.github_repository]
}

run "rejects_no_deploy_roles" {
  command = plan
  variables {
    deploy_roles = {}
  }
  expect_failures = [var.deploy_roles]
}

run "rejects_missing_oidc_provider" {
  command = plan
  variables {
    create_github_oidc_provider = false
  }
  expect_failures = [var.github_oidc_provider_arn]
}

run "rejects_tiny_image_retention" {
  command = plan
  variables {
    image_retention = { keep_images = 2 }
  }
  expect_failures = [var.image_retention]
}
