# The service module with its defaults, against a mocked AWS: every property of
# the original deployment (and the ones we add) is asserted on what Terraform would create.

mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  name               = "http-echo-test"
  vpc_id             = "vpc-0a1b2c3d4e5f60718"
  public_subnet_ids  = ["subnet-public-a", "subnet-public-b"]
  private_subnet_ids = ["subnet-private-a", "subnet-private-b"]
  container_image    = "123456789012.dkr.ecr.us-east-1.amazonaws.com/http-echo:3f2c1ab"
  alarm_emails       = ["oncall@http-echo.internal"]
}

run "load_balancer" {
  assert {
    condition     = aws_lb.this.internal == false && aws_lb.this.load_balancer_type == "application"
    error_message = "The ALB must be internet-facing and of type application."
  }
  assert {
    condition     = length(aws_lb.this.subnets) >= 2 && toset(aws_lb.this.subnets) == toset(var.public_subnet_ids)
    error_message = "The ALB must sit in the public subnets of at least two zones."
  }
  assert {
    condition     = aws_lb_listener.http.port == 5678 && aws_lb_listener.http.protocol == "HTTP"
    error_message = "The original deployment's listener is HTTP on port 5678."
  }
  assert {
    condition     = aws_lb_listener.http.default_action[0].type == "forward" && aws_lb_listener.http.default_action[0].target_group_arn == aws_lb_target_group.this.arn
    error_message = "Without a domain the 5678 listener forwards to the target group."
  }
  assert {
    condition     = length(aws_lb_listener.https) == 0 && length(aws_acm_certificate.this) == 0 && length(aws_route53_record.alias) == 0
    error_message = "TLS and DNS must stay off while domain_name is null."
  }
  assert {
    condition     = aws_lb.this.drop_invalid_header_fields == true
    error_message = "The ALB must drop invalid header fields."
  }
  assert {
    condition     = aws_lb.this.idle_timeout == 60 && var.server_idle_timeout_seconds > aws_lb.this.idle_timeout
    error_message = "ALB idle timeout is 60 s and the server's keep-alive must outlast it."
  }
  assert {
    condition     = aws_lb.this.enable_deletion_protection == true
    error_message = "Deletion protection is on by default."
  }
  assert {
    condition     = aws_lb.this.access_logs[0].enabled && aws_lb.this.access_logs[0].bucket == aws_s3_bucket.access_logs[0].id
    error_message = "ALB access logs must go to the module's bucket."
  }
}

run "target_group_health_and_draining" {
  assert {
    condition     = startswith(aws_lb_target_group.this.name, "http-echo-test-") && length(aws_lb_target_group.this.name) == 21 && output.target_group_name == aws_lb_target_group.this.name
    error_message = "The target group is named after the service plus a digest of its settings (at most 32 characters)."
  }
  assert {
    condition     = aws_lb_target_group.this.target_type == "ip" && aws_lb_target_group.this.port == 5678
    error_message = "Fargate tasks register by IP on the container port 5678."
  }
  assert {
    condition     = aws_lb_target_group.this.health_check[0].path == "/health" && aws_lb_target_group.this.health_check[0].matcher == "200"
    error_message = "The target group health check must GET /health and expect 200."
  }
  assert {
    condition     = aws_lb_target_group.this.deregistration_delay == "30"
    error_message = "Deregistration delay must be 30 s."
  }
}

