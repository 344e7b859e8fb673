"""The deployment roles' least privilege, evaluated on the policies the apply made.

Every policy is read back from moto after shared, dev-access, prod-access, dev and
prod were applied in one account (the layout where only the policies keep dev and
prod apart), and evaluated with principalmapper's policy simulator (iam_policies.py):

  (a) no deploy role has a path to more rights: it cannot create a role without the
      environment's boundary, attach a policy, write a policy into or change the
      trust of a role outside its boundary, remove a boundary, change the boundary
      or itself, change, delete, detach or hand out the managed policies that hold
      its own permissions, assume another role, or pass a role that escapes the
      boundary;
  (b) each environment's deploy role is denied every destructive action on every
      resource of the other environment, listed by resource type from moto;
  (c) every trust policy admits only its intended principal: the GitHub roles one
      repository, environment, workflow file and branch with the STS audience, the
      service roles their service from this account only.

Each test also checks a few things the role must be able to do, so that a policy that
allows nothing cannot pass. What only AWS can show (that a real apply needs no more
than this) is said in infra/README.md.
"""

import pytest
from conftest import applied_outputs
from iam_policies import ACCOUNT, REGION, Role, allowed, principals, web_identity_admits

ENVIRONMENTS = ("dev", "prod")
OTHER = {"dev": "prod", "prod": "dev"}
# The repository the applied values name (a user's, not the committed placeholder).
REPOSITORY = applied_outputs()["github_repository"]
PROVIDER = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
ADMINISTRATOR_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"


def prefix(env: str) -> str:
    return f"http-echo-{env}"


