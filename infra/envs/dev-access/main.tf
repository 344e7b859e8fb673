# Who may deploy one environment, in that environment's account: its permissions
# boundary, its deploy role, its read-only plan role and, for dev, the role
# prod's plan job reads dev's ECS service with. The dev-access and prod-access
# roots hold the same .tf files and differ only in terraform.tfvars (and
# backend.hcl). Applied by an administrator, after the shared root and before
# the environment's first deploy; the deploy role can change none of it.

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Project   = var.project
      Stack     = "${var.environment}-access"
      ManagedBy = "terraform"
    }
  }
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  # The repository is in the tooling account, which may be this one.
  ecr_repository_arn = "arn:${data.aws_partition.current.partition}:ecr:${var.region}:${coalesce(var.tooling_account_id, local.account_id)}:repository/${var.project}"
}

module "deploy_access" {
  source = "../../modules/deploy_access"

  project                     = var.project
  environment                 = var.environment
  github_repository           = var.github_repository
  deploy                      = var.deploy
  plan                        = var.plan
  promotion_reader            = var.promotion_reader
  state_bucket_name           = coalesce(var.state_bucket_name, "${var.project}-tfstate-${local.account_id}")
  ecr_repository_arn          = local.ecr_repository_arn
  route53_zone_ids            = var.route53_zone_ids
  create_github_oidc_provider = var.create_github_oidc_provider
}
