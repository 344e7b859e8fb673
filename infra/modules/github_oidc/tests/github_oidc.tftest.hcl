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

run "managed_policies_by_purpose" {
  command = plan
  variables {
    roles = {
      "http-echo-deploy-prod" = {
        github_environment = "production"
        branch             = "main"
        description        = "deploys prod"
        managed_policies = {
          network = { description = "the VPC", policy_json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
          iam     = { description = "roles", policy_json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
        }
      }
    }
  }
  assert {
    condition     = toset(keys(aws_iam_policy.this)) == toset(["http-echo-deploy-prod-network", "http-echo-deploy-prod-iam"]) && aws_iam_policy.this["http-echo-deploy-prod-network"].name == "http-echo-deploy-prod-network"
    error_message = "Each managed policy is made as <role>-<purpose>."
  }
  assert {
    condition     = toset([for attachment in aws_iam_role_policy_attachment.this : attachment.role]) == toset(["http-echo-deploy-prod"]) && length(aws_iam_role_policy_attachment.this) == 2
    error_message = "Each managed policy is attached to its role."
  }
  assert {
    condition     = length(aws_iam_role_policy.this) == 0
    error_message = "A role with managed policies only has no inline policy."
  }
}

run "rejects_a_role_without_policies" {
  command = plan
  variables {
    roles = {
      "http-echo-deploy-prod" = {
        github_environment = "production"
        branch             = "main"
        description        = "deploys prod"
      }
    }
  }
  expect_failures = [var.roles]
}

run "rejects_a_role_with_both_kinds_of_policy" {
  command = plan
  variables {
    roles = {
      "http-echo-deploy-prod" = {
        github_environment = "production"
        branch             = "main"
        description        = "deploys prod"
        policy_json        = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
        managed_policies = {
          network = { description = "the VPC", policy_json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
        }
      }
    }
  }
  expect_failures = [var.roles]
}

run "rejects_an_inline_policy_over_the_quota" {
  command = plan
  variables {
    roles = {
      "http-echo-deploy-prod" = {
        github_environment = "production"
        branch             = "main"
        description        = "deploys prod"
        policy_json        = jsonencode({ Version = "2012-10-17", Statement = [{ Sid = "Big", Effect = "Allow", Action = "s3:GetObject", Resource = [for n in range(400) : "arn:aws:s3:::bucket-number-${n}/*"] }] })
      }
    }
  }
  expect_failures = [aws_iam_role_policy.this]
}

run "rejects_a_managed_policy_over_the_quota" {
  command = plan
  variables {
    roles = {
      "http-echo-deploy-prod" = {
        github_environment = "production"
        branch             = "main"
        description        = "deploys prod"
        managed_policies = {
          big = { description = "too big", policy_json = jsonencode({ Version = "2012-10-17", Statement = [{ Sid = "Big", Effect = "Allow", Action = "s3:GetObject", Resource = [for n in range(250) : "arn:aws:s3:::bucket-number-${n}/*"] }] }) }
        }
      }
    }
  }
  expect_failures = [aws_iam_policy.this]
}

run "rejects_bad_repository" {
  command = plan
  variables {
    github_repository = "http-echo"
  }
  expect_failures = [var.github_repository]
}
