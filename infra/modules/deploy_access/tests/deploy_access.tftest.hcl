# An environment's deployment roles against a mocked AWS: which job context each
# trusts, the guardrails on IAM, and the boundary. Whether another environment's
# resources are truly out of reach is evaluated on the rendered policies, with a
# real policy evaluator, in infra/tests/test_policy_evaluation.py.

mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  project            = "http-echo"
  environment        = "prod"
  github_repository  = "example-org/http-echo"
  deploy             = { github_environment = "production", branch = "main" }
  plan               = { github_environment = "production-plan", branch = "main" }
  state_bucket_name  = "http-echo-tfstate-123456789012"
  ecr_repository_arn = "arn:aws:ecr:us-east-1:111111111111:repository/http-echo"
}

run "roles_and_their_job_contexts" {
  assert {
    condition     = output.role_subjects == { "http-echo-deploy-prod" = "repo:example-org/http-echo:environment:production:job_workflow_ref:example-org/http-echo/.github/workflows/deploy.yml@refs/heads/main", "http-echo-plan-prod" = "repo:example-org/http-echo:environment:production-plan:job_workflow_ref:example-org/http-echo/.github/workflows/deploy.yml@refs/heads/main" }
    error_message = "The deploy role trusts the production environment, the plan role the production-plan one, both deploy.yml on main."
  }
  assert {
    condition     = output.promotion_reader_role_arn == null
    error_message = "The last environment has no promotion reader."
  }
  assert {
    condition     = output.github_variables["production-plan"]["TF_STATE_BUCKET"] == "http-echo-tfstate-123456789012" && can(output.github_variables["production"]["AWS_ROLE_ARN"])
    error_message = "The GitHub variables name each environment's role and state bucket."
  }
}

run "the_deploy_role_holds_managed_policies_by_purpose" {
  command = plan
  assert {
    condition     = keys(module.github.managed_policy_arns) == ["http-echo-deploy-prod-iam", "http-echo-deploy-prod-load-balancing", "http-echo-deploy-prod-network", "http-echo-deploy-prod-observability", "http-echo-deploy-prod-service", "http-echo-deploy-prod-state-and-reads"]
    error_message = "The deploy role's statements are six managed policies named <role>-<purpose>; the plan role keeps its inline policy."
  }
  assert {
    condition     = toset([for document in [data.aws_iam_policy_document.deploy_state_and_reads, data.aws_iam_policy_document.deploy_service, data.aws_iam_policy_document.deploy_load_balancing, data.aws_iam_policy_document.deploy_network, data.aws_iam_policy_document.deploy_observability, data.aws_iam_policy_document.deploy_iam] : length(document.statement) > 0]) == toset([true])
    error_message = "Every purpose has statements."
  }
}

