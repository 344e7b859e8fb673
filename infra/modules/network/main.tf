# The network the service runs in: a VPC spread over several availability zones,
# public subnets for the load balancer and the NAT gateways, private subnets for
# the tasks (no public IPs), optional VPC endpoints, and flow logs.

locals {
  # Keyed by zone name so adding a zone never renumbers the others.
  zone_index = { for index, zone in var.availability_zones : zone => index }

  nat_zones = {
    single = slice(var.availability_zones, 0, 1)
    per_az = var.availability_zones
    none   = []
  }[var.nat_gateway_mode]

  # Each private subnet leaves through the NAT gateway in its own zone when there
  # is one, else through the first (the only one in "single" mode).
  private_nat_zone = {
    for zone in var.availability_zones :
    zone => contains(local.nat_zones, zone) ? zone : local.nat_zones[0]
    if length(local.nat_zones) > 0
  }

  # Interface endpoints ECS on Fargate needs to start a task without internet:
  # the ECR API and registry (image manifest and auth) and CloudWatch Logs.
  interface_endpoints = var.vpc_endpoints ? toset(["ecr.api", "ecr.dkr", "logs"]) : toset([])
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

################################################################################
# VPC
################################################################################

resource "aws_vpc" "this" {
  #checkov:skip=CKV2_AWS_12:The default security group keeps the rules AWS gives it (members only) and has no members: the load balancer, the tasks and the endpoints have groups of their own. Emptying it would mean tagging a resource the deploy role did not create, which no deploy role may do (modules/deploy_access), so that neither environment can take over the other's untagged defaults.
  cidr_block = var.cidr_block
  # DNS support and hostnames are needed for interface endpoints' private DNS.
  enable_dns_support   = true
  enable_dns_hostnames = true

  tags = merge(var.tags, { Name = var.name })
}

# AWS gives every VPC a default security group, main route table and network ACL,
# untagged. They are left as they are: a deploy role may tag an EC2 resource only in
# the call that creates it, so it cannot adopt them (nor the other environment's).
# Nothing uses the default security group; every subnet has a route table of its
# own; the subnets keep the default network ACL, which allows all (the security
# groups filter). An earlier version adopted the default security group: forget it
# without touching it.
removed {
  from = aws_default_security_group.this

  lifecycle {
    destroy = false
  }
}

resource "aws_internet_gateway" "this" {
  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = var.name })
}

################################################################################
# Subnets
################################################################################

resource "aws_subnet" "public" {
  for_each = local.zone_index

  vpc_id            = aws_vpc.this.id
  availability_zone = each.key
  cidr_block        = cidrsubnet(var.cidr_block, 4, each.value)
  # The ALB and NAT gateways get their addresses explicitly; nothing launched
  # here should receive a public IP by accident.
  map_public_ip_on_launch = false

  tags = merge(var.tags, { Name = "${var.name}-public-${each.key}", Tier = "public" })
}

resource "aws_subnet" "private" {
  for_each = local.zone_index

  vpc_id                  = aws_vpc.this.id
  availability_zone       = each.key
  cidr_block              = cidrsubnet(var.cidr_block, 4, each.value + 8)
  map_public_ip_on_launch = false

  tags = merge(var.tags, { Name = "${var.name}-private-${each.key}", Tier = "private" })
}

################################################################################
# Routing
################################################################################

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}-public" })
}

resource "aws_route" "public_internet" {
  route_table_id         = aws_route_table.public.id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.this.id
}

resource "aws_route_table_association" "public" {
  for_each = aws_subnet.public

  subnet_id      = each.value.id
  route_table_id = aws_route_table.public.id
}

resource "aws_eip" "nat" {
  for_each = toset(local.nat_zones)

  domain = "vpc"

  tags = merge(var.tags, { Name = "${var.name}-nat-${each.key}" })

  depends_on = [aws_internet_gateway.this]
}

resource "aws_nat_gateway" "this" {
  for_each = toset(local.nat_zones)

  allocation_id = aws_eip.nat[each.key].id
  subnet_id     = aws_subnet.public[each.key].id

  tags = merge(var.tags, { Name = "${var.name}-${each.key}" })

  depends_on = [aws_internet_gateway.this]
}

# One route table per private subnet, so "per_az" can send each zone through its
# own NAT gateway and an outage in one zone leaves the others' egress intact.
resource "aws_route_table" "private" {
  for_each = local.zone_index

  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}-private-${each.key}" })
}

