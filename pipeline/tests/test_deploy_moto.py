"""Whole deploys with pipeline/deploy.py: real Terraform applies infra/envs/<env> against
moto_server (state in moto's S3), then the script reads the task definition back, waits
for the ECS service and judges its rollout.

Plan now, apply later (prod's review): a saved plan is applied from another copy of
infra/ (another runner), a plan made stale by another apply is refused, and so is a
plan for another image. A rollout that ECS rolls back (emulated by the test's
moto_server for images named "rolled-back") fails the apply itself.

Every deploy is watched by the real watcher (`http-echo -watch`, built here). moto's
load balancer answers nothing, so the tests point the watch at a real http-echo on
127.0.0.1 with --watch-url, the override that exists for them: one that answers (the
watch is started before the apply, stopped once the service is steady, and its summary
reported) and one that answers 503 (a failed watch fails the deploy). A first deploy
without the override has no URL to watch yet, and says so.

A rehearsal of a rollback (--rehearse-rollback) deploys a release whose tasks fail a
share of their answers with 503 on purpose; the test's moto_server rolls back a
release that fails more than the 5xx alarm allows (5 %), as ECS does. The rehearsal
passes when dev ends on the revision it ran before, and fails when a release below
the alarm's threshold is not rolled back. Its watch goes to a real http-echo failing
half its answers, as a rehearsal's clients meet.

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
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import PIPELINE, REPO_ROOT, ROLLED_BACK, HttpEcho, MotoServer

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
def site(http_echo_binary, tmp_path_factory):
    """What the watch watches instead of moto's silent load balancer: the real server."""
    server = HttpEcho(http_echo_binary, tmp_path_factory.mktemp("site") / "access.log", "-text", "the site")
    yield server
    server.stop()


KEEP = object()


@pytest.fixture(scope="module")
def deploy(terraform_env, infra, http_echo_binary, site):
    """Runs pipeline/deploy.py on the copy of infra/ (or another, infra=) against one
    moto_server, watched by the real watcher; by default it watches `site`, with
    watch=None the environment's own URL (which moto's load balancer never answers)."""
    def run(moto: MotoServer, environment: str, image: str, *extra: str, infra_copy=None, watch=KEEP, **env: str):
        infra_dir = (infra_copy or infra) / "envs" / environment
        watch_url = site.url if watch is KEEP else watch
        command = [sys.executable, str(PIPELINE / "deploy.py"), "--environment", environment, "--image", image,
                   "--infra-dir", str(infra_dir), "--watcher", str(http_echo_binary),
                   *(["--watch-url", watch_url] if watch_url else []),
                   "--backend-config", str(infra / "moto.backend.hcl"), "--poll-interval", "0.5", *extra]
        variables = moto.environment(**terraform_env, TF_CLI_ARGS="-no-color", **env)
        result = subprocess.run(command, env=variables, capture_output=True, text=True, timeout=900)
        # Terraform's output is long: pytest shows it only for a failing test.
        print(result.stderr[-20000:])
        return result
    return run


def outputs_of(result) -> dict[str, str]:
    return dict(line.split("=", 1) for line in result.splitlines())


@dataclass
class FirstDeploy:
    result: subprocess.CompletedProcess
    github_output: Path
    job_summary: Path
    # Requests the watched site had served when the deploy ended, and half a second later.
    served_at_the_end: int
    served_after: int


@pytest.fixture(scope="module")
def dev(moto, infra, deploy, site):
    """dev deployed once with a tag, as a first deploy creates the whole environment."""
    moto.reset()
    backend_file(moto, infra)
    github_output, job_summary = infra / "github_output", infra / "dev-summary.md"
    result = deploy(moto, "dev", f"{ECR}:0f3c2a9", "--skip-smoke-test", GITHUB_OUTPUT=str(github_output),
                    GITHUB_STEP_SUMMARY=str(job_summary))
    # The server writes its access log every 10 ms; after that, nothing more may come.
    time.sleep(0.2)
    served_at_the_end = site.requests_served()
    time.sleep(0.5)
    return FirstDeploy(result, github_output, job_summary, served_at_the_end, site.requests_served())


