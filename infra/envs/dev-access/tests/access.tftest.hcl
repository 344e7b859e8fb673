# The dev-access root with its committed terraform.tfvars, against a mocked AWS:
# dev's roles, trusted by deploy.yml on dev in the GitHub environment dev, and
# the promotion reader for prod's plan job; then the separate-accounts layout.

mock_provider "aws" {
  source = "../../tests/mocks"
}

run "one_account_layout" {
  assert {
    condition     = output.role_subjects["http-echo-deploy-dev"] == "repo:example-org/http-echo:environment:dev:job_workflow_ref:example-org/http-echo/.github/workflows/deploy.yml@refs/heads/dev"
    error_message = "dev's deploy role trusts deploy.yml on dev in the environment dev."
  }
  assert {
    condition     = output.role_subjects["http-echo-promotion-reader-dev"] == "repo:example-org/http-echo:environment:production-plan:job_workflow_ref:example-org/http-echo/.github/workflows/deploy.yml@refs/heads/main"
    error_message = "Only prod's plan job may read what dev runs."
  }
  assert {
    condition     = local.ecr_repository_arn == "arn:aws:ecr:us-east-1:123456789012:repository/http-echo"
    error_message = "The repository is in this account."
  }
}

run "separate_accounts_layout" {
  variables {
    tooling_account_id          = "111111111111"
    create_github_oidc_provider = true
  }
  assert {
    condition     = local.ecr_repository_arn == "arn:aws:ecr:us-east-1:111111111111:repository/http-echo"
    error_message = "With a tooling account, images come from its repository."
  }
}

run "rejects_bad_tooling_account" {
  command = plan
  variables {
    tooling_account_id = "tooling"
  }
  expect_failures = [var.tooling_account_id]
}
