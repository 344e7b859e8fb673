# The network module against a mocked AWS: zones, subnet tiers, NAT layouts,
# VPC endpoints, flow logs, and the values it refuses.

mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  name               = "http-echo-test"
  availability_zones = ["us-east-1a", "us-east-1b"]
}

run "two_zones_single_nat" {
  assert {
    condition     = toset([for subnet in aws_subnet.public : subnet.availability_zone]) == toset(["us-east-1a", "us-east-1b"]) && toset([for subnet in aws_subnet.private : subnet.availability_zone]) == toset(["us-east-1a", "us-east-1b"])
    error_message = "One public and one private subnet in each of the two zones."
  }
  assert {
    condition     = alltrue([for subnet in concat(values(aws_subnet.public), values(aws_subnet.private)) : subnet.map_public_ip_on_launch == false])
    error_message = "No subnet hands out public IPs automatically."
  }
  assert {
    condition     = length(aws_nat_gateway.this) == 1 && aws_nat_gateway.this["us-east-1a"].subnet_id == aws_subnet.public["us-east-1a"].id
    error_message = "The single NAT gateway sits in the first zone's public subnet."
  }
  assert {
    condition     = alltrue([for route in aws_route.private_nat : route.nat_gateway_id == aws_nat_gateway.this["us-east-1a"].id && route.destination_cidr_block == "0.0.0.0/0"]) && length(aws_route.private_nat) == 2
    error_message = "Both private subnets leave through the single NAT gateway."
  }
  assert {
    condition     = aws_route.public_internet.gateway_id == aws_internet_gateway.this.id && aws_route.public_internet.destination_cidr_block == "0.0.0.0/0"
    error_message = "Public subnets route to the internet gateway."
  }
  assert {
    condition     = alltrue([for association in aws_route_table_association.private : association.route_table_id != aws_route_table.public.id])
    error_message = "Private subnets never use the public route table."
  }
  assert {
    condition     = aws_flow_log.this[0].traffic_type == "REJECT" && aws_cloudwatch_log_group.flow_logs[0].retention_in_days == 30
    error_message = "Flow logs record rejected traffic, kept 30 days by default."
  }
  assert {
    condition     = length(aws_vpc_endpoint.interface) == 0 && length(aws_vpc_endpoint.s3) == 0
    error_message = "No VPC endpoints unless asked for."
  }
  assert {
    condition     = length(output.private_subnet_ids) == 2 && length(output.public_subnet_ids) == 2
    error_message = "Outputs list one subnet per zone and tier."
  }
}

run "flow_logs_role_trusts_only_this_accounts_flow_logs" {
  command = plan
  variables {
    permissions_boundary_arn = "arn:aws:iam::123456789012:policy/http-echo-boundary-test"
  }
  assert {
    condition = {
      for condition in one(data.aws_iam_policy_document.flow_logs_assume.statement).condition : condition.variable => "${condition.test} ${join(",", condition.values)}"
      } == {
      "aws:SourceAccount" = "StringEquals 123456789012"
      "aws:SourceArn"     = "ArnLike arn:aws:ec2:us-east-1:123456789012:vpc-flow-log/*"
    }
    error_message = "Only this account's flow logs may assume the delivery role (aws:SourceAccount and aws:SourceArn)."
  }
  assert {
    condition     = aws_iam_role.flow_logs[0].permissions_boundary == "arn:aws:iam::123456789012:policy/http-echo-boundary-test"
    error_message = "The flow-logs role carries the environment's permissions boundary."
  }
}

run "nat_per_zone" {
  variables {
    availability_zones = ["us-east-1a", "us-east-1b", "us-east-1c"]
    nat_gateway_mode   = "per_az"
  }
  assert {
    condition     = toset(keys(aws_nat_gateway.this)) == toset(["us-east-1a", "us-east-1b", "us-east-1c"]) && alltrue([for zone, gateway in aws_nat_gateway.this : gateway.subnet_id == aws_subnet.public[zone].id])
    error_message = "per_az puts a NAT gateway in every zone's public subnet."
  }
  assert {
    condition     = alltrue([for zone, route in aws_route.private_nat : route.route_table_id == aws_route_table.private[zone].id]) && length(aws_route.private_nat) == 3
    error_message = "Each zone's private route table has its own default route."
  }
  assert {
    condition     = alltrue([for zone, route in aws_route.private_nat : route.nat_gateway_id == aws_nat_gateway.this[zone].id])
    error_message = "Each private subnet leaves through the NAT gateway of its own zone."
  }
}

run "endpoints_instead_of_nat" {
  command = plan
  variables {
    nat_gateway_mode = "none"
    vpc_endpoints    = true
  }
  assert {
    condition     = length(aws_nat_gateway.this) == 0 && length(aws_route.private_nat) == 0
    error_message = "No NAT gateway and no default route in \"none\" mode."
  }
  assert {
    condition     = toset(keys(aws_vpc_endpoint.interface)) == toset(["ecr.api", "ecr.dkr", "logs"]) && alltrue([for endpoint in aws_vpc_endpoint.interface : endpoint.private_dns_enabled])
    error_message = "Interface endpoints for ECR API, ECR registry and Logs, with private DNS."
  }
  assert {
    condition     = aws_vpc_endpoint.s3[0].vpc_endpoint_type == "Gateway" && aws_vpc_endpoint.s3[0].service_name == "com.amazonaws.us-east-1.s3"
    error_message = "A gateway endpoint for S3 (image layers)."
  }
  assert {
    condition     = aws_vpc_security_group_ingress_rule.endpoints_https[0].from_port == 443 && aws_vpc_security_group_ingress_rule.endpoints_https[0].to_port == 443
    error_message = "Endpoints accept only HTTPS."
  }
}

run "flow_logs_off" {
  command = plan
  variables {
    flow_logs = { enabled = false }
  }
  assert {
    condition     = length(aws_flow_log.this) == 0 && length(aws_iam_role.flow_logs) == 0
    error_message = "Flow logs can be switched off."
  }
}

run "rejects_one_zone" {
  command = plan
  variables {
    availability_zones = ["us-east-1a"]
  }
  expect_failures = [var.availability_zones]
}

run "rejects_repeated_zone" {
  command = plan
  variables {
    availability_zones = ["us-east-1a", "us-east-1a"]
  }
  expect_failures = [var.availability_zones]
}

run "rejects_no_egress_at_all" {
  command = plan
  variables {
    nat_gateway_mode = "none"
  }
  expect_failures = [var.nat_gateway_mode]
}

run "rejects_unknown_nat_mode" {
  command = plan
  variables {
    nat_gateway_mode = "two"
  }
  expect_failures = [var.nat_gateway_mode]
}

run "rejects_bad_cidr" {
  command = plan
  variables {
    cidr_block = "10.0.0.0/24"
  }
  expect_failures = [var.cidr_block]
}

run "rejects_bad_flow_log_traffic_type" {
  command = plan
  variables {
    flow_logs = { traffic_type = "SOME" }
  }
  expect_failures = [var.flow_logs]
}