def boundary_arn(env: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:policy/http-echo-boundary-{env}"


@pytest.fixture(scope="module")
def deploy_roles(policies) -> dict[str, Role]:
    missing = [f"http-echo-deploy-{env}" for env in ENVIRONMENTS if f"http-echo-deploy-{env}" not in policies.roles]
    assert not missing, f"no deploy role {missing} in moto's account"
    return {env: policies.roles[f"http-echo-deploy-{env}"] for env in ENVIRONMENTS}


def denied_all(role: Role, checks) -> list[str]:
    """The (action, resource, context, resource policy) checks the role is NOT denied."""
    return [f"{action} on {resource} {context or ''}".rstrip()
            for action, resource, context, resource_policy in checks
            if allowed(role, action, resource, context, resource_policy)]


# (a) No escalation path -----------------------------------------------------------


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_a_deploy_role_creates_roles_only_under_its_boundary(deploy_roles, env):
    role = deploy_roles[env]
    new_role = f"arn:aws:iam::{ACCOUNT}:role/{prefix(env)}-anything"
    escapes = [
        ("iam:CreateRole", new_role, {}, None),
        ("iam:CreateRole", new_role, {"iam:PermissionsBoundary": ADMINISTRATOR_ACCESS}, None),
        ("iam:CreateRole", new_role, {"iam:PermissionsBoundary": boundary_arn(OTHER[env])}, None),
        ("iam:CreateRole", f"arn:aws:iam::{ACCOUNT}:role/escape", {"iam:PermissionsBoundary": boundary_arn(env)}, None),
        ("iam:PutRolePermissionsBoundary", new_role, {"iam:PermissionsBoundary": ADMINISTRATOR_ACCESS}, None),
        ("iam:CreatePolicy", f"arn:aws:iam::{ACCOUNT}:policy/anything", {}, None),
        ("iam:CreateUser", f"arn:aws:iam::{ACCOUNT}:user/anything", {}, None),
        ("iam:CreateAccessKey", f"arn:aws:iam::{ACCOUNT}:user/anything", {}, None),
    ]
    assert denied_all(role, escapes) == []
    assert allowed(role, "iam:CreateRole", new_role, {"iam:PermissionsBoundary": boundary_arn(env)}), \
        "the deploy role must still create the environment's roles under its boundary"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_a_deploy_role_cannot_widen_any_existing_role(policies, deploy_roles, env):
    role = deploy_roles[env]
    escapes = []
    for target in policies.roles.values():
        under_boundary = {"iam:PermissionsBoundary": target.boundary_arn} if target.boundary_arn else {}
        escapes += [
            ("iam:AttachRolePolicy", target.arn, {"iam:PolicyARN": ADMINISTRATOR_ACCESS, **under_boundary}, None),
            ("iam:UpdateAssumeRolePolicy", target.arn, under_boundary, None),
            ("iam:DeleteRolePermissionsBoundary", target.arn, under_boundary, None),
            ("sts:AssumeRole", target.arn, {}, target.trust),
        ]
        # Writing a policy into a role is harmless only under this environment's boundary.
        if target.boundary_arn != boundary_arn(env):
            escapes.append(("iam:PutRolePolicy", target.arn, under_boundary, None))
    for managed in policies.managed:
        escapes += [(action, managed, {}, None) for action in (
            "iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion")]
    assert denied_all(role, escapes) == []


POLICY_WRITES = ("iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:DeletePolicyVersion",
                 "iam:DeletePolicy", "iam:TagPolicy", "iam:UntagPolicy")


def deployment_policies(policies, env) -> dict[str, list[str]]:
    """The managed policies each deployment role of `env` holds, by role name."""
    return {name: sorted(key for key in policies.roles[name].policies if key.startswith("arn:"))
            for name in (f"http-echo-{kind}-{env}" for kind in ("deploy", "plan", "promotion-reader"))
            if name in policies.roles}


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_a_deploy_role_cannot_change_the_policies_it_holds(policies, deploy_roles, env):
    """The deploy role's permissions are managed policies attached to it (IAM's inline
    quota is too small for them). Editing one of them, a new default version, is the
    classic way out, as are deleting or detaching the one that holds the denies, or
    attaching one to a role that could then use it: all are denied, and by an
    explicit deny, so that an Allow added to any of its policies later (here: iam:* on
    everything) changes nothing."""
    role = deploy_roles[env]
    held = deployment_policies(policies, env)
    own = held[role.name]
    assert len(own) >= 2, f"{role.name} holds {own}: its permissions are expected as managed policies"
    assert all(f":policy/{role.name}-" in arn for arn in own), own
    assert not [key for key in role.policies if not key.startswith("arn:")], "the deploy role keeps an inline policy"
    boundary = {"iam:PermissionsBoundary": boundary_arn(env)}
    checks = []
    for holder, arns in held.items():
        holder_arn = f"arn:aws:iam::{ACCOUNT}:role/{holder}"
        for arn in arns:
            checks += [(action, arn, {}, None) for action in POLICY_WRITES]
            checks += [
                ("iam:DetachRolePolicy", holder_arn, {"iam:PolicyARN": arn}, None),
                # Onto a role it may manage, even one it made under the boundary.
                ("iam:AttachRolePolicy", f"arn:aws:iam::{ACCOUNT}:role/{prefix(env)}-anything",
                 {"iam:PolicyARN": arn, **boundary}, None),
                ("iam:AttachRolePolicy", holder_arn, {"iam:PolicyARN": arn}, None),
            ]
    checks.append(("iam:AttachRolePolicy", f"arn:aws:iam::{ACCOUNT}:role/{prefix(env)}-anything",
                   {"iam:PolicyARN": boundary_arn(env), **boundary}, None))
    # A policy of the deploy role's own name that does not exist yet: it may not make one.
    checks.append(("iam:CreatePolicy", f"arn:aws:iam::{ACCOUNT}:policy/{role.name}-more", {}, None))
    assert denied_all(role, checks) == []

    everything = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}]}
    widened = Role(role.name, role.arn, role.trust, {**role.policies, "iam-everything": everything})
    assert denied_all(widened, checks) == [], "the explicit denies must hold whatever is allowed"
    # The probe is real: it does widen the role where no guardrail stands.
    assert allowed(widened, "iam:CreatePolicyVersion", f"arn:aws:iam::{ACCOUNT}:policy/someone-elses")


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_a_every_role_a_deploy_role_can_pass_is_held_by_the_boundary(policies, deploy_roles, env):
    role = deploy_roles[env]
    passable = [target for target in policies.roles.values()
                if any(allowed(role, "iam:PassRole", target.arn, {"iam:PassedToService": service})
                       for service in ("ecs-tasks.amazonaws.com", "vpc-flow-logs.amazonaws.com",
                                       "ec2.amazonaws.com", "lambda.amazonaws.com"))]
    assert {target.name for target in passable} == {
        f"{prefix(env)}-execution", f"{prefix(env)}-task", f"{prefix(env)}-flow-logs"}
    assert [target.name for target in passable if target.boundary_arn != boundary_arn(env)] == []

    # Whatever policy a role under the boundary is given (here: everything), it gets
    # no more than the boundary: its logs and its image.
    boundary = policies.managed[boundary_arn(env)]
    unbounded = Role("probe", f"arn:aws:iam::{ACCOUNT}:role/{prefix(env)}-probe", {},
                     {"everything": {"Version": "2012-10-17",
                                     "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}},
                     boundary_arn(env), boundary)
    dangerous = [
        ("iam:CreateRole", f"arn:aws:iam::{ACCOUNT}:role/x", {}, None),
        ("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/x", {}, None),
        ("iam:PutRolePolicy", f"arn:aws:iam::{ACCOUNT}:role/{prefix(env)}-execution", {}, None),
        ("sts:AssumeRole", f"arn:aws:iam::{ACCOUNT}:role/http-echo-deploy-{env}", {}, None),
        ("ecs:UpdateService", f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/{prefix(env)}/{prefix(env)}", {}, None),
        ("ec2:AuthorizeSecurityGroupIngress", f"arn:aws:ec2:{REGION}:{ACCOUNT}:security-group/sg-1", {}, None),
        ("s3:GetObject", f"arn:aws:s3:::http-echo-tfstate-{ACCOUNT}/{env}/terraform.tfstate", {}, None),
        ("kms:Decrypt", f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1", {}, None),
        ("ecr:PutImage", f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/http-echo", {}, None),
        ("logs:PutLogEvents", f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/ecs/{prefix(OTHER[env])}:log-stream:x", {}, None),
    ]
    assert denied_all(unbounded, dangerous) == []
    assert allowed(unbounded, "logs:PutLogEvents",
                   f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/ecs/{prefix(env)}:log-stream:x")


# (b) One environment cannot touch the other -----------------------------------------


def ec2_resources(aws, env):
    """(type, ARN, tags) of every EC2 resource moto holds in the environment's VPC, tagged
    or not: the VPC is found by its Environment tag, everything in it by the VPC's ID, so
    the main route table, the default network ACL and the default security group, which
    AWS makes untagged, are among them."""
    ec2 = aws("ec2")
    [vpc] = ec2.describe_vpcs(Filters=[{"Name": "tag:Environment", "Values": [env]}])["Vpcs"]
    in_vpc = [{"Name": "vpc-id", "Values": [vpc["VpcId"]]}]

    def arn(kind, identifier):
        return f"arn:aws:ec2:{REGION}:{ACCOUNT}:{kind}/{identifier}"

    def tags(resource):
        return {tag["Key"]: tag["Value"] for tag in resource.get("Tags") or resource.get("TagSet") or []}

    found = [("vpc", arn("vpc", vpc["VpcId"]), tags(vpc))]
    for subnet in ec2.describe_subnets(Filters=in_vpc)["Subnets"]:
        found.append(("subnet", arn("subnet", subnet["SubnetId"]), tags(subnet)))
    for table in ec2.describe_route_tables(Filters=in_vpc)["RouteTables"]:
        found.append(("route-table", arn("route-table", table["RouteTableId"]), tags(table)))
    for acl in ec2.describe_network_acls(Filters=in_vpc)["NetworkAcls"]:
        found.append(("network-acl", arn("network-acl", acl["NetworkAclId"]), tags(acl)))
    for group in ec2.describe_security_groups(Filters=in_vpc)["SecurityGroups"]:
        found.append(("security-group", arn("security-group", group["GroupId"]), tags(group)))
    for gateway in ec2.describe_internet_gateways(
            Filters=[{"Name": "attachment.vpc-id", "Values": [vpc["VpcId"]]}])["InternetGateways"]:
        found.append(("internet-gateway", arn("internet-gateway", gateway["InternetGatewayId"]), tags(gateway)))
    for gateway in ec2.describe_nat_gateways(Filters=in_vpc)["NatGateways"]:
        found.append(("natgateway", arn("natgateway", gateway["NatGatewayId"]), tags(gateway)))
    for address in ec2.describe_addresses(Filters=[{"Name": "tag:Environment", "Values": [env]}])["Addresses"]:
        found.append(("elastic-ip", arn("elastic-ip", address["AllocationId"]), tags(address)))
    for log in ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc["VpcId"]]}])["FlowLogs"]:
        found.append(("vpc-flow-log", arn("vpc-flow-log", log["FlowLogId"]), tags(log)))
    return found


EC2_DESTRUCTIVE = {
    "vpc": ["ec2:DeleteVpc", "ec2:ModifyVpcAttribute", "ec2:CreateSubnet", "ec2:CreateSecurityGroup",
            "ec2:CreateFlowLogs", "ec2:DetachInternetGateway"],
    "subnet": ["ec2:DeleteSubnet", "ec2:ModifySubnetAttribute", "ec2:AssociateRouteTable", "ec2:CreateNatGateway"],
    "route-table": ["ec2:DeleteRouteTable", "ec2:CreateRoute", "ec2:ReplaceRoute", "ec2:DeleteRoute",
                    "ec2:AssociateRouteTable"],
    "security-group": ["ec2:DeleteSecurityGroup", "ec2:AuthorizeSecurityGroupIngress",
                       "ec2:AuthorizeSecurityGroupEgress", "ec2:RevokeSecurityGroupIngress",
                       "ec2:RevokeSecurityGroupEgress", "ec2:ModifySecurityGroupRules"],
    "internet-gateway": ["ec2:DeleteInternetGateway", "ec2:DetachInternetGateway", "ec2:AttachInternetGateway"],
    "natgateway": ["ec2:DeleteNatGateway"],
    "elastic-ip": ["ec2:ReleaseAddress", "ec2:DisassociateAddress"],
    "vpc-flow-log": ["ec2:DeleteFlowLogs"],
    "network-acl": ["ec2:DeleteNetworkAcl", "ec2:CreateNetworkAclEntry", "ec2:ReplaceNetworkAclEntry",
                    "ec2:DeleteNetworkAclEntry", "ec2:ReplaceNetworkAclAssociation"],
}


def other_environment_checks(aws, policies, outputs, env):
    """(resource type, action, ARN, context, resource policy) for everything of `env`
    that another environment's deploy role must not change."""
    name = prefix(env)
    own_tag = {"aws:ResourceTag/Environment": env}
    checks = []

    def add(kind, actions, arn, context=None, resource_policy=None, resource_tags=own_tag):
        checks.extend((kind, action, arn, {**resource_tags, **(context or {})}, resource_policy) for action in actions)

    # EC2, by ID and with the tags each resource really has (none, for the defaults AWS
    # makes with the VPC); the attacker also tags its request as its own environment,
    # and tries to tag the resource to make it its own.
    for kind, arn, tags in ec2_resources(aws, env):
        resource_tags = {f"aws:ResourceTag/{key}": value for key, value in tags.items() if key == "Environment"}
        for action in EC2_DESTRUCTIVE[kind]:
            add(kind, [action], arn, {"aws:RequestTag/Environment": OTHER[env]}, None, resource_tags)
        add(kind, ["ec2:CreateTags"], arn, {"aws:RequestTag/Environment": OTHER[env], "aws:TagKeys": ["Environment"]},
            None, resource_tags)
        add(kind, ["ec2:DeleteTags"], arn, {"aws:TagKeys": ["Environment"]}, None, resource_tags)

    ecs = aws("ecs")
    [cluster] = ecs.describe_clusters(clusters=[name])["clusters"]
    add("ecs cluster", ["ecs:DeleteCluster", "ecs:UpdateCluster", "ecs:PutClusterCapacityProviders",
                        "ecs:TagResource"], cluster["clusterArn"])
    [service] = ecs.describe_services(cluster=name, services=[name])["services"]
    add("ecs service", ["ecs:UpdateService", "ecs:DeleteService", "ecs:TagResource"], service["serviceArn"])
    add("ecs task definition", ["ecs:RegisterTaskDefinition", "ecs:DeregisterTaskDefinition", "ecs:TagResource"],
        service["taskDefinition"], {"aws:RequestTag/Environment": OTHER[env]})

    elb = aws("elbv2")
    [balancer] = elb.describe_load_balancers(Names=[name])["LoadBalancers"]
    add("load balancer", ["elasticloadbalancing:DeleteLoadBalancer", "elasticloadbalancing:ModifyLoadBalancerAttributes",
                          "elasticloadbalancing:SetSecurityGroups", "elasticloadbalancing:CreateListener",
                          "elasticloadbalancing:AddTags"], balancer["LoadBalancerArn"])
    for listener in elb.describe_listeners(LoadBalancerArn=balancer["LoadBalancerArn"])["Listeners"]:
        add("listener", ["elasticloadbalancing:ModifyListener", "elasticloadbalancing:DeleteListener"],
            listener["ListenerArn"])
    for group in elb.describe_target_groups(LoadBalancerArn=balancer["LoadBalancerArn"])["TargetGroups"]:
        add("target group", ["elasticloadbalancing:DeleteTargetGroup", "elasticloadbalancing:ModifyTargetGroup",
                             "elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"],
            group["TargetGroupArn"])

    scaling = aws("application-autoscaling")
    for target in scaling.describe_scalable_targets(ServiceNamespace="ecs",
                                                    ResourceIds=[f"service/{name}/{name}"])["ScalableTargets"]:
        arn = target.get("ScalableTargetARN") or \
            f"arn:aws:application-autoscaling:{REGION}:{ACCOUNT}:scalable-target/{name}"
        add("scalable target", ["application-autoscaling:RegisterScalableTarget",
                                "application-autoscaling:DeregisterScalableTarget",
                                "application-autoscaling:PutScalingPolicy",
                                "application-autoscaling:DeleteScalingPolicy"],
            arn, {"aws:RequestTag/Environment": OTHER[env]})

    key_arn = aws("kms").describe_key(KeyId=f"alias/{name}")["KeyMetadata"]["Arn"]
    add("kms key", ["kms:ScheduleKeyDeletion", "kms:PutKeyPolicy", "kms:DisableKey", "kms:CreateGrant",
                    "kms:Decrypt", "kms:TagResource", "kms:DeleteAlias"],
        key_arn, {"aws:RequestTag/Environment": OTHER[env]}, policies.resource_policies[key_arn])

    for group in aws("logs").describe_log_groups()["logGroups"]:
        if group["logGroupName"] in (f"/ecs/{name}", f"/vpc/{name}/flow-logs"):
            add("log group", ["logs:DeleteLogGroup", "logs:PutRetentionPolicy", "logs:DisassociateKmsKey",
                              "logs:AssociateKmsKey", "logs:TagResource"], group["arn"].removesuffix(":*"))

    for alarm in aws("cloudwatch").describe_alarms(AlarmNamePrefix=f"{name}-")["MetricAlarms"]:
        add("alarm", ["cloudwatch:DeleteAlarms", "cloudwatch:PutMetricAlarm", "cloudwatch:DisableAlarmActions",
                      "cloudwatch:SetAlarmState"], alarm["AlarmArn"])
    add("dashboard", ["cloudwatch:PutDashboard", "cloudwatch:DeleteDashboards"],
        f"arn:aws:cloudwatch::{ACCOUNT}:dashboard/{name}")

    topic = outputs[env]["sns_topic_arn"]
    add("sns topic", ["sns:DeleteTopic", "sns:SetTopicAttributes", "sns:Subscribe", "sns:Unsubscribe",
                      "sns:AddPermission"], topic, None, policies.resource_policies.get(topic))

    rule = aws("events").describe_rule(Name=f"{name}-deployment-problems")["Arn"]
    add("event rule", ["events:DeleteRule", "events:PutRule", "events:DisableRule", "events:RemoveTargets"], rule)
    add("event rule", ["events:PutTargets"], rule, {"events:TargetArn": outputs[OTHER[env]]["sns_topic_arn"]})

    logs_bucket = f"arn:aws:s3:::{name}-alb-logs-{ACCOUNT}"
    add("s3 bucket", ["s3:DeleteBucket", "s3:PutBucketPolicy", "s3:PutBucketPublicAccessBlock",
                      "s3:PutLifecycleConfiguration"], logs_bucket, None, policies.resource_policies.get(logs_bucket))
    state_bucket = f"arn:aws:s3:::{outputs['state_bucket']}"
    for key in (f"{env}/terraform.tfstate", f"{env}-access/terraform.tfstate"):
        add("terraform state", ["s3:PutObject", "s3:DeleteObject", "s3:GetObject"], f"{state_bucket}/{key}",
            None, policies.resource_policies.get(state_bucket))

    for role in policies.roles.values():
        if role.name.startswith(f"{name}-") or role.name.endswith(f"-{env}"):
            add("iam role", ["iam:DeleteRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:AttachRolePolicy",
                             "iam:UpdateAssumeRolePolicy", "iam:TagRole"], role.arn,
                {"iam:PermissionsBoundary": role.boundary_arn} if role.boundary_arn else None)
            add("iam role", ["iam:PassRole"], role.arn, {"iam:PassedToService": "ecs-tasks.amazonaws.com"})
    add("permissions boundary", ["iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:SetDefaultPolicyVersion"],
        boundary_arn(env))
    for arns in deployment_policies(policies, env).values():
        for arn in arns:
            add("deployment policy", ["iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:SetDefaultPolicyVersion"],
                arn)
    return checks


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_b_a_deploy_role_cannot_change_the_other_environment(aws, policies, outputs, deploy_roles, env):
    attacker = deploy_roles[OTHER[env]]
    checks = other_environment_checks(aws, policies, outputs, env)
    kinds = {kind for kind, *_ in checks}
    # Every kind of resource the environment is built from was found in moto.
    assert {"vpc", "subnet", "route-table", "network-acl", "security-group", "internet-gateway", "natgateway",
            "elastic-ip", "vpc-flow-log", "ecs cluster", "ecs service", "ecs task definition", "load balancer", "listener",
            "target group", "scalable target", "kms key", "log group", "alarm", "dashboard", "sns topic",
            "event rule", "s3 bucket", "terraform state", "iam role", "permissions boundary",
            "deployment policy"} <= kinds
    # The defaults AWS makes untagged with the VPC are among them.
    untagged = {kind for kind, action, arn, context, resource_policy in checks
                if kind in EC2_DESTRUCTIVE and "aws:ResourceTag/Environment" not in context}
    assert {"route-table", "network-acl"} <= untagged, untagged
    allowed_ones = [f"{kind}: {action} on {arn}" for kind, action, arn, context, resource_policy in checks
                    if allowed(attacker, action, arn, context, resource_policy)]
    assert allowed_ones == [], (
        f"{attacker.name} may change {len(allowed_ones)} of {env}'s resources:\n" + "\n".join(allowed_ones))


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_b_no_deploy_role_can_adopt_an_untagged_ec2_resource(deploy_roles, env):
    """Any untagged EC2 resource of the account (another project's, the default VPC's, a
    VPC's defaults): a deploy role may neither tag it as its own nor change it, and may
    tag only in the call that creates a resource."""
    role = deploy_roles[env]
    as_own = {"aws:RequestTag/Environment": env}
    allowed_ones = []
    for kind, actions in EC2_DESTRUCTIVE.items():
        arn = f"arn:aws:ec2:{REGION}:{ACCOUNT}:{kind}/untagged-1"
        for action, context in [(action, as_own) for action in actions] + [
                ("ec2:CreateTags", {**as_own, "aws:TagKeys": ["Environment"]})]:
            if allowed(role, action, arn, context):
                allowed_ones.append(f"{action} on {arn} {context}")
    assert allowed_ones == [], "\n".join(allowed_ones)
    # It still creates, and tags in the creating call.
    for kind, action in (("vpc", "CreateVpc"), ("subnet", "CreateSubnet"), ("security-group", "CreateSecurityGroup"),
                         ("route-table", "CreateRouteTable"), ("natgateway", "CreateNatGateway")):
        arn = f"arn:aws:ec2:{REGION}:{ACCOUNT}:{kind}/new-1"
        assert allowed(role, f"ec2:{action}", arn, as_own), f"ec2:{action}"
        assert allowed(role, "ec2:CreateTags", arn, {**as_own, "ec2:CreateAction": action}), f"tags in ec2:{action}"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_b_a_deploy_role_can_still_change_its_own_environment(aws, policies, outputs, deploy_roles, env):
    """The same checks against the role's own environment: the role must pass them
    (a policy that allows nothing would otherwise pass the test above)."""
    role = deploy_roles[env]
    checks = [(kind, action, arn, {**context, "aws:RequestTag/Environment": env} if "aws:RequestTag/Environment"
               in context else context, resource_policy)
              for kind, action, arn, context, resource_policy in other_environment_checks(aws, policies, outputs, env)]
    must = {
        ("ecs service", "ecs:UpdateService"), ("ecs task definition", "ecs:RegisterTaskDefinition"),
        ("security-group", "ec2:AuthorizeSecurityGroupIngress"), ("route-table", "ec2:CreateRoute"),
        ("vpc", "ec2:CreateSubnet"), ("load balancer", "elasticloadbalancing:ModifyLoadBalancerAttributes"),
        ("listener", "elasticloadbalancing:ModifyListener"), ("target group", "elasticloadbalancing:ModifyTargetGroup"),
        ("scalable target", "application-autoscaling:PutScalingPolicy"), ("kms key", "kms:PutKeyPolicy"),
        ("log group", "logs:PutRetentionPolicy"), ("alarm", "cloudwatch:PutMetricAlarm"),
        ("dashboard", "cloudwatch:PutDashboard"), ("sns topic", "sns:SetTopicAttributes"),
        ("event rule", "events:PutRule"), ("s3 bucket", "s3:PutLifecycleConfiguration"),
    }
    found = {(kind, action) for kind, action, *_ in checks}
    assert must <= found
    # The untagged defaults are no one's (test above); the rest is the role's own.
    refused = [f"{kind}: {action} on {arn}" for kind, action, arn, context, resource_policy in checks
               if (kind, action) in must and not allowed(role, action, arn, context, resource_policy)
               and not (kind in EC2_DESTRUCTIVE and "aws:ResourceTag/Environment" not in context)]
    assert refused == []
    state = f"arn:aws:s3:::{outputs['state_bucket']}"
    assert allowed(role, "s3:PutObject", f"{state}/{env}/terraform.tfstate", {},
                   policies.resource_policies.get(state))


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_b_the_plan_role_only_reads(aws, policies, outputs, env):
    plan = policies.roles[f"http-echo-plan-{env}"]
    writes = [(action, arn, context, resource_policy) for kind, action, arn, context, resource_policy
              in other_environment_checks(aws, policies, outputs, env)
              if action not in ("s3:GetObject",)]
    state = f"arn:aws:s3:::{outputs['state_bucket']}"
    allowed_ones = [f"{action} on {arn}" for action, arn, context, resource_policy in writes
                    if allowed(plan, action, arn, {**context, "aws:RequestTag/Environment": env}, resource_policy)]
    assert allowed_ones == []
    assert allowed(plan, "s3:GetObject", f"{state}/{env}/terraform.tfstate", {}, policies.resource_policies.get(state))
    assert allowed(plan, "s3:PutObject", f"{state}/{env}/terraform.tfstate.tflock", {},
                   policies.resource_policies.get(state))
    assert not allowed(plan, "s3:PutObject", f"{state}/{env}/terraform.tfstate", {},
                       policies.resource_policies.get(state))
    assert allowed(plan, "ec2:DescribeVpcs", "*", {"aws:RequestedRegion": REGION})


# The image repository: only the build job's role writes -------------------------------


ECR_WRITES = ("ecr:PutImage", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload",
              "ecr:BatchDeleteImage", "ecr:PutImageTagMutability", "ecr:PutLifecyclePolicy",
              "ecr:DeleteLifecyclePolicy", "ecr:SetRepositoryPolicy", "ecr:DeleteRepository")


def test_only_the_push_role_writes_to_the_image_repository(policies, outputs):
    """IAM has no condition key for an image's tag: a role that may PutImage may write
    any tag (a prod-deployed-*, dev-verified-* or commit tag on any digest). So no
    deploy, plan or service role may write to the repository at all; the build job's
    push role, which names every image anyway, is the only writer."""
    repository = outputs["shared"]["ecr_repository_arn"]
    policy = policies.resource_policies.get(repository)
    assert policy, "the repository policy was not read back"
    writers = sorted({f"{role.name}: {action}" for role in policies.roles.values() if role.name.startswith("http-echo-")
                      for action in ECR_WRITES if allowed(role, action, repository, {}, policy)})
    assert writers == [f"http-echo-image-push: {action}" for action in sorted(
        ("ecr:PutImage", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload"))], writers
    # What the roles must still do with it.
    for env in ENVIRONMENTS:
        for role in (f"http-echo-deploy-{env}", f"http-echo-plan-{env}"):
            assert allowed(policies.roles[role], "ecr:DescribeImages", repository, {}, policy), role
        assert allowed(policies.roles[f"http-echo-{env}-execution"], "ecr:BatchGetImage", repository, {}, policy)


# (c) Trust ---------------------------------------------------------------------------


def subject(environment: str, branch: str, workflow: str = "deploy.yml", repository: str = REPOSITORY) -> str:
    return (f"repo:{repository}:environment:{environment}:job_workflow_ref:"
            f"{repository}/.github/workflows/{workflow}@refs/heads/{branch}")


INTENDED = {
    "http-echo-image-push": ("build", "dev"),
    "http-echo-deploy-dev": ("dev", "dev"),
    "http-echo-plan-dev": ("dev", "dev"),
    "http-echo-promotion-reader-dev": ("production-plan", "main"),
    "http-echo-deploy-prod": ("production", "main"),
    "http-echo-plan-prod": ("production-plan", "main"),
}


def test_c_every_github_role_admits_one_job_context(policies):
    problems = [f"{name}: no such role" for name in INTENDED if name not in policies.roles]
    for name, (environment, branch) in INTENDED.items():
        if name not in policies.roles:
            continue
        role = policies.roles[name]
        if principals(role.trust) != [("Federated", PROVIDER)]:
            problems.append(f"{name}: trusts {principals(role.trust)}")
        intended = {"sub": subject(environment, branch), "aud": "sts.amazonaws.com"}
        if not web_identity_admits(role.trust, PROVIDER, intended, role.arn):
            problems.append(f"{name}: refuses its own job ({intended['sub']})")
        others = {
            "another environment": subject("dev" if environment != "dev" else "production", branch),
            "another branch": subject(environment, "feature"),
            "another workflow": subject(environment, branch, workflow="ci.yml"),
            "another repository": subject(environment, branch, repository="someone/http-echo"),
            "a pull request": f"repo:{REPOSITORY}:pull_request",
            "the default subject": f"repo:{REPOSITORY}:environment:{environment}",
            "a branch push": f"repo:{REPOSITORY}:ref:refs/heads/{branch}",
        }
        for what, sub in others.items():
            if web_identity_admits(role.trust, PROVIDER, {"sub": sub, "aud": "sts.amazonaws.com"}, role.arn):
                problems.append(f"{name}: admits {what} ({sub})")
        if web_identity_admits(role.trust, PROVIDER, {**intended, "aud": f"https://github.com/{REPOSITORY.split('/')[0]}"},
                               role.arn):
            problems.append(f"{name}: admits another audience")
    assert problems == [], "\n".join(problems)


SERVICE_ROLES = {
    "-execution": "ecs-tasks.amazonaws.com",
    "-task": "ecs-tasks.amazonaws.com",
    "-flow-logs": "vpc-flow-logs.amazonaws.com",
}


def test_c_every_service_role_admits_its_service_from_this_account_only(policies):
    from principalmapper.querying.local_policy_simulation import (ResourcePolicyEvalResult,
                                                                  resource_policy_authorization)

    problems, seen = [], 0
    for role in policies.roles.values():
        suffix = next((suffix for suffix in SERVICE_ROLES if role.name.endswith(suffix)), None)
        if suffix is None or not role.name.startswith("http-echo-"):
            continue
        seen += 1
        service = SERVICE_ROLES[suffix]
        if principals(role.trust) != [("Service", service)]:
            problems.append(f"{role.name}: trusts {principals(role.trust)}")
        source = (f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/x" if service.startswith("ecs")
                  else f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc-flow-log/fl-1")
        own = {"aws:SourceAccount": ACCOUNT, "aws:SourceArn": source}
        foreign = {"aws:SourceAccount": "999999999999", "aws:SourceArn": source.replace(ACCOUNT, "999999999999")}
        if resource_policy_authorization(service, ACCOUNT, role.trust, "sts:AssumeRole", role.arn, own) \
                is not ResourcePolicyEvalResult.SERVICE_MATCH:
            problems.append(f"{role.name}: refuses {service} of this account")
        for context in (foreign, {}):
            if resource_policy_authorization(service, ACCOUNT, role.trust, "sts:AssumeRole", role.arn, context) \
                    is not ResourcePolicyEvalResult.NO_MATCH:
                problems.append(f"{role.name}: admits {service} with {context or 'no source'} (confused deputy)")
    assert seen == 6, f"expected the execution, task and flow-logs roles of dev and prod, found {seen}"
    assert problems == [], "\n".join(problems)


def test_c_no_trust_policy_admits_any_aws_principal(policies):
    problems = [f"{role.name}: trusts {kind} {identifier}" for role in policies.roles.values()
                for kind, identifier in principals(role.trust) if kind == "AWS"]
    assert problems == [], "\n".join(problems)
