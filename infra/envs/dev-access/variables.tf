variable "region" {
  description = "AWS region of the deployment."
  type        = string
  default     = "us-east-1"
}

variable "project" {
  description = "Project name: the prefix of every resource and role."
  type        = string
  default     = "http-echo"
}

variable "environment" {
  description = "Environment these roles deploy (\"dev\" or \"prod\")."
  type        = string

  validation {
    condition     = contains(["dev", "prod"], var.environment)
    error_message = "environment must be \"dev\" or \"prod\"."
  }
}

variable "github_repository" {
  description = "GitHub repository (\"owner/name\") whose deploy workflow may assume the roles."
  type        = string
}

variable "deploy" {
  description = "GitHub environment and branch of the deploy job."
  type = object({
    github_environment = string
    branch             = string
  })
}

variable "plan" {
  description = "GitHub environment and branch of the plan job (read-only role)."
  type = object({
    github_environment = string
    branch             = string
  })
}

variable "promotion_reader" {
  description = "GitHub environment and branch of the next environment's plan job, which reads what this environment's ECS service runs; null for prod."
  type = object({
    github_environment = string
    branch             = string
  })
  default = null
}

variable "tooling_account_id" {
  description = "Account of the ECR repository (the shared root's); null when it is this account."
  type        = string
  default     = null

  validation {
    condition     = var.tooling_account_id == null || can(regex("^[0-9]{12}$", var.tooling_account_id))
    error_message = "tooling_account_id must be a 12-digit account ID, or null."
  }
}

variable "state_bucket_name" {
  description = "This account's state bucket (bootstrap root); defaults to its naming, \"<project>-tfstate-<account id>\"."
  type        = string
  default     = null
}

variable "route53_zone_ids" {
  description = "Hosted zones of the environment's domain_name, if it has one."
  type        = list(string)
  default     = []
}

variable "create_github_oidc_provider" {
  description = "Create this account's GitHub OIDC provider; false when another root applied in this account created it (one-account layout: the shared root)."
  type        = bool
  default     = true
}
