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
  description = "Roles by name: the GitHub environment and branch whose jobs of the workflow may assume it, its description, either its inline policy (JSON) or its customer managed policies (by purpose: a description and the JSON; each is made as \"<role>-<purpose>\" and attached to the role), and an optional permissions boundary."
  type = map(object({
    github_environment = string
    branch             = string
    description        = string
    policy_json        = optional(string)
    managed_policies = optional(map(object({
      description = string
      policy_json = string
    })), {})
    permissions_boundary_arn = optional(string)
  }))

  validation {
    condition     = alltrue([for name, role in var.roles : length(role.github_environment) > 0 && can(regex("^[A-Za-z0-9._/-]+$", role.branch))])
    error_message = "Each role needs a GitHub environment and a branch name."
  }

  validation {
    condition     = alltrue([for name, role in var.roles : (role.policy_json != null) != (length(role.managed_policies) > 0)])
    error_message = "Each role needs either an inline policy or managed policies, not both."
  }

  # IAM's default quota of managed policies attached to a role.
  validation {
    condition     = alltrue([for name, role in var.roles : length(role.managed_policies) <= 10])
    error_message = "A role may have at most 10 managed policies attached (IAM's default quota)."
  }

  validation {
    condition     = alltrue(flatten([for name, role in var.roles : [for purpose in keys(role.managed_policies) : can(regex("^[a-z0-9-]{1,32}$", purpose))]]))
    error_message = "A managed policy's purpose is 1-32 lowercase letters, digits and hyphens."
  }
}

variable "tags" {
  description = "Tags added to every resource of the module."
  type        = map(string)
  default     = {}
}
