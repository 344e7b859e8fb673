variable "region" {
  description = "AWS region of the deployment."
  type        = string
  default     = "us-east-1"
}

variable "project" {
  description = "Project name: the ECR repository's name and the prefix of every role."
  type        = string
  default     = "http-echo"
}

variable "github_repository" {
  description = "GitHub repository (\"owner/name\") whose workflows may deploy."
  type        = string
}

variable "environments" {
  description = "Environments that get a deploy role: the GitHub environment their jobs run in, and whether that job pushes images (only the environment that builds them)."
  type = map(object({
    github_environment = string
    can_push_images    = optional(bool, false)
  }))
}

variable "state_bucket_name" {
  description = "State bucket from the bootstrap root; defaults to its naming, \"<project>-tfstate-<account id>\"."
  type        = string
  default     = null
}

variable "create_github_oidc_provider" {
  description = "Create the GitHub OIDC provider; false when the account already has one (then set github_oidc_provider_arn)."
  type        = bool
  default     = true
}

variable "github_oidc_provider_arn" {
  description = "Existing GitHub OIDC provider, when create_github_oidc_provider is false."
  type        = string
  default     = null
}
