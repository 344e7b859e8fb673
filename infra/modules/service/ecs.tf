# The ECS cluster, the task definition of the http-echo container, and the
# service that keeps the tasks running behind the target group.
#
# Who owns what (so Terraform and CI never fight): Terraform owns the task
# definition. A deploy is `terraform apply -var container_image=...`, which
# registers a new revision and points the service at it. The running task count
# belongs to autoscaling once the service exists: desired_count only sets its start.

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_338:Retention is a per-environment value (log_retention_days); an access log of an echo server is not kept for a year.
  name              = "/ecs/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.this.arn

  tags = var.tags
}

resource "aws_ecs_cluster" "this" {
  name = var.name

  setting {
    name  = "containerInsights"
    value = var.container_insights ? "enabled" : "disabled"
  }

  tags = var.tags
}

resource "aws_ecs_cluster_capacity_providers" "this" {
  cluster_name       = aws_ecs_cluster.this.name
  capacity_providers = ["FARGATE", "FARGATE_SPOT"]

  default_capacity_provider_strategy {
    capacity_provider = "FARGATE"
    weight            = 1
  }
}

locals {
  # Faults injected on purpose (a rehearsal, var.fault_injection): only those set,
  # so that without any the task definition is what it always was.
  fault_environment = {
    for name, value in {
      ECHO_ERROR_RATE      = var.fault_injection.error_rate == null ? null : tostring(var.fault_injection.error_rate)
      ECHO_DELAY           = var.fault_injection.delay_seconds == null ? null : "${var.fault_injection.delay_seconds}s"
      ECHO_READY_AFTER     = var.fault_injection.ready_after_seconds == null ? null : "${var.fault_injection.ready_after_seconds}s"
      ECHO_UNHEALTHY_AFTER = var.fault_injection.unhealthy_after_seconds == null ? null : "${var.fault_injection.unhealthy_after_seconds}s"
    } : name => value if value != null
  }

  # Settings of the server, as its ECHO_* environment variables (a map, so the
  # JSON keeps one stable order and plans show no false changes).
  server_environment = merge({
    ECHO_TEXT             = var.echo_text
    ECHO_LISTEN           = ":${var.container_port}"
    ECHO_LOG_FORMAT       = "json"
    ECHO_IDLE_TIMEOUT     = "${var.server_idle_timeout_seconds}s"
    ECHO_SHUTDOWN_DELAY   = "${var.shutdown_delay_seconds}s"
    ECHO_SHUTDOWN_TIMEOUT = "${var.shutdown_timeout_seconds}s"
    # X-Served-By on every answer and served_by in the log: the task, its zone and
    # its revision, read once at start from the task metadata endpoint v4, which ECS
    # gives every container. Reading it takes no permission (the task role stays
    # empty) and no rule (security groups do not filter the endpoint, 169.254.170.2),
    # so the watch of a rollout names the tasks that answered.
    ECHO_SERVED_BY = "true"
  }, local.fault_environment)

  container_definition = {
    name      = local.container_name
    image     = var.container_image
    essential = true

    portMappings = [{
      name          = "http"
      containerPort = var.container_port
      protocol      = "tcp"
      appProtocol   = "http"
    }]

    environment = [for key, value in local.server_environment : { name = key, value = value }]

    # The image has no shell: the binary probes its own /health.
    healthCheck = {
      command     = ["CMD", "/http-echo", "-healthcheck"]
      interval    = 10
      timeout     = 5
      retries     = 3
      startPeriod = 10
    }

    readonlyRootFilesystem = true
    user                   = "65532"
    stopTimeout            = local.stop_timeout_seconds

    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.this.name
        awslogs-region        = local.region
        awslogs-stream-prefix = local.container_name
      }
    }
  }
}

resource "aws_ecs_task_definition" "this" {
  family                   = var.name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.cpu
  memory                   = var.memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn
  container_definitions    = jsonencode([local.container_definition])

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.cpu_architecture
  }

  # Keep superseded revisions registered: the deployment circuit breaker rolls
  # back to the previous one, which must still exist.
  skip_destroy = true

  tags = var.tags
}

resource "aws_ecs_service" "this" {
  name                              = var.name
  cluster                           = aws_ecs_cluster.this.id
  task_definition                   = aws_ecs_task_definition.this.arn
  desired_count                     = var.desired_count
  platform_version                  = "LATEST"
  health_check_grace_period_seconds = var.health_check_grace_period_seconds
  enable_ecs_managed_tags           = true
  propagate_tags                    = "SERVICE"
  wait_for_steady_state             = var.wait_for_steady_state

  # Rolling update with no loss of capacity: a full set of new tasks starts
  # (200 %) before old ones stop, and healthy tasks never drop below 100 %.
  deployment_controller {
    type = "ECS"
  }
  deployment_maximum_percent         = var.deployment_maximum_percent
  deployment_minimum_healthy_percent = var.deployment_minimum_healthy_percent

  # A deployment whose tasks keep failing, or during which the targets answer
  # 5xx, is stopped and rolled back to the last working revision.
  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }
  alarms {
    enable      = var.deployment_alarm_rollback
    rollback    = var.deployment_alarm_rollback
    alarm_names = [aws_cloudwatch_metric_alarm.target_5xx.alarm_name]
  }

  # Spot for everything above one task when fargate_spot is on: one task always
  # runs on regular Fargate, so a Spot reclaim never empties the service.
  dynamic "capacity_provider_strategy" {
    for_each = var.fargate_spot ? { FARGATE = { base = 1, weight = 0 }, FARGATE_SPOT = { base = 0, weight = 1 } } : { FARGATE = { base = 0, weight = 1 } }
    content {
      capacity_provider = capacity_provider_strategy.key
      base              = capacity_provider_strategy.value.base
      weight            = capacity_provider_strategy.value.weight
    }
  }

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.tasks.id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.this.arn
    container_name   = local.container_name
    container_port   = var.container_port
  }

  tags = var.tags

  lifecycle {
    # Autoscaling moves the count; re-applying must not reset it.
    ignore_changes = [desired_count]

    # With wait_for_steady_state the provider reports success when the steady
    # state was reached by a rollback (a known provider behaviour): the service
    # is then stable on the previous revision. Its read-back after the apply
    # names that revision, and this fails the apply, by hand as in the pipeline.
    postcondition {
      condition     = self.task_definition == aws_ecs_task_definition.this.arn
      error_message = "The service runs ${self.task_definition}, not ${aws_ecs_task_definition.this.arn}, the revision this apply registered: ECS rolled the deployment back (circuit breaker or the 5xx alarm). Look at the service's events; the next apply with a working image fixes the drift."
    }
  }

  # The target group must be attached to a listener before a service can use it,
  # and the capacity providers must be on the cluster before the strategy names them.
  depends_on = [
    aws_lb_listener.http,
    aws_lb_listener.https,
    aws_ecs_cluster_capacity_providers.this,
    aws_iam_role_policy.execution,
  ]
}
