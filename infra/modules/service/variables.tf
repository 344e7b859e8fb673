################################################################################
# Identity and placement
################################################################################

variable "name" {
  description = "Prefix for every resource name, e.g. \"http-echo-dev\". Also the ECS service and task family name."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,22}[a-z0-9]$", var.name))
    error_message = "name must be 3-24 characters of lowercase letters, digits and hyphens, starting with a letter (the ALB and target group names derive from it and AWS caps them at 32)."
  }
}

variable "vpc_id" {
  description = "VPC the load balancer, target group and security groups belong to."
  type        = string
}

variable "public_subnet_ids" {
  description = "Subnets for the internet-facing ALB, one per availability zone; at least two zones."
  type        = list(string)

  validation {
    condition     = length(var.public_subnet_ids) >= 2
    error_message = "public_subnet_ids needs at least two subnets in different availability zones: an ALB requires two."
  }
}

variable "private_subnet_ids" {
  description = "Subnets for the Fargate tasks; they get no public IP. At least two zones."
  type        = list(string)

  validation {
    condition     = length(var.private_subnet_ids) >= 2
    error_message = "private_subnet_ids needs at least two subnets, so the service survives the loss of one availability zone."
  }
}

################################################################################
# Container
################################################################################

variable "container_image" {
  description = "Full image reference to run: \"registry/repository:tag\" or \"registry/repository@sha256:<digest>\". Changing it registers a new task definition revision and rolls the service."
  type        = string

  validation {
    condition     = can(regex("^([a-zA-Z0-9.-]+(:[0-9]+)?/)?[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}(@sha256:[a-f0-9]{64})?|@sha256:[a-f0-9]{64})$", var.container_image))
    error_message = "container_image must be a full image reference with a tag or digest, e.g. \"123456789012.dkr.ecr.us-east-1.amazonaws.com/http-echo:3f2c1ab\" or \"...@sha256:<64 hex digits>\"."
  }
}

variable "echo_text" {
  description = "Text the server answers with (ECHO_TEXT)."
  type        = string
  default     = "Hello World"

  validation {
    condition     = length(var.echo_text) > 0
    error_message = "echo_text must not be empty: the server refuses to start without text."
  }
}

variable "container_port" {
  description = "Port the server listens on inside the task (ECHO_LISTEN) and the target group sends traffic to."
  type        = number
  default     = 5678

  validation {
    condition     = var.container_port >= 1024 && var.container_port <= 65535 && floor(var.container_port) == var.container_port
    error_message = "container_port must be a whole number from 1024 to 65535 (the container runs as a non-root user)."
  }
}

variable "cpu" {
  description = "Task CPU units (256 = 0.25 vCPU)."
  type        = number
  default     = 256

  validation {
    condition     = contains([256, 512, 1024, 2048, 4096], var.cpu)
    error_message = "cpu must be one of the Fargate sizes 256, 512, 1024, 2048 or 4096."
  }
}

variable "memory" {
  description = "Task memory in MiB; must be a size Fargate allows for the chosen cpu."
  type        = number
  default     = 512

  validation {
    condition = contains(lookup({
      "256"  = [512, 1024, 2048]
      "512"  = [1024, 2048, 3072, 4096]
      "1024" = [2048, 3072, 4096, 5120, 6144, 7168, 8192]
      "2048" = [for gib in range(4, 17) : gib * 1024]
      "4096" = [for gib in range(8, 31) : gib * 1024]
    }, tostring(var.cpu), []), var.memory)
    error_message = "memory must be a Fargate size for the chosen cpu: 256 -> 512/1024/2048; 512 -> 1024-4096; 1024 -> 2048-8192; 2048 -> 4096-16384; 4096 -> 8192-30720 (MiB, in 1024 steps)."
  }
}

