variable "region" {
  description = "Region of the state bucket (and of the whole deployment)."
  type        = string
  default     = "us-east-1"
}

variable "project" {
  description = "Project name; the bucket is \"<project>-tfstate-<account id>\" unless state_bucket_name is set."
  type        = string
  default     = "http-echo"
}

variable "state_bucket_name" {
  description = "Name of the state bucket, when the default naming does not suit."
  type        = string
  default     = null
}
