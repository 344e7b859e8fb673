"""pipeline/setup-github.sh and pipeline/production_gate.py against a stand-in `gh`.

GitHub cannot run here: a stand-in gh (fake_gh.py) on PATH records every call and
answers the few endpoints these scripts use from what earlier calls set. So this
shows which calls the set-up makes and that the gate accepts what the set-up
creates and refuses what it does not; whether GitHub itself enforces reviewers,
branch policies and the OIDC subject is for a real repository to show
(pipeline/README.md).
"""

import json
import os
import subprocess
import sys

import pytest
from conftest import PIPELINE

REPOSITORY = "example-org/http-echo"
VARIABLES = {
    "shared.json": {"repository": {"AWS_REGION": "us-east-1", "ECR_REPOSITORY_URL": "123456789012.dkr.ecr.us-east-1.amazonaws.com/http-echo"},
                    "build": {"AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/http-echo-image-push"}},
    "dev-access.json": {"dev": {"AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/http-echo-deploy-dev", "TF_STATE_BUCKET": "b"},
                        "production-plan": {"PROMOTION_SOURCE_ROLE_ARN": "arn:aws:iam::123456789012:role/http-echo-promotion-reader-dev"}},
    "prod-access.json": {"production": {"AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/http-echo-deploy-prod", "TF_STATE_BUCKET": "b"},
                         "production-plan": {"AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/http-echo-plan-prod", "TF_STATE_BUCKET": "b"}},
}


@pytest.fixture
def github(tmp_path):
    """PATH with the stand-in gh first; its call log and state live in tmp_path."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    gh = bin_dir / "gh"
    gh.write_text(f"#!/bin/sh\nexec {sys.executable} {PIPELINE / 'tests' / 'fake_gh.py'} \"$@\"\n")
    gh.chmod(0o755)
    files = []
    for name, content in VARIABLES.items():
        (tmp_path / name).write_text(json.dumps(content))
        files += ["--variables", str(tmp_path / name)]
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}",
           "FAKE_GH_LOG": str(tmp_path / "calls.jsonl"), "FAKE_GH_STATE": str(tmp_path / "state.json")}

    class GitHub:
        variable_files = files

        @staticmethod
        def run(*args):
            return subprocess.run([*args], env=env, capture_output=True, text=True, timeout=60)

        @staticmethod
        def calls():
            log = tmp_path / "calls.jsonl"
            return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []

        @staticmethod
        def state():
            return json.loads((tmp_path / "state.json").read_text())

        @staticmethod
        def write_state(state):
            (tmp_path / "state.json").write_text(json.dumps(state))

    return GitHub


def setup(github, *extra):
    return github.run("bash", str(PIPELINE / "setup-github.sh"), "--repository", REPOSITORY,
                      "--reviewers", "alice,bob", *github.variable_files, *extra)


def gate(github):
    return github.run(sys.executable, str(PIPELINE / "production_gate.py"), "--repository", REPOSITORY)


def test_setup_creates_the_gate_the_deploy_checks(github):
    assert gate(github).returncode == 1  # nothing set up yet
    result = setup(github)
    assert result.returncode == 0, result.stderr
    state = github.state()
    assert state["oidc_sub"] == {"use_default": False, "include_claim_keys": ["repo", "context", "job_workflow_ref"]}
    production = state["environments"]["production"]
    assert production["reviewers"] == [{"type": "User", "id": 1000}, {"type": "User", "id": 1001}]
    assert production["prevent_self_review"] is True and production["can_admins_bypass"] is False
    assert {name: [policy["name"] for policy in policies] for name, policies in state["branch_policies"].items()} == {
        "build": ["dev"], "dev": ["dev"], "production-plan": ["main"], "production": ["main"]}
    assert all(environment["deployment_branch_policy"] == {"protected_branches": False, "custom_branch_policies": True}
               for environment in state["environments"].values())
    assert state["variables"]["repository"]["ECR_REPOSITORY_URL"].endswith("/http-echo")
    assert state["variables"]["production-plan"] == {
        "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/http-echo-plan-prod", "TF_STATE_BUCKET": "b",
        "PROMOTION_SOURCE_ROLE_ARN": "arn:aws:iam::123456789012:role/http-echo-promotion-reader-dev"}
    passed = gate(github)
    assert passed.returncode == 0, passed.stderr


def test_setup_twice_adds_nothing_twice(github):
    assert setup(github).returncode == 0
    first = len(github.calls())
    assert setup(github).returncode == 0
    second = github.calls()[first:]
    assert not [call for call in second if call["method"] == "POST" and call["path"].endswith("deployment-branch-policies")]
    assert not [call for call in second if call["method"] == "POST" and "/variables" in call["path"]]
    assert [len(policies) for policies in github.state()["branch_policies"].values()] == [1, 1, 1, 1]


def test_dry_run_prints_every_call_and_makes_none(github):
    result = setup(github, "--dry-run")
    assert result.returncode == 0, result.stderr
    assert github.calls() == []
    printed = result.stdout
    assert "gh api --method PUT repos/example-org/http-echo/actions/oidc/customization/sub" in printed
    assert '{"use_default":false,"include_claim_keys":["repo","context","job_workflow_ref"]}' in printed
    for environment in ("build", "dev", "production-plan", "production"):
        assert f"gh api --method PUT repos/example-org/http-echo/environments/{environment}\n" in printed
    assert '"prevent_self_review":true,"can_admins_bypass":false' in printed
    assert "gh api --method PATCH repos/example-org/http-echo/environments/production-plan/variables/PROMOTION_SOURCE_ROLE_ARN" in printed


@pytest.mark.parametrize("change, complaint", [
    (lambda production: production.update(can_admins_bypass=True), "administrators may bypass"),
    (lambda production: production.update(prevent_self_review=False), "prevent_self_review is off"),
    (lambda production: production.update(reviewers=[]), "no required reviewers"),
])
def test_the_gate_refuses_a_weakened_production_environment(github, change, complaint):
    assert setup(github).returncode == 0
    state = github.state()
    change(state["environments"]["production"])
    github.write_state(state)
    result = gate(github)
    assert result.returncode == 1
    assert complaint in result.stderr


def test_the_gate_refuses_another_branch(github):
    assert setup(github).returncode == 0
    state = github.state()
    state["branch_policies"]["production"].append({"name": "release/*", "type": "branch"})
    github.write_state(state)
    result = gate(github)
    assert result.returncode == 1 and "not limited to the branch main" in result.stderr


def test_an_unreadable_gate_fails_closed(github):
    result = gate(github)  # the stand-in answers 404: no such environment
    assert result.returncode == 1
    assert "cannot read the production environment's protection" in result.stderr


def test_bad_arguments_are_refused(github):
    result = github.run("bash", str(PIPELINE / "setup-github.sh"), "--repository", "not a repository")
    assert result.returncode == 2 and "OWNER/NAME" in result.stderr
    assert github.calls() == []
