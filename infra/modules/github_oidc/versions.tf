terraform {
  # 1.11: cross-variable validation, `override_during` in tests, S3 native locking.
  required_version = ">= 1.11.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100.0, < 6.0.0"
    }
  }
}
