# dev: cheapest shape that still spans two zones. Differs from prod only here.
environment        = "dev"
region             = "us-east-1"
availability_zones = ["us-east-1a", "us-east-1b"]
vpc_cidr           = "10.10.0.0/16"

# One NAT gateway for both zones: an outage of us-east-1a cuts dev's egress,
# which dev can live with.
nat_gateway_mode        = "single"
flow_log_retention_days = 14

cpu          = 256
memory       = 512
fargate_spot = true

desired_count = 2
autoscaling = {
  min_capacity = 2
  max_capacity = 4
}

deletion_protection       = false
log_retention_days        = 14
access_log_retention_days = 14

# Who hears of alarms and failed deployments: put the team's address here (each
# recipient confirms the subscription e-mail). Placeholder domains such as
# example.com are refused; with no address, deploy.py warns on every deploy.
alarm_emails = []
