# What each role of the environment may do. The deploy role applies the whole
# environment, so it manages the services the environment is built from, but
# only the environment's own resources:
#   - by ARN, where the ARN carries the environment's prefix (ECS, load balancer,
#     logs, alarms, dashboard, SNS, EventBridge, S3, IAM, KMS aliases);
#   - by the Environment tag where ARNs are IDs (EC2, Application Auto Scaling,
#     ACM, KMS keys): a new resource must be tagged with this environment
#     (aws:RequestTag) and may not exist yet (no aws:ResourceTag), an existing one
#     must carry this environment's tag (aws:ResourceTag), and the Environment tag
#     of an existing resource can never be changed. EC2 tags are written only in
#     the call that creates the resource (ec2:CreateAction): an untagged resource
#     that exists (the VPC's default security group, main route table and network
#     ACL, which AWS makes untagged, or anything else in the account) can never be
#     tagged as this environment's and so never be taken over;
#   - the environment's KMS key through the key policy, which names this role
#     (modules/service), not through a wildcard here.
# IAM is held to roles under the environment's permissions boundary, so nothing
# the role creates or passes can do more than write the environment's logs and
# pull its image. The boundary, the role itself, its siblings and the managed
# policies they hold are out of reach.

locals {
  tag = "Environment"

  ecs_arn    = "arn:${local.partition}:ecs:${local.region}:${local.account_id}"
  elb_arn    = "arn:${local.partition}:elasticloadbalancing:${local.region}:${local.account_id}"
  logs_arn   = "arn:${local.partition}:logs:${local.region}:${local.account_id}"
  events_arn = "arn:${local.partition}:events:${local.region}:${local.account_id}"

  # The environment's log groups: the server's and the VPC's flow logs.
  log_group_arns = [
    "${local.logs_arn}:log-group:/ecs/${local.prefix}",
    "${local.logs_arn}:log-group:/ecs/${local.prefix}:*",
    "${local.logs_arn}:log-group:/vpc/${local.prefix}/*",
  ]
  topic_arn = "arn:${local.partition}:sns:${local.region}:${local.account_id}:${local.prefix}-*"

  # What a plan reads to refresh every resource of the environment: metadata only
  # (no object contents, log events or secrets), in this region.
  read_actions = [
    "acm:DescribeCertificate",
    "acm:ListTagsForCertificate",
    "application-autoscaling:DescribeScalableTargets",
    "application-autoscaling:DescribeScalingPolicies",
    "application-autoscaling:ListTagsForResource",
    "cloudwatch:DescribeAlarms",
    "cloudwatch:GetDashboard",
    "cloudwatch:ListTagsForResource",
    "ec2:DescribeAddresses",
    "ec2:DescribeAddressesAttribute",
    "ec2:DescribeAvailabilityZones",
    "ec2:DescribeFlowLogs",
    "ec2:DescribeInternetGateways",
    "ec2:DescribeNatGateways",
    "ec2:DescribeNetworkAcls",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribePrefixLists",
    "ec2:DescribeRouteTables",
    "ec2:DescribeSecurityGroupRules",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSubnets",
    "ec2:DescribeTags",
    "ec2:DescribeVpcAttribute",
    "ec2:DescribeVpcEndpoints",
    "ec2:DescribeVpcs",
    "ecs:DescribeCapacityProviders",
    "ecs:DescribeClusters",
    "ecs:DescribeServices",
    "ecs:DescribeTaskDefinition",
    "ecs:ListTagsForResource",
    "elasticloadbalancing:DescribeListenerAttributes",
    "elasticloadbalancing:DescribeListeners",
    "elasticloadbalancing:DescribeLoadBalancerAttributes",
    "elasticloadbalancing:DescribeLoadBalancers",
    "elasticloadbalancing:DescribeRules",
    "elasticloadbalancing:DescribeTags",
    "elasticloadbalancing:DescribeTargetGroupAttributes",
    "elasticloadbalancing:DescribeTargetGroups",
    "events:DescribeRule",
    "events:ListTagsForResource",
    "events:ListTargetsByRule",
    "kms:ListAliases",
    "logs:DescribeLogGroups",
    "logs:ListTagsForResource",
    "logs:ListTagsLogGroup",
    "sns:GetSubscriptionAttributes",
    "sns:GetTopicAttributes",
    "sns:ListSubscriptionsByTopic",
    "sns:ListTagsForResource",
  ]

  # What the provider reads of a bucket on refresh.
  bucket_read_actions = [
    "s3:GetAccelerateConfiguration",
    "s3:GetBucket*",
    "s3:GetEncryptionConfiguration",
    "s3:GetLifecycleConfiguration",
    "s3:GetReplicationConfiguration",
    "s3:ListBucket",
  ]

  # EC2 actions that create a resource of the environment (tagged with it in the
  # same call) or change one it owns.
  ec2_create_actions = flatten([for group in local.ec2_creations : group.actions])
  # Which types of resource the creations of each statement make. No statement
  # names a type that one of its own actions uses as a parent (the VPC of a subnet,
  # the subnet of a NAT gateway, the security group of a rule...), so that, say,
  # CreateSubnet can never be allowed on an untagged VPC; parents are authorized by
  # Ec2ChangeOwnResources, on this environment's resources only.
  ec2_creations = {
    NetworkAndAddresses = {
      actions = ["ec2:AllocateAddress", "ec2:CreateVpc"]
      creates = ["elastic-ip", "vpc"]
    }
    InTheVpc = {
      actions = ["ec2:CreateRouteTable", "ec2:CreateSecurityGroup", "ec2:CreateSubnet"]
      creates = ["route-table", "security-group", "subnet"]
    }
    Others = {
      actions = [
        "ec2:AuthorizeSecurityGroupEgress",
        "ec2:AuthorizeSecurityGroupIngress",
        "ec2:CreateFlowLogs",
        "ec2:CreateInternetGateway",
        "ec2:CreateNatGateway",
        "ec2:CreateVpcEndpoint",
      ]
      creates = ["internet-gateway", "natgateway", "security-group-rule", "vpc-endpoint", "vpc-flow-log"]
    }
  }
  ec2_change_actions = concat(local.ec2_create_actions, [
    "ec2:AssociateRouteTable",
    "ec2:AttachInternetGateway",
    "ec2:CreateRoute",
    "ec2:DeleteFlowLogs",
    "ec2:DeleteInternetGateway",
    "ec2:DeleteNatGateway",
    "ec2:DeleteRoute",
    "ec2:DeleteRouteTable",
    "ec2:DeleteSecurityGroup",
    "ec2:DeleteSubnet",
    "ec2:DeleteVpc",
    "ec2:DeleteVpcEndpoints",
    "ec2:DetachInternetGateway",
    "ec2:DisassociateAddress",
    "ec2:DisassociateRouteTable",
    "ec2:ModifySecurityGroupRules",
    "ec2:ModifySubnetAttribute",
    "ec2:ModifyVpcAttribute",
    "ec2:ModifyVpcEndpoint",
    "ec2:ReleaseAddress",
    "ec2:ReplaceRoute",
    "ec2:ReplaceRouteTableAssociation",
    "ec2:RevokeSecurityGroupEgress",
    "ec2:RevokeSecurityGroupIngress",
    "ec2:UpdateSecurityGroupRuleDescriptionsEgress",
    "ec2:UpdateSecurityGroupRuleDescriptionsIngress",
  ])
}

