# The internet-facing Application Load Balancer: security groups that let the
# ALB reach only the tasks and the tasks be reached only from the ALB, the target
# group, the listeners, and the bucket for its access logs.

locals {
  # Ports the ALB accepts: the original deployment's HTTP port, and with TLS also 443 and 80
  # (both plain-HTTP ports then only redirect).
  listener_ports = toset(local.tls_enabled ? distinct([var.listener_port, 80, 443]) : [var.listener_port])

  ingress_rules = {
    for pair in setproduct(local.listener_ports, var.allowed_ingress_cidrs) :
    "${pair[0]}-${pair[1]}" => { port = pair[0], cidr = pair[1] }
  }
}

################################################################################
# Security groups
################################################################################

resource "aws_security_group" "alb" {
  name        = "${var.name}-alb"
  description = "ALB of ${var.name}: listeners open to allowed_ingress_cidrs, egress only to the tasks"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name}-alb" })
}

resource "aws_security_group" "tasks" {
  name        = "${var.name}-tasks"
  description = "Tasks of ${var.name}: the container port from the ALB only, HTTPS out for ECR and logs"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name}-tasks" })
}

resource "aws_vpc_security_group_ingress_rule" "alb_listeners" {
  for_each = local.ingress_rules

  security_group_id = aws_security_group.alb.id
  description       = "Clients to listener port ${each.value.port}"
  ip_protocol       = "tcp"
  from_port         = each.value.port
  to_port           = each.value.port
  cidr_ipv4         = each.value.cidr
}

resource "aws_vpc_security_group_egress_rule" "alb_to_tasks" {
  security_group_id            = aws_security_group.alb.id
  description                  = "Forward requests and health checks to the tasks only"
  ip_protocol                  = "tcp"
  from_port                    = var.container_port
  to_port                      = var.container_port
  referenced_security_group_id = aws_security_group.tasks.id
}

resource "aws_vpc_security_group_ingress_rule" "tasks_from_alb" {
  security_group_id            = aws_security_group.tasks.id
  description                  = "Requests and health checks from the ALB, on the container port only"
  ip_protocol                  = "tcp"
  from_port                    = var.container_port
  to_port                      = var.container_port
  referenced_security_group_id = aws_security_group.alb.id
}

# Fargate pulls the image and ships logs through the task's network interface:
# HTTPS to ECR, S3 (image layers) and CloudWatch Logs, via NAT or VPC endpoints.
# The server itself opens no outbound connections.
resource "aws_vpc_security_group_egress_rule" "tasks_https" {
  security_group_id = aws_security_group.tasks.id
  description       = "HTTPS to ECR, S3 and CloudWatch Logs for image pulls and logs"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

################################################################################
# Load balancer
################################################################################

resource "aws_lb" "this" {
  #checkov:skip=CKV2_AWS_28:A WAF web ACL costs more than the rest of dev together and http-echo has no input to protect; attach one with aws_wafv2_web_acl_association when the service grows.
  #checkov:skip=CKV_AWS_150:Deletion protection is a per-environment value (var.deletion_protection): on in prod, off in dev so it can be torn down.
  #checkov:skip=CKV2_AWS_20:HTTP is redirected to HTTPS whenever a certificate can exist (domain_name set); without a domain the original plain-HTTP listener is the only one possible.
  name                       = var.name
  load_balancer_type         = "application"
  internal                   = false
  security_groups            = [aws_security_group.alb.id]
  subnets                    = var.public_subnet_ids
  idle_timeout               = var.alb_idle_timeout_seconds
  drop_invalid_header_fields = true
  enable_deletion_protection = var.deletion_protection

  dynamic "access_logs" {
    for_each = var.access_logs.enabled ? [1] : []
    content {
      enabled = true
      bucket  = aws_s3_bucket.access_logs[0].id
      prefix  = "alb"
    }
  }

  tags = var.tags

  # The ALB checks it may write to the bucket when access logs are switched on.
  depends_on = [aws_s3_bucket_policy.access_logs]
}

resource "aws_lb_target_group" "this" {
  #checkov:skip=CKV_AWS_378:TLS ends at the ALB (ACM certificates cannot be exported to the tasks); ALB-to-task traffic stays inside the VPC, between two security groups that admit only each other.
  # A target group cannot be changed in place (port, protocol, target type, VPC)
  # and two cannot share a name: the name carries a digest of those settings, so
  # a replacement is created under a new name before the old one goes. The name
  # keeps the environment's prefix, which the deploy roles' permissions match.
  name        = "${var.name}-${substr(sha1(jsonencode([var.container_port, "HTTP", "ip", var.vpc_id])), 0, 6)}"
  port        = var.container_port
  protocol    = "HTTP"
  target_type = "ip"
  vpc_id      = var.vpc_id
  # A leaving task gets this long to finish its requests before ECS stops it.
  deregistration_delay = var.deregistration_delay_seconds

  health_check {
    enabled             = true
    protocol            = "HTTP"
    port                = "traffic-port"
    path                = var.health_check.path
    matcher             = "200"
    interval            = var.health_check.interval_seconds
    timeout             = var.health_check.timeout_seconds
    healthy_threshold   = var.health_check.healthy_threshold
    unhealthy_threshold = var.health_check.unhealthy_threshold
  }

  tags = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

################################################################################
# Listeners
################################################################################

# The original deployment's listener. Without a domain it forwards to the tasks; with one it
# redirects to HTTPS, so plain HTTP never carries a response.
resource "aws_lb_listener" "http" {
  #checkov:skip=CKV_AWS_2:Plain HTTP serves only while no domain_name is set (no certificate can exist without one); with a domain this listener redirects to HTTPS.
  load_balancer_arn = aws_lb.this.arn
  port              = var.listener_port
  protocol          = "HTTP"

  default_action {
    type             = local.tls_enabled ? "redirect" : "forward"
    target_group_arn = local.tls_enabled ? null : aws_lb_target_group.this.arn

    dynamic "redirect" {
      for_each = local.tls_enabled ? [1] : []
      content {
        protocol    = "HTTPS"
        port        = "443"
        status_code = "HTTP_301"
      }
    }
  }

  tags = var.tags
}

# Browsers try port 80 first: with a domain, send them to HTTPS too.
resource "aws_lb_listener" "http_redirect" {
  count = local.tls_enabled && var.listener_port != 80 ? 1 : 0

  load_balancer_arn = aws_lb.this.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type = "redirect"
    redirect {
      protocol    = "HTTPS"
      port        = "443"
      status_code = "HTTP_301"
    }
  }

  tags = var.tags
}

resource "aws_lb_listener" "https" {
  count = local.tls_enabled ? 1 : 0

  load_balancer_arn = aws_lb.this.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = var.ssl_policy
  certificate_arn   = aws_acm_certificate_validation.this[0].certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this.arn
  }

  tags = var.tags
}

