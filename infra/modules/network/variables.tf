variable "name" {
  description = "Prefix for every resource name, e.g. \"http-echo-dev\"."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,22}[a-z0-9]$", var.name))
    error_message = "name must be 3-24 characters of lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "cidr_block" {
  description = "IPv4 range of the VPC. Subnets are /20 slices of it when it is a /16."
  type        = string
  default     = "10.0.0.0/16"

  validation {
    condition     = can(cidrnetmask(var.cidr_block)) && tonumber(split("/", var.cidr_block)[1]) <= 20
    error_message = "cidr_block must be an IPv4 CIDR of size /20 or larger, e.g. 10.0.0.0/16."
  }
}

variable "availability_zones" {
  description = "Availability zones to spread over: one public and one private subnet in each. At least two, so the ALB and the service survive the loss of one zone."
  type        = list(string)

  validation {
    condition     = length(var.availability_zones) >= 2 && length(var.availability_zones) <= 6
    error_message = "availability_zones must list between 2 and 6 zones: an ALB needs at least two."
  }

  validation {
    condition     = length(distinct(var.availability_zones)) == length(var.availability_zones)
    error_message = "availability_zones must not repeat a zone."
  }
}

variable "nat_gateway_mode" {
  description = "How private subnets reach the internet: \"single\" (one NAT gateway, cheaper, one zone's outage cuts egress), \"per_az\" (one per zone, highly available) or \"none\" (no internet egress; needs vpc_endpoints = true so tasks can still pull images and write logs)."
  type        = string
  default     = "single"

  validation {
    condition     = contains(["single", "per_az", "none"], var.nat_gateway_mode)
    error_message = "nat_gateway_mode must be one of \"single\", \"per_az\" or \"none\"."
  }

  validation {
    condition     = var.nat_gateway_mode != "none" || var.vpc_endpoints
    error_message = "nat_gateway_mode = \"none\" needs vpc_endpoints = true: without either, tasks cannot pull their image or write logs."
  }
}

variable "vpc_endpoints" {
  description = "Create private endpoints for S3 (gateway, free) and for ECR API, ECR Docker and CloudWatch Logs (interface, billed per hour and zone), so image pulls and logs stay off the NAT gateway."
  type        = bool
  default     = false
}

variable "flow_logs" {
  description = "VPC flow logs to CloudWatch Logs: whether to keep them, for how long, and which traffic (ACCEPT, REJECT or ALL)."
  type = object({
    enabled           = optional(bool, true)
    retention_in_days = optional(number, 30)
    traffic_type      = optional(string, "REJECT")
  })
  default = {}

  validation {
    condition     = contains(["ACCEPT", "REJECT", "ALL"], var.flow_logs.traffic_type)
    error_message = "flow_logs.traffic_type must be ACCEPT, REJECT or ALL."
  }

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.flow_logs.retention_in_days)
    error_message = "flow_logs.retention_in_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ... 3653)."
  }
}

variable "permissions_boundary_arn" {
  description = "Managed policy set as the permissions boundary of the flow-logs role: the environment's deploy role may only create roles with it."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags added to every resource of the module."
  type        = map(string)
  default     = {}
}
