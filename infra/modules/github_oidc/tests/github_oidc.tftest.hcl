# Roles trusted by one GitHub job context each, against a mocked AWS.

mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  github_repository = "example-org/http-echo"
  roles = {
    "http-echo-deploy-prod" = {
      github_environment = "production"
      branch             = "main"
      description        = "deploys prod"
      policy_json        = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }
}

run "trust_pins_environment_workflow_branch_and_audience" {
  assert {
    condition     = output.subjects["http-echo-deploy-prod"] == "repo:example-org/http-echo:environment:production:job_workflow_ref:example-org/http-echo/.github/workflows/deploy.yml@refs/heads/main"
    error_message = "The subject names the repository, the environment, and deploy.yml on main."
  }
  assert {
    condition = {
      for condition in one(data.aws_iam_policy_document.trust["http-echo-deploy-prod"].statement).condition : condition.variable => "${condition.test} ${join(",", condition.values)}"
      } == {
      "token.actions.githubusercontent.com:aud" = "StringEquals sts.amazonaws.com"
      "token.actions.githubusercontent.com:sub" = "StringEquals ${output.subjects["http-echo-deploy-prod"]}"
    }
    error_message = "The trust policy pins aud and the whole subject with StringEquals (no wildcards)."
  }
  assert {
    condition     = one(data.aws_iam_policy_document.trust["http-echo-deploy-prod"].statement).actions == toset(["sts:AssumeRoleWithWebIdentity"]) && output.provider_arn == "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
    error_message = "Roles are assumed through the account's GitHub OIDC provider only."
  }
  assert {
    condition     = aws_iam_openid_connect_provider.github[0].url == "https://token.actions.githubusercontent.com" && aws_iam_openid_connect_provider.github[0].client_id_list == toset(["sts.amazonaws.com"])
    error_message = "The provider is GitHub Actions' with the STS audience."
  }
}

run "reuses_the_accounts_provider" {
  command = plan
  variables {
    create_provider = false
  }
  assert {
    condition     = length(aws_iam_openid_connect_provider.github) == 0 && output.provider_arn == "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
    error_message = "A second root in the same account reuses the provider by its ARN."
  }
}

run "rejects_bad_repository" {
  command = plan
  variables {
    github_repository = "http-echo"
  }
  expect_failures = [var.github_repository]
}