run "security_groups_least_privilege" {
  assert {
    condition     = aws_vpc_security_group_ingress_rule.tasks_from_alb.referenced_security_group_id == aws_security_group.alb.id && aws_vpc_security_group_ingress_rule.tasks_from_alb.from_port == 5678 && aws_vpc_security_group_ingress_rule.tasks_from_alb.to_port == 5678 && aws_vpc_security_group_ingress_rule.tasks_from_alb.cidr_ipv4 == null
    error_message = "The tasks accept only the container port, and only from the ALB's security group."
  }
  assert {
    condition     = aws_vpc_security_group_egress_rule.alb_to_tasks.referenced_security_group_id == aws_security_group.tasks.id && aws_vpc_security_group_egress_rule.alb_to_tasks.from_port == 5678 && aws_vpc_security_group_egress_rule.alb_to_tasks.to_port == 5678 && aws_vpc_security_group_egress_rule.alb_to_tasks.cidr_ipv4 == null
    error_message = "The ALB may send traffic only to the tasks' security group on the container port."
  }
  assert {
    condition     = keys(aws_vpc_security_group_ingress_rule.alb_listeners) == ["5678-0.0.0.0/0"]
    error_message = "Without TLS the ALB opens only its listener port."
  }
  assert {
    condition     = aws_vpc_security_group_egress_rule.tasks_https.from_port == 443 && aws_vpc_security_group_egress_rule.tasks_https.to_port == 443
    error_message = "The tasks may leave only on HTTPS (image pulls, logs)."
  }
}

run "tasks_private_without_public_ip" {
  assert {
    condition     = aws_ecs_service.this.network_configuration[0].assign_public_ip == false
    error_message = "Tasks must not get a public IP."
  }
  assert {
    condition     = toset(aws_ecs_service.this.network_configuration[0].subnets) == toset(var.private_subnet_ids)
    error_message = "Tasks must run in the private subnets."
  }
  assert {
    condition     = aws_ecs_service.this.network_configuration[0].security_groups == toset([aws_security_group.tasks.id])
    error_message = "Tasks carry only the tasks security group."
  }
}

run "rolling_deployment" {
  assert {
    condition     = aws_ecs_service.this.desired_count == 2
    error_message = "The service starts with the original deployment's 2 tasks."
  }
  assert {
    condition     = aws_ecs_service.this.deployment_maximum_percent == 200 && aws_ecs_service.this.deployment_minimum_healthy_percent == 100
    error_message = "Rolling updates use maximum 200 % and minimum healthy 100 %."
  }
  assert {
    condition     = aws_ecs_service.this.deployment_circuit_breaker[0].enable && aws_ecs_service.this.deployment_circuit_breaker[0].rollback
    error_message = "The deployment circuit breaker must be on with rollback."
  }
  assert {
    condition     = aws_ecs_service.this.alarms[0].enable && aws_ecs_service.this.alarms[0].rollback && aws_ecs_service.this.alarms[0].alarm_names == toset([aws_cloudwatch_metric_alarm.target_5xx.alarm_name])
    error_message = "The target 5xx alarm must roll back a deployment."
  }
  assert {
    condition     = [for query in aws_cloudwatch_metric_alarm.target_5xx.metric_query : query.expression if query.return_data == true] == ["IF(requests > 0, 100 * FILL(errors, 0) / requests, 0)"] && aws_cloudwatch_metric_alarm.target_5xx.threshold == 5 && aws_cloudwatch_metric_alarm.target_5xx.evaluation_periods == 2 && aws_cloudwatch_metric_alarm.target_5xx.datapoints_to_alarm == 2
    error_message = "The rollback alarm fires on more than 5 % of requests answered 5xx, two minutes in a row, not on one burst."
  }
  assert {
    condition     = toset([for query in aws_cloudwatch_metric_alarm.target_5xx.metric_query : query.metric[0].metric_name if length(query.metric) > 0]) == toset(["HTTPCode_Target_5XX_Count", "RequestCount"])
    error_message = "The error rate divides the target 5xx count by the request count."
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.no_healthy_hosts.treat_missing_data == "notBreaching"
    error_message = "A new target group reports no data yet: that must not page."
  }
  assert {
    condition     = aws_ecs_service.this.task_definition == aws_ecs_task_definition.this.arn
    error_message = "The service runs the task definition revision Terraform registers."
  }
  assert {
    condition     = aws_ecs_task_definition.this.skip_destroy == true
    error_message = "Old revisions stay registered so a rollback has something to return to."
  }
  assert {
    condition     = one(aws_ecs_service.this.load_balancer).container_port == 5678 && one(aws_ecs_service.this.load_balancer).container_name == "http-echo"
    error_message = "The service registers the http-echo container's port 5678."
  }
}

