"""Whole deploys with pipeline/deploy.py: real Terraform applies infra/envs/<env> against
moto_server (state in moto's S3), then the script reads the task definition back, waits
for the ECS service and judges its rollout.

Plan now, apply later (prod's review): a saved plan is applied from another copy of
infra/ (another runner), a plan made stale by another apply is refused, and so is a
plan for another image. A rollout that ECS rolls back (emulated by the test's
moto_server for images named "rolled-back") fails the apply itself.

What moto cannot do is skipped explicitly: the smoke test (the load balancer's name
does not resolve, and must not be looked up: tests reach only 127.0.0.1), with
--skip-smoke-test or DEPLOY_SKIP_SMOKE_TEST=1, which the script reports. The smoke test
itself runs against the real server in test_smoke_test.py, and the circuit-breaker
verdicts on hand-made ECS answers in test_rollout.py.

Terraform runs in a copy of infra/ so that its .terraform directories and lock files
never land in the working tree (nor clash with the Terraform suite's own runs).
"""

import hashlib
import re
import shutil
import subprocess
import sys

import pytest
from conftest import PIPELINE, REPO_ROOT, ROLLED_BACK, MotoServer

ECR = "123456789012.dkr.ecr.us-east-1.amazonaws.com/http-echo"
STATE_BUCKET = "http-echo-tfstate-test"


