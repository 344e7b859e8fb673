################################################################################
# What a deploy passes
################################################################################

variable "container_image" {
  description = "Image to run, a full reference with tag or digest: \"<ecr_repository_url>:<tag>\" or \"<ecr_repository_url>@sha256:<digest>\". Set by the deploy (-var container_image=...), never committed."
  type        = string

  validation {
    condition     = can(regex("^([a-zA-Z0-9.-]+(:[0-9]+)?/)?[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}(@sha256:[a-f0-9]{64})?|@sha256:[a-f0-9]{64})$", var.container_image))
    error_message = "container_image must be a full image reference with a tag or digest, e.g. \"123456789012.dkr.ecr.us-east-1.amazonaws.com/http-echo:3f2c1ab\" or \"...@sha256:<64 hex digits>\"; it was empty or malformed."
  }
}

variable "wait_for_steady_state" {
  description = "Make apply wait for the rollout to finish; a rollout that ECS rolled back fails the apply (the service's postcondition)."
  type        = bool
  default     = true
}

variable "deployment_alarm_rollback" {
  description = "Let the 5xx alarm roll back a deployment; -var deployment_alarm_rollback=false for a hotfix while the running release answers 5xx."
  type        = bool
  default     = true
}

variable "fault_injection" {
  description = "A rehearsal, in dev only: faults every task injects on purpose (the service module's fault_injection: error_rate, delay_seconds, ready_after_seconds, unhealthy_after_seconds). Set by a rehearsal (pipeline/deploy.py --rehearse-rollback passes -var fault_injection={error_rate=...}), never committed; prod refuses any."
  type = object({
    error_rate              = optional(number)
    delay_seconds           = optional(number)
    ready_after_seconds     = optional(number)
    unhealthy_after_seconds = optional(number)
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.environment != "prod" || alltrue([for value in values(var.fault_injection) : value == null])
    error_message = "fault_injection is for rehearsals in dev: prod never runs a release that fails on purpose."
  }
}

################################################################################
# What an environment decides (terraform.tfvars)
################################################################################

variable "region" {
  description = "AWS region."
  type        = string
  default     = "us-east-1"
}

variable "project" {
  description = "Project name; resources are named \"<project>-<environment>...\"."
  type        = string
  default     = "http-echo"
}

variable "environment" {
  description = "Environment name."
  type        = string

  validation {
    condition     = contains(["dev", "prod"], var.environment)
    error_message = "environment must be \"dev\" or \"prod\"."
  }
}

variable "availability_zones" {
  description = "Zones to spread over; at least two."
  type        = list(string)
}

variable "vpc_cidr" {
  description = "IPv4 range of the VPC."
  type        = string
}

variable "nat_gateway_mode" {
  description = "\"single\", \"per_az\" or \"none\" (see the network module)."
  type        = string
}

variable "vpc_endpoints" {
  description = "Private endpoints for ECR, Logs and S3."
  type        = bool
  default     = false
}

variable "flow_log_retention_days" {
  description = "Days to keep VPC flow logs."
  type        = number
}

variable "echo_text" {
  description = "Text the server answers with."
  type        = string
  default     = "Hello World"
}

variable "cpu" {
  description = "Task CPU units."
  type        = number
}

variable "memory" {
  description = "Task memory (MiB)."
  type        = number
}

variable "cpu_architecture" {
  description = "\"X86_64\" or \"ARM64\"."
  type        = string
  default     = "X86_64"
}

variable "fargate_spot" {
  description = "Run tasks beyond the first on Fargate Spot."
  type        = bool
}

variable "desired_count" {
  description = "Initial task count; autoscaling owns it afterwards."
  type        = number
  default     = 2
}

variable "autoscaling" {
  description = "Autoscaling settings (see the service module); thresholds default to the original deployment's 85 % / 10 %."
  type = object({
    policy                  = optional(string, "step")
    min_capacity            = optional(number, 2)
    max_capacity            = optional(number, 6)
    cpu_scale_out_threshold = optional(number, 85)
    cpu_scale_in_threshold  = optional(number, 10)
    scale_out_minutes       = optional(number, 2)
    scale_in_minutes        = optional(number, 5)
    cpu_target              = optional(number, 60)
    scale_out_cooldown      = optional(number, 60)
    scale_in_cooldown       = optional(number, 300)
  })
  default = {}
}

variable "deletion_protection" {
  description = "Protect the ALB and keep access logs on destroy."
  type        = bool
}

variable "domain_name" {
  description = "Public name; turns on HTTPS, HTTP->HTTPS redirects and a Route 53 alias."
  type        = string
  default     = null
}

variable "route53_zone_id" {
  description = "Hosted zone of domain_name."
  type        = string
  default     = null
}

variable "log_retention_days" {
  description = "Days to keep the server's logs."
  type        = number
}

variable "access_log_retention_days" {
  description = "Days to keep ALB access logs."
  type        = number
}

variable "alarm_emails" {
  description = "Addresses notified of alarms, scaling and failed deployments."
  type        = list(string)
  default     = []
}
