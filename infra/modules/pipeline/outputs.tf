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
  description = "ARN of this account's GitHub Actions OIDC provider."
  value       = module.github.provider_arn
}

output "image_push_role_arn" {
  description = "Role the build job pushes images with."
  value       = one(values(module.github.role_arns))
}

output "image_push_role_subject" {
  description = "The OIDC subject the image-push role trusts."
  value       = one(values(module.github.subjects))
}

output "repository_policy_principals" {
  description = "The accounts the repository policy lets in, by statement."
  value       = { for statement in data.aws_iam_policy_document.repository.statement : statement.sid => flatten([for principal in statement.principals : principal.identifiers]) }
}

output "ecr_repository_force_delete" {
  description = "Whether a destroy deletes the repository with the images in it (force_delete_repository)."
  value       = aws_ecr_repository.this.force_delete
}