variable "cpu_architecture" {
  description = "CPU architecture of the tasks: \"X86_64\", or \"ARM64\" for Graviton (about 20 % cheaper; the image must be built for arm64)."
  type        = string
  default     = "X86_64"

  validation {
    condition     = contains(["X86_64", "ARM64"], var.cpu_architecture)
    error_message = "cpu_architecture must be \"X86_64\" or \"ARM64\"."
  }
}

variable "fargate_spot" {
  description = "Run all tasks above the first on Fargate Spot (up to 70 % cheaper, may be interrupted with two minutes' notice). One task always stays on regular Fargate."
  type        = bool
  default     = false

  validation {
    condition     = !(var.fargate_spot && var.cpu_architecture == "ARM64")
    error_message = "fargate_spot cannot be combined with cpu_architecture = \"ARM64\": Fargate Spot runs x86_64 tasks only."
  }
}

################################################################################
# Server behaviour (the http-echo ECHO_* settings)
################################################################################

variable "server_idle_timeout_seconds" {
  description = "How long the server keeps an idle keep-alive connection (ECHO_IDLE_TIMEOUT). Must exceed alb_idle_timeout_seconds, or the server may close a connection the ALB is about to reuse and the client gets a 502."
  type        = number
  default     = 75

  validation {
    condition     = var.server_idle_timeout_seconds > var.alb_idle_timeout_seconds
    error_message = "server_idle_timeout_seconds must be greater than alb_idle_timeout_seconds, so the ALB, not the server, closes idle connections."
  }
}

variable "shutdown_delay_seconds" {
  description = "After SIGTERM the server keeps serving this long with /health answering 503 (ECHO_SHUTDOWN_DELAY), covering requests still routed to it while it leaves the target group."
  type        = number
  default     = 10

  validation {
    condition     = var.shutdown_delay_seconds >= 0 && var.shutdown_delay_seconds <= 60
    error_message = "shutdown_delay_seconds must be between 0 and 60."
  }
}

variable "shutdown_timeout_seconds" {
  description = "Longest the server waits for in-flight requests to finish after the delay (ECHO_SHUTDOWN_TIMEOUT). The container's stopTimeout is delay + timeout + 5 s, so ECS never SIGKILLs a clean drain."
  type        = number
  default     = 10

  validation {
    condition     = var.shutdown_timeout_seconds >= 1 && var.shutdown_delay_seconds + var.shutdown_timeout_seconds + 5 <= 120
    error_message = "shutdown_timeout_seconds must be at least 1, and shutdown_delay_seconds + shutdown_timeout_seconds + 5 must not exceed 120, Fargate's longest stopTimeout."
  }
}

