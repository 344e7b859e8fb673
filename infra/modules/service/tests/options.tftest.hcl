# The module's switches beyond the defaults: Graviton, Fargate Spot, target
# tracking, no access logs, images outside ECR, faults injected for a rehearsal.

mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  name               = "http-echo-test"
  vpc_id             = "vpc-0a1b2c3d4e5f60718"
  public_subnet_ids  = ["subnet-public-a", "subnet-public-b"]
  private_subnet_ids = ["subnet-private-a", "subnet-private-b"]
  container_image    = "123456789012.dkr.ecr.us-east-1.amazonaws.com/http-echo:3f2c1ab"
}

run "arm64_runtime" {
  command = plan
  variables {
    cpu_architecture = "ARM64"
  }
  assert {
    condition     = aws_ecs_task_definition.this.runtime_platform[0].cpu_architecture == "ARM64"
    error_message = "cpu_architecture = ARM64 runs the task on Graviton."
  }
}

run "fargate_spot_keeps_one_regular_task" {
  command = plan
  variables {
    fargate_spot = true
  }
  assert {
    condition = {
      for strategy in aws_ecs_service.this.capacity_provider_strategy : strategy.capacity_provider => [strategy.base, strategy.weight]
    } == { FARGATE = [1, 0], FARGATE_SPOT = [0, 1] }
    error_message = "With Spot, one task stays on regular Fargate and the rest go to Spot."
  }
}

run "regular_fargate_by_default" {
  command = plan
  assert {
    condition = {
      for strategy in aws_ecs_service.this.capacity_provider_strategy : strategy.capacity_provider => strategy.weight
    } == { FARGATE = 1 }
    error_message = "Without Spot every task runs on regular Fargate."
  }
}

run "target_tracking_instead_of_steps" {
  command = plan
  variables {
    autoscaling = {
      policy     = "target_tracking"
      cpu_target = 55
    }
  }
  assert {
    condition     = length(aws_appautoscaling_policy.cpu_target) == 1 && aws_appautoscaling_policy.cpu_target[0].target_tracking_scaling_policy_configuration[0].target_value == 55
    error_message = "Target tracking keeps CPU at cpu_target."
  }
  assert {
    condition     = length(aws_cloudwatch_metric_alarm.cpu_high) == 0 && length(aws_cloudwatch_metric_alarm.cpu_low) == 0 && length(aws_appautoscaling_policy.scale_out) == 0
    error_message = "Step policies and their alarms are not created in target-tracking mode."
  }
}

run "alarm_rollback_off_for_a_hotfix" {
  command = plan
  variables {
    deployment_alarm_rollback = false
  }
  assert {
    condition     = aws_ecs_service.this.alarms[0].enable == false && aws_ecs_service.this.alarms[0].rollback == false
    error_message = "deployment_alarm_rollback = false stops the 5xx alarm from rolling a deployment back."
  }
  assert {
    condition     = aws_ecs_service.this.deployment_circuit_breaker[0].enable && aws_ecs_service.this.deployment_circuit_breaker[0].rollback
    error_message = "The circuit breaker stays on: tasks that fail to start are still rolled back."
  }
}

run "roles_and_key_for_the_deploy_roles" {
  command = plan
  variables {
    permissions_boundary_arn = "arn:aws:iam::123456789012:policy/http-echo-boundary-test"
    key_administrator_arns   = ["arn:aws:iam::123456789012:role/http-echo-deploy-test"]
    key_reader_arns          = ["arn:aws:iam::123456789012:role/http-echo-plan-test"]
  }
  assert {
    condition     = aws_iam_role.execution.permissions_boundary == var.permissions_boundary_arn && aws_iam_role.task.permissions_boundary == var.permissions_boundary_arn
    error_message = "The execution and task roles carry the environment's permissions boundary."
  }
  assert {
    condition = {
      for statement in data.aws_iam_policy_document.key.statement : statement.sid => flatten([for principal in statement.principals : principal.identifiers])
      if contains(["DeployRoleManagesThisKey", "PlanRoleReadsThisKey"], statement.sid)
      } == {
      DeployRoleManagesThisKey = ["arn:aws:iam::123456789012:role/http-echo-deploy-test"]
      PlanRoleReadsThisKey     = ["arn:aws:iam::123456789012:role/http-echo-plan-test"]
    }
    error_message = "The key policy names the deploy role (manage) and the plan role (read) of this environment."
  }
  assert {
    condition     = alltrue([for statement in data.aws_iam_policy_document.key.statement : !contains(statement.actions, "kms:*") if statement.sid == "DeployRoleManagesThisKey"]) && contains(one([for statement in data.aws_iam_policy_document.key.statement : statement.actions if statement.sid == "DeployRoleManagesThisKey"]), "kms:PutKeyPolicy")
    error_message = "The deploy role gets named key actions (PutKeyPolicy among them, which KMS requires of the key's creator), not kms:*."
  }
}

