variable "github_repository" {
  description = "GitHub repository whose workflows may assume the roles, as \"owner/name\"."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$", var.github_repository))
    error_message = "github_repository must look like \"owner/name\"."
  }
}

variable "workflow" {
  description = "The one workflow file whose jobs may assume the roles."
  type        = string
  default     = ".github/workflows/deploy.yml"
}

variable "create_provider" {
  description = "Create the account's GitHub Actions OIDC provider; false when another root of this account already did."
  type        = bool
  default     = true
}

variable "roles" {
  description = "Roles by name: the GitHub environment and branch whose jobs of the workflow may assume it, its description, its inline policy (JSON) and an optional permissions boundary."
  type = map(object({
    github_environment       = string
    branch                   = string
    description              = string
    policy_json              = string
    permissions_boundary_arn = optional(string)
  }))

  validation {
    condition     = alltrue([for name, role in var.roles : length(role.github_environment) > 0 && can(regex("^[A-Za-z0-9._/-]+$", role.branch))])
    error_message = "Each role needs a GitHub environment and a branch name."
  }
}

variable "tags" {
  description = "Tags added to every resource of the module."
  type        = map(string)
  default     = {}
}