def service(moto):
    ecs = moto.client("ecs")
    return ecs.describe_services(cluster="http-echo-dev", services=["http-echo-dev"])["services"][0]


def image_of(moto, task_definition_arn):
    definition = moto.client("ecs").describe_task_definition(taskDefinition=task_definition_arn)["taskDefinition"]
    return [container["image"] for container in definition["containerDefinitions"]]


def test_first_deploy_creates_dev_and_runs_the_image(moto, dev):
    result = dev.result
    assert result.returncode == 0, result.stderr[-3000:]
    running = service(moto)
    assert running["taskDefinition"].endswith("task-definition/http-echo-dev:1")
    assert image_of(moto, running["taskDefinition"]) == [f"{ECR}:0f3c2a9"]
    lines = result.stderr.splitlines()
    assert f"deploy: task definition {running['taskDefinition']} runs {ECR}:0f3c2a9" in lines
    assert any(line.startswith("deploy: service http-echo-dev: stable: 2/2 tasks running") for line in lines)


def test_the_rollout_is_watched_from_before_the_apply_until_steady(dev, site):
    lines = dev.result.stderr.splitlines()

    def first(pattern: str) -> int:
        return next(index for index, line in enumerate(lines) if re.search(pattern, line))

    started = first(rf"\[INFO\] watching {re.escape(site.url)}/ at 20 requests/s until SIGINT or SIGTERM$")
    overridden = lines.index(f"deploy: watching {site.url} instead of the environment's own URL "
                             "(--watch-url, for tests)")
    watching = first(rf"^deploy: watching {re.escape(site.url)} with .* until ECS reports the service steady$")
    applied = first(r"^deploy: \$ terraform .* apply ")
    steady = first(r"^deploy: service http-echo-dev: stable: ")
    ended = first(r"\[INFO\] watch ended after [\d.]+s: \d+ requests, 0 failed$")
    reported = first(r"^deploy: watch: [\d,]+ requests, 0 failed in [\d.]+ s; answers: \"the site\" \(version ")
    assert overridden < started < watching < applied < steady < ended < reported

    # Stopped: every request it sent reached the site, and none came after the deploy.
    requests = int(re.search(r"watch ended after [\d.]+s: (\d+) requests", lines[ended]).group(1))
    assert requests > 0 and dev.served_at_the_end == dev.served_after == requests

    # Its summary, in the job summary: the table, the version, no replica named yet.
    shown = dev.job_summary.read_text()
    assert "### Rollout to dev, watched" in shown
    assert "from before the change until ECS reported the service steady" in shown
    row = re.search(r"^\| ([\d,]+) \| (\d+) \| (.*) \| (.*) \|$", shown, re.MULTILINE)
    assert row and row.group(1, 2) == (f"{requests:,}", "0")
    assert re.fullmatch(rf'"the site" \(version [\d.]+\): 0\.0–[\d.]+ s, {requests:,} answers', row.group(3))
    assert row.group(4) == "not named (no answer carried X-Served-By)"


def test_the_state_is_in_the_backend_bucket(moto, dev):
    keys = [item["Key"] for item in moto.client("s3").list_objects_v2(Bucket=STATE_BUCKET).get("Contents", [])]
    assert "dev/terraform.tfstate" in keys


def test_the_skipped_smoke_test_is_reported(dev):
    assert any(line.startswith("deploy: SKIPPED the smoke test of http://") for line in dev.result.stderr.splitlines())


def test_github_gets_the_url_and_the_task_definition(moto, dev):
    outputs = outputs_of(dev.github_output.read_text())
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
        # Its first deploy, and no --watch-url: there is no URL to watch yet.
        result = deploy(stuck, "prod", image, "--skip-smoke-test", "--timeout", "3", watch=None,
                        TF_VAR_wait_for_steady_state="false")
    finally:
        stuck.stop()
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("deploy: error: service http-echo-prod not stable after 3 s: rollout IN_PROGRESS: 0/2")
    assert "deploy: NOT WATCHED: prod has no service URL yet (its first deploy)" in result.stderr
    assert "[INFO] watching" not in result.stderr


