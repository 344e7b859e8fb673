output "alb_dns_name" {
  description = "DNS name of the load balancer."
  value       = aws_lb.this.dns_name
}

output "alb_zone_id" {
  description = "Route 53 zone of the load balancer, for alias records elsewhere."
  value       = aws_lb.this.zone_id
}

output "alb_arn" {
  description = "ARN of the load balancer."
  value       = aws_lb.this.arn
}

output "service_url" {
  description = "Where the service answers, scheme and port included: https://<domain>:443 with a domain, else http://<alb dns>:<listener_port>."
  value       = local.tls_enabled ? "https://${var.domain_name}:443" : "http://${aws_lb.this.dns_name}:${var.listener_port}"
}

output "target_group_arn" {
  description = "ARN of the target group the tasks register in."
  value       = aws_lb_target_group.this.arn
}

output "ecs_cluster_name" {
  description = "Name of the ECS cluster."
  value       = aws_ecs_cluster.this.name
}

output "ecs_service_name" {
  description = "Name of the ECS service."
  value       = aws_ecs_service.this.name
}

output "task_definition_family" {
  description = "Family of the task definition; each deploy adds a revision."
  value       = aws_ecs_task_definition.this.family
}

output "task_definition_arn" {
  description = "ARN of the task definition revision this apply points the service at."
  value       = aws_ecs_task_definition.this.arn
}

output "container_name" {
  description = "Name of the container in the task definition."
  value       = local.container_name
}

output "log_group_name" {
  description = "CloudWatch log group of the server's JSON access log."
  value       = aws_cloudwatch_log_group.this.name
}

output "sns_topic_arn" {
  description = "SNS topic that receives alarms, scaling events and failed deployments."
  value       = aws_sns_topic.this.arn
}

output "dashboard_name" {
  description = "Name of the CloudWatch dashboard."
  value       = aws_cloudwatch_dashboard.this.dashboard_name
}

output "alarm_names" {
  description = "Names of every alarm of the service, scaling alarms included."
  value       = [for alarm in local.every_alarm : alarm.alarm_name]
}

output "alb_security_group_id" {
  description = "Security group of the load balancer."
  value       = aws_security_group.alb.id
}

output "tasks_security_group_id" {
  description = "Security group of the tasks."
  value       = aws_security_group.tasks.id
}

output "execution_role_arn" {
  description = "Role ECS uses to pull the image and write logs."
  value       = aws_iam_role.execution.arn
}

output "task_role_arn" {
  description = "Role of the server process (no permissions)."
  value       = aws_iam_role.task.arn
}

output "access_logs_bucket" {
  description = "S3 bucket of the ALB access logs, or null when they are off."
  value       = var.access_logs.enabled ? aws_s3_bucket.access_logs[0].id : null
}

output "certificate_arn" {
  description = "ACM certificate of the HTTPS listener, or null without a domain."
  value       = local.tls_enabled ? aws_acm_certificate_validation.this[0].certificate_arn : null
}

output "target_group_name" {
  description = "Name of the target group: the service's name and a digest of the settings that force a new one."
  value       = aws_lb_target_group.this.name
}

output "key_policy_principals" {
  description = "The roles the key policy names, by statement (the environment's deploy and plan roles)."
  value       = { for statement in data.aws_iam_policy_document.key.statement : statement.sid => flatten([for principal in statement.principals : principal.identifiers]) if contains(["DeployRoleManagesThisKey", "PlanRoleReadsThisKey"], statement.sid) }
}

output "server_environment" {
  description = "The server's settings in the task definition, as its ECHO_* environment variables (faults injected for a rehearsal included)."
  value       = local.server_environment
}