variable "fault_injection" {
  description = "Faults every task injects on purpose, to rehearse what the load balancer and ECS do about them: error_rate (ECHO_ERROR_RATE, the share of answers that get 503), delay_seconds (ECHO_DELAY), ready_after_seconds (ECHO_READY_AFTER), unhealthy_after_seconds (ECHO_UNHEALTHY_AFTER). None by default; the environment roots refuse any in prod."
  type = object({
    error_rate              = optional(number)
    delay_seconds           = optional(number)
    ready_after_seconds     = optional(number)
    unhealthy_after_seconds = optional(number)
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.fault_injection.error_rate == null || (try(var.fault_injection.error_rate >= 0 && var.fault_injection.error_rate <= 1, false))
    error_message = "fault_injection.error_rate must be a share from 0 to 1 (0.5 fails every second answer)."
  }

  validation {
    condition     = alltrue([for seconds in [var.fault_injection.delay_seconds, var.fault_injection.ready_after_seconds, var.fault_injection.unhealthy_after_seconds] : seconds == null || try(seconds >= 0, false)])
    error_message = "fault_injection's delay_seconds, ready_after_seconds and unhealthy_after_seconds must not be negative."
  }

  validation {
    condition     = var.fault_injection.ready_after_seconds == null || var.fault_injection.unhealthy_after_seconds == null || try(var.fault_injection.ready_after_seconds < var.fault_injection.unhealthy_after_seconds, false)
    error_message = "fault_injection.ready_after_seconds must be shorter than unhealthy_after_seconds, or /health never answers 200 (the server refuses to start so)."
  }

  validation {
    condition     = var.fault_injection.ready_after_seconds == null || try(var.fault_injection.ready_after_seconds < var.health_check_grace_period_seconds, false)
    error_message = "fault_injection.ready_after_seconds must be shorter than health_check_grace_period_seconds, or ECS replaces every new task before it is ever ready."
  }
}

################################################################################
# Load balancer
################################################################################

variable "listener_port" {
  description = "Port of the ALB's HTTP listener (the original deployment serves on 5678). With a domain_name it redirects to HTTPS."
  type        = number
  default     = 5678

  validation {
    condition     = var.listener_port >= 1 && var.listener_port <= 65535 && var.listener_port != 443
    error_message = "listener_port must be a port from 1 to 65535 other than 443, which the HTTPS listener takes."
  }
}

variable "allowed_ingress_cidrs" {
  description = "IPv4 ranges allowed to reach the ALB's listeners."
  type        = list(string)
  default     = ["0.0.0.0/0"]

  validation {
    condition     = length(var.allowed_ingress_cidrs) > 0 && alltrue([for cidr in var.allowed_ingress_cidrs : can(cidrnetmask(cidr))])
    error_message = "allowed_ingress_cidrs must hold at least one IPv4 CIDR such as 203.0.113.0/24."
  }
}

variable "alb_idle_timeout_seconds" {
  description = "ALB idle timeout: how long it keeps an idle connection open."
  type        = number
  default     = 60

  validation {
    condition     = var.alb_idle_timeout_seconds >= 1 && var.alb_idle_timeout_seconds <= 4000
    error_message = "alb_idle_timeout_seconds must be between 1 and 4000."
  }
}

variable "deregistration_delay_seconds" {
  description = "How long the target group drains a leaving task before ECS stops it."
  type        = number
  default     = 30

  validation {
    condition     = var.deregistration_delay_seconds >= 0 && var.deregistration_delay_seconds <= 3600
    error_message = "deregistration_delay_seconds must be between 0 and 3600."
  }
}

variable "health_check" {
  description = "Target group health check against the server's /health endpoint."
  type = object({
    path                = optional(string, "/health")
    interval_seconds    = optional(number, 15)
    timeout_seconds     = optional(number, 5)
    healthy_threshold   = optional(number, 2)
    unhealthy_threshold = optional(number, 3)
  })
  default = {}

  validation {
    condition     = startswith(var.health_check.path, "/") && var.health_check.timeout_seconds < var.health_check.interval_seconds
    error_message = "health_check.path must start with \"/\" and health_check.timeout_seconds must be shorter than interval_seconds."
  }
}

variable "deletion_protection" {
  description = "Protect the ALB from deletion and keep the access-log bucket when the stack is destroyed. On in production."
  type        = bool
  default     = true
}

variable "access_logs" {
  description = "ALB access logs to a dedicated S3 bucket, and how many days to keep them."
  type = object({
    enabled        = optional(bool, true)
    retention_days = optional(number, 90)
  })
  default = {}

  validation {
    condition     = var.access_logs.retention_days >= 1
    error_message = "access_logs.retention_days must be at least 1."
  }
}

################################################################################
# TLS and DNS (the next steps of the original deployment): on when domain_name is set
################################################################################

variable "domain_name" {
  description = "Public name of the service, e.g. \"echo.example.com\". When set: an ACM certificate validated through DNS, an HTTPS listener on 443, HTTP redirected to HTTPS, and a Route 53 alias to the ALB. Null keeps plain HTTP on listener_port."
  type        = string
  default     = null

  validation {
    condition     = var.domain_name == null || can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.domain_name))
    error_message = "domain_name must be a lowercase DNS name such as \"echo.example.com\", or null."
  }

  validation {
    condition     = var.domain_name == null || var.route53_zone_id != null
    error_message = "domain_name needs route53_zone_id: the hosted zone that validates the certificate and holds the alias record."
  }
}

