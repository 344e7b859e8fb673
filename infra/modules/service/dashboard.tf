# One CloudWatch dashboard with what the original deployment watches: CPU, memory, running
# tasks, requests, 4xx/5xx, response time and target health, plus the alarms.

locals {
  lb  = aws_lb.this.arn_suffix
  tg  = aws_lb_target_group.this.arn_suffix
  ecs = ["ClusterName", aws_ecs_cluster.this.name, "ServiceName", var.name]

  dashboard_widgets = [
    {
      title   = "CPU utilization (%)"
      metrics = [concat(["AWS/ECS", "CPUUtilization"], local.ecs, [{ stat = "Average" }]), concat(["AWS/ECS", "CPUUtilization"], local.ecs, [{ stat = "Maximum" }])]
      annotations = { horizontal = [
        { label = "scale out", value = var.autoscaling.cpu_scale_out_threshold },
        { label = "scale in", value = var.autoscaling.cpu_scale_in_threshold },
      ] }
    },
    {
      title       = "Memory utilization (%)"
      metrics     = [concat(["AWS/ECS", "MemoryUtilization"], local.ecs, [{ stat = "Average" }]), concat(["AWS/ECS", "MemoryUtilization"], local.ecs, [{ stat = "Maximum" }])]
      annotations = { horizontal = [{ label = "alarm", value = var.alarms.memory_percent }] }
    },
    {
      title = "Running tasks"
      metrics = [
        concat(["ECS/ContainerInsights", "RunningTaskCount"], local.ecs, [{ stat = "Average" }]),
        concat(["ECS/ContainerInsights", "DesiredTaskCount"], local.ecs, [{ stat = "Average" }]),
      ]
      annotations = {}
    },
    {
      title       = "Requests (per minute)"
      metrics     = [["AWS/ApplicationELB", "RequestCount", "LoadBalancer", local.lb, { stat = "Sum" }]]
      annotations = {}
    },
    {
      title = "4xx and 5xx responses (per minute)"
      metrics = [
        ["AWS/ApplicationELB", "HTTPCode_Target_4XX_Count", "TargetGroup", local.tg, "LoadBalancer", local.lb, { stat = "Sum" }],
        ["AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "TargetGroup", local.tg, "LoadBalancer", local.lb, { stat = "Sum" }],
        ["AWS/ApplicationELB", "HTTPCode_ELB_4XX_Count", "LoadBalancer", local.lb, { stat = "Sum" }],
        ["AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", "LoadBalancer", local.lb, { stat = "Sum" }],
      ]
      annotations = {}
    },
    {
      title = "Target response time (s)"
      metrics = [
        ["AWS/ApplicationELB", "TargetResponseTime", "TargetGroup", local.tg, "LoadBalancer", local.lb, { stat = "p50" }],
        ["AWS/ApplicationELB", "TargetResponseTime", "TargetGroup", local.tg, "LoadBalancer", local.lb, { stat = "p95" }],
        ["AWS/ApplicationELB", "TargetResponseTime", "TargetGroup", local.tg, "LoadBalancer", local.lb, { stat = "p99" }],
      ]
      annotations = { horizontal = [{ label = "p95 alarm", value = var.alarms.p95_response_seconds }] }
    },
    {
      title = "Healthy and unhealthy targets"
      metrics = [
        ["AWS/ApplicationELB", "HealthyHostCount", "TargetGroup", local.tg, "LoadBalancer", local.lb, { stat = "Minimum" }],
        ["AWS/ApplicationELB", "UnHealthyHostCount", "TargetGroup", local.tg, "LoadBalancer", local.lb, { stat = "Maximum" }],
      ]
      annotations = {}
    },
  ]

  alarm_arns = [for alarm in local.every_alarm : alarm.arn]
}

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = var.name

  dashboard_body = jsonencode({
    widgets = concat(
      [{
        type   = "alarm"
        x      = 0
        y      = 0
        width  = 24
        height = 3
        properties = {
          title  = "Alarms"
          alarms = local.alarm_arns
        }
      }],
      # Two metric graphs per row, 12 columns wide each.
      [for index, widget in local.dashboard_widgets : {
        type   = "metric"
        x      = (index % 2) * 12
        y      = 3 + floor(index / 2) * 6
        width  = 12
        height = 6
        properties = {
          title       = widget.title
          region      = local.region
          view        = "timeSeries"
          stacked     = false
          period      = 60
          metrics     = widget.metrics
          annotations = widget.annotations
        }
      }],
    )
  })
}
