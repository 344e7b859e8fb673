"""After infra/teardown.sh took every root down, nothing of the project is left.

scripts/check/infra.sh runs this last: it applied every root through
infra/bootstrap.sh (and dev and prod as a deploy does), saved each root's
state (`terraform state pull`) in INFRA_STATES_DIR, then ran infra/teardown.sh for dev,
prod, dev-access, prod-access, shared and state, as a user would. Each resource
type the roots created has a look-up here, through the AWS API (boto3, against
moto_server), that lists what is left of the project; a type with no look-up fails
the test, so that a new kind of resource cannot slip past it.

Two things AWS keeps on purpose are accepted: a KMS key is only scheduled for
deletion (AWS waits 7 to 30 days), and nothing else. The task definitions that
Terraform leaves registered for rollbacks must be gone (the teardown deletes them).

The GitHub side cannot run here: the last test checks instead that the clean-up
commands infra/teardown.sh prints undo every call pipeline/setup-github.sh makes.
"""

import json
import os
import re
from pathlib import Path

import boto3
import pytest

PROJECT = "http-echo"


@pytest.fixture(scope="module")
def aws():
    if "127.0.0.1" not in os.environ.get("AWS_ENDPOINT_URL", ""):
        pytest.fail("AWS_ENDPOINT_URL does not point at moto_server on 127.0.0.1; refusing to talk to AWS")
    clients: dict = {}

    def client(service: str):
        if service not in clients:
            clients[service] = boto3.client(service, region_name="us-east-1")
        return clients[service]

    return client


def directory(variable: str) -> Path:
    value = os.environ.get(variable)
    if not value:
        pytest.fail(f"{variable} is not set: run these tests through scripts/check/infra.sh")
    return Path(value)


@pytest.fixture(scope="module")
def created_types() -> set[str]:
    """Every managed resource type in the states the roots had before the teardown."""
    types: set[str] = set()
    states = sorted(directory("INFRA_STATES_DIR").glob("*.json"))
    assert len(states) == 6, f"expected the states of the 6 roots, found {[state.name for state in states]}"
    for path in states:
        found = {resource["type"] for resource in json.loads(path.read_text()).get("resources", [])
                 if resource.get("mode") == "managed" and resource.get("instances")}
        assert found, f"{path.name}: the root held no resources before the teardown"
        types |= found
    return types


# What is left of the project, by kind: each look-up returns a list of descriptions.
tagged = [{"Name": "tag:Project", "Values": [PROJECT]}]


def vpcs(aws):
    return [v["VpcId"] for v in aws("ec2").describe_vpcs(Filters=tagged)["Vpcs"]]


def subnets(aws):
    return [s["SubnetId"] for s in aws("ec2").describe_subnets(Filters=tagged)["Subnets"]]


def route_tables(aws):
    return [t["RouteTableId"] for t in aws("ec2").describe_route_tables(Filters=tagged)["RouteTables"]]


def internet_gateways(aws):
    return [g["InternetGatewayId"] for g in aws("ec2").describe_internet_gateways(Filters=tagged)["InternetGateways"]]


def nat_gateways(aws):
    return [g["NatGatewayId"] for g in aws("ec2").describe_nat_gateways(Filter=tagged)["NatGateways"]
            if g["State"] not in ("deleted", "deleting")]


def addresses(aws):
    return [a["AllocationId"] for a in aws("ec2").describe_addresses(Filters=tagged)["Addresses"]]


def security_groups(aws):
    return [g["GroupId"] for g in aws("ec2").describe_security_groups(Filters=tagged)["SecurityGroups"]]


def flow_logs(aws):
    return [f["FlowLogId"] for f in aws("ec2").describe_flow_logs(Filters=tagged)["FlowLogs"]]


def vpc_endpoints(aws):
    return [e["VpcEndpointId"] for e in aws("ec2").describe_vpc_endpoints(Filters=tagged)["VpcEndpoints"]
            if e["State"].lower() not in ("deleted", "deleting")]


def load_balancers(aws):
    return [b["LoadBalancerName"] for b in aws("elbv2").describe_load_balancers()["LoadBalancers"]
            if b["LoadBalancerName"].startswith(f"{PROJECT}-")]


def target_groups(aws):
    return [g["TargetGroupName"] for g in aws("elbv2").describe_target_groups()["TargetGroups"]
            if g["TargetGroupName"].startswith(f"{PROJECT}-")]


def ecs_clusters(aws):
    arns = aws("ecs").list_clusters()["clusterArns"]
    clusters = aws("ecs").describe_clusters(clusters=arns)["clusters"] if arns else []
    return [c["clusterName"] for c in clusters if c["clusterName"].startswith(f"{PROJECT}-") and c["status"] != "INACTIVE"]


def ecs_services(aws):
    """Services not yet INACTIVE (ECS shows a deleted service as INACTIVE for a while)."""
    ecs, left = aws("ecs"), []
    for cluster in ecs.list_clusters()["clusterArns"]:
        arns = [arn for arn in ecs.list_services(cluster=cluster)["serviceArns"] if f"/{PROJECT}-" in arn]
        services = ecs.describe_services(cluster=cluster, services=arns)["services"] if arns else []
        left += [f"{service['serviceArn']} ({service['status']})" for service in services if service["status"] != "INACTIVE"]
    return left