def test_nobody_subscribed_is_warned_about(dev):
    # The committed values subscribe nobody (a real address is the team's to add).
    assert any(line.startswith("deploy: warning: arn:aws:sns:") and "has no subscription" in line
               for line in dev.result.stderr.splitlines())


def test_a_rolled_back_rollout_fails_the_apply(moto, deploy, dev, tmp_path):
    before = service(moto)["taskDefinition"]
    job_summary = tmp_path / "summary.md"
    result = deploy(moto, "dev", f"{ECR}:{ROLLED_BACK}", "--skip-smoke-test", GITHUB_STEP_SUMMARY=str(job_summary))
    assert result.returncode == 1, result.stderr[-3000:]
    # The service's postcondition, not only deploy.py: a manual apply fails the same way.
    assert "ECS rolled the deployment back" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("deploy: error: terraform apply failed")
    assert service(moto)["taskDefinition"] == before
    # The watch still ends, and says what clients met until the deploy failed.
    assert "until the deploy failed" in job_summary.read_text()


@pytest.fixture(scope="module")
def failing_half(http_echo_binary, tmp_path_factory):
    """What a rehearsal's watch meets instead of moto's silent load balancer: the real
    server failing every second answer with 503 (-error-rate=0.5)."""
    server = HttpEcho(http_echo_binary, tmp_path_factory.mktemp("rehearsal") / "access.log", "-text", "rehearsed",
                      "-error-rate", "0.5")
    yield server
    server.stop()


def newest_revision(moto) -> dict:
    return moto.client("ecs").describe_task_definition(taskDefinition="http-echo-dev")["taskDefinition"]


def server_environment(definition: dict) -> dict[str, str]:
    [container] = definition["containerDefinitions"]
    return {pair["name"]: pair["value"] for pair in container["environment"]}


def test_the_rehearsal_is_rolled_back_as_expected(moto, deploy, dev, failing_half, tmp_path):
    before = service(moto)["taskDefinition"]
    image = f"{ECR}@{digest_of('build rehearsed')}"
    job_summary, github_output = tmp_path / "summary.md", tmp_path / "github_output"
    result = deploy(moto, "dev", image, "--rehearse-rollback", "--skip-smoke-test", watch=failing_half.url,
                    GITHUB_STEP_SUMMARY=str(job_summary), GITHUB_OUTPUT=str(github_output))
    assert result.returncode == 0, result.stderr[-3000:]

    # A new revision, with the image and the fault in it, was registered and deployed...
    rehearsed = newest_revision(moto)
    assert rehearsed["taskDefinitionArn"] != before
    assert rehearsed["containerDefinitions"][0]["image"] == image
    assert server_environment(rehearsed)["ECHO_ERROR_RATE"] == "0.5"
    assert server_environment(rehearsed)["ECHO_SERVED_BY"] == "true"
    # ... and rolled back: dev ends on the revision it ran before.
    assert service(moto)["taskDefinition"] == before
    assert "ECS rolled the deployment back" in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last == (f"deploy: rolled back as expected: http-echo-dev runs {before} again, steady; the rehearsal's "
                    f"{rehearsed['taskDefinitionArn']} (ECHO_ERROR_RATE=0.5) was rolled back."), last

    # The watch met the rehearsal's 503s, and only those.
    watch = re.search(r"^deploy: watch: ([\d,]+) requests, ([\d,]+) failed in ", result.stderr, re.MULTILINE)
    requests, failed = (int(group.replace(",", "")) for group in watch.groups())
    assert requests > 0 and failed == requests // 2, watch.group(0)
    shown = job_summary.read_text()
    assert "### Rollback rehearsal in dev, watched" in shown and "until ECS had rolled it back" in shown
    assert f"| status 503 | {failed:,} |" in shown
    assert "### Rollback rehearsal in dev: rolled back as expected" in shown
    # The run page's link is dev's URL; no image is handed on (a rehearsal verifies none).
    outputs = outputs_of(github_output.read_text())
    assert outputs.pop("service_url").startswith("http://")
    assert outputs == {"task_definition_arn": before, "rehearsed_task_definition_arn": rehearsed["taskDefinitionArn"]}