################################################################################
# Access logs bucket
################################################################################

# Where ELB delivers logs from: the regional ELB account in older regions, the
# log-delivery service principal in newer ones. Both are allowed.
data "aws_elb_service_account" "current" {}

resource "aws_s3_bucket" "access_logs" {
  count = var.access_logs.enabled ? 1 : 0

  #checkov:skip=CKV_AWS_18:This bucket is the access log; logging it to another bucket would only log the log deliveries.
  #checkov:skip=CKV_AWS_144:Access logs are diagnostic and kept for a limited time; a replica in a second region would double their cost for no recovery need.
  #checkov:skip=CKV_AWS_145:ALB access logs can only be delivered to buckets encrypted with SSE-S3 (AES256), not KMS.
  #checkov:skip=CKV2_AWS_62:Nothing consumes new log objects as events; they are read on demand (Athena, download).
  bucket = "${var.name}-alb-logs-${local.account_id}"
  # Without deletion protection (dev) the logs go with the stack.
  force_destroy = !var.deletion_protection

  tags = var.tags
}

resource "aws_s3_bucket_public_access_block" "access_logs" {
  count = var.access_logs.enabled ? 1 : 0

  bucket                  = aws_s3_bucket.access_logs[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "access_logs" {
  count = var.access_logs.enabled ? 1 : 0

  bucket = aws_s3_bucket.access_logs[0].id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "access_logs" {
  count = var.access_logs.enabled ? 1 : 0

  bucket = aws_s3_bucket.access_logs[0].id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_versioning" "access_logs" {
  count = var.access_logs.enabled ? 1 : 0

  bucket = aws_s3_bucket.access_logs[0].id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "access_logs" {
  count = var.access_logs.enabled ? 1 : 0

  bucket = aws_s3_bucket.access_logs[0].id

  rule {
    id     = "expire-access-logs"
    status = "Enabled"
    filter {}

    expiration {
      days = var.access_logs.retention_days
    }
    noncurrent_version_expiration {
      noncurrent_days = 1
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  depends_on = [aws_s3_bucket_versioning.access_logs]
}

data "aws_iam_policy_document" "access_logs" {
  count = var.access_logs.enabled ? 1 : 0

  statement {
    sid       = "ElbDeliversAccessLogs"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.access_logs[0].arn}/alb/AWSLogs/${local.account_id}/*"]
    principals {
      type        = "AWS"
      identifiers = [data.aws_elb_service_account.current.arn]
    }
  }

  statement {
    sid       = "LogDeliveryServiceDeliversAccessLogs"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.access_logs[0].arn}/alb/AWSLogs/${local.account_id}/*"]
    principals {
      type        = "Service"
      identifiers = ["logdelivery.elasticloadbalancing.amazonaws.com"]
    }
  }

  statement {
    sid       = "DenyPlainHttp"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.access_logs[0].arn, "${aws_s3_bucket.access_logs[0].arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "access_logs" {
  count = var.access_logs.enabled ? 1 : 0

  bucket = aws_s3_bucket.access_logs[0].id
  policy = data.aws_iam_policy_document.access_logs[0].json

  depends_on = [aws_s3_bucket_public_access_block.access_logs]
}