def digest_of(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture(scope="module")
def infra(tmp_path_factory):
    copy = tmp_path_factory.mktemp("deploy") / "infra"
    shutil.copytree(REPO_ROOT / "infra", copy, ignore=shutil.ignore_patterns(".terraform", "*.tfstate*", "*.tfplan"))
    return copy


def backend_file(moto: MotoServer, directory) -> str:
    """Backend settings for moto: its S3 by path (a bucket cannot be a host name of 127.0.0.1)."""
    path = directory / "moto.backend.hcl"
    path.write_text(f'bucket = "{STATE_BUCKET}"\nuse_path_style = true\n')
    moto.client("s3").create_bucket(Bucket=STATE_BUCKET)
    return str(path)


@pytest.fixture(scope="module")
def deploy(terraform_env, infra):
    """Runs pipeline/deploy.py on the copy of infra/ (or another, infra=) against one moto_server."""
    def run(moto: MotoServer, environment: str, image: str, *extra: str, infra_copy=None, **env: str):
        infra_dir = (infra_copy or infra) / "envs" / environment
        command = [sys.executable, str(PIPELINE / "deploy.py"), "--environment", environment, "--image", image,
                   "--infra-dir", str(infra_dir),
                   "--backend-config", str(infra / "moto.backend.hcl"), "--poll-interval", "0.5", *extra]
        variables = moto.environment(**terraform_env, TF_CLI_ARGS="-no-color", **env)
        result = subprocess.run(command, env=variables, capture_output=True, text=True, timeout=900)
        # Terraform's output is long: pytest shows it only for a failing test.
        print(result.stderr[-20000:])
        return result
    return run


def outputs_of(result) -> dict[str, str]:
    return dict(line.split("=", 1) for line in result.splitlines())


@pytest.fixture(scope="module")
def dev(moto, infra, deploy):
    """dev deployed once with a tag, as a first deploy creates the whole environment."""
    moto.reset()
    backend_file(moto, infra)
    github_output = infra / "github_output"
    result = deploy(moto, "dev", f"{ECR}:0f3c2a9", "--skip-smoke-test", GITHUB_OUTPUT=str(github_output))
    return result, github_output


def service(moto):
    ecs = moto.client("ecs")
    return ecs.describe_services(cluster="http-echo-dev", services=["http-echo-dev"])["services"][0]


def image_of(moto, task_definition_arn):
    definition = moto.client("ecs").describe_task_definition(taskDefinition=task_definition_arn)["taskDefinition"]
    return [container["image"] for container in definition["containerDefinitions"]]


def test_first_deploy_creates_dev_and_runs_the_image(moto, dev):
    result, github_output = dev
    assert result.returncode == 0, result.stderr[-3000:]
    running = service(moto)
    assert running["taskDefinition"].endswith("task-definition/http-echo-dev:1")
    assert image_of(moto, running["taskDefinition"]) == [f"{ECR}:0f3c2a9"]
    lines = result.stderr.splitlines()
    assert f"deploy: task definition {running['taskDefinition']} runs {ECR}:0f3c2a9" in lines
    assert any(line.startswith("deploy: service http-echo-dev: stable: 2/2 tasks running") for line in lines)


def test_the_state_is_in_the_backend_bucket(moto, dev):
    keys = [item["Key"] for item in moto.client("s3").list_objects_v2(Bucket=STATE_BUCKET).get("Contents", [])]
    assert "dev/terraform.tfstate" in keys


def test_the_skipped_smoke_test_is_reported(dev):
    result, _ = dev
    assert any(line.startswith("deploy: SKIPPED the smoke test of http://") for line in result.stderr.splitlines())


def test_github_gets_the_url_and_the_task_definition(moto, dev):
    _, github_output = dev
    outputs = outputs_of(github_output.read_text())
    assert outputs["image"] == f"{ECR}:0f3c2a9"
    assert outputs["task_definition_arn"] == service(moto)["taskDefinition"]
    assert outputs["service_url"].startswith("http://") and ".elb." in outputs["service_url"]


def test_a_new_digest_registers_a_revision_the_service_runs(moto, deploy, dev):
    image = f"{ECR}@{digest_of('build of commit 2')}"
    result = deploy(moto, "dev", image, DEPLOY_SKIP_SMOKE_TEST="1")
    assert result.returncode == 0, result.stderr[-3000:]
    running = service(moto)
    assert running["taskDefinition"].endswith("task-definition/http-echo-dev:2")
    assert image_of(moto, running["taskDefinition"]) == [image]
    # The previous revision stays registered: the circuit breaker rolls back to it.
    previous = running["taskDefinition"].replace(":2", ":1")
    assert image_of(moto, previous) == [f"{ECR}:0f3c2a9"]


def test_the_same_digest_again_registers_no_revision(moto, deploy, dev):
    # A re-run of a deploy job. (moto forgets the service's capacity provider
    # strategy, so Terraform re-creates the service here; real ECS keeps it.)
    image = f"{ECR}@{digest_of('build of commit 2')}"
    before = service(moto)["taskDefinition"]
    result = deploy(moto, "dev", image, "--skip-smoke-test")
    assert result.returncode == 0, result.stderr[-3000:]
    assert service(moto)["taskDefinition"] == before
    assert not re.search(r"# module\.service\.aws_ecs_task_definition\.this (will|must) be", result.stderr)


def test_a_service_that_never_stabilizes_fails_the_deploy(infra, deploy):
    # A second moto whose services never get a running task: the rollout stays
    # IN_PROGRESS, as on ECS when new tasks cannot start and no circuit breaker trips.
    stuck = MotoServer({"MOTO_ECS_SERVICE_RUNNING": "0"})
    try:
        backend_file(stuck, infra)
        image = f"{ECR}@{digest_of('build that never starts')}"
        # Terraform's own wait (wait_for_steady_state) would hold the apply for its
        # 20-minute timeout; this test is about the script's wait, so it is turned off.
        result = deploy(stuck, "prod", image, "--skip-smoke-test", "--timeout", "3",
                        TF_VAR_wait_for_steady_state="false")
    finally:
        stuck.stop()
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("deploy: error: service http-echo-prod not stable after 3 s: rollout IN_PROGRESS: 0/2")


def test_nobody_subscribed_is_warned_about(dev):
    # The committed values subscribe nobody (a real address is the team's to add).
    result, _ = dev
    assert any(line.startswith("deploy: warning: arn:aws:sns:") and "has no subscription" in line
               for line in result.stderr.splitlines())


def test_a_rolled_back_rollout_fails_the_apply(moto, deploy, dev):
    before = service(moto)["taskDefinition"]
    result = deploy(moto, "dev", f"{ECR}:{ROLLED_BACK}", "--skip-smoke-test")
    assert result.returncode == 1, result.stderr[-3000:]
    # The service's postcondition, not only deploy.py: a manual apply fails the same way.
    assert "ECS rolled the deployment back" in result.stderr
    assert service(moto)["taskDefinition"] == before


@pytest.fixture(scope="module")
def second_runner(tmp_path_factory):
    """Another copy of infra/, as the apply job's runner has after its own checkout."""
    copy = tmp_path_factory.mktemp("apply-runner") / "infra"
    shutil.copytree(REPO_ROOT / "infra", copy, ignore=shutil.ignore_patterns(".terraform", "*.tfstate*", "*.tfplan"))
    (copy / "moto.backend.hcl").write_text(f'bucket = "{STATE_BUCKET}"\nuse_path_style = true\n')
    return copy


def test_a_saved_plan_is_applied_elsewhere_and_a_stale_or_foreign_one_refused(moto, deploy, dev, tmp_path,
                                                                             second_runner):
    # Two reviews pending: plans of two candidates, made from the same state.
    first, second = (f"{ECR}@{digest_of(f'candidate {n}')}" for n in (1, 2))
    first_plan, second_plan = tmp_path / "first.tfplan", tmp_path / "second.tfplan"
    summary = tmp_path / "summary.md"
    for image, plan_file in ((first, first_plan), (second, second_plan)):
        planned = deploy(moto, "dev", image, "--save-plan", str(plan_file), GITHUB_STEP_SUMMARY=str(summary))
        assert planned.returncode == 0, planned.stderr[-3000:]
    shown = summary.read_text()
    assert f"### Plan of dev for {second}" in shown and "module.service.aws_ecs_task_definition.this" in shown
    assert second not in service_images(moto)

    # A plan is applied only with the image it was made for (checked before anything runs).
    foreign = deploy(moto, "dev", first, "--apply-plan", str(second_plan), "--skip-smoke-test")
    assert foreign.returncode == 1
    assert f"deploys {second} to dev, not {first} to dev" in foreign.stderr

    # The approved plan is applied by another runner, from its own checkout.
    applied = deploy(moto, "dev", second, "--apply-plan", str(second_plan), "--skip-smoke-test",
                     infra_copy=second_runner)
    assert applied.returncode == 0, applied.stderr[-3000:]
    assert service_images(moto) == [second]

    # The other plan was made from a state that no longer is: refused, nothing changes.
    before = service(moto)["taskDefinition"]
    stale = deploy(moto, "dev", first, "--apply-plan", str(first_plan), "--skip-smoke-test")
    assert stale.returncode == 1
    assert stale.stderr.strip().splitlines()[-1].startswith("deploy: error: the saved plan is stale")
    assert service(moto)["taskDefinition"] == before


def service_images(moto):
    return image_of(moto, service(moto)["taskDefinition"])