################################################################################
# Deploy role
################################################################################

# The deploy role's statements are customer managed policies, one per purpose
# (main.tf attaches them through modules/github_oidc): together they are about
# 13,000 characters, more than IAM takes in a role's inline policies (10,240),
# while each purpose stays well under the 6,144 of a managed policy. The deploy
# role can change none of them (NeverTouchTheGuardrails, NeverAttachTheGuardrails).

# Its Terraform state, the image digests, and the metadata a refresh reads.
data "aws_iam_policy_document" "deploy_state_and_reads" {
  #checkov:skip=CKV_AWS_356:ecr:GetAuthorizationToken and the Describe and List calls of a refresh have no resource-level permissions; the reads are metadata only, in this region.

  statement {
    sid       = "StateListBucket"
    actions   = ["s3:ListBucket"]
    resources = [local.state_bucket_arn]
  }

  statement {
    sid       = "StateReadWriteOwnKeys"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${local.state_bucket_arn}/${var.environment}/*"]
  }

  statement {
    sid       = "EcrLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  # Read an image's digest. No ecr:PutImage: IAM cannot limit which tag a role
  # writes, so a role that may tag may write any tag (modules/pipeline).
  statement {
    sid       = "EcrReadImages"
    actions   = ["ecr:BatchGetImage", "ecr:DescribeImages"]
    resources = [var.ecr_repository_arn]
  }

  statement {
    sid       = "ReadEnvironmentMetadata"
    actions   = local.read_actions
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "aws:RequestedRegion"
      values   = [local.region]
    }
  }
}

# The ECS cluster, service and task definitions, and the service's auto scaling.
data "aws_iam_policy_document" "deploy_service" {
  #checkov:skip=CKV_AWS_111:Writes on "*" are creations that have no ARN before the call (task definitions, Application Auto Scaling targets), each bound to this environment by aws:RequestTag and the absence of aws:ResourceTag, or changes bound by aws:ResourceTag; the policy evaluation test in infra/tests proves another environment's resources are out of reach.
  #checkov:skip=CKV_AWS_356:Same reason as CKV_AWS_111: "*" appears only where the action has no resource-level permission or the resource does not exist yet, always under a tag condition.

  statement {
    sid = "EcsOwnClusterAndService"
    actions = [
      "ecs:CreateCluster",
      "ecs:CreateService",
      "ecs:DeleteCluster",
      "ecs:DeleteService",
      "ecs:PutClusterCapacityProviders",
      "ecs:TagResource",
      "ecs:UntagResource",
      "ecs:UpdateCluster",
      "ecs:UpdateClusterSettings",
      "ecs:UpdateService",
    ]
    resources = [
      "${local.ecs_arn}:cluster/${local.prefix}",
      "${local.ecs_arn}:service/${local.prefix}/*",
      "${local.ecs_arn}:task-definition/${local.prefix}:*",
    ]
  }

  # Revisions are never deregistered: the circuit breaker rolls back to them.
  statement {
    sid       = "EcsRegisterOwnTaskDefinitions"
    actions   = ["ecs:RegisterTaskDefinition"]
    resources = ["${local.ecs_arn}:task-definition/${local.prefix}:*"]
    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/${local.tag}"
      values   = [var.environment]
    }
  }

  statement {
    sid = "AutoScalingRegisterForThisEnvironment"
    actions = [
      "application-autoscaling:RegisterScalableTarget",
      "application-autoscaling:TagResource",
    ]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/${local.tag}"
      values   = [var.environment]
    }
    condition {
      test     = "Null"
      variable = "aws:ResourceTag/${local.tag}"
      values   = ["true"]
    }
  }

  statement {
    sid = "AutoScalingChangeOwn"
    actions = [
      "application-autoscaling:DeleteScalingPolicy",
      "application-autoscaling:DeregisterScalableTarget",
      "application-autoscaling:PutScalingPolicy",
      "application-autoscaling:RegisterScalableTarget",
      "application-autoscaling:UntagResource",
    ]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/${local.tag}"
      values   = [var.environment]
    }
  }
}

# The load balancer, its certificate and, with a domain, its DNS records.
data "aws_iam_policy_document" "deploy_load_balancing" {
  #checkov:skip=CKV_AWS_111:Writes on "*" are creations that have no ARN before the call (ACM certificates), each bound to this environment by aws:RequestTag and the absence of aws:ResourceTag, or changes bound by aws:ResourceTag; the policy evaluation test in infra/tests proves another environment's resources are out of reach.
  #checkov:skip=CKV_AWS_356:Same reason as CKV_AWS_111: "*" appears only where the action has no resource-level permission or the resource does not exist yet, always under a tag condition.

  statement {
    sid = "LoadBalancerOwn"
    actions = [
      "elasticloadbalancing:AddListenerCertificates",
      "elasticloadbalancing:AddTags",
      "elasticloadbalancing:CreateListener",
      "elasticloadbalancing:CreateLoadBalancer",
      "elasticloadbalancing:CreateTargetGroup",
      "elasticloadbalancing:DeleteListener",
      "elasticloadbalancing:DeleteLoadBalancer",
      "elasticloadbalancing:DeleteTargetGroup",
      "elasticloadbalancing:ModifyListener",
      "elasticloadbalancing:ModifyListenerAttributes",
      "elasticloadbalancing:ModifyLoadBalancerAttributes",
      "elasticloadbalancing:ModifyTargetGroup",
      "elasticloadbalancing:ModifyTargetGroupAttributes",
      "elasticloadbalancing:RemoveListenerCertificates",
      "elasticloadbalancing:RemoveTags",
      "elasticloadbalancing:SetSecurityGroups",
      "elasticloadbalancing:SetSubnets",
    ]
    resources = [
      "${local.elb_arn}:loadbalancer/app/${local.prefix}/*",
      "${local.elb_arn}:listener/app/${local.prefix}/*",
      "${local.elb_arn}:listener-rule/app/${local.prefix}/*",
      "${local.elb_arn}:targetgroup/${local.prefix}-*/*",
    ]
  }

  statement {
    sid       = "CertificateForThisEnvironment"
    actions   = ["acm:RequestCertificate", "acm:AddTagsToCertificate"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/${local.tag}"
      values   = [var.environment]
    }
    condition {
      test     = "Null"
      variable = "aws:ResourceTag/${local.tag}"
      values   = ["true"]
    }
  }

  statement {
    sid       = "CertificateChangeOwn"
    actions   = ["acm:DeleteCertificate", "acm:RemoveTagsFromCertificate"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/${local.tag}"
      values   = [var.environment]
    }
  }

  dynamic "statement" {
    for_each = length(var.route53_zone_ids) > 0 ? [1] : []
    content {
      sid       = "DnsRecordsInTheEnvironmentsZones"
      actions   = ["route53:ChangeResourceRecordSets", "route53:GetHostedZone", "route53:ListResourceRecordSets", "route53:ListTagsForResource"]
      resources = [for zone in var.route53_zone_ids : "arn:${local.partition}:route53:::hostedzone/${zone}"]
    }
  }

  dynamic "statement" {
    for_each = length(var.route53_zone_ids) > 0 ? [1] : []
    content {
      sid       = "DnsChanges"
      actions   = ["route53:GetChange"]
      resources = ["arn:${local.partition}:route53:::change/*"]
    }
  }
}