def task_definitions(aws):
    ecs = aws("ecs")
    return [arn for status in ("ACTIVE", "INACTIVE")
            for arn in ecs.list_task_definitions(familyPrefix=f"{PROJECT}-", status=status)["taskDefinitionArns"]]


def scalable_targets(aws):
    return [t["ResourceId"] for t in aws("application-autoscaling").describe_scalable_targets(
        ServiceNamespace="ecs")["ScalableTargets"] if f"/{PROJECT}-" in t["ResourceId"]]


def scaling_policies(aws):
    return [p["PolicyName"] for p in aws("application-autoscaling").describe_scaling_policies(
        ServiceNamespace="ecs")["ScalingPolicies"] if f"/{PROJECT}-" in p["ResourceId"]]


def alarms(aws):
    return [a["AlarmName"] for a in aws("cloudwatch").describe_alarms(AlarmNamePrefix=f"{PROJECT}-")["MetricAlarms"]]


def dashboards(aws):
    return [d["DashboardName"] for d in aws("cloudwatch").list_dashboards(DashboardNamePrefix=f"{PROJECT}-")["DashboardEntries"]]


def log_groups(aws):
    return [g["logGroupName"] for g in aws("logs").describe_log_groups()["logGroups"] if PROJECT in g["logGroupName"]]


def event_rules(aws):
    return [r["Name"] for r in aws("events").list_rules(NamePrefix=f"{PROJECT}-")["Rules"]]


def topics(aws):
    return [t["TopicArn"] for t in aws("sns").list_topics()["Topics"] if f":{PROJECT}-" in t["TopicArn"]]


def subscriptions(aws):
    return [s["SubscriptionArn"] for s in aws("sns").list_subscriptions()["Subscriptions"] if f":{PROJECT}-" in s["TopicArn"]]


def kms_keys(aws):
    """Keys of the project not scheduled for deletion (AWS deletes a key only after a waiting period)."""
    kms, left = aws("kms"), []
    for key in kms.list_keys()["Keys"]:
        tags = {tag["TagKey"]: tag["TagValue"] for tag in kms.list_resource_tags(KeyId=key["KeyId"]).get("Tags", [])}
        state = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"]
        if tags.get("Project") == PROJECT and state != "PendingDeletion":
            left.append(f"{key['KeyId']} ({state})")
    return left


def kms_aliases(aws):
    return [a["AliasName"] for a in aws("kms").list_aliases()["Aliases"] if a["AliasName"].startswith(f"alias/{PROJECT}-")]


def roles(aws):
    return [r["RoleName"] for r in aws("iam").list_roles()["Roles"] if r["RoleName"].startswith(f"{PROJECT}-")]


def managed_policies(aws):
    return [p["PolicyName"] for p in aws("iam").list_policies(Scope="Local")["Policies"] if p["PolicyName"].startswith(f"{PROJECT}-")]


def oidc_providers(aws):
    return [p["Arn"] for p in aws("iam").list_open_id_connect_providers()["OpenIDConnectProviderList"]
            if p["Arn"].endswith("/token.actions.githubusercontent.com")]


def buckets(aws):
    return [b["Name"] for b in aws("s3").list_buckets()["Buckets"] if b["Name"].startswith(f"{PROJECT}-")]


def repositories(aws):
    return [r["repositoryName"] for r in aws("ecr").describe_repositories()["repositories"]
            if r["repositoryName"] == PROJECT or r["repositoryName"].startswith(f"{PROJECT}-")]


# Each resource type the roots create, and the look-ups that find what is left of it.
# A part of another resource (a route, a bucket's versioning) is looked for with it.
LOOKUPS = {
    "aws_vpc": [vpcs], "aws_subnet": [subnets], "aws_route_table": [route_tables],
    "aws_route": [route_tables], "aws_route_table_association": [route_tables, subnets],
    "aws_internet_gateway": [internet_gateways], "aws_nat_gateway": [nat_gateways], "aws_eip": [addresses],
    "aws_security_group": [security_groups], "aws_default_security_group": [vpcs],
    "aws_vpc_security_group_ingress_rule": [security_groups], "aws_vpc_security_group_egress_rule": [security_groups],
    "aws_flow_log": [flow_logs], "aws_vpc_endpoint": [vpc_endpoints],
    "aws_lb": [load_balancers], "aws_lb_listener": [load_balancers], "aws_lb_target_group": [target_groups],
    "aws_ecs_cluster": [ecs_clusters], "aws_ecs_cluster_capacity_providers": [ecs_clusters],
    "aws_ecs_service": [ecs_services], "aws_ecs_task_definition": [task_definitions],
    "aws_appautoscaling_target": [scalable_targets], "aws_appautoscaling_policy": [scaling_policies],
    "aws_cloudwatch_metric_alarm": [alarms], "aws_cloudwatch_dashboard": [dashboards],
    "aws_cloudwatch_log_group": [log_groups],
    "aws_cloudwatch_event_rule": [event_rules], "aws_cloudwatch_event_target": [event_rules],
    "aws_sns_topic": [topics], "aws_sns_topic_policy": [topics], "aws_sns_topic_subscription": [subscriptions],
    "aws_kms_key": [kms_keys], "aws_kms_alias": [kms_aliases],
    "aws_iam_role": [roles], "aws_iam_role_policy": [roles], "aws_iam_policy": [managed_policies],
    "aws_iam_role_policy_attachment": [roles, managed_policies],
    "aws_iam_openid_connect_provider": [oidc_providers],
    "aws_s3_bucket": [buckets], "aws_s3_bucket_versioning": [buckets], "aws_s3_bucket_policy": [buckets],
    "aws_s3_bucket_lifecycle_configuration": [buckets], "aws_s3_bucket_ownership_controls": [buckets],
    "aws_s3_bucket_public_access_block": [buckets], "aws_s3_bucket_server_side_encryption_configuration": [buckets],
    "aws_ecr_repository": [repositories], "aws_ecr_repository_policy": [repositories],
    "aws_ecr_lifecycle_policy": [repositories],
}