run "task_definition" {
  assert {
    condition     = aws_ecs_task_definition.this.requires_compatibilities == toset(["FARGATE"]) && aws_ecs_task_definition.this.network_mode == "awsvpc"
    error_message = "The task runs on Fargate in awsvpc mode."
  }
  assert {
    condition     = aws_ecs_task_definition.this.runtime_platform[0].cpu_architecture == "X86_64" && aws_ecs_task_definition.this.runtime_platform[0].operating_system_family == "LINUX"
    error_message = "The default runtime is Linux on x86_64."
  }
  assert {
    condition     = jsondecode(aws_ecs_task_definition.this.container_definitions)[0].image == var.container_image
    error_message = "The container runs exactly the image given."
  }
  assert {
    condition = {
      for pair in jsondecode(aws_ecs_task_definition.this.container_definitions)[0].environment : pair.name => pair.value
      } == {
      ECHO_TEXT             = "Hello World"
      ECHO_LISTEN           = ":5678"
      ECHO_LOG_FORMAT       = "json"
      ECHO_IDLE_TIMEOUT     = "75s"
      ECHO_SHUTDOWN_DELAY   = "10s"
      ECHO_SHUTDOWN_TIMEOUT = "10s"
      ECHO_SERVED_BY        = "true"
    }
    error_message = "The server is configured through exactly these ECHO_* variables: -served-by on, no fault injected."
  }
  assert {
    condition     = jsondecode(aws_ecs_task_definition.this.container_definitions)[0].healthCheck.command == ["CMD", "/http-echo", "-healthcheck"]
    error_message = "The container health check runs the binary's own probe."
  }
  assert {
    condition     = jsondecode(aws_ecs_task_definition.this.container_definitions)[0].readonlyRootFilesystem == true && jsondecode(aws_ecs_task_definition.this.container_definitions)[0].user == "65532"
    error_message = "The container runs read-only as user 65532."
  }
  assert {
    condition     = jsondecode(aws_ecs_task_definition.this.container_definitions)[0].stopTimeout == 25
    error_message = "stopTimeout must cover shutdown delay + drain timeout + margin (10 + 10 + 5)."
  }
  assert {
    condition     = jsondecode(aws_ecs_task_definition.this.container_definitions)[0].portMappings[0].containerPort == 5678
    error_message = "The container exposes port 5678."
  }
  assert {
    condition     = jsondecode(aws_ecs_task_definition.this.container_definitions)[0].logConfiguration.options["awslogs-group"] == aws_cloudwatch_log_group.this.name
    error_message = "The container logs to the service's log group."
  }
}

run "execution_role_least_privilege" {
  assert {
    condition = toset(flatten([for statement in data.aws_iam_policy_document.execution.statement : statement.actions])) == toset([
      "ecr:GetAuthorizationToken",
      "ecr:BatchCheckLayerAvailability",
      "ecr:BatchGetImage",
      "ecr:GetDownloadUrlForLayer",
      "logs:CreateLogStream",
      "logs:PutLogEvents",
    ])
    error_message = "The execution role may pull images and write logs, nothing else."
  }
  assert {
    condition     = one([for statement in data.aws_iam_policy_document.execution.statement : statement.resources if statement.sid == "EcrPullServiceImage"]) == toset(["arn:aws:ecr:us-east-1:123456789012:repository/http-echo"])
    error_message = "Image pulls are limited to the repository the image comes from."
  }
  assert {
    condition     = one([for statement in data.aws_iam_policy_document.execution.statement : statement.resources if statement.sid == "WriteServiceLogs"]) == toset(["${aws_cloudwatch_log_group.this.arn}:*"])
    error_message = "Log writes are limited to the service's log group."
  }
  assert {
    condition     = aws_ecs_task_definition.this.execution_role_arn == aws_iam_role.execution.arn && aws_ecs_task_definition.this.task_role_arn == aws_iam_role.task.arn
    error_message = "The task uses separate execution and task roles."
  }
}

