# Bootstrap: the one S3 bucket that holds the Terraform state of the shared, dev
# and prod roots (locking included, through S3 lock files). Applied once per
# account by a person with administrator credentials.

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Project   = var.project
      Stack     = "bootstrap"
      ManagedBy = "terraform"
    }
  }
}

data "aws_caller_identity" "current" {}

module "state_bucket" {
  source = "../modules/state_bucket"

  # Bucket names are global: the account ID makes ours unique.
  bucket_name = coalesce(var.state_bucket_name, "${var.project}-tfstate-${data.aws_caller_identity.current.account_id}")
}
