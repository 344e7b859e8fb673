output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "vpc_cidr_block" {
  description = "IPv4 range of the VPC."
  value       = aws_vpc.this.cidr_block
}

output "availability_zones" {
  description = "The zones the subnets are in, in the order given."
  value       = var.availability_zones
}

output "public_subnet_ids" {
  description = "Public subnets (for the ALB), one per zone in the order of availability_zones."
  value       = [for zone in var.availability_zones : aws_subnet.public[zone].id]
}

output "private_subnet_ids" {
  description = "Private subnets (for the tasks), one per zone in the order of availability_zones."
  value       = [for zone in var.availability_zones : aws_subnet.private[zone].id]
}

output "nat_gateway_ids" {
  description = "NAT gateways by zone: one, one per zone, or none, after nat_gateway_mode."
  value       = { for zone, gateway in aws_nat_gateway.this : zone => gateway.id }
}

output "nat_public_ips" {
  description = "Public addresses the tasks' outbound traffic leaves from, by zone."
  value       = { for zone, address in aws_eip.nat : zone => address.public_ip }
}

output "private_route_table_ids" {
  description = "Route tables of the private subnets, by zone."
  value       = { for zone, table in aws_route_table.private : zone => table.id }
}

output "vpc_endpoint_ids" {
  description = "VPC endpoints by service (s3, ecr.api, ecr.dkr, logs); empty when vpc_endpoints is false."
  value = merge(
    { for service, endpoint in aws_vpc_endpoint.interface : service => endpoint.id },
    var.vpc_endpoints ? { s3 = aws_vpc_endpoint.s3[0].id } : {},
  )
}

output "flow_log_group_name" {
  description = "CloudWatch log group of the VPC flow logs, or null when they are off."
  value       = var.flow_logs.enabled ? aws_cloudwatch_log_group.flow_logs[0].name : null
}
