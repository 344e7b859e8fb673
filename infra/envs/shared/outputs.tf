output "ecr_repository_url" {
  description = "Repository to push images to; deploy with container_image = \"<this>:<tag>\" or \"<this>@sha256:<digest>\"."
  value       = module.pipeline.ecr_repository_url
}

output "ecr_repository_arn" {
  description = "ARN of the ECR repository."
  value       = module.pipeline.ecr_repository_arn
}

output "deploy_role_arns" {
  description = "Deploy role ARN by environment (dev, prod)."
  value       = module.pipeline.deploy_role_arns
}

output "deploy_role_subjects" {
  description = "OIDC subject each deploy role trusts, by environment."
  value       = module.pipeline.deploy_role_subjects
}

output "github_oidc_provider_arn" {
  description = "ARN of the GitHub Actions OIDC provider."
  value       = module.pipeline.github_oidc_provider_arn
}