run "step_scaling_on_cpu" {
  assert {
    condition     = aws_appautoscaling_target.this.min_capacity == 2 && aws_appautoscaling_target.this.scalable_dimension == "ecs:service:DesiredCount"
    error_message = "The scalable target keeps at least 2 tasks."
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.cpu_high[0].threshold == 85 && aws_cloudwatch_metric_alarm.cpu_high[0].comparison_operator == "GreaterThanThreshold" && aws_cloudwatch_metric_alarm.cpu_high[0].metric_name == "CPUUtilization"
    error_message = "Scale out when CPU > 85 %."
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.cpu_low[0].threshold == 10 && aws_cloudwatch_metric_alarm.cpu_low[0].comparison_operator == "LessThanThreshold"
    error_message = "Scale in when CPU < 10 %."
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.cpu_high[0].alarm_actions == toset([aws_appautoscaling_policy.scale_out[0].arn, aws_sns_topic.this.arn])
    error_message = "The high-CPU alarm drives the scale-out policy and notifies SNS."
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.cpu_low[0].alarm_actions == toset([aws_appautoscaling_policy.scale_in[0].arn, aws_sns_topic.this.arn])
    error_message = "The low-CPU alarm drives the scale-in policy and notifies SNS."
  }
  assert {
    condition     = one(aws_appautoscaling_policy.scale_out[0].step_scaling_policy_configuration[0].step_adjustment).scaling_adjustment == 1 && tonumber(one(aws_appautoscaling_policy.scale_out[0].step_scaling_policy_configuration[0].step_adjustment).metric_interval_lower_bound) == 0
    error_message = "Scale out adds one task per step."
  }
  assert {
    condition     = one(aws_appautoscaling_policy.scale_in[0].step_scaling_policy_configuration[0].step_adjustment).scaling_adjustment == -1 && tonumber(one(aws_appautoscaling_policy.scale_in[0].step_scaling_policy_configuration[0].step_adjustment).metric_interval_upper_bound) == 0
    error_message = "Scale in removes one task per step."
  }
  assert {
    condition     = length(aws_appautoscaling_policy.cpu_target) == 0
    error_message = "Target tracking stays off in step mode."
  }
}

