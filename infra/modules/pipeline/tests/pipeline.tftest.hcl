# The pipeline module against a mocked AWS: the shared ECR repository, what keeps
# the images prod needs, who may pull and tag, and the build job's push role.

mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  name              = "http-echo"
  github_repository = "example-org/http-echo"
  environments = {
    dev  = {}
    prod = { account_id = "333333333333" }
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
}

run "images_prod_needs_are_never_expired" {
  assert {
    condition = [for rule in jsondecode(aws_ecr_lifecycle_policy.this.policy).rules : [rule.rulePriority, rule.selection.tagStatus, rule.selection.countType, rule.selection.countNumber]] == [
      [1, "untagged", "sinceImagePushed", 7],
    ]
    error_message = "Only untagged images expire (after 7 days): no rule expires an image with a tag, so prod's image and the one a rollback needs stay however many are pushed."
  }
}

run "environments_pull_and_read_by_role" {
  assert {
    condition = {
      for statement in data.aws_iam_policy_document.repository.statement : statement.sid => [
        join(",", flatten([for principal in statement.principals : principal.identifiers])),
        join(",", flatten([for condition in statement.condition : condition.values])),
      ]
      } == {
      DevServicesPull         = ["arn:aws:iam::123456789012:root", "arn:aws:iam::123456789012:role/http-echo-dev-*"]
      ProdServicesPull        = ["arn:aws:iam::333333333333:root", "arn:aws:iam::333333333333:role/http-echo-prod-*"]
      DevDeploymentRolesRead  = ["arn:aws:iam::123456789012:root", "arn:aws:iam::123456789012:role/http-echo-deploy-dev,arn:aws:iam::123456789012:role/http-echo-plan-dev"]
      ProdDeploymentRolesRead = ["arn:aws:iam::333333333333:root", "arn:aws:iam::333333333333:role/http-echo-deploy-prod,arn:aws:iam::333333333333:role/http-echo-plan-prod"]
    }
    error_message = "Each environment's account may pull with its own roles and read digests with its deploy and plan roles, in its own account (here prod's, a separate one)."
  }
}

run "push_role_for_the_build_job_only" {
  assert {
    condition     = output.image_push_role_subject == "repo:example-org/http-echo:environment:build:job_workflow_ref:example-org/http-echo/.github/workflows/deploy.yml@refs/heads/dev"
    error_message = "Only the build job (environment build, deploy.yml on dev) may push."
  }
  assert {
    condition     = alltrue([for statement in data.aws_iam_policy_document.repository.statement : !contains(statement.actions, "ecr:PutImage")])
    error_message = "The repository policy lets no environment's role write an image or a tag: IAM cannot limit which tag it would write."
  }
  assert {
    condition     = toset(flatten([for statement in data.aws_iam_policy_document.push.statement : statement.resources if statement.sid == "EcrPushAndFindImages"])) == toset([aws_ecr_repository.this.arn])
    error_message = "The push role writes to this repository only."
  }
}

run "rejects_bad_account" {
  command = plan
  variables {
    environments = { dev = { account_id = "12345" } }
  }
  expect_failures = [var.environments]
}

run "rejects_tiny_image_retention" {
  command = plan
  variables {
    image_retention = { untagged_days = 0 }
  }
  expect_failures = [var.image_retention]
}
