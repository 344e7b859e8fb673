output "deploy_role_arn" {
  description = "Role that applies the environment's root (the GitHub environment's AWS_ROLE_ARN)."
  value       = module.github.role_arns[module.names.deploy_role]
}

output "plan_role_arn" {
  description = "Read-only role that plans the environment's root."
  value       = module.github.role_arns[module.names.plan_role]
}

output "promotion_reader_role_arn" {
  description = "Role the next environment's plan job assumes to read this environment's ECS service, or null."
  value       = try(module.github.role_arns[module.names.promotion_reader_role], null)
}

output "permissions_boundary_arn" {
  description = "Boundary of every role the environment's root makes (execution, task, flow logs) and of any role the deploy role makes; the deploy, plan and promotion-reader roles do not carry it."
  value       = aws_iam_policy.boundary.arn
}

output "role_subjects" {
  description = "The OIDC subject each role trusts, by role name."
  value       = module.github.subjects
}

output "github_variables" {
  description = "Variables of the GitHub environments these roles serve, by environment: what pipeline/setup-github.sh sets."
  value = merge(
    {
      (var.deploy.github_environment) = {
        AWS_ROLE_ARN    = module.github.role_arns[module.names.deploy_role]
        TF_STATE_BUCKET = var.state_bucket_name
      }
    },
    var.plan.github_environment == var.deploy.github_environment ? {} : {
      (var.plan.github_environment) = {
        AWS_ROLE_ARN    = module.github.role_arns[module.names.plan_role]
        TF_STATE_BUCKET = var.state_bucket_name
      }
    },
    var.promotion_reader == null ? {} : {
      (var.promotion_reader.github_environment) = {
        PROMOTION_SOURCE_ROLE_ARN = module.github.role_arns[module.names.promotion_reader_role]
        PROMOTION_SOURCE_CLUSTER  = local.prefix
        PROMOTION_SOURCE_SERVICE  = local.prefix
      }
    },
  )
}
