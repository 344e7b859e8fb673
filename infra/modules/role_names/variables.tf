variable "project" {
  description = "Project name, e.g. \"http-echo\"."
  type        = string
}

variable "environment" {
  description = "Environment name, e.g. \"dev\"."
  type        = string
}