# The VPC and everything in it, tagged with the environment.
data "aws_iam_policy_document" "deploy_network" {
  #checkov:skip=CKV_AWS_111:Writes on "*" are creations that have no ARN before the call (EC2), each bound to this environment by aws:RequestTag and the absence of aws:ResourceTag, or changes bound by aws:ResourceTag; the policy evaluation test in infra/tests proves another environment's resources are out of reach.
  #checkov:skip=CKV_AWS_356:Same reason as CKV_AWS_111: "*" appears only where the action has no resource-level permission or the resource does not exist yet, always under a tag condition.

  # A creation is allowed on the resource it makes, never on an untagged one that
  # exists: each statement names only the type its actions create, and the
  # resources a creation uses (the VPC of a subnet, the security group of a rule)
  # are authorized by Ec2ChangeOwnResources, so they must be this environment's.
  dynamic "statement" {
    for_each = local.ec2_creations
    content {
      sid       = "Ec2Create${statement.key}ForThisEnvironment"
      actions   = statement.value.actions
      resources = [for type in statement.value.creates : "arn:${local.partition}:ec2:${local.region}:${local.account_id}:${type}/*"]
      condition {
        test     = "StringEquals"
        variable = "aws:RequestTag/${local.tag}"
        values   = [var.environment]
      }
      condition {
        test     = "Null"
        variable = "aws:ResourceTag/${local.tag}"
        values   = ["true"]
      }
    }
  }

  # Tags on a new resource, in the call that creates it (TagSpecifications), and
  # never on one that exists: ec2:CreateAction is set only then.
  statement {
    sid       = "Ec2TagOnlyInTheCreatingCall"
    actions   = ["ec2:CreateTags"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "ec2:CreateAction"
      values   = [for action in local.ec2_create_actions : trimprefix(action, "ec2:")]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/${local.tag}"
      values   = [var.environment]
    }
  }

  statement {
    sid       = "Ec2ChangeOwnResources"
    actions   = local.ec2_change_actions
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/${local.tag}"
      values   = [var.environment]
    }
  }

  statement {
    sid       = "TagOwnResourcesButNeverTheEnvironmentTag"
    actions   = ["ec2:CreateTags", "ec2:DeleteTags"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/${local.tag}"
      values   = [var.environment]
    }
    condition {
      test     = "ForAllValues:StringNotEquals"
      variable = "aws:TagKeys"
      values   = [local.tag]
    }
  }
}

