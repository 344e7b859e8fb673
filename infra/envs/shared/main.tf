# The tooling account's share of the pipeline: the ECR repository every
# environment runs images from (built once, promoted from dev to prod by
# digest), its lifecycle, who may pull and read digests, and the build job's push
# role, its one writer.
# Each environment's deploy roles live in its own account (envs/<env>-access).
# Applied by a person with administrator credentials, before the access roots.

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

module "pipeline" {
  source = "../../modules/pipeline"

  name                        = var.project
  github_repository           = var.github_repository
  ecr_repository_name         = var.project
  create_github_oidc_provider = var.create_github_oidc_provider
  environments                = { for env, account_id in var.environment_account_ids : env => { account_id = account_id } }
  force_delete_repository     = var.force_delete_repository
}