resource "aws_route" "private_nat" {
  for_each = local.private_nat_zone

  route_table_id         = aws_route_table.private[each.key].id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = aws_nat_gateway.this[each.value].id
}

resource "aws_route_table_association" "private" {
  for_each = aws_subnet.private

  subnet_id      = each.value.id
  route_table_id = aws_route_table.private[each.key].id
}

################################################################################
# VPC endpoints
################################################################################

# ECR stores image layers in S3: the gateway endpoint keeps those pulls off the
# NAT gateway at no hourly cost.
resource "aws_vpc_endpoint" "s3" {
  count = var.vpc_endpoints ? 1 : 0

  vpc_id            = aws_vpc.this.id
  service_name      = "com.amazonaws.${data.aws_region.current.name}.s3"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = [for table in aws_route_table.private : table.id]

  tags = merge(var.tags, { Name = "${var.name}-s3" })
}

resource "aws_security_group" "endpoints" {
  count = var.vpc_endpoints ? 1 : 0

  name        = "${var.name}-endpoints"
  description = "Interface VPC endpoints: HTTPS from inside the VPC only"
  vpc_id      = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}-endpoints" })
}

resource "aws_vpc_security_group_ingress_rule" "endpoints_https" {
  count = var.vpc_endpoints ? 1 : 0

  security_group_id = aws_security_group.endpoints[0].id
  description       = "HTTPS to the AWS APIs from anything in the VPC"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = aws_vpc.this.cidr_block
}

resource "aws_vpc_endpoint" "interface" {
  for_each = local.interface_endpoints

  vpc_id              = aws_vpc.this.id
  service_name        = "com.amazonaws.${data.aws_region.current.name}.${each.key}"
  vpc_endpoint_type   = "Interface"
  private_dns_enabled = true
  subnet_ids          = [for subnet in aws_subnet.private : subnet.id]
  security_group_ids  = [aws_security_group.endpoints[0].id]

  tags = merge(var.tags, { Name = "${var.name}-${each.key}" })
}

################################################################################
# Flow logs
################################################################################

resource "aws_cloudwatch_log_group" "flow_logs" {
  count = var.flow_logs.enabled ? 1 : 0

  #checkov:skip=CKV_AWS_158:Flow logs hold connection metadata, no payloads; CloudWatch Logs encrypts them at rest with its own keys, and a customer key here would cost a key per VPC for no added control.
  #checkov:skip=CKV_AWS_338:Retention is a per-environment value (flow_logs.retention_in_days); a year of rejected-packet records is not needed for this service.
  name              = "/vpc/${var.name}/flow-logs"
  retention_in_days = var.flow_logs.retention_in_days

  tags = var.tags
}

# Only the flow logs of this account may deliver with the role (confused-deputy
# guard): without the conditions, any account's flow log could name it.
data "aws_iam_policy_document" "flow_logs_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["vpc-flow-logs.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${data.aws_partition.current.partition}:ec2:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:vpc-flow-log/*"]
    }
  }
}

resource "aws_iam_role" "flow_logs" {
  count = var.flow_logs.enabled ? 1 : 0

  name                 = "${var.name}-flow-logs"
  assume_role_policy   = data.aws_iam_policy_document.flow_logs_assume.json
  permissions_boundary = var.permissions_boundary_arn

  tags = var.tags
}

# Delivery may write to this one log group and nothing else.
data "aws_iam_policy_document" "flow_logs_write" {
  count = var.flow_logs.enabled ? 1 : 0

  statement {
    actions = [
      "logs:CreateLogStream",
      "logs:PutLogEvents",
      "logs:DescribeLogStreams",
    ]
    resources = ["${aws_cloudwatch_log_group.flow_logs[0].arn}:*"]
  }
}

resource "aws_iam_role_policy" "flow_logs" {
  count = var.flow_logs.enabled ? 1 : 0

  name   = "write-flow-logs"
  role   = aws_iam_role.flow_logs[0].id
  policy = data.aws_iam_policy_document.flow_logs_write[0].json
}

resource "aws_flow_log" "this" {
  count = var.flow_logs.enabled ? 1 : 0

  vpc_id          = aws_vpc.this.id
  traffic_type    = var.flow_logs.traffic_type
  log_destination = aws_cloudwatch_log_group.flow_logs[0].arn
  iam_role_arn    = aws_iam_role.flow_logs[0].arn

  tags = merge(var.tags, { Name = var.name })
}
