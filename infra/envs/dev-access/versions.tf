terraform {
  required_version = ">= 1.11.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100.0, < 6.0.0"
    }
  }

  # Partial configuration: backend.hcl holds key, region and locking; the bucket
  # (it carries the account ID) comes at init:
  #   terraform init -backend-config=backend.hcl -backend-config="bucket=<state bucket>"
  backend "s3" {}
}