run "notifications" {
  assert {
    condition     = aws_sns_topic_subscription.email["oncall@http-echo.internal"].protocol == "email" && aws_sns_topic_subscription.email["oncall@http-echo.internal"].topic_arn == aws_sns_topic.this.arn
    error_message = "Each alarm e-mail address is subscribed to the topic."
  }
  assert {
    condition     = aws_sns_topic.this.kms_master_key_id == aws_kms_key.this.arn
    error_message = "The topic is encrypted with the service's key."
  }
  assert {
    condition = alltrue([
      for alarm in [
        aws_cloudwatch_metric_alarm.target_5xx,
        aws_cloudwatch_metric_alarm.elb_5xx,
        aws_cloudwatch_metric_alarm.no_healthy_hosts,
        aws_cloudwatch_metric_alarm.unhealthy_hosts,
        aws_cloudwatch_metric_alarm.response_time,
        aws_cloudwatch_metric_alarm.memory_high,
        aws_cloudwatch_metric_alarm.undelivered_deployment_events,
      ] : contains(alarm.alarm_actions, aws_sns_topic.this.arn)
    ])
    error_message = "Every alarm notifies the SNS topic."
  }
  assert {
    condition     = aws_cloudwatch_event_target.deployment_problems.arn == aws_sns_topic.this.arn && jsondecode(aws_cloudwatch_event_rule.deployment_problems.event_pattern).detail.eventType == ["WARN", "ERROR"]
    error_message = "Failed deployments and service errors are forwarded to the topic."
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.undelivered_deployment_events.namespace == "AWS/Events" && aws_cloudwatch_metric_alarm.undelivered_deployment_events.metric_name == "FailedInvocations" && aws_cloudwatch_metric_alarm.undelivered_deployment_events.dimensions["RuleName"] == aws_cloudwatch_event_rule.deployment_problems.name
    error_message = "An alarm fires when EventBridge fails to deliver the deployment events."
  }
  assert {
    condition     = [for statement in data.aws_iam_policy_document.key.statement : length(statement.condition) if contains(flatten([for principal in statement.principals : principal.identifiers]), "events.amazonaws.com")] == [0]
    error_message = "The key lets EventBridge encrypt for the topic without source conditions, which EventBridge does not send to an encrypted topic."
  }
  assert {
    condition = one([for statement in data.aws_iam_policy_document.key.statement : { for condition in statement.condition : condition.variable => join(",", condition.values) } if contains(flatten([for principal in statement.principals : principal.identifiers]), "cloudwatch.amazonaws.com")]) == {
      "aws:SourceAccount" = "123456789012"
      "aws:SourceArn"     = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:http-echo-test-*"
    }
    error_message = "CloudWatch may use the key only for this service's alarms (aws:SourceAccount, aws:SourceArn)."
  }
  assert {
    condition = one([for statement in data.aws_iam_policy_document.topic.statement : { for condition in statement.condition : condition.variable => join(",", condition.values) } if contains(flatten([for principal in statement.principals : principal.identifiers]), "events.amazonaws.com")]) == {
      "aws:SourceArn" = aws_cloudwatch_event_rule.deployment_problems.arn
    }
    error_message = "Only the service's own event rule may publish to the topic through EventBridge."
  }
}

run "logs" {
  assert {
    condition     = aws_cloudwatch_log_group.this.retention_in_days == 30 && aws_cloudwatch_log_group.this.kms_key_id == aws_kms_key.this.arn
    error_message = "The log group keeps 30 days by default, encrypted."
  }
  assert {
    condition     = aws_kms_key.this.enable_key_rotation == true
    error_message = "The key rotates."
  }
}

run "dashboard" {
  assert {
    condition = alltrue([
      for metric in ["CPUUtilization", "MemoryUtilization", "RunningTaskCount", "RequestCount", "HTTPCode_Target_4XX_Count", "HTTPCode_Target_5XX_Count", "HTTPCode_ELB_5XX_Count", "TargetResponseTime", "HealthyHostCount", "UnHealthyHostCount"] :
      contains(flatten([for widget in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : [for line in try(widget.properties.metrics, []) : line[1]]]), metric)
    ])
    error_message = "The dashboard shows CPU, memory, running tasks, requests, 4xx/5xx, response time and target health."
  }
  assert {
    condition     = length(jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets[0].properties.alarms) == 9 && length(output.alarm_names) == 9
    error_message = "The dashboard's alarm widget and the alarm_names output show all 9 alarms."
  }
}

run "outputs" {
  assert {
    condition     = output.service_url == "http://${aws_lb.this.dns_name}:5678"
    error_message = "Without a domain the service URL is the ALB on port 5678."
  }
  assert {
    condition     = output.task_definition_family == "http-echo-test" && output.log_group_name == "/ecs/http-echo-test"
    error_message = "Family and log group are named after the service."
  }
}

# After creation the task count belongs to autoscaling: a changed desired_count
# must not reset it (lifecycle ignore_changes).
run "autoscaling_owns_the_count" {
  command = plan

  variables {
    desired_count = 5
  }

  assert {
    condition     = aws_ecs_service.this.desired_count == 2
    error_message = "Terraform must not change the running task count once the service exists."
  }
}

# A deploy is a new image: a new task definition revision with it.
run "deploy_new_image" {
  command = plan

  variables {
    container_image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/http-echo@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
  }

  assert {
    condition     = jsondecode(aws_ecs_task_definition.this.container_definitions)[0].image == var.container_image
    error_message = "A new image goes into a new task definition revision."
  }
}
