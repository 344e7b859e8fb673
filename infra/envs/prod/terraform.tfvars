# prod: three zones, a NAT gateway in each, more room to scale, longer logs and
# deletion protection. Differs from dev only here.
environment        = "prod"
region             = "us-east-1"
availability_zones = ["us-east-1a", "us-east-1b", "us-east-1c"]
vpc_cidr           = "10.20.0.0/16"

nat_gateway_mode        = "per_az"
flow_log_retention_days = 90

cpu          = 512
memory       = 1024
fargate_spot = false

desired_count = 2
autoscaling = {
  min_capacity = 2
  max_capacity = 10
}

deletion_protection       = true
log_retention_days        = 90
access_log_retention_days = 90

# Who hears of alarms and failed deployments: put the team's address here (each
# recipient confirms the subscription e-mail). Placeholder domains such as
# example.com are refused; with no address, deploy.py warns on every deploy.
alarm_emails = []