# Log groups, alarms and dashboard, the alerts topic and its event rule, the
# load balancer's access-log bucket, and the environment's KMS key.
data "aws_iam_policy_document" "deploy_observability" {
  #checkov:skip=CKV_AWS_111:Writes on "*" are creations that have no ARN before the call (KMS keys), each bound to this environment by aws:RequestTag and the absence of aws:ResourceTag, or changes bound by aws:ResourceTag; the policy evaluation test in infra/tests proves another environment's resources are out of reach.
  #checkov:skip=CKV_AWS_356:Same reason as CKV_AWS_111: "*" appears only where the action has no resource-level permission or the resource does not exist yet, always under a tag condition.

  statement {
    sid = "LogsOwnGroups"
    actions = [
      "logs:AssociateKmsKey",
      "logs:CreateLogGroup",
      "logs:DeleteLogGroup",
      "logs:DeleteRetentionPolicy",
      "logs:DisassociateKmsKey",
      "logs:PutRetentionPolicy",
      "logs:TagLogGroup",
      "logs:TagResource",
      "logs:UntagLogGroup",
      "logs:UntagResource",
    ]
    resources = local.log_group_arns
  }

  statement {
    sid = "AlarmsAndDashboardOwn"
    actions = [
      "cloudwatch:DeleteAlarms",
      "cloudwatch:DeleteDashboards",
      "cloudwatch:PutDashboard",
      "cloudwatch:PutMetricAlarm",
      "cloudwatch:TagResource",
      "cloudwatch:UntagResource",
    ]
    resources = [
      "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:${local.prefix}-*",
      "arn:${local.partition}:cloudwatch::${local.account_id}:dashboard/${local.prefix}",
    ]
  }

  # SNS cannot limit Unsubscribe to a topic (it has no resource-level
  # permission), so the role gets none: removing an address, or destroying the
  # environment, is for an administrator.
  statement {
    sid = "TopicOwn"
    actions = [
      "sns:CreateTopic",
      "sns:DeleteTopic",
      "sns:SetTopicAttributes",
      "sns:Subscribe",
      "sns:TagResource",
      "sns:UntagResource",
    ]
    resources = [local.topic_arn]
  }

  statement {
    sid = "EventRuleOwn"
    actions = [
      "events:DeleteRule",
      "events:PutRule",
      "events:RemoveTargets",
      "events:TagResource",
      "events:UntagResource",
    ]
    resources = ["${local.events_arn}:rule/${local.prefix}-*"]
  }

  statement {
    sid       = "EventTargetsOnlyTheEnvironmentsTopic"
    actions   = ["events:PutTargets"]
    resources = ["${local.events_arn}:rule/${local.prefix}-*"]
    condition {
      test     = "ArnLike"
      variable = "events:TargetArn"
      values   = [local.topic_arn]
    }
  }

  # The ALB's access-log bucket, "<prefix>-alb-logs-<account>".
  statement {
    sid = "AccessLogBucketOwn"
    actions = [
      "s3:CreateBucket",
      "s3:DeleteBucket",
      "s3:DeleteBucketPolicy",
      "s3:ListBucketVersions",
      "s3:PutBucketOwnershipControls",
      "s3:PutBucketPolicy",
      "s3:PutBucketPublicAccessBlock",
      "s3:PutBucketTagging",
      "s3:PutBucketVersioning",
      "s3:PutEncryptionConfiguration",
      "s3:PutLifecycleConfiguration",
    ]
    resources = ["arn:${local.partition}:s3:::${local.prefix}-*"]
  }

  statement {
    sid       = "AccessLogBucketRead"
    actions   = local.bucket_read_actions
    resources = ["arn:${local.partition}:s3:::${local.prefix}-*"]
  }

  # Emptying the bucket when an environment without deletion protection goes.
  statement {
    sid       = "AccessLogObjectsDelete"
    actions   = ["s3:DeleteObject", "s3:DeleteObjectVersion"]
    resources = ["arn:${local.partition}:s3:::${local.prefix}-*/*"]
  }

  statement {
    sid       = "KmsCreateKeyForThisEnvironment"
    actions   = ["kms:CreateKey", "kms:TagResource"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/${local.tag}"
      values   = [var.environment]
    }
    condition {
      test     = "Null"
      variable = "aws:ResourceTag/${local.tag}"
      values   = ["true"]
    }
  }

  # The alias side of CreateAlias; the key side is in the key policy.
  statement {
    sid       = "KmsOwnAlias"
    actions   = ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"]
    resources = ["arn:${local.partition}:kms:${local.region}:${local.account_id}:alias/${local.prefix}"]
  }
}

