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
  description = "GitHub repository (\"owner/name\") whose workflows build and deploy."
  type        = string
}

variable "environment_account_ids" {
  description = "The AWS account of each environment; null for an environment in this (the tooling) account. Their roles may pull from the repository and read its digests."
  type        = map(string)
}

variable "create_github_oidc_provider" {
  description = "Create this account's GitHub OIDC provider; false when the account already has one."
  type        = bool
  default     = true
}

variable "force_delete_repository" {
  description = "Let destroy delete the ECR repository with the images in it. Off, so that no apply can lose the images prod runs; infra/teardown.sh shared turns it on just before it destroys the root."
  type        = bool
  default     = false
}
