"""The dev environment as moto holds it after a real `terraform apply`: each property
of the original deployment read back through the AWS API, not from Terraform's own view of it."""

import json

import pytest


# Network ----------------------------------------------------------------------


def test_subnets_span_two_availability_zones(dev, aws):
    ec2 = aws("ec2")
    for tier in ("public_subnet_ids", "private_subnet_ids"):
        subnets = ec2.describe_subnets(SubnetIds=dev[tier])["Subnets"]
        zones = {subnet["AvailabilityZone"] for subnet in subnets}
        assert len(subnets) == 2 and zones == {"us-east-1a", "us-east-1b"}, (tier, zones)
        assert all(not subnet["MapPublicIpOnLaunch"] for subnet in subnets)


def test_private_subnets_leave_through_nat_and_public_through_internet_gateway(dev, aws):
    ec2 = aws("ec2")

    def default_route(subnet_id):
        tables = ec2.describe_route_tables(
            Filters=[{"Name": "association.subnet-id", "Values": [subnet_id]}]
        )["RouteTables"]
        assert len(tables) == 1, subnet_id
        routes = [r for r in tables[0]["Routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0"]
        assert len(routes) == 1, subnet_id
        return routes[0]

    for subnet_id in dev["private_subnet_ids"]:
        route = default_route(subnet_id)
        assert route.get("NatGatewayId", "").startswith("nat-"), route
    for subnet_id in dev["public_subnet_ids"]:
        route = default_route(subnet_id)
        assert route.get("GatewayId", "").startswith("igw-"), route

    gateways = ec2.describe_nat_gateways(Filters=[{"Name": "vpc-id", "Values": [dev["vpc_id"]]}])["NatGateways"]
    assert len(gateways) == 1, "dev runs a single NAT gateway"


def test_vpc_flow_logs(dev, aws):
    flow_logs = aws("ec2").describe_flow_logs(
        Filters=[{"Name": "resource-id", "Values": [dev["vpc_id"]]}]
    )["FlowLogs"]
    assert len(flow_logs) == 1 and flow_logs[0]["TrafficType"] == "REJECT"


# Load balancer ----------------------------------------------------------------


@pytest.fixture(scope="module")
def load_balancer(dev, aws):
    balancers = aws("elbv2").describe_load_balancers(Names=["http-echo-dev"])["LoadBalancers"]
    assert len(balancers) == 1
    return balancers[0]


def test_alb_is_internet_facing_in_two_zones(dev, load_balancer):
    assert load_balancer["Scheme"] == "internet-facing"
    assert load_balancer["Type"] == "application"
    zones = {zone["ZoneName"] for zone in load_balancer["AvailabilityZones"]}
    subnets = {zone["SubnetId"] for zone in load_balancer["AvailabilityZones"]}
    assert zones == {"us-east-1a", "us-east-1b"}
    assert subnets == set(dev["public_subnet_ids"])
    assert load_balancer["DNSName"] == dev["alb_dns_name"]
    assert dev["service_url"] == f"http://{load_balancer['DNSName']}:5678"


def test_listener_on_5678_forwards_to_the_target_group(aws, load_balancer):
    elbv2 = aws("elbv2")
    listeners = elbv2.describe_listeners(LoadBalancerArn=load_balancer["LoadBalancerArn"])["Listeners"]
    assert [(l["Port"], l["Protocol"]) for l in listeners] == [(5678, "HTTP")]
    action = listeners[0]["DefaultActions"][0]
    assert action["Type"] == "forward"
    group = elbv2.describe_target_groups(TargetGroupArns=[action["TargetGroupArn"]])["TargetGroups"][0]
    assert (group["Port"], group["Protocol"], group["TargetType"]) == (5678, "HTTP", "ip")
    assert group["HealthCheckPath"] == "/health"
    assert group["Matcher"]["HttpCode"] == "200"
    attributes = {
        a["Key"]: a["Value"]
        for a in elbv2.describe_target_group_attributes(TargetGroupArn=group["TargetGroupArn"])["Attributes"]
    }
    assert attributes["deregistration_delay.timeout_seconds"] == "30"


def test_alb_attributes(aws, load_balancer):
    attributes = {
        a["Key"]: a["Value"]
        for a in aws("elbv2").describe_load_balancer_attributes(
            LoadBalancerArn=load_balancer["LoadBalancerArn"]
        )["Attributes"]
    }
    assert attributes["routing.http.drop_invalid_header_fields.enabled"] == "true"
    assert attributes["idle_timeout.timeout_seconds"] == "60"
    assert attributes["deletion_protection.enabled"] == "false", "dev can be torn down"
    assert attributes["access_logs.s3.enabled"] == "true"
    assert attributes["access_logs.s3.bucket"] == "http-echo-dev-alb-logs-123456789012"


# Security groups ----------------------------------------------------------------


def security_group(aws, name):
    groups = aws("ec2").describe_security_groups(Filters=[{"Name": "group-name", "Values": [name]}])["SecurityGroups"]
    assert len(groups) == 1, name
    return groups[0]


def test_tasks_accept_only_the_alb_on_the_container_port(aws):
    tasks = security_group(aws, "http-echo-dev-tasks")
    alb = security_group(aws, "http-echo-dev-alb")
    [rule] = tasks["IpPermissions"]
    assert (rule["IpProtocol"], rule["FromPort"], rule["ToPort"]) == ("tcp", 5678, 5678)
    assert [pair["GroupId"] for pair in rule["UserIdGroupPairs"]] == [alb["GroupId"]]
    assert rule.get("IpRanges", []) == [] and rule.get("Ipv6Ranges", []) == []
    [egress] = tasks["IpPermissionsEgress"]
    assert (egress["IpProtocol"], egress["FromPort"], egress["ToPort"]) == ("tcp", 443, 443)


def test_alb_sends_only_to_the_tasks(aws):
    tasks = security_group(aws, "http-echo-dev-tasks")
    alb = security_group(aws, "http-echo-dev-alb")
    [egress] = alb["IpPermissionsEgress"]
    assert (egress["IpProtocol"], egress["FromPort"], egress["ToPort"]) == ("tcp", 5678, 5678)
    assert [pair["GroupId"] for pair in egress["UserIdGroupPairs"]] == [tasks["GroupId"]]
    assert egress.get("IpRanges", []) == []
    [ingress] = alb["IpPermissions"]
    assert (ingress["FromPort"], ingress["ToPort"]) == (5678, 5678)
    assert [r["CidrIp"] for r in ingress["IpRanges"]] == ["0.0.0.0/0"]


# ECS ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def service(dev, aws):
    services = aws("ecs").describe_services(cluster=dev["ecs_cluster_name"], services=[dev["ecs_service_name"]])["services"]
    assert len(services) == 1
    return services[0]


@pytest.fixture(scope="module")
def task_definition(aws, service):
    return aws("ecs").describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]