# Roles under the boundary only, and the guardrails.
data "aws_iam_policy_document" "deploy_iam" {
  #checkov:skip=CKV_AWS_109:Permissions management is limited to roles named after the environment and created under its permissions boundary; the boundary, the deployment roles themselves and their policies are denied (statements NeverTouchTheGuardrails, NeverAttachTheGuardrails).

  statement {
    sid = "IamCreateRolesUnderTheBoundary"
    actions = [
      "iam:CreateRole",
      "iam:PutRolePermissionsBoundary",
      "iam:PutRolePolicy",
    ]
    resources = ["${local.iam_arn}:role/${local.prefix}-*"]
    condition {
      test     = "ArnEquals"
      variable = "iam:PermissionsBoundary"
      values   = [local.boundary_arn]
    }
  }

  dynamic "statement" {
    for_each = length(var.attachable_policy_arns) > 0 ? [1] : []
    content {
      sid       = "IamAttachOnlyAllowListedPolicies"
      actions   = ["iam:AttachRolePolicy", "iam:DetachRolePolicy"]
      resources = ["${local.iam_arn}:role/${local.prefix}-*"]
      condition {
        test     = "ArnEquals"
        variable = "iam:PolicyARN"
        values   = var.attachable_policy_arns
      }
      condition {
        test     = "ArnEquals"
        variable = "iam:PermissionsBoundary"
        values   = [local.boundary_arn]
      }
    }
  }

  statement {
    sid = "IamManageOwnRoles"
    actions = [
      "iam:DeleteRole",
      "iam:DeleteRolePolicy",
      "iam:GetRole",
      "iam:GetRolePolicy",
      "iam:ListAttachedRolePolicies",
      "iam:ListInstanceProfilesForRole",
      "iam:ListRolePolicies",
      "iam:TagRole",
      "iam:UntagRole",
      "iam:UpdateRoleDescription",
    ]
    resources = ["${local.iam_arn}:role/${local.prefix}-*"]
  }

  statement {
    sid       = "IamPassOwnRolesToTheirServices"
    actions   = ["iam:PassRole"]
    resources = ["${local.iam_arn}:role/${local.prefix}-*"]
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["ecs-tasks.amazonaws.com", "vpc-flow-logs.amazonaws.com"]
    }
  }

  # ECS, ELB and Application Auto Scaling act through service-linked roles that
  # AWS creates on first use in an account.
  statement {
    sid       = "IamCreateServiceLinkedRoles"
    actions   = ["iam:CreateServiceLinkedRole"]
    resources = ["${local.iam_arn}:role/aws-service-role/*"]
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

  # Belt and braces over the scoping of every deploy policy: whatever is ever
  # added to one, the guardrails stay out of reach. They are the boundary, the
  # deployment roles, and the managed policies that hold the roles' permissions
  # ("<role>-<purpose>"): a new default version of one of those, or its deletion
  # or detachment, would rewrite what the role may do.
  statement {
    sid       = "NeverTouchTheGuardrails"
    effect    = "Deny"
    actions   = ["iam:*"]
    resources = concat(local.own_role_arns, local.own_policy_arns, [local.boundary_arn])
  }

  # Nor may a guardrail policy be attached to a role (an attachment's resource is
  # the role; the policy is iam:PolicyARN), whatever attachable_policy_arns says.
  statement {
    sid       = "NeverAttachTheGuardrails"
    effect    = "Deny"
    actions   = ["iam:AttachRolePolicy"]
    resources = ["*"]
    condition {
      test     = "ArnLike"
      variable = "iam:PolicyARN"
      values   = concat(local.own_policy_arns, [local.boundary_arn])
    }
  }

  statement {
    sid       = "NeverRemoveABoundary"
    effect    = "Deny"
    actions   = ["iam:DeleteRolePermissionsBoundary"]
    resources = ["*"]
  }

  statement {
    sid       = "NeverCreateARoleWithoutTheBoundary"
    effect    = "Deny"
    actions   = ["iam:CreateRole", "iam:PutRolePermissionsBoundary"]
    resources = ["*"]
    condition {
      test     = "ArnNotEquals"
      variable = "iam:PermissionsBoundary"
      values   = [local.boundary_arn]
    }
  }
}

