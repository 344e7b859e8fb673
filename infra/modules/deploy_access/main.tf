# Who may deploy one environment, in that environment's account: a permissions
# boundary for every role the environment creates, the deploy role that applies
# the environment's root, a read-only plan role that plans it, and, for an
# environment whose releases are promoted onward, a promotion-reader role that may
# only look at its ECS service. All three are GitHub OIDC roles trusted by one job
# context each (modules/github_oidc). Applied by an administrator; the deploy role
# can change none of it (policies.tf).

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

module "names" {
  source = "../role_names"

  project     = var.project
  environment = var.environment
}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name

  prefix        = module.names.resource_prefix
  iam_arn       = "arn:${local.partition}:iam::${local.account_id}"
  boundary_arn  = "${local.iam_arn}:policy/${module.names.permissions_boundary}"
  own_roles     = [module.names.deploy_role, module.names.plan_role, module.names.promotion_reader_role]
  own_role_arns = [for role in local.own_roles : "${local.iam_arn}:role/${role}"]
  # The managed policies a deployment role holds are named "<role>-<purpose>"
  # (modules/github_oidc).
  own_policy_arns  = [for role in local.own_roles : "${local.iam_arn}:policy/${role}-*"]
  state_bucket_arn = "arn:${local.partition}:s3:::${var.state_bucket_name}"

  roles = merge(
    {
      (module.names.deploy_role) = {
        github_environment = var.deploy.github_environment
        branch             = var.deploy.branch
        description        = "GitHub Actions applies ${local.prefix} with this role"
        # Too much for IAM's inline quota of a role: one managed policy per purpose
        # (policies.tf).
        managed_policies = {
          state-and-reads = {
            description = "${local.prefix} deploy role: its Terraform state, image digests and the metadata a refresh reads"
            policy_json = data.aws_iam_policy_document.deploy_state_and_reads.json
          }
          service = {
            description = "${local.prefix} deploy role: the ECS cluster, service and task definitions, and their auto scaling"
            policy_json = data.aws_iam_policy_document.deploy_service.json
          }
          load-balancing = {
            description = "${local.prefix} deploy role: the load balancer, its certificate and DNS records"
            policy_json = data.aws_iam_policy_document.deploy_load_balancing.json
          }
          network = {
            description = "${local.prefix} deploy role: the VPC and everything in it"
            policy_json = data.aws_iam_policy_document.deploy_network.json
          }
          observability = {
            description = "${local.prefix} deploy role: logs, alarms, dashboard, alerts, access-log bucket and the key"
            policy_json = data.aws_iam_policy_document.deploy_observability.json
          }
          iam = {
            description = "${local.prefix} deploy role: roles under the boundary, and the guardrails"
            policy_json = data.aws_iam_policy_document.deploy_iam.json
          }
        }
      }
      (module.names.plan_role) = {
        github_environment = var.plan.github_environment
        branch             = var.plan.branch
        description        = "GitHub Actions plans ${local.prefix} with this read-only role"
        policy_json        = data.aws_iam_policy_document.plan.json
      }
    },
    var.promotion_reader == null ? {} : {
      (module.names.promotion_reader_role) = {
        github_environment = var.promotion_reader.github_environment
        branch             = var.promotion_reader.branch
        description        = "The next environment's plan reads what ${local.prefix}'s ECS service runs with this role"
        policy_json        = data.aws_iam_policy_document.promotion_reader.json
      }
    },
  )
}

resource "aws_iam_policy" "boundary" {
  name        = module.names.permissions_boundary
  description = "Permissions boundary of every role of ${local.prefix}: write its own logs, pull its image"
  policy      = data.aws_iam_policy_document.boundary.json

  tags = merge(var.tags, { Environment = var.environment })
}

module "github" {
  source = "../github_oidc"

  github_repository = var.github_repository
  create_provider   = var.create_github_oidc_provider
  roles             = local.roles

  tags = merge(var.tags, { Environment = var.environment })
}
