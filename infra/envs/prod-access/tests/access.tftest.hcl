# The prod-access root with its committed terraform.tfvars, against a mocked AWS:
# prod's deploy role is trusted only after approval (environment production),
# its plan role before it (production-plan), both deploy.yml on main.

mock_provider "aws" {
  source = "../../tests/mocks"
}

run "prod_roles" {
  assert {
    condition     = output.role_subjects == { "http-echo-deploy-prod" = "repo:example-org/http-echo:environment:production:job_workflow_ref:example-org/http-echo/.github/workflows/deploy.yml@refs/heads/main", "http-echo-plan-prod" = "repo:example-org/http-echo:environment:production-plan:job_workflow_ref:example-org/http-echo/.github/workflows/deploy.yml@refs/heads/main" }
    error_message = "prod's deploy role trusts the production environment and its plan role production-plan, both deploy.yml on main; prod has no promotion reader."
  }
  assert {
    condition     = keys(output.github_variables) == ["production", "production-plan"]
    error_message = "prod's roles serve the GitHub environments production and production-plan."
  }
}
