# The http-echo service on ECS Fargate behind an Application Load Balancer, with
# everything it needs to run and be watched: TLS and DNS when a domain is given,
# autoscaling on CPU, alarms, a dashboard, logs and an SNS topic for people.
#
# Files by concern: alb.tf (load balancer, listeners, security groups, access
# logs), dns.tf (certificate and alias), ecs.tf (cluster, task definition,
# service), iam.tf (task roles), autoscaling.tf, alarms.tf, notifications.tf
# (SNS and deployment events), dashboard.tf. This file holds shared values and
# the encryption key for logs and notifications.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name

  container_name = "http-echo"
  tls_enabled    = var.domain_name != null

  # ECS gives the server this long between SIGTERM and SIGKILL: its whole drain
  # (delay, then in-flight requests) plus a margin for process exit.
  stop_timeout_seconds = var.shutdown_delay_seconds + var.shutdown_timeout_seconds + 5

  # An image from ECR ("<account>.dkr.ecr.<region>.amazonaws.com/<repo>:tag"):
  # the execution role may pull from that one repository and no other.
  ecr_image = try(regex("^(?P<account>[0-9]{12})\\.dkr\\.ecr\\.(?P<region>[a-z0-9-]+)\\.amazonaws\\.com(?:\\.cn)?/(?P<repository>[^:@]+)", var.container_image), null)
  ecr_repository_arn = local.ecr_image == null ? null : format(
    "arn:%s:ecr:%s:%s:repository/%s",
    local.partition, local.ecr_image.region, local.ecr_image.account, local.ecr_image.repository,
  )

  # Every alarm of the service is named "<name>-...".
  alarm_arn_pattern = "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:${var.name}-*"
}

################################################################################
# Encryption key for the log group and the SNS topic
################################################################################

# A customer managed key rather than AWS managed ones: CloudWatch alarms and
# EventBridge can only publish to an encrypted topic whose key policy lets them.
data "aws_iam_policy_document" "key" {
  #checkov:skip=CKV_AWS_111:In a key policy, Resource "*" means this key only; the account statement is AWS's default key policy, which hands control to IAM.
  #checkov:skip=CKV_AWS_356:As CKV_AWS_111: a key policy cannot name its own key's ARN, "*" is the documented form.
  #checkov:skip=CKV_AWS_109:As CKV_AWS_111: the account (not a person) administers its own key; services get only encrypt/decrypt, bounded by conditions.
  statement {
    sid       = "AccountAdministersKey"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  statement {
    sid = "CloudWatchLogsEncryptsThisServicesLogs"
    actions = [
      "kms:Encrypt*",
      "kms:Decrypt*",
      "kms:ReEncrypt*",
      "kms:GenerateDataKey*",
      "kms:Describe*",
    ]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.amazonaws.com"]
    }
    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/ecs/${var.name}"]
    }
  }

  # The deploy role creates and changes this key, so it must be able to change the
  # policy afterwards (KMS refuses a policy that would lock its creator out); the
  # plan role reads it for a plan. Named here, in this environment's key only:
  # no identity policy grants either role anything on keys.
  dynamic "statement" {
    for_each = length(var.key_administrator_arns) > 0 ? [1] : []
    content {
      sid = "DeployRoleManagesThisKey"
      actions = [
        "kms:CancelKeyDeletion",
        "kms:CreateAlias",
        "kms:DeleteAlias",
        "kms:DescribeKey",
        "kms:DisableKeyRotation",
        "kms:EnableKeyRotation",
        "kms:GetKeyPolicy",
        "kms:GetKeyRotationStatus",
        "kms:ListResourceTags",
        "kms:PutKeyPolicy",
        "kms:ScheduleKeyDeletion",
        "kms:TagResource",
        "kms:UntagResource",
        "kms:UpdateAlias",
        "kms:UpdateKeyDescription",
      ]
      resources = ["*"]
      principals {
        type        = "AWS"
        identifiers = var.key_administrator_arns
      }
    }
  }

  dynamic "statement" {
    for_each = length(var.key_reader_arns) > 0 ? [1] : []
    content {
      sid       = "PlanRoleReadsThisKey"
      actions   = ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags"]
      resources = ["*"]
      principals {
        type        = "AWS"
        identifiers = var.key_reader_arns
      }
    }
  }

  statement {
    sid       = "AlarmsOfThisServicePublishToTheTopic"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]
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

  # EventBridge sends no aws:SourceAccount or aws:SourceArn when it delivers to an
  # encrypted SNS topic, so a condition on them would silently drop every
  # deployment event. The topic's own policy admits only this service's rule.
  statement {
    sid       = "EventsPublishToTheTopic"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
  }
}

resource "aws_kms_key" "this" {
  description             = "${var.name}: service logs and alert notifications"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.key.json

  tags = var.tags
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.name}"
  target_key_id = aws_kms_key.this.key_id
}