################################################################################
# Plan role: read only, plus the state lock
################################################################################

data "aws_iam_policy_document" "plan" {
  #checkov:skip=CKV_AWS_356:Describe and List calls of EC2, ECS, ELB and CloudWatch have no resource-level permissions; they read metadata only, in this region.

  statement {
    sid       = "StateListBucket"
    actions   = ["s3:ListBucket"]
    resources = [local.state_bucket_arn]
  }

  statement {
    sid       = "StateRead"
    actions   = ["s3:GetObject"]
    resources = ["${local.state_bucket_arn}/${var.environment}/*"]
  }

  # A plan takes the state lock: only the lock file may be written.
  statement {
    sid       = "StateLock"
    actions   = ["s3:PutObject", "s3:DeleteObject"]
    resources = ["${local.state_bucket_arn}/${var.environment}/terraform.tfstate.tflock"]
  }

  statement {
    sid       = "ReadEnvironmentMetadata"
    actions   = local.read_actions
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "aws:RequestedRegion"
      values   = [local.region]
    }
  }

  statement {
    sid       = "EcrReadImages"
    actions   = ["ecr:BatchGetImage", "ecr:DescribeImages"]
    resources = [var.ecr_repository_arn]
  }

  statement {
    sid       = "ReadOwnRoles"
    actions   = ["iam:GetRole", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies", "iam:ListRolePolicies"]
    resources = ["${local.iam_arn}:role/${local.prefix}-*"]
  }

  statement {
    sid       = "ReadAccessLogBucket"
    actions   = local.bucket_read_actions
    resources = ["arn:${local.partition}:s3:::${local.prefix}-*"]
  }

  dynamic "statement" {
    for_each = length(var.route53_zone_ids) > 0 ? [1] : []
    content {
      sid       = "DnsRead"
      actions   = ["route53:GetHostedZone", "route53:ListResourceRecordSets", "route53:ListTagsForResource"]
      resources = [for zone in var.route53_zone_ids : "arn:${local.partition}:route53:::hostedzone/${zone}"]
    }
  }
}

################################################################################
# Promotion reader: what the ECS service runs, nothing else
################################################################################

data "aws_iam_policy_document" "promotion_reader" {
  #checkov:skip=CKV_AWS_356:ecs:DescribeTaskDefinition has no resource-level permission; it returns a task definition's settings only.

  statement {
    sid       = "DescribeTheService"
    actions   = ["ecs:DescribeServices"]
    resources = ["${local.ecs_arn}:service/${local.prefix}/${local.prefix}"]
  }

  statement {
    sid       = "DescribeItsTaskDefinition"
    actions   = ["ecs:DescribeTaskDefinition"]
    resources = ["*"]
  }
}

################################################################################
# Permissions boundary of the environment's own roles
################################################################################

# Exactly what the execution, task and flow-logs roles need, so that no role the
# deploy role creates or passes can do more, whatever its own policy says.
data "aws_iam_policy_document" "boundary" {
  statement {
    sid       = "EcrLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  statement {
    sid       = "PullTheImage"
    actions   = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    resources = [var.ecr_repository_arn]
  }

  statement {
    sid       = "WriteTheEnvironmentsLogs"
    actions   = ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"]
    resources = local.log_group_arns
  }
}