def test_service_runs_two_private_tasks_behind_the_alb(dev, aws, service):
    assert service["desiredCount"] == 2
    network = service["networkConfiguration"]["awsvpcConfiguration"]
    assert network["assignPublicIp"] == "DISABLED"
    assert set(network["subnets"]) == set(dev["private_subnet_ids"])
    assert network["securityGroups"] == [security_group(aws, "http-echo-dev-tasks")["GroupId"]]
    [balancer] = service["loadBalancers"]
    assert (balancer["containerName"], balancer["containerPort"]) == ("http-echo", 5678)
    assert service["taskDefinition"] == dev["task_definition_arn"]


def test_rolling_deployment_without_capacity_loss_and_with_rollback(service):
    configuration = service["deploymentConfiguration"]
    assert (configuration["maximumPercent"], configuration["minimumHealthyPercent"]) == (200, 100)
    assert configuration["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert configuration["alarms"] == {"alarmNames": ["http-echo-dev-target-5xx"], "enable": True, "rollback": True}
    assert service["healthCheckGracePeriodSeconds"] == 30


def test_dev_runs_on_fargate_spot_above_one_regular_task(service):
    # ECS leaves out zero weights and bases, as AWS does.
    strategy = {s["capacityProvider"]: (s.get("base", 0), s.get("weight", 0)) for s in service["capacityProviderStrategy"]}
    assert strategy == {"FARGATE": (1, 0), "FARGATE_SPOT": (0, 1)}


def test_task_definition(dev, outputs, task_definition):
    assert task_definition["family"] == dev["task_definition_family"] == "http-echo-dev"
    assert task_definition["requiresCompatibilities"] == ["FARGATE"]
    assert task_definition["networkMode"] == "awsvpc"
    assert (task_definition["cpu"], task_definition["memory"]) == ("256", "512")
    assert task_definition["runtimePlatform"] == {"cpuArchitecture": "X86_64", "operatingSystemFamily": "LINUX"}
    [container] = task_definition["containerDefinitions"]
    assert container["image"] == outputs["image"]
    assert container["readonlyRootFilesystem"] is True
    assert container["user"] == "65532"
    assert container["healthCheck"]["command"] == ["CMD", "/http-echo", "-healthcheck"]
    assert container["stopTimeout"] == 25
    environment = {pair["name"]: pair["value"] for pair in container["environment"]}
    assert environment == {
        "ECHO_TEXT": "Hello World",
        "ECHO_LISTEN": ":5678",
        "ECHO_LOG_FORMAT": "json",
        "ECHO_IDLE_TIMEOUT": "75s",
        "ECHO_SHUTDOWN_DELAY": "10s",
        "ECHO_SHUTDOWN_TIMEOUT": "10s",
        "ECHO_SERVED_BY": "true",
    }
    options = container["logConfiguration"]["options"]
    assert container["logConfiguration"]["logDriver"] == "awslogs"
    assert options["awslogs-group"] == dev["log_group_name"]


def test_execution_role_pulls_from_one_repository_and_writes_one_log_group(outputs, aws, task_definition):
    iam = aws("iam")
    role_name = task_definition["executionRoleArn"].rsplit("/", 1)[1]
    assert role_name == "http-echo-dev-execution"
    assert iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"] == []
    [policy_name] = iam.list_role_policies(RoleName=role_name)["PolicyNames"]
    document = iam.get_role_policy(RoleName=role_name, PolicyName=policy_name)["PolicyDocument"]
    if isinstance(document, str):
        document = json.loads(document)
    grants = {}
    for statement in document["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        for action in actions:
            grants[action] = resources
    repository_arn = outputs["shared"]["ecr_repository_arn"]
    assert grants == {
        "ecr:GetAuthorizationToken": ["*"],
        "ecr:BatchCheckLayerAvailability": [repository_arn],
        "ecr:BatchGetImage": [repository_arn],
        "ecr:GetDownloadUrlForLayer": [repository_arn],
        "logs:CreateLogStream": [f"arn:aws:logs:us-east-1:123456789012:log-group:{outputs['dev']['log_group_name']}:*"],
        "logs:PutLogEvents": [f"arn:aws:logs:us-east-1:123456789012:log-group:{outputs['dev']['log_group_name']}:*"],
    }
    assert task_definition["taskRoleArn"] != task_definition["executionRoleArn"]


def test_task_role_is_granted_nothing(aws, task_definition):
    """The server calls no AWS API; -served-by reads the task metadata endpoint v4,
    which takes no permission: the task role holds no policy at all."""
    iam = aws("iam")
    role_name = task_definition["taskRoleArn"].rsplit("/", 1)[1]
    assert role_name == "http-echo-dev-task"
    assert iam.list_role_policies(RoleName=role_name)["PolicyNames"] == []
    assert iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"] == []


# Autoscaling and alarms ------------------------------------------------------------


RESOURCE_ID = "service/http-echo-dev/http-echo-dev"


def test_scalable_target(aws):
    targets = aws("application-autoscaling").describe_scalable_targets(
        ServiceNamespace="ecs", ResourceIds=[RESOURCE_ID]
    )["ScalableTargets"]
    assert len(targets) == 1
    assert targets[0]["ScalableDimension"] == "ecs:service:DesiredCount"
    assert (targets[0]["MinCapacity"], targets[0]["MaxCapacity"]) == (2, 4)


@pytest.fixture(scope="module")
def policies(aws):
    found = aws("application-autoscaling").describe_scaling_policies(
        ServiceNamespace="ecs", ResourceId=RESOURCE_ID
    )["ScalingPolicies"]
    return {policy["PolicyName"]: policy for policy in found}


def test_step_scaling_policies(policies):
    assert set(policies) == {"http-echo-dev-cpu-scale-out", "http-echo-dev-cpu-scale-in"}
    out = policies["http-echo-dev-cpu-scale-out"]["StepScalingPolicyConfiguration"]
    down = policies["http-echo-dev-cpu-scale-in"]["StepScalingPolicyConfiguration"]
    assert [s["ScalingAdjustment"] for s in out["StepAdjustments"]] == [1]
    assert [s["ScalingAdjustment"] for s in down["StepAdjustments"]] == [-1]
    assert out["AdjustmentType"] == down["AdjustmentType"] == "ChangeInCapacity"


@pytest.fixture(scope="module")
def alarms(dev, aws):
    found = aws("cloudwatch").describe_alarms(AlarmNames=dev["alarm_names"])["MetricAlarms"]
    return {alarm["AlarmName"]: alarm for alarm in found}


def test_cpu_alarms_scale_at_85_and_10_percent_and_notify(dev, alarms, policies):
    high, low = alarms["http-echo-dev-cpu-high"], alarms["http-echo-dev-cpu-low"]
    assert (high["MetricName"], high["Namespace"], high["Statistic"]) == ("CPUUtilization", "AWS/ECS", "Average")
    assert (high["ComparisonOperator"], high["Threshold"]) == ("GreaterThanThreshold", 85.0)
    assert (low["ComparisonOperator"], low["Threshold"]) == ("LessThanThreshold", 10.0)
    assert {d["Name"]: d["Value"] for d in high["Dimensions"]} == {
        "ClusterName": "http-echo-dev",
        "ServiceName": "http-echo-dev",
    }
    assert set(high["AlarmActions"]) == {policies["http-echo-dev-cpu-scale-out"]["PolicyARN"], dev["sns_topic_arn"]}
    assert set(low["AlarmActions"]) == {policies["http-echo-dev-cpu-scale-in"]["PolicyARN"], dev["sns_topic_arn"]}


def test_every_alarm_notifies_the_topic(dev, alarms):
    assert set(alarms) == set(dev["alarm_names"]) and len(alarms) == 9
    for name, alarm in alarms.items():
        assert dev["sns_topic_arn"] in alarm["AlarmActions"], name


def test_rollback_alarm_is_an_error_rate_over_two_minutes(alarms):
    target_5xx = alarms["http-echo-dev-target-5xx"]
    assert (target_5xx["Threshold"], target_5xx["EvaluationPeriods"], target_5xx["DatapointsToAlarm"]) == (5.0, 2, 2)
    queries = {query["Id"]: query for query in target_5xx["Metrics"]}
    assert queries["error_rate"]["Expression"] == "IF(requests > 0, 100 * FILL(errors, 0) / requests, 0)"
    assert queries["errors"]["MetricStat"]["Metric"]["MetricName"] == "HTTPCode_Target_5XX_Count"
    assert queries["requests"]["MetricStat"]["Metric"]["MetricName"] == "RequestCount"


def test_undelivered_deployment_events_raise_an_alarm(alarms):
    alarm = alarms["http-echo-dev-undelivered-deployment-events"]
    assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/Events", "FailedInvocations")
    assert alarm["Dimensions"] == [{"Name": "RuleName", "Value": "http-echo-dev-deployment-problems"}]


# Notifications, logs, dashboard ---------------------------------------------------


def test_sns_topic_has_the_email_subscription(dev, outputs, aws):
    sns = aws("sns")
    subscriptions = sns.list_subscriptions_by_topic(TopicArn=dev["sns_topic_arn"])["Subscriptions"]
    assert [(s["Protocol"], s["Endpoint"]) for s in subscriptions] == [("email", outputs["alarm_email"])]
    attributes = sns.get_topic_attributes(TopicArn=dev["sns_topic_arn"])["Attributes"]
    assert attributes.get("KmsMasterKeyId", "").startswith("arn:aws:kms:")


def test_failed_deployments_reach_the_topic(dev, aws):
    events = aws("events")
    targets = events.list_targets_by_rule(Rule="http-echo-dev-deployment-problems")["Targets"]
    assert [t["Arn"] for t in targets] == [dev["sns_topic_arn"]]


def test_log_group_retention_and_encryption(dev, aws):
    groups = aws("logs").describe_log_groups(logGroupNamePrefix=dev["log_group_name"])["logGroups"]
    [group] = [g for g in groups if g["logGroupName"] == dev["log_group_name"]]
    assert group["retentionInDays"] == 14
    assert group.get("kmsKeyId", "").startswith("arn:aws:kms:")


def test_dashboard_shows_the_original_metrics(dev, aws):
    body = json.loads(aws("cloudwatch").get_dashboard(DashboardName=dev["dashboard_name"])["DashboardBody"])
    metrics = {line[1] for widget in body["widgets"] for line in widget["properties"].get("metrics", [])}
    assert {
        "CPUUtilization",
        "MemoryUtilization",
        "RunningTaskCount",
        "RequestCount",
        "HTTPCode_Target_4XX_Count",
        "HTTPCode_Target_5XX_Count",
        "TargetResponseTime",
        "HealthyHostCount",
    } <= metrics


# Shared: ECR, deploy roles, state -------------------------------------------------


def test_ecr_repository_settings(outputs, aws):
    ecr = aws("ecr")
    [repository] = ecr.describe_repositories(repositoryNames=["http-echo"])["repositories"]
    assert repository["repositoryUri"] == outputs["shared"]["ecr_repository_url"]
    assert repository["imageTagMutability"] == "IMMUTABLE"
    assert repository["imageScanningConfiguration"]["scanOnPush"] is True
    assert repository["encryptionConfiguration"]["encryptionType"] == "KMS"
    # No rule may expire an image that has a tag: prod's running image and the revision
    # a rollback needs carry their commit's tag, and tags can be written by the push
    # role, so a count over tags could be flooded (modules/pipeline).
    rules = json.loads(ecr.get_lifecycle_policy(repositoryName="http-echo")["lifecyclePolicyText"])["rules"]
    assert [(r["selection"]["tagStatus"], r["selection"]["countType"], r["action"]["type"]) for r in rules] == [
        ("untagged", "sinceImagePushed", "expire")]


def test_deployment_roles_trust_one_job_context_each(outputs, aws):
    # What each trust policy admits, evaluated, is in test_policy_evaluation.py; this
    # reads back that the roles exist with the subjects the roots output.
    iam = aws("iam")
    subjects = {**outputs["dev-access"]["role_subjects"], **outputs["prod-access"]["role_subjects"]}
    assert set(subjects) == {"http-echo-deploy-dev", "http-echo-plan-dev", "http-echo-promotion-reader-dev",
                             "http-echo-deploy-prod", "http-echo-plan-prod"}
    for name, subject in subjects.items():
        trust = iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"]
        if isinstance(trust, str):
            trust = json.loads(trust)
        [statement] = trust["Statement"]
        assert statement["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"] == subject


def test_state_bucket_holds_the_states_and_no_stale_lock(outputs, aws):
    s3 = aws("s3")
    bucket = outputs["state_bucket"]
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    [rule] = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values()) and len(block) == 4
    keys = {item["Key"] for item in s3.list_objects_v2(Bucket=bucket).get("Contents", [])}
    assert {"shared/terraform.tfstate", "dev-access/terraform.tfstate", "prod-access/terraform.tfstate",
            "dev/terraform.tfstate", "prod/terraform.tfstate"} <= keys
    assert not [key for key in keys if key.endswith(".tflock")], "a lock file outlived its apply"
