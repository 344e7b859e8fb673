variable "project" {
  description = "Project name, e.g. \"http-echo\"; the environment's resources are named \"<project>-<environment>-...\"."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,14}[a-z0-9]$", var.project))
    error_message = "project must be 3-16 characters of lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "environment" {
  description = "Environment name (\"dev\", \"prod\"); the value of the Environment tag the environment's resources carry."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,7}$", var.environment))
    error_message = "environment must be 2-8 lowercase letters and digits, starting with a letter."
  }
}

variable "github_repository" {
  description = "GitHub repository whose deploy workflow may assume the roles, as \"owner/name\"."
  type        = string
}

variable "deploy" {
  description = "GitHub environment and branch of the job that applies the environment (its deploy role)."
  type = object({
    github_environment = string
    branch             = string
  })
}

variable "plan" {
  description = "GitHub environment and branch of the job that plans the environment with the read-only role. For prod it runs before the approval gate, so it is another GitHub environment than the deploy's."
  type = object({
    github_environment = string
    branch             = string
  })
}

variable "promotion_reader" {
  description = "GitHub environment and branch of the next environment's plan job, which may read what this environment's ECS service runs (the promotion check); null for the last environment."
  type = object({
    github_environment = string
    branch             = string
  })
  default = null
}

variable "state_bucket_name" {
  description = "S3 bucket of this account's Terraform state; the roles may use only the key prefix \"<environment>/\"."
  type        = string
}

variable "ecr_repository_arn" {
  description = "ARN of the ECR repository the images come from (in the tooling account, or this one)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:ecr:[a-z0-9-]+:[0-9]{12}:repository/.+$", var.ecr_repository_arn))
    error_message = "ecr_repository_arn must be an ECR repository ARN."
  }
}

variable "route53_zone_ids" {
  description = "Hosted zones whose records (domain_name and its certificate validation) the deploy role may change; empty without a domain."
  type        = list(string)
  default     = []
}

variable "attachable_policy_arns" {
  description = "Managed policies the deploy role may attach to the environment's roles (always under the boundary). Empty: the environment's roles use inline policies only."
  type        = list(string)
  default     = []
}

variable "create_github_oidc_provider" {
  description = "Create the account's GitHub OIDC provider; false when another root of this account (the shared root, or the other environment's access root) created it."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags added to every resource of the module."
  type        = map(string)
  default     = {}
}
