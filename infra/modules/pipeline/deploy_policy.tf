# What a deploy role may do. A deploy is `terraform apply` of the environment's
# root, which refreshes and may change every resource of that environment; so the
# role can manage the services the environment is built from, in this region,
# while IAM (the way to escalate) is held to the environment's own role names,
# and state to the environment's own key prefix.

data "aws_iam_policy_document" "deploy" {
  for_each = var.deploy_roles

  #checkov:skip=CKV_AWS_111:Terraform creates resources whose ARNs do not exist before the apply (VPCs, load balancers, alarms...); write access is bounded by service, by region (aws:RequestedRegion) and, for IAM, by name prefix instead.
  #checkov:skip=CKV_AWS_356:Same reason as CKV_AWS_111: creation calls (ec2:CreateVpc, elasticloadbalancing:CreateLoadBalancer...) accept no resource ARN but "*".
  #checkov:skip=CKV_AWS_109:Permissions management is limited to IAM roles and policies named after the environment (resource_prefix), so the role cannot grant itself or others more.
  #checkov:skip=CKV_AWS_108:Data read by this role is infrastructure metadata and Terraform state of its own environment, which the deploy must read.

  # Listing shows key names only; the S3 backend lists the bucket (workspaces
  # under "env:/") before it reads the state, so the listing is not narrowed.
  statement {
    sid       = "StateListBucket"
    actions   = ["s3:ListBucket"]
    resources = [local.state_bucket_arn]
  }

  statement {
    sid       = "StateReadWriteOwnKeys"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${local.state_bucket_arn}/${each.key}/*"]
  }

  statement {
    sid       = "EcrLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  statement {
    sid = "EcrReadImages"
    actions = [
      "ecr:BatchCheckLayerAvailability",
      "ecr:BatchGetImage",
      "ecr:DescribeImages",
      "ecr:DescribeImageScanFindings",
      "ecr:DescribeRepositories",
      "ecr:GetDownloadUrlForLayer",
      "ecr:ListImages",
    ]
    resources = [aws_ecr_repository.this.arn]
  }

  dynamic "statement" {
    for_each = each.value.can_push_images ? [1] : []
    content {
      sid = "EcrPushImages"
      actions = [
        "ecr:CompleteLayerUpload",
        "ecr:InitiateLayerUpload",
        "ecr:PutImage",
        "ecr:UploadLayerPart",
      ]
      resources = [aws_ecr_repository.this.arn]
    }
  }

  statement {
    sid = "ManageEnvironmentServices"
    actions = [
      "acm:*",
      "application-autoscaling:*",
      "cloudwatch:*",
      "ec2:*",
      "ecs:*",
      "elasticloadbalancing:*",
      "events:*",
      "kms:*",
      "logs:*",
      "route53:*",
      "sns:*",
    ]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "aws:RequestedRegion"
      # Route 53 is a global service whose calls are signed for us-east-1.
      values = distinct([local.region, "us-east-1"])
    }
  }

  statement {
    sid       = "ManageEnvironmentBuckets"
    actions   = ["s3:*"]
    resources = ["arn:${local.partition}:s3:::${each.value.resource_prefix}-*"]
  }

  statement {
    sid = "ManageEnvironmentRoles"
    actions = [
      "iam:AttachRolePolicy",
      "iam:CreateRole",
      "iam:DeleteRole",
      "iam:DeleteRolePolicy",
      "iam:DetachRolePolicy",
      "iam:GetRole",
      "iam:GetRolePolicy",
      "iam:ListAttachedRolePolicies",
      "iam:ListInstanceProfilesForRole",
      "iam:ListRolePolicies",
      "iam:ListRoleTags",
      "iam:PutRolePolicy",
      "iam:TagRole",
      "iam:UntagRole",
      "iam:UpdateAssumeRolePolicy",
      "iam:UpdateRole",
      "iam:UpdateRoleDescription",
    ]
    resources = ["arn:${local.partition}:iam::${local.account_id}:role/${each.value.resource_prefix}-*"]
  }

  statement {
    sid       = "PassEnvironmentRolesToTheirServices"
    actions   = ["iam:PassRole"]
    resources = ["arn:${local.partition}:iam::${local.account_id}:role/${each.value.resource_prefix}-*"]
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["ecs-tasks.amazonaws.com", "vpc-flow-logs.amazonaws.com"]
    }
  }

  # ECS, ELB and Application Auto Scaling act through service-linked roles that
  # AWS creates on first use in an account.
  statement {
    sid       = "CreateServiceLinkedRoles"
    actions   = ["iam:CreateServiceLinkedRole"]
    resources = ["arn:${local.partition}:iam::${local.account_id}:role/aws-service-role/*"]
    condition {
      test     = "StringEquals"
      variable = "iam:AWSServiceName"
      values = [
        "ecs.amazonaws.com",
        "ecs.application-autoscaling.amazonaws.com",
        "elasticloadbalancing.amazonaws.com",
      ]
    }
  }
}

resource "aws_iam_role_policy" "deploy" {
  for_each = var.deploy_roles

  name   = "deploy-${each.key}"
  role   = aws_iam_role.deploy[each.key].id
  policy = data.aws_iam_policy_document.deploy[each.key].json
}
