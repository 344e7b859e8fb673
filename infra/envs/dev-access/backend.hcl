key          = "dev-access/terraform.tfstate"
region       = "us-east-1"
encrypt      = true
use_lockfile = true
