output "alb_dns_name" {
  description = "DNS name of the load balancer."
  value       = module.service.alb_dns_name
}

output "service_url" {
  description = "URL of the service, scheme and port included."
  value       = module.service.service_url
}

output "ecs_cluster_name" {
  description = "ECS cluster."
  value       = module.service.ecs_cluster_name
}

output "ecs_service_name" {
  description = "ECS service."
  value       = module.service.ecs_service_name
}

output "task_definition_family" {
  description = "Task definition family; every deploy adds a revision."
  value       = module.service.task_definition_family
}

output "task_definition_arn" {
  description = "Task definition revision the service runs after this apply."
  value       = module.service.task_definition_arn
}

output "container_name" {
  description = "Container name in the task definition."
  value       = module.service.container_name
}

output "container_image" {
  description = "Image this apply deployed."
  value       = var.container_image
}

output "log_group_name" {
  description = "CloudWatch log group of the server (JSON access log)."
  value       = module.service.log_group_name
}

output "sns_topic_arn" {
  description = "SNS topic of alarms, scaling events and failed deployments."
  value       = module.service.sns_topic_arn
}

output "dashboard_name" {
  description = "CloudWatch dashboard."
  value       = module.service.dashboard_name
}

output "alarm_names" {
  description = "Every alarm of the environment."
  value       = module.service.alarm_names
}

output "vpc_id" {
  description = "VPC of the environment."
  value       = module.network.vpc_id
}

output "private_subnet_ids" {
  description = "Subnets the tasks run in."
  value       = module.network.private_subnet_ids
}

output "public_subnet_ids" {
  description = "Subnets the load balancer is in."
  value       = module.network.public_subnet_ids
}
