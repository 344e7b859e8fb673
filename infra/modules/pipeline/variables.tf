variable "name" {
  description = "Project name, prefix of the repository and role names, e.g. \"http-echo\"."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,22}[a-z0-9]$", var.name))
    error_message = "name must be 3-24 characters of lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "github_repository" {
  description = "GitHub repository whose workflows may deploy, as \"owner/name\"."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$", var.github_repository))
    error_message = "github_repository must look like \"owner/name\"."
  }
}

variable "deploy_roles" {
  description = <<-EOT
    One deploy role per environment, keyed by environment name ("dev", "prod").
    github_environment: the GitHub Actions environment whose jobs may assume the
    role (the OIDC token's subject is "repo:<owner/name>:environment:<it>"; give
    that environment a deployment branch rule in GitHub: dev -> "dev", production
    -> "main"). can_push_images: the role may push to the ECR repository (the job
    that builds the image); others can only read image metadata.
    resource_prefix: names of the environment's resources, which the role may
    manage (its IAM roles must start with it).
  EOT
  type = map(object({
    github_environment = string
    can_push_images    = optional(bool, false)
    resource_prefix    = string
  }))

  validation {
    condition     = length(var.deploy_roles) > 0 && alltrue([for env, role in var.deploy_roles : can(regex("^[a-z][a-z0-9-]*$", env)) && length(role.github_environment) > 0 && can(regex("^[a-z][a-z0-9-]+$", role.resource_prefix))])
    error_message = "deploy_roles needs at least one environment; keys and resource_prefix are lowercase names, github_environment is not empty."
  }
}

variable "state_bucket_name" {
  description = "S3 bucket holding Terraform state (from the bootstrap root). Each deploy role may read and write only its environment's key prefix \"<environment>/\"."
  type        = string
}

variable "create_github_oidc_provider" {
  description = "Create the account's GitHub Actions OIDC provider. An account holds one per URL: set false and pass github_oidc_provider_arn when it exists already."
  type        = bool
  default     = true
}

variable "github_oidc_provider_arn" {
  description = "ARN of an existing GitHub OIDC provider, used when create_github_oidc_provider is false."
  type        = string
  default     = null

  validation {
    condition     = var.create_github_oidc_provider || var.github_oidc_provider_arn != null
    error_message = "github_oidc_provider_arn is required when create_github_oidc_provider is false."
  }
}

variable "ecr_repository_name" {
  description = "Name of the ECR repository both environments run images from."
  type        = string
  default     = "http-echo"

  validation {
    condition     = can(regex("^[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*$", var.ecr_repository_name))
    error_message = "ecr_repository_name must be a valid ECR name: lowercase letters, digits and . _ - / separators."
  }
}

variable "image_retention" {
  description = "ECR lifecycle: untagged images (left by failed or superseded pushes) expire after untagged_days; beyond the newest keep_images images the oldest expire. Keep keep_images well above the number of deploys between dev and prod, or prod could lose the digest it runs."
  type = object({
    untagged_days = optional(number, 7)
    keep_images   = optional(number, 100)
  })
  default = {}

  validation {
    condition     = var.image_retention.untagged_days >= 1 && var.image_retention.keep_images >= 10
    error_message = "image_retention.untagged_days must be at least 1 and keep_images at least 10."
  }
}

variable "force_delete_repository" {
  description = "Let `terraform destroy` delete the repository even if it holds images."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags added to every resource of the module."
  type        = map(string)
  default     = {}
}
