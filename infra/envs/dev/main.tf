# One environment of http-echo: its network and the service in it. The dev and
# prod roots hold the same .tf files and differ only in terraform.tfvars (and
# backend.hcl); the test suite checks that they stay identical.
#
# Deploy: terraform apply -var container_image=<repository>@sha256:<digest>

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Project     = var.project
      Environment = var.environment
      ManagedBy   = "terraform"
    }
  }
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

# The roles the environment's access root made: the deploy role manages the key,
# the plan role reads it, and every role here carries their boundary.
module "names" {
  source = "../../modules/role_names"

  project     = var.project
  environment = var.environment
}

locals {
  name    = module.names.resource_prefix
  iam_arn = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}"

  permissions_boundary_arn = "${local.iam_arn}:policy/${module.names.permissions_boundary}"
}

module "network" {
  source = "../../modules/network"

  name               = local.name
  cidr_block         = var.vpc_cidr
  availability_zones = var.availability_zones
  nat_gateway_mode   = var.nat_gateway_mode
  vpc_endpoints      = var.vpc_endpoints
  flow_logs = {
    retention_in_days = var.flow_log_retention_days
  }
  permissions_boundary_arn = local.permissions_boundary_arn
}

module "service" {
  source = "../../modules/service"

  name               = local.name
  vpc_id             = module.network.vpc_id
  public_subnet_ids  = module.network.public_subnet_ids
  private_subnet_ids = module.network.private_subnet_ids

  container_image  = var.container_image
  echo_text        = var.echo_text
  cpu              = var.cpu
  memory           = var.memory
  cpu_architecture = var.cpu_architecture
  fargate_spot     = var.fargate_spot

  desired_count             = var.desired_count
  autoscaling               = var.autoscaling
  wait_for_steady_state     = var.wait_for_steady_state
  deployment_alarm_rollback = var.deployment_alarm_rollback
  fault_injection           = var.fault_injection

  deletion_protection = var.deletion_protection
  domain_name         = var.domain_name
  route53_zone_id     = var.route53_zone_id

  log_retention_days = var.log_retention_days
  access_logs = {
    retention_days = var.access_log_retention_days
  }
  alarm_emails = var.alarm_emails

  permissions_boundary_arn = local.permissions_boundary_arn
  key_administrator_arns   = ["${local.iam_arn}:role/${module.names.deploy_role}"]
  key_reader_arns          = ["${local.iam_arn}:role/${module.names.plan_role}"]
}
