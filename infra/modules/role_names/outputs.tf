output "resource_prefix" {
  description = "Prefix of every resource of the environment (\"<project>-<environment>\"): what its deploy role may manage."
  value       = local.resource_prefix
}

output "deploy_role" {
  description = "Role that applies the environment's root."
  value       = "${var.project}-deploy-${var.environment}"
}

output "plan_role" {
  description = "Read-only role that plans the environment's root."
  value       = "${var.project}-plan-${var.environment}"
}

output "promotion_reader_role" {
  description = "Role that may only read the environment's ECS service, for the next environment's promotion check."
  value       = "${var.project}-promotion-reader-${var.environment}"
}

output "permissions_boundary" {
  description = "Managed policy every role of the environment must carry as its permissions boundary."
  value       = "${var.project}-boundary-${var.environment}"
}