run "iam_is_held_to_the_boundary" {
  command = plan
  assert {
    condition = one([for statement in data.aws_iam_policy_document.deploy_iam.statement : { for condition in statement.condition : condition.variable => join(",", condition.values) } if statement.sid == "IamCreateRolesUnderTheBoundary"]) == {
      "iam:PermissionsBoundary" = "arn:aws:iam::123456789012:policy/http-echo-boundary-prod"
    }
    error_message = "Roles may be created or given inline policies only under the environment's boundary."
  }
  assert {
    condition = length([for statement in data.aws_iam_policy_document.deploy_iam.statement : statement if statement.sid == "IamAttachOnlyAllowListedPolicies"]) == 0 && !contains(flatten([
      for document in [data.aws_iam_policy_document.deploy_state_and_reads, data.aws_iam_policy_document.deploy_service, data.aws_iam_policy_document.deploy_load_balancing, data.aws_iam_policy_document.deploy_network, data.aws_iam_policy_document.deploy_observability, data.aws_iam_policy_document.deploy_iam] :
      [for statement in document.statement : statement.actions if statement.effect != "Deny"]
    ]), "iam:UpdateAssumeRolePolicy")
    error_message = "Without an allow-list nothing can be attached, and no trust policy can be changed."
  }
  assert {
    condition     = toset(one([for statement in data.aws_iam_policy_document.deploy_iam.statement : statement.resources if statement.sid == "NeverTouchTheGuardrails"])) == toset(["arn:aws:iam::123456789012:role/http-echo-deploy-prod", "arn:aws:iam::123456789012:role/http-echo-plan-prod", "arn:aws:iam::123456789012:role/http-echo-promotion-reader-prod", "arn:aws:iam::123456789012:policy/http-echo-deploy-prod-*", "arn:aws:iam::123456789012:policy/http-echo-plan-prod-*", "arn:aws:iam::123456789012:policy/http-echo-promotion-reader-prod-*", "arn:aws:iam::123456789012:policy/http-echo-boundary-prod"])
    error_message = "The deploy role can never change its own role, its siblings, the policies they hold or the boundary."
  }
  assert {
    condition = one([for statement in data.aws_iam_policy_document.deploy_iam.statement : { for condition in statement.condition : "${condition.test} ${condition.variable}" => toset(condition.values) } if statement.sid == "NeverAttachTheGuardrails"]) == {
      "ArnLike iam:PolicyARN" = toset(["arn:aws:iam::123456789012:policy/http-echo-deploy-prod-*", "arn:aws:iam::123456789012:policy/http-echo-plan-prod-*", "arn:aws:iam::123456789012:policy/http-echo-promotion-reader-prod-*", "arn:aws:iam::123456789012:policy/http-echo-boundary-prod"])
    }
    error_message = "No role may be given the boundary or a deployment role's policy, whatever the allow-list says."
  }
  assert {
    condition     = toset(flatten([for statement in data.aws_iam_policy_document.boundary.statement : statement.actions])) == toset(["ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"])
    error_message = "The boundary allows pulling the image and writing the environment's logs, nothing else."
  }
}

run "allow_listed_attachments" {
  command = plan
  variables {
    attachable_policy_arns = ["arn:aws:iam::aws:policy/CloudWatchLambdaInsightsExecutionRolePolicy"]
  }
  assert {
    condition = one([for statement in data.aws_iam_policy_document.deploy_iam.statement : { for condition in statement.condition : condition.variable => join(",", condition.values) } if statement.sid == "IamAttachOnlyAllowListedPolicies"]) == {
      "iam:PolicyARN"           = "arn:aws:iam::aws:policy/CloudWatchLambdaInsightsExecutionRolePolicy"
      "iam:PermissionsBoundary" = "arn:aws:iam::123456789012:policy/http-echo-boundary-prod"
    }
    error_message = "Only allow-listed policies may be attached, and only to roles under the boundary."
  }
}

run "promotion_reader_for_an_environment_promoted_onward" {
  variables {
    environment      = "dev"
    deploy           = { github_environment = "dev", branch = "dev" }
    plan             = { github_environment = "dev", branch = "dev" }
    promotion_reader = { github_environment = "production-plan", branch = "main" }
  }
  assert {
    condition     = output.role_subjects["http-echo-promotion-reader-dev"] == "repo:example-org/http-echo:environment:production-plan:job_workflow_ref:example-org/http-echo/.github/workflows/deploy.yml@refs/heads/main"
    error_message = "Only prod's plan job may read what dev runs."
  }
  assert {
    condition     = toset(flatten([for statement in data.aws_iam_policy_document.promotion_reader.statement : statement.actions])) == toset(["ecs:DescribeServices", "ecs:DescribeTaskDefinition"])
    error_message = "The promotion reader may describe dev's service and task definitions, nothing else."
  }
  assert {
    condition     = output.github_variables["production-plan"] == { PROMOTION_SOURCE_ROLE_ARN = output.promotion_reader_role_arn, PROMOTION_SOURCE_CLUSTER = "http-echo-dev", PROMOTION_SOURCE_SERVICE = "http-echo-dev" }
    error_message = "prod's plan job learns where to read dev's service."
  }
}

run "rejects_bad_environment" {
  command = plan
  variables {
    environment = "Production"
  }
  expect_failures = [var.environment]
}
