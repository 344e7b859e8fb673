output "ecr_repository_url" {
  description = "URL of the shared ECR repository (\"<account>.dkr.ecr.<region>.amazonaws.com/<name>\"); an image reference is this plus \":<tag>\" or \"@sha256:<digest>\"."
  value       = aws_ecr_repository.this.repository_url
}

output "ecr_repository_arn" {
  description = "ARN of the shared ECR repository."
  value       = aws_ecr_repository.this.arn
}

output "ecr_repository_name" {
  description = "Name of the shared ECR repository."
  value       = aws_ecr_repository.this.name
}

output "github_oidc_provider_arn" {
  description = "ARN of the GitHub Actions OIDC provider the deploy roles trust."
  value       = local.github_oidc_provider_arn
}

output "deploy_role_arns" {
  description = "Deploy role ARN by environment, for aws-actions/configure-aws-credentials' role-to-assume."
  value       = { for env, role in aws_iam_role.deploy : env => role.arn }
}

output "deploy_role_subjects" {
  description = "The OIDC subject each deploy role trusts, by environment."
  value       = { for env, role in var.deploy_roles : env => "repo:${var.github_repository}:environment:${role.github_environment}" }
}