def test_a_rehearsal_that_is_not_rolled_back_fails(moto, deploy, dev, tmp_path):
    # 2 % of the answers 503: below the 5xx alarm's 5 %, so ECS (here moto) keeps the release.
    before = service(moto)["taskDefinition"]
    job_summary = tmp_path / "summary.md"
    result = deploy(moto, "dev", f"{ECR}@{digest_of('build rehearsed, mildly')}", "--rehearse-rollback",
                    "--rehearsal-error-rate", "0.02", "--skip-smoke-test", GITHUB_STEP_SUMMARY=str(job_summary))
    assert result.returncode == 1, result.stderr[-3000:]
    last = result.stderr.strip().splitlines()[-1]
    failed = re.fullmatch(r"deploy: error: service http-echo-dev: NOT rolled back: http-echo-dev is steady on (\S+), "
                          r"the rehearsal's revision, which fails on purpose .*; http-echo-dev answers with 503 on "
                          r"purpose until a working release is deployed \(re-run the last deploy\)", last)
    assert failed, last
    assert service(moto)["taskDefinition"] == failed.group(1) != before
    assert server_environment(newest_revision(moto))["ECHO_ERROR_RATE"] == "0.02"
    assert "rolled back as expected" not in result.stderr
    assert "### Rollback rehearsal in dev, watched" in job_summary.read_text()


def test_a_rehearsal_needs_a_release_to_roll_back_to(infra, deploy):
    empty = MotoServer({})
    try:
        backend_file(empty, infra)
        result = deploy(empty, "dev", f"{ECR}@{digest_of('nothing to roll back to')}", "--rehearse-rollback",
                        "--skip-smoke-test", watch=None)
    finally:
        empty.stop()
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("deploy: error: dev runs no service yet") and last.endswith("Nothing was changed"), last
    assert not re.search(r"^deploy: \$ terraform .* (plan|apply) ", result.stderr, re.MULTILINE)


def test_a_failed_watch_fails_the_deploy(moto, deploy, dev, http_echo_binary, tmp_path):
    # A site whose every answer is 503, as an ALB gives with no healthy target.
    failing = HttpEcho(http_echo_binary, tmp_path / "access.log", "-text", "down", "-status-code", "503")
    image = f"{ECR}@{digest_of('build whose rollout drops requests')}"
    job_summary = tmp_path / "summary.md"
    try:
        result = deploy(moto, "dev", image, "--skip-smoke-test", watch=failing.url,
                        GITHUB_STEP_SUMMARY=str(job_summary))
    finally:
        failing.stop()
    assert result.returncode == 1, result.stderr[-3000:]
    last = result.stderr.strip().splitlines()[-1]
    failed = re.fullmatch(rf"deploy: error: (\d+) of (\d+) requests to {re.escape(failing.url)}/ failed during "
                          r"the rollout \(status 503 (\d+)\)", last)
    assert failed and failed.group(1) == failed.group(2) == failed.group(3) and int(failed.group(1)) > 0, last
    # ECS judged the new revision healthy: it runs, and the job says it dropped requests.
    assert service_images(moto) == [image]
    shown = job_summary.read_text()
    assert f"| status 503 | {int(failed.group(1)):,} |" in shown and "First failures:" in shown


def test_a_watcher_that_cannot_start_changes_nothing(moto, deploy, dev, tmp_path):
    not_a_watcher = tmp_path / "http-echo"
    not_a_watcher.write_text("#!/bin/sh\necho 'flag provided but not defined: -watch' >&2\nexit 2\n")
    not_a_watcher.chmod(0o755)
    before = service(moto)["taskDefinition"]
    result = deploy(moto, "dev", f"{ECR}@{digest_of('never applied')}", "--skip-smoke-test",
                    "--watcher", str(not_a_watcher))
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"deploy: error: the watcher {not_a_watcher} did not start watching") and \
        last.endswith("nothing was changed"), last
    assert "flag provided but not defined: -watch" in result.stderr
    assert not re.search(r"^deploy: \$ terraform .* (plan|apply) ", result.stderr, re.MULTILINE)
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
