variable "name" {
  description = "Project name, prefix of the role names, e.g. \"http-echo\"."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,14}[a-z0-9]$", var.name))
    error_message = "name must be 3-16 characters of lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "github_repository" {
  description = "GitHub repository whose build job may push images, as \"owner/name\"."
  type        = string
}

variable "build" {
  description = "GitHub environment and branch of the job that builds and pushes images."
  type = object({
    github_environment = optional(string, "build")
    branch             = optional(string, "dev")
  })
  default = {}
}

variable "environments" {
  description = "Environments that run images from the repository, by name, with the AWS account each lives in (null: this account). Their execution roles may pull; their deploy and plan roles may read digests (and write nothing)."
  type = map(object({
    account_id = optional(string)
  }))

  validation {
    condition     = length(var.environments) > 0 && alltrue([for env, settings in var.environments : can(regex("^[a-z][a-z0-9]{1,7}$", env)) && (settings.account_id == null || can(regex("^[0-9]{12}$", settings.account_id)))])
    error_message = "environments needs at least one name of 2-8 lowercase letters and digits; an account_id is 12 digits."
  }
}

variable "create_github_oidc_provider" {
  description = "Create the account's GitHub Actions OIDC provider. An account holds one per URL: set false when another root of this account created it."
  type        = bool
  default     = true
}

variable "ecr_repository_name" {
  description = "Name of the ECR repository every environment runs images from."
  type        = string
  default     = "http-echo"

  validation {
    condition     = can(regex("^[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*$", var.ecr_repository_name))
    error_message = "ecr_repository_name must be a valid ECR name: lowercase letters, digits and . _ - / separators."
  }
}

variable "image_retention" {
  description = "ECR lifecycle: untagged images expire after untagged_days; an image with a tag is never expired (the images prod runs and rolls back to all carry one)."
  type = object({
    untagged_days = optional(number, 7)
  })
  default = {}

  validation {
    condition     = var.image_retention.untagged_days >= 1
    error_message = "image_retention.untagged_days must be at least 1."
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