variable "route53_zone_id" {
  description = "Route 53 hosted zone that holds domain_name. Required when domain_name is set."
  type        = string
  default     = null
}

variable "ssl_policy" {
  description = "Security policy of the HTTPS listener: TLS 1.3 and 1.2 only."
  type        = string
  default     = "ELBSecurityPolicy-TLS13-1-2-2021-06"
}

################################################################################
# Service and deployments
################################################################################

variable "desired_count" {
  description = "Tasks to start with. After creation autoscaling owns the count; Terraform ignores later drift."
  type        = number
  default     = 2

  validation {
    condition     = var.desired_count >= var.autoscaling.min_capacity && var.desired_count <= var.autoscaling.max_capacity
    error_message = "desired_count must lie between autoscaling.min_capacity and autoscaling.max_capacity."
  }
}

variable "deployment_maximum_percent" {
  description = "Upper limit of running tasks during a rolling deployment, as a percentage of desired_count: 200 starts a full new set before stopping the old one."
  type        = number
  default     = 200

  validation {
    condition     = var.deployment_maximum_percent >= 100 && var.deployment_maximum_percent <= 200
    error_message = "deployment_maximum_percent must be between 100 and 200."
  }
}

variable "deployment_minimum_healthy_percent" {
  description = "Lower limit of healthy tasks during a deployment, as a percentage of desired_count: 100 means capacity never drops (no downtime)."
  type        = number
  default     = 100

  validation {
    condition     = var.deployment_minimum_healthy_percent >= 0 && var.deployment_minimum_healthy_percent <= 100 && var.deployment_minimum_healthy_percent < var.deployment_maximum_percent
    error_message = "deployment_minimum_healthy_percent must be between 0 and 100 and below deployment_maximum_percent, or a deployment could never start a new task."
  }
}

variable "health_check_grace_period_seconds" {
  description = "Time a new task gets before failing ALB health checks count against it."
  type        = number
  default     = 30

  validation {
    condition     = var.health_check_grace_period_seconds >= 0 && var.health_check_grace_period_seconds <= 2147483647
    error_message = "health_check_grace_period_seconds must not be negative."
  }
}

variable "wait_for_steady_state" {
  description = "Make `terraform apply` wait until a deployment has finished (or been rolled back, which fails the apply). Keep true for deploys; tests against an emulator turn it off."
  type        = bool
  default     = true
}

variable "container_insights" {
  description = "Enable CloudWatch Container Insights on the cluster (task-level metrics such as RunningTaskCount on the dashboard; billed as custom metrics)."
  type        = bool
  default     = true
}

################################################################################
# Autoscaling
################################################################################

variable "autoscaling" {
  description = <<-EOT
    How the task count follows CPU. policy "step" (the original deployment's): CloudWatch alarms
    scale out by one task above cpu_scale_out_threshold % and in by one below
    cpu_scale_in_threshold %, each alarm also notifying the SNS topic.
    policy "target_tracking": AWS keeps average CPU near cpu_target %.
  EOT
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

  validation {
    condition     = contains(["step", "target_tracking"], var.autoscaling.policy)
    error_message = "autoscaling.policy must be \"step\" or \"target_tracking\"."
  }

  validation {
    condition     = var.autoscaling.min_capacity >= 1 && var.autoscaling.min_capacity <= var.autoscaling.max_capacity
    error_message = "autoscaling.min_capacity must be at least 1 and no more than max_capacity."
  }

  validation {
    condition     = var.autoscaling.cpu_scale_in_threshold > 0 && var.autoscaling.cpu_scale_in_threshold < var.autoscaling.cpu_scale_out_threshold && var.autoscaling.cpu_scale_out_threshold < 100
    error_message = "autoscaling thresholds must satisfy 0 < cpu_scale_in_threshold < cpu_scale_out_threshold < 100."
  }

  validation {
    condition     = var.autoscaling.cpu_target > 0 && var.autoscaling.cpu_target < 100
    error_message = "autoscaling.cpu_target must be between 0 and 100 (exclusive)."
  }

  validation {
    condition     = var.autoscaling.scale_out_minutes >= 1 && var.autoscaling.scale_in_minutes >= 1
    error_message = "autoscaling.scale_out_minutes and scale_in_minutes must be at least 1."
  }
}

################################################################################
# Observability and notifications
################################################################################

variable "log_retention_days" {
  description = "Days CloudWatch Logs keeps the server's access log."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, ... 3653)."
  }
}

