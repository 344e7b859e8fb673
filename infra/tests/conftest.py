"""Fixtures for reading the environments and their policies back from moto_server.

scripts/check/infra.sh applies bootstrap, shared, dev-access, prod-access, dev and
prod against moto_server, then runs these tests with INFRA_OUTPUTS naming a JSON
file that holds the roots' `terraform output -json` (under "dev", "prod", "shared",
"dev-access", "prod-access"), the state bucket, the image deployed, the alarm
address and the GitHub repository the values name, and INFRA_POLICY_DIR naming where the rendered policies are written.
AWS_ENDPOINT_URL, AWS_CA_BUNDLE and the fake credentials come from moto_start, so
every boto3 client here talks to moto and nothing else.
"""

import json
import os

import boto3
import pytest


def applied_outputs() -> dict:
    """The roots' outputs and the values of the apply (INFRA_OUTPUTS)."""
    path = os.environ.get("INFRA_OUTPUTS")
    if not path:
        pytest.fail("INFRA_OUTPUTS is not set: run these tests through scripts/check/infra.sh")
    if "127.0.0.1" not in os.environ.get("AWS_ENDPOINT_URL", ""):
        pytest.fail("AWS_ENDPOINT_URL does not point at moto_server on 127.0.0.1; refusing to talk to AWS")
    with open(path, encoding="utf-8") as handle:
        raw = json.load(handle)
    roots = ("dev", "prod", "shared", "dev-access", "prod-access")
    return {
        **{root: {name: output["value"] for name, output in raw[root].items()} for root in roots},
        **{name: raw[name] for name in ("state_bucket", "image", "alarm_email", "github_repository")},
    }


@pytest.fixture(scope="session")
def outputs() -> dict:
    return applied_outputs()


@pytest.fixture(scope="session")
def dev(outputs) -> dict:
    return outputs["dev"]


@pytest.fixture(scope="session")
def aws():
    """aws("ec2") -> a boto3 client for moto in us-east-1."""
    clients: dict = {}

    def client(service: str):
        if service not in clients:
            clients[service] = boto3.client(service, region_name="us-east-1")
        return clients[service]

    return client


@pytest.fixture(scope="session")
def policies(aws):
    """Every IAM policy in moto's account, rendered with every ARN known (iam_policies.py)."""
    import iam_policies

    rendered = iam_policies.render(aws)
    directory = os.environ.get("INFRA_POLICY_DIR")
    if directory:
        iam_policies.write(rendered, directory)
    return rendered
