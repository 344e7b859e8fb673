"""running_image.py against moto's ECS: the promotion check prod's plan makes.

prod deploys a digest only if dev's service runs it, stable, now. The check reads
DescribeServices and the task definition; these tests give it a service that runs
one image to steady state, one that is still rolling out, and an image it never ran.
"""

import subprocess
import sys

import pytest
from conftest import PIPELINE, initial_task_count

IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/http-echo@sha256:" + "a" * 64


def running_image(moto, *args):
    return subprocess.run([sys.executable, str(PIPELINE / "running_image.py"), "--cluster", "dev", *args],
                          env=moto.environment(), capture_output=True, text=True, timeout=60)


@pytest.fixture
def cluster(moto):
    moto.reset()
    ecs = moto.client("ecs")
    ecs.create_cluster(clusterName="dev")
    definition = ecs.register_task_definition(
        family="dev", containerDefinitions=[{"name": "http-echo", "image": IMAGE, "memory": 512}],
    )["taskDefinition"]["taskDefinitionArn"]

    def service(name, desired):
        ecs.create_service(cluster="dev", serviceName=name, taskDefinition=definition, desiredCount=desired)
    return service


def test_a_steady_service_prints_its_image(moto, cluster):
    # moto "runs" that many tasks of a new service at once (the session's setting).
    cluster("steady", int(initial_task_count()))
    result = running_image(moto, "--service", "steady")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{IMAGE}\n"
    assert running_image(moto, "--service", "steady", "--expect", IMAGE).returncode == 0


def test_a_digest_the_service_never_ran_is_refused(moto, cluster):
    cluster("steady", int(initial_task_count()))
    other = IMAGE.replace("a" * 64, "b" * 64)
    result = running_image(moto, "--service", "steady", "--expect", other)
    assert result.returncode == 1
    assert result.stderr == (f"running_image: error: service steady runs {IMAGE}, not {other}: "
                             "that image was never run there to steady state\n")


def test_a_service_still_rolling_out_is_refused(moto, cluster):
    cluster("rolling", int(initial_task_count()) + 1)  # one task short of desired
    result = running_image(moto, "--service", "rolling", "--expect", IMAGE)
    assert result.returncode == 1
    assert result.stderr.startswith("running_image: error: service rolling is not steady: in progress:")


def test_a_missing_service_is_refused(moto, cluster):
    result = running_image(moto, "--service", "nothing")
    assert result.returncode == 1 and "not found" in result.stderr
