"""deploy.py refuses bad input loudly, in one line, before it changes anything.

"Before it changes anything": these runs have no terraform on PATH and no AWS endpoint,
so a run that got past its input checks would fail differently (exit 1, "terraform is
not installed"), not with exit 2 and the reason given here.
"""

import os
import subprocess
import sys

import pytest
from conftest import PIPELINE

DIGEST = "sha256:" + "ab" * 32
ECR = "123456789012.dkr.ecr.us-east-1.amazonaws.com/http-echo"
# Any executable passes the input check for the watcher; whether it watches is seen when
# it starts (test_rollout_watch.py, test_deploy_moto.py).
WATCHER = ["--watcher", "/bin/true"]


def run(*args, **env):
    clean = {key: value for key, value in os.environ.items()
             if not key.startswith(("AWS_", "DEPLOY_", "GITHUB_"))}
    clean["PATH"] = "/usr/bin:/bin"  # no terraform
    return subprocess.run([sys.executable, str(PIPELINE / "deploy.py"), *args], env={**clean, **env},
                          capture_output=True, text=True, timeout=60)


def refused(result, reason):
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one line, got:\n{result.stderr}"
    assert lines[0].startswith("deploy: error: ") and reason in lines[0], lines[0]
    assert result.stdout == ""


@pytest.mark.parametrize("args, reason", [
    (["--environment", "dev"], "no image given"),
    (["--environment", "dev", "--image", ECR], "has no tag or digest"),
    (["--environment", "dev", "--image", f"{ECR}:"], "malformed"),
    (["--environment", "dev", "--image", f"{ECR}@sha256:1234"], "malformed"),
    (["--environment", "dev", "--image", f"{ECR}:latest"], "'latest'"),
    (["--environment", "staging", "--image", f"{ECR}@{DIGEST}"], "unknown environment 'staging'"),
    (["--image", f"{ECR}@{DIGEST}"], "no environment given"),
    (["--environment", "prod", "--image", f"{ECR}:0f3c2a9"], "prod deploys by digest only"),
    (["--environment", "dev", "--image", f"{ECR}:v1", "--timeout", "soon"], "invalid float value"),
    (["--environment", "dev", "--image", f"{ECR}:v1", "--timeout", "0"], "must be positive"),
    (["--environment", "dev", "--image", f"{ECR}:v1", "--no-such-flag"], "unrecognized arguments"),
    # A rehearsal of a rollback fails on purpose: dev only, and a rate that fails something.
    (["--environment", "prod", "--image", f"{ECR}@{DIGEST}", "--rehearse-rollback"],
     "--rehearse-rollback is for dev only: prod never runs a release that fails on purpose"),
    (["--environment", "dev", "--image", f"{ECR}:v1", "--rehearse-rollback", "--save-plan", "dev.tfplan"],
     "not with --save-plan or --apply-plan"),
    (["--environment", "dev", "--image", f"{ECR}:v1", "--rehearsal-error-rate", "0.5"],
     "--rehearsal-error-rate is for --rehearse-rollback only"),
    (["--environment", "dev", "--image", f"{ECR}:v1", "--rehearse-rollback", "--rehearsal-error-rate", "0"],
     "expected a share above 0 and at most 1"),
    (["--environment", "dev", "--image", f"{ECR}:v1", "--rehearse-rollback", "--rehearsal-error-rate", "1.5"],
     "expected a share above 0 and at most 1"),
])
def test_bad_input_is_refused(args, reason):
    refused(run(*args), reason)


def test_inputs_from_the_environment_are_checked_too():
    refused(run(DEPLOY_ENVIRONMENT="qa", DEPLOY_IMAGE=f"{ECR}:v1"), "unknown environment 'qa'")
    refused(run(DEPLOY_ENVIRONMENT="dev", DEPLOY_IMAGE=""), "no image given")
    refused(run(DEPLOY_ENVIRONMENT="dev", DEPLOY_IMAGE=f"{ECR}:v1", DEPLOY_SKIP_SMOKE_TEST="maybe"),
            "DEPLOY_SKIP_SMOKE_TEST='maybe'")


def test_a_missing_terraform_root_is_refused(tmp_path):
    refused(run("--environment", "dev", "--image", f"{ECR}:v1", "--infra-dir", str(tmp_path)),
            "no Terraform configuration")


@pytest.fixture
def root(tmp_path):
    (tmp_path / "main.tf").write_text("")
    return str(tmp_path)


def test_a_deploy_without_a_watcher_is_refused(root):
    # No http-echo on this PATH, and none named: every deploy is watched.
    refused(run("--environment", "dev", "--image", f"{ECR}:v1", "--infra-dir", root),
            "no watcher: 'http-echo' is not an executable file nor a program on PATH")
    refused(run("--environment", "dev", "--image", f"{ECR}:v1", "--infra-dir", root, "--watcher", root + "/main.tf"),
            "is not an executable file")
    refused(run("--environment", "dev", "--image", f"{ECR}:v1", "--infra-dir", root,
                DEPLOY_WATCHER="/nonexistent/http-echo"), "'/nonexistent/http-echo' is not an executable file")


def test_a_watch_url_that_is_no_http_url_is_refused(root):
    refused(run("--environment", "dev", "--image", f"{ECR}:v1", "--infra-dir", root, *WATCHER,
                "--watch-url", "127.0.0.1:5678"), "expected an http:// or https:// URL")


def test_good_input_gets_past_the_checks(root):
    # The counter-test of the premise above: valid input does reach Terraform.
    result = run("--environment", "dev", "--image", f"{ECR}:v1", "--infra-dir", root, *WATCHER)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == "deploy: error: terraform is not installed (not on PATH)"
    from_the_environment = run("--environment", "dev", "--image", f"{ECR}:v1", "--infra-dir", root,
                               DEPLOY_WATCHER="/bin/true")
    assert from_the_environment.stderr == result.stderr


def test_a_rehearsal_in_dev_gets_past_the_checks(root):
    result = run("--environment", "dev", "--image", f"{ECR}:v1", "--infra-dir", root, *WATCHER, "--rehearse-rollback")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("deploy: REHEARSAL of a rollback: deploying ") and "ECHO_ERROR_RATE=0.5" in lines[0]
    assert lines[-1] == "deploy: error: terraform is not installed (not on PATH)"


def test_a_plan_needs_no_watcher(root, tmp_path):
    # Planning changes nothing, so there is nothing to watch.
    result = run("--environment", "dev", "--image", f"{ECR}:v1", "--infra-dir", root,
                 "--save-plan", str(tmp_path / "dev.tfplan"))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == "deploy: error: terraform is not installed (not on PATH)"


def test_github_actions_gets_an_annotation():
    result = run("--environment", "qa", "--image", f"{ECR}:v1", GITHUB_ACTIONS="true")
    assert result.returncode == 2
    assert result.stderr.startswith("::error title=deploy::deploy: error: unknown environment")


def test_help_explains_the_skip_flag_and_the_watch():
    result = run("--help")
    assert result.returncode == 0 and "--skip-smoke-test" in result.stdout
    assert "--watcher" in result.stdout and "tests only: watch URL instead" in " ".join(result.stdout.split())
    assert "--rehearse-rollback" in result.stdout and "dev only:" in result.stdout