variable "alarm_emails" {
  description = "Addresses subscribed to the SNS topic that receives alarms, scaling events and failed deployments. Each must confirm the subscription e-mail."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for address in var.alarm_emails : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", address))])
    error_message = "alarm_emails must hold e-mail addresses (name@domain.tld)."
  }

  # The domains reserved for documentation and testing (RFC 2606, RFC 6761) reach
  # nobody: alarms sent there are lost without a word.
  validation {
    condition     = alltrue([for address in var.alarm_emails : !can(regex("(?i)@(([^@]+\\.)?example\\.(com|net|org)|[^@]+\\.(example|test|invalid|localhost))$", address))])
    error_message = "alarm_emails holds a placeholder address (example.com, example.net, example.org, or a .example, .test, .invalid or .localhost domain) that nobody reads: put the team's real address, or leave the list empty."
  }
}

variable "alarms" {
  description = "Thresholds of the alarms that notify the SNS topic. target_5xx_percent (of requests, for target_5xx_minutes minutes in a row) also rolls back a deployment during which it fires."
  type = object({
    target_5xx_percent     = optional(number, 5)
    target_5xx_minutes     = optional(number, 2)
    elb_5xx_per_minute     = optional(number, 5)
    p95_response_seconds   = optional(number, 1)
    memory_percent         = optional(number, 85)
    unhealthy_host_minutes = optional(number, 3)
  })
  default = {}

  validation {
    condition     = var.alarms.target_5xx_percent > 0 && var.alarms.target_5xx_percent < 100 && var.alarms.elb_5xx_per_minute >= 1 && var.alarms.p95_response_seconds > 0 && var.alarms.memory_percent > 0 && var.alarms.memory_percent < 100 && var.alarms.unhealthy_host_minutes >= 1
    error_message = "alarms thresholds must be positive: target_5xx_percent and memory_percent between 0 and 100 %, elb_5xx_per_minute at least 1, p95 above 0 s, unhealthy_host_minutes at least 1."
  }

  validation {
    condition     = var.alarms.target_5xx_minutes >= 2 && floor(var.alarms.target_5xx_minutes) == var.alarms.target_5xx_minutes
    error_message = "alarms.target_5xx_minutes must be a whole number of at least 2: one bad minute alone must not roll a release back."
  }
}

variable "deployment_alarm_rollback" {
  description = "Let the target 5xx alarm roll back a deployment in progress. Turn off for a hotfix that must go out while the current release answers 5xx (the circuit breaker still rolls back tasks that fail to start)."
  type        = bool
  default     = true
}

################################################################################
# Who may manage what (the environment's deploy and plan roles)
################################################################################

variable "permissions_boundary_arn" {
  description = "Managed policy set as the permissions boundary of the execution and task roles: the environment's deploy role may only create roles with it."
  type        = string
  default     = null
}

variable "key_administrator_arns" {
  description = "Roles the key policy lets manage the environment's KMS key (its deploy role), so that no identity policy needs rights on keys."
  type        = list(string)
  default     = []
}

variable "key_reader_arns" {
  description = "Roles the key policy lets read the key's settings (the environment's plan role)."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags added to every resource of the module."
  type        = map(string)
  default     = {}
}
