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


def test_good_input_gets_past_the_checks(tmp_path):
    # The counter-test of the premise above: valid input does reach Terraform.
    (tmp_path / "main.tf").write_text("")
    result = run("--environment", "dev", "--image", f"{ECR}:v1", "--infra-dir", str(tmp_path))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == "deploy: error: terraform is not installed (not on PATH)"


def test_github_actions_gets_an_annotation():
    result = run("--environment", "qa", "--image", f"{ECR}:v1", GITHUB_ACTIONS="true")
    assert result.returncode == 2
    assert result.stderr.startswith("::error title=deploy::deploy: error: unknown environment")


def test_help_explains_the_skip_flag():
    result = run("--help")
    assert result.returncode == 0 and "--skip-smoke-test" in result.stdout
