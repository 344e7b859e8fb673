output "ecr_repository_url" {
  description = "Repository to push images to; deploy with container_image = \"<this>:<tag>\" or \"<this>@sha256:<digest>\"."
  value       = module.pipeline.ecr_repository_url
}

output "ecr_repository_arn" {
  description = "ARN of the ECR repository (the access roots' ecr_repository_arn)."
  value       = module.pipeline.ecr_repository_arn
}

output "image_push_role_arn" {
  description = "Role of the build job (the GitHub environment build's AWS_ROLE_ARN)."
  value       = module.pipeline.image_push_role_arn
}

output "github_oidc_provider_arn" {
  description = "ARN of this account's GitHub Actions OIDC provider."
  value       = module.pipeline.github_oidc_provider_arn
}

output "github_variables" {
  description = "GitHub variables this root provides, by GitHub environment (\"repository\" for the repository-wide ones), for pipeline/setup-github.sh."
  value = {
    repository = {
      AWS_REGION         = var.region
      ECR_REPOSITORY_URL = module.pipeline.ecr_repository_url
    }
    build = {
      AWS_ROLE_ARN = module.pipeline.image_push_role_arn
    }
  }
}
