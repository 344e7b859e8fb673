# The task count follows CPU. "step" (the original deployment's way): two CloudWatch alarms on
# the service's average CPU each drive a step policy, one task at a time, and
# notify the SNS topic, so people hear of every scaling event. "target_tracking":
# AWS keeps CPU near a target with alarms it manages itself.

locals {
  step_scaling = var.autoscaling.policy == "step"
}

resource "aws_appautoscaling_target" "this" {
  service_namespace  = "ecs"
  resource_id        = "service/${aws_ecs_cluster.this.name}/${aws_ecs_service.this.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = var.autoscaling.min_capacity
  max_capacity       = var.autoscaling.max_capacity

  tags = var.tags
}

resource "aws_appautoscaling_policy" "scale_out" {
  count = local.step_scaling ? 1 : 0

  name               = "${var.name}-cpu-scale-out"
  policy_type        = "StepScaling"
  service_namespace  = aws_appautoscaling_target.this.service_namespace
  resource_id        = aws_appautoscaling_target.this.resource_id
  scalable_dimension = aws_appautoscaling_target.this.scalable_dimension

  step_scaling_policy_configuration {
    adjustment_type         = "ChangeInCapacity"
    cooldown                = var.autoscaling.scale_out_cooldown
    metric_aggregation_type = "Average"

    # Any breach of the high-CPU alarm adds one task.
    step_adjustment {
      metric_interval_lower_bound = 0
      scaling_adjustment          = 1
    }
  }
}

resource "aws_appautoscaling_policy" "scale_in" {
  count = local.step_scaling ? 1 : 0

  name               = "${var.name}-cpu-scale-in"
  policy_type        = "StepScaling"
  service_namespace  = aws_appautoscaling_target.this.service_namespace
  resource_id        = aws_appautoscaling_target.this.resource_id
  scalable_dimension = aws_appautoscaling_target.this.scalable_dimension

  step_scaling_policy_configuration {
    adjustment_type         = "ChangeInCapacity"
    cooldown                = var.autoscaling.scale_in_cooldown
    metric_aggregation_type = "Average"

    # Any breach of the low-CPU alarm removes one task (never below min_capacity).
    step_adjustment {
      metric_interval_upper_bound = 0
      scaling_adjustment          = -1
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "cpu_high" {
  count = local.step_scaling ? 1 : 0

  alarm_name          = "${var.name}-cpu-high"
  alarm_description   = "Average CPU of ${var.name} above ${var.autoscaling.cpu_scale_out_threshold} % for ${var.autoscaling.scale_out_minutes} min: adding a task."
  namespace           = "AWS/ECS"
  metric_name         = "CPUUtilization"
  statistic           = "Average"
  period              = 60
  evaluation_periods  = var.autoscaling.scale_out_minutes
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.autoscaling.cpu_scale_out_threshold
  treat_missing_data  = "notBreaching"

  dimensions = {
    ClusterName = aws_ecs_cluster.this.name
    ServiceName = aws_ecs_service.this.name
  }

  alarm_actions = [aws_appautoscaling_policy.scale_out[0].arn, aws_sns_topic.this.arn]

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "cpu_low" {
  count = local.step_scaling ? 1 : 0

  alarm_name          = "${var.name}-cpu-low"
  alarm_description   = "Average CPU of ${var.name} below ${var.autoscaling.cpu_scale_in_threshold} % for ${var.autoscaling.scale_in_minutes} min: removing a task."
  namespace           = "AWS/ECS"
  metric_name         = "CPUUtilization"
  statistic           = "Average"
  period              = 60
  evaluation_periods  = var.autoscaling.scale_in_minutes
  comparison_operator = "LessThanThreshold"
  threshold           = var.autoscaling.cpu_scale_in_threshold
  # No data (no tasks reporting) is no reason to remove capacity.
  treat_missing_data = "notBreaching"

  dimensions = {
    ClusterName = aws_ecs_cluster.this.name
    ServiceName = aws_ecs_service.this.name
  }

  alarm_actions = [aws_appautoscaling_policy.scale_in[0].arn, aws_sns_topic.this.arn]

  tags = var.tags
}

resource "aws_appautoscaling_policy" "cpu_target" {
  count = local.step_scaling ? 0 : 1

  name               = "${var.name}-cpu-target"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this.service_namespace
  resource_id        = aws_appautoscaling_target.this.resource_id
  scalable_dimension = aws_appautoscaling_target.this.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.autoscaling.cpu_target
    scale_out_cooldown = var.autoscaling.scale_out_cooldown
    scale_in_cooldown  = var.autoscaling.scale_in_cooldown

    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}
