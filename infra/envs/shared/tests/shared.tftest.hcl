# The shared root with its committed terraform.tfvars, against a mocked AWS: one
# repository, and one deploy role per environment trusted by that environment's
# GitHub jobs only.

mock_provider "aws" {
  source = "../../tests/mocks"
}

run "shared_pipeline_resources" {
  assert {
    condition     = output.ecr_repository_url == "123456789012.dkr.ecr.us-east-1.amazonaws.com/http-echo"
    error_message = "One ECR repository named after the project."
  }
  assert {
    condition     = toset(keys(output.deploy_role_arns)) == toset(["dev", "prod"]) && alltrue([for arn in values(output.deploy_role_arns) : startswith(arn, "arn:aws:iam::")])
    error_message = "A deploy role for dev and one for prod."
  }
  assert {
    condition     = output.deploy_role_subjects == { dev = "repo:example-org/http-echo:environment:dev", prod = "repo:example-org/http-echo:environment:production" }
    error_message = "dev's role trusts the dev environment, prod's the production environment."
  }
  assert {
    condition     = startswith(output.github_oidc_provider_arn, "arn:aws:iam::")
    error_message = "The GitHub OIDC provider is created."
  }
}
