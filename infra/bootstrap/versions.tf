terraform {
  required_version = ">= 1.11.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100.0, < 6.0.0"
    }
  }

  # Local state on purpose: this root creates the bucket every other root keeps
  # its state in. infra/bootstrap.sh keeps one workspace per account
  # (terraform.tfstate.d/<account id>/); keep it safe (infra/README.md, the
  # checklist).
}
