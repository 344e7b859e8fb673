output "deploy_role_arn" {
  description = "Role that applies the environment."
  value       = module.deploy_access.deploy_role_arn
}

output "plan_role_arn" {
  description = "Read-only role that plans the environment."
  value       = module.deploy_access.plan_role_arn
}

output "promotion_reader_role_arn" {
  description = "Role prod's plan job reads this environment's ECS service with, or null."
  value       = module.deploy_access.promotion_reader_role_arn
}

output "permissions_boundary_arn" {
  description = "Boundary of every role the environment's root makes (execution, task, flow logs) and of any role the deploy role makes; the deploy, plan and promotion-reader roles do not carry it."
  value       = module.deploy_access.permissions_boundary_arn
}

output "role_subjects" {
  description = "The OIDC subject each role trusts."
  value       = module.deploy_access.role_subjects
}

output "github_variables" {
  description = "GitHub variables this root provides, by GitHub environment, for pipeline/setup-github.sh."
  value       = module.deploy_access.github_variables
}