def test_every_resource_type_the_roots_created_has_a_look_up(created_types):
    assert len(created_types) >= 40, f"only {len(created_types)} resource types in the states: {sorted(created_types)}"
    assert sorted(created_types - LOOKUPS.keys()) == [], "add a look-up for these types to LOOKUPS"


def test_no_resource_of_the_project_is_left(aws, created_types):
    lookups = {lookup for kind in created_types for lookup in LOOKUPS.get(kind, [])}
    left = {lookup.__name__: found for lookup in sorted(lookups, key=lambda f: f.__name__) if (found := lookup(aws))}
    assert left == {}, "left after the teardown:\n" + "\n".join(f"  {kind}: {found}" for kind, found in left.items())


def test_the_kms_keys_wait_for_their_deletion(aws):
    """The keys of both environments were made and are now scheduled for deletion: the
    test above would otherwise pass on keys it never saw."""
    kms = aws("kms")
    pending = [key["KeyId"] for key in kms.list_keys()["Keys"]
               if kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "PendingDeletion"]
    assert len(pending) >= 2


def gone_from_view_later(aws, arn: str) -> bool:
    """Deleted, but still listed for a while, as AWS does: a NAT gateway in state
    deleted, an INACTIVE ECS cluster or service, a KMS key waiting for its deletion."""
    kind = arn.split(":")[2]
    resource = arn.split(":", 5)[5]
    if kind == "ec2" and resource.startswith("natgateway/"):
        [gateway] = aws("ec2").describe_nat_gateways(NatGatewayIds=[resource.split("/")[1]])["NatGateways"]
        return gateway["State"] == "deleted"
    if kind == "ecs" and resource.startswith("cluster/"):
        return all(c["status"] == "INACTIVE" for c in aws("ecs").describe_clusters(clusters=[arn])["clusters"])
    if kind == "ecs" and resource.startswith("service/"):
        cluster = resource.split("/")[1]
        return all(s["status"] == "INACTIVE" for s in aws("ecs").describe_services(cluster=cluster, services=[arn])["services"])
    if kind == "kms":
        return aws("kms").describe_key(KeyId=arn)["KeyMetadata"]["KeyState"] == "PendingDeletion"
    return False


def test_nothing_tagged_with_the_project_is_left(aws):
    """The tagging API, across services: anything of the project a look-up above missed."""
    tagged_resources = aws("resourcegroupstaggingapi").get_resources(
        TagFilters=[{"Key": "Project", "Values": [PROJECT]}])["ResourceTagMappingList"]
    left = [resource["ResourceARN"] for resource in tagged_resources
            if not gone_from_view_later(aws, resource["ResourceARN"])]
    assert left == [], "\n".join(left)


def test_the_github_clean_up_undoes_the_set_up():
    """Every environment, repository variable and the OIDC subject that setup-github.sh
    sets (its --dry-run, with the variables bootstrap.sh wrote) is removed by a command
    teardown.sh prints."""
    setup = directory("INFRA_GITHUB_SETUP").read_text()
    cleanup = directory("INFRA_TEARDOWN_PLAN").read_text()
    environments = set(re.findall(r"--method PUT repos/[^/]+/[^/]+/environments/([\w-]+)$", setup, re.MULTILINE))
    variables = set(re.findall(r"--method PATCH repos/[^/]+/[^/]+/actions/variables/(\w+)", setup))
    assert environments >= {"build", "dev", "production-plan", "production"} and variables >= {"AWS_REGION"}
    deleted = set(re.findall(r"gh api --method DELETE repos/[^/]+/[^/]+/environments/([\w-]+)$", cleanup, re.MULTILINE))
    unset = set(re.findall(r"gh variable delete (\w+) --repo", cleanup))
    assert (environments - deleted, variables - unset) == (set(), set())
    assert re.search(r"--method PUT repos/[^/]+/[^/]+/actions/oidc/customization/sub", setup)
    assert re.search(r"--method PUT repos/[^/]+/[^/]+/actions/oidc/customization/sub -F use_default=true$", cleanup,
                     re.MULTILINE)
