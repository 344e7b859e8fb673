# Shared by every environment of the account: the ECR repository images are
# built into once and promoted from dev to prod by digest, the GitHub Actions
# OIDC provider, and one deploy role per environment. Applied by a person with
# administrator credentials, before the first deploy of any environment.

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Project   = var.project
      Stack     = "shared"
      ManagedBy = "terraform"
    }
  }
}

data "aws_caller_identity" "current" {}

module "pipeline" {
  source = "../../modules/pipeline"

  name                        = var.project
  github_repository           = var.github_repository
  ecr_repository_name         = var.project
  create_github_oidc_provider = var.create_github_oidc_provider
  github_oidc_provider_arn    = var.github_oidc_provider_arn
  state_bucket_name           = coalesce(var.state_bucket_name, "${var.project}-tfstate-${data.aws_caller_identity.current.account_id}")

  deploy_roles = {
    for env, settings in var.environments : env => {
      github_environment = settings.github_environment
      can_push_images    = settings.can_push_images
      # The env roots name everything "<project>-<environment>-...".
      resource_prefix = "${var.project}-${env}"
    }
  }
}