run "target_group_renamed_when_replaced" {
  command = plan
  variables {
    container_port = 8080
  }
  assert {
    condition     = startswith(output.target_group_name, "http-echo-test-") && output.target_group_name != "http-echo-test-${substr(sha1(jsonencode([5678, "HTTP", "ip", var.vpc_id])), 0, 6)}"
    error_message = "A setting that replaces the target group gives it a new name, so create_before_destroy can make it next to the old one."
  }
}

run "access_logs_off" {
  command = plan
  variables {
    access_logs = { enabled = false }
  }
  assert {
    condition     = length(aws_s3_bucket.access_logs) == 0 && length(aws_lb.this.access_logs) == 0
    error_message = "Without access logs there is no bucket and no logging block."
  }
}

run "image_outside_ecr_grants_no_pull" {
  command = plan
  variables {
    container_image = "docker.io/hashicorp/http-echo:1.0"
  }
  assert {
    condition     = length([for statement in data.aws_iam_policy_document.execution.statement : statement if statement.sid == "EcrPullServiceImage"]) == 0
    error_message = "An image outside ECR needs no ECR pull permission, and gets none."
  }
}

run "restricted_ingress" {
  command = plan
  variables {
    allowed_ingress_cidrs = ["203.0.113.0/24", "198.51.100.0/24"]
  }
  assert {
    condition     = toset(keys(aws_vpc_security_group_ingress_rule.alb_listeners)) == toset(["5678-203.0.113.0/24", "5678-198.51.100.0/24"])
    error_message = "Only the allowed ranges reach the listener."
  }
}

run "drain_settings_follow_variables" {
  command = plan
  variables {
    shutdown_delay_seconds   = 20
    shutdown_timeout_seconds = 30
  }
  assert {
    condition     = jsondecode(aws_ecs_task_definition.this.container_definitions)[0].stopTimeout == 55
    error_message = "stopTimeout follows delay + timeout + 5."
  }
}

run "fault_injection_sets_the_server_faults" {
  command = plan
  variables {
    fault_injection = {
      error_rate              = 0.5
      delay_seconds           = 2
      ready_after_seconds     = 5
      unhealthy_after_seconds = 600
    }
  }
  assert {
    condition = {
      for pair in jsondecode(aws_ecs_task_definition.this.container_definitions)[0].environment : pair.name => pair.value
      if contains(["ECHO_ERROR_RATE", "ECHO_DELAY", "ECHO_READY_AFTER", "ECHO_UNHEALTHY_AFTER"], pair.name)
      } == {
      ECHO_ERROR_RATE      = "0.5"
      ECHO_DELAY           = "2s"
      ECHO_READY_AFTER     = "5s"
      ECHO_UNHEALTHY_AFTER = "600s"
    }
    error_message = "Each fault set becomes the server's ECHO_* variable."
  }
}

run "one_fault_sets_one_variable" {
  command = plan
  variables {
    fault_injection = { error_rate = 1 }
  }
  assert {
    condition = [
      for pair in jsondecode(aws_ecs_task_definition.this.container_definitions)[0].environment : "${pair.name}=${pair.value}"
      if contains(["ECHO_ERROR_RATE", "ECHO_DELAY", "ECHO_READY_AFTER", "ECHO_UNHEALTHY_AFTER"], pair.name)
    ] == ["ECHO_ERROR_RATE=1"]
    error_message = "Only the faults set reach the task definition."
  }
  assert {
    condition     = contains(jsondecode(aws_ecs_task_definition.this.container_definitions)[0].environment, { name = "ECHO_SERVED_BY", value = "true" })
    error_message = "A rehearsal keeps the rest of the settings."
  }
}
