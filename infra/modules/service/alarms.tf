# Alarms that page people through the SNS topic (the scaling alarms are in
# autoscaling.tf, the undelivered-events one in notifications.tf). The target
# 5xx alarm also guards deployments: if it fires while a deployment is in
# progress, ECS rolls the deployment back (unless deployment_alarm_rollback is off).

locals {
  # Every alarm of the service, for the dashboard and the alarm_names output.
  every_alarm = concat(
    aws_cloudwatch_metric_alarm.cpu_high,
    aws_cloudwatch_metric_alarm.cpu_low,
    [
      aws_cloudwatch_metric_alarm.target_5xx,
      aws_cloudwatch_metric_alarm.elb_5xx,
      aws_cloudwatch_metric_alarm.no_healthy_hosts,
      aws_cloudwatch_metric_alarm.unhealthy_hosts,
      aws_cloudwatch_metric_alarm.response_time,
      aws_cloudwatch_metric_alarm.memory_high,
      aws_cloudwatch_metric_alarm.undelivered_deployment_events,
    ],
  )

  alb_dimensions = {
    LoadBalancer = aws_lb.this.arn_suffix
    TargetGroup  = aws_lb_target_group.this.arn_suffix
  }
  service_dimensions = {
    ClusterName = aws_ecs_cluster.this.name
    ServiceName = var.name
  }
}

# The share of requests the tasks answer with 5xx, not their count: a count
# threshold fires on one burst under heavy traffic and never under light traffic.
# It must hold for target_5xx_minutes datapoints in a row before it fires, so one
# bad minute does not roll a good release back.
resource "aws_cloudwatch_metric_alarm" "target_5xx" {
  alarm_name          = "${var.name}-target-5xx"
  alarm_description   = "More than ${var.alarms.target_5xx_percent} % of ${var.name}'s requests answered 5xx by its tasks for ${var.alarms.target_5xx_minutes} min. Also rolls back a deployment in progress (deployment_alarm_rollback)."
  evaluation_periods  = var.alarms.target_5xx_minutes
  datapoints_to_alarm = var.alarms.target_5xx_minutes
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.alarms.target_5xx_percent
  # No requests means no datapoints, which is healthy.
  treat_missing_data = "notBreaching"

  metric_query {
    id          = "error_rate"
    label       = "Target 5xx (% of requests)"
    expression  = "IF(requests > 0, 100 * FILL(errors, 0) / requests, 0)"
    return_data = true
  }
  metric_query {
    id = "errors"
    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_Target_5XX_Count"
      stat        = "Sum"
      period      = 60
      dimensions  = local.alb_dimensions
    }
  }
  metric_query {
    id = "requests"
    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "RequestCount"
      stat        = "Sum"
      period      = 60
      dimensions  = local.alb_dimensions
    }
  }

  alarm_actions = [aws_sns_topic.this.arn]
  ok_actions    = [aws_sns_topic.this.arn]

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "elb_5xx" {
  alarm_name          = "${var.name}-alb-5xx"
  alarm_description   = "The ALB of ${var.name} itself answered more than ${var.alarms.elb_5xx_per_minute} 5xx responses a minute (no healthy target, timeouts, resets)."
  namespace           = "AWS/ApplicationELB"
  metric_name         = "HTTPCode_ELB_5XX_Count"
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = 2
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.alarms.elb_5xx_per_minute
  treat_missing_data  = "notBreaching"
  dimensions          = { LoadBalancer = aws_lb.this.arn_suffix }

  alarm_actions = [aws_sns_topic.this.arn]
  ok_actions    = [aws_sns_topic.this.arn]

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "no_healthy_hosts" {
  alarm_name          = "${var.name}-no-healthy-targets"
  alarm_description   = "${var.name} has no healthy target: the service is down."
  namespace           = "AWS/ApplicationELB"
  metric_name         = "HealthyHostCount"
  statistic           = "Minimum"
  period              = 60
  evaluation_periods  = 2
  comparison_operator = "LessThanThreshold"
  threshold           = 1
  # A new target group reports nothing until its first targets register, so
  # "breaching" would page on every new environment. A service that is down
  # while clients call it shows in the ALB's own 5xx alarm (elb_5xx) as well.
  treat_missing_data = "notBreaching"
  dimensions         = local.alb_dimensions

  alarm_actions = [aws_sns_topic.this.arn]
  ok_actions    = [aws_sns_topic.this.arn]

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "unhealthy_hosts" {
  alarm_name          = "${var.name}-unhealthy-targets"
  alarm_description   = "A target of ${var.name} failed health checks for ${var.alarms.unhealthy_host_minutes} min."
  namespace           = "AWS/ApplicationELB"
  metric_name         = "UnHealthyHostCount"
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = var.alarms.unhealthy_host_minutes
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  dimensions          = local.alb_dimensions

  alarm_actions = [aws_sns_topic.this.arn]
  ok_actions    = [aws_sns_topic.this.arn]

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "response_time" {
  alarm_name          = "${var.name}-p95-response-time"
  alarm_description   = "95th percentile response time of ${var.name} above ${var.alarms.p95_response_seconds} s for 5 min."
  namespace           = "AWS/ApplicationELB"
  metric_name         = "TargetResponseTime"
  extended_statistic  = "p95"
  period              = 60
  evaluation_periods  = 5
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.alarms.p95_response_seconds
  treat_missing_data  = "notBreaching"
  dimensions          = local.alb_dimensions

  alarm_actions = [aws_sns_topic.this.arn]
  ok_actions    = [aws_sns_topic.this.arn]

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "memory_high" {
  alarm_name          = "${var.name}-memory-high"
  alarm_description   = "Average memory of ${var.name} above ${var.alarms.memory_percent} % for 5 min."
  namespace           = "AWS/ECS"
  metric_name         = "MemoryUtilization"
  statistic           = "Average"
  period              = 60
  evaluation_periods  = 5
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.alarms.memory_percent
  treat_missing_data  = "notBreaching"
  dimensions          = local.service_dimensions

  alarm_actions = [aws_sns_topic.this.arn]
  ok_actions    = [aws_sns_topic.this.arn]

  tags = var.tags
}
