# One SNS topic for everything people should hear about: alarms (including each
# scaling step) and failed or rolled-back deployments, with e-mail subscriptions.

resource "aws_sns_topic" "this" {
  name              = "${var.name}-alerts"
  display_name      = "${var.name} alerts"
  kms_master_key_id = aws_kms_key.this.arn

  tags = var.tags
}

data "aws_iam_policy_document" "topic" {
  statement {
    sid       = "AccountManagesTopic"
    actions   = ["sns:*"]
    resources = [aws_sns_topic.this.arn]
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  statement {
    sid       = "AlarmsOfThisServicePublish"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.this.arn]
    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = [local.alarm_arn_pattern]
    }
  }

  statement {
    sid       = "DeploymentEventsPublish"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.this.arn]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.deployment_problems.arn]
    }
  }
}

resource "aws_sns_topic_policy" "this" {
  arn    = aws_sns_topic.this.arn
  policy = data.aws_iam_policy_document.topic.json
}

resource "aws_sns_topic_subscription" "email" {
  for_each = toset(var.alarm_emails)

  topic_arn = aws_sns_topic.this.arn
  protocol  = "email"
  endpoint  = each.value
}

# ECS reports deployments it gave up on (circuit breaker or alarm rollback) and
# tasks it could not place as events; forward those to the topic.
resource "aws_cloudwatch_event_rule" "deployment_problems" {
  name        = "${var.name}-deployment-problems"
  description = "Failed deployments and service errors of ${var.name}"

  # Deployment state changes are ERROR only when a deployment failed; service
  # actions are WARN or ERROR when tasks cannot be placed or keep failing.
  event_pattern = jsonencode({
    source      = ["aws.ecs"]
    resources   = [aws_ecs_service.this.id]
    detail-type = ["ECS Deployment State Change", "ECS Service Action"]
    detail      = { eventType = ["WARN", "ERROR"] }
  })

  tags = var.tags
}

resource "aws_cloudwatch_event_target" "deployment_problems" {
  rule = aws_cloudwatch_event_rule.deployment_problems.name
  arn  = aws_sns_topic.this.arn
}

# A delivery that fails (a key or topic policy that refuses EventBridge) is
# otherwise invisible: EventBridge drops the event and only counts it.
resource "aws_cloudwatch_metric_alarm" "undelivered_deployment_events" {
  alarm_name          = "${var.name}-undelivered-deployment-events"
  alarm_description   = "EventBridge could not deliver ${var.name}'s deployment events to the SNS topic: check the topic's and the key's policies."
  namespace           = "AWS/Events"
  metric_name         = "FailedInvocations"
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  dimensions          = { RuleName = aws_cloudwatch_event_rule.deployment_problems.name }

  alarm_actions = [aws_sns_topic.this.arn]
  ok_actions    = [aws_sns_topic.this.arn]

  tags = var.tags
}
