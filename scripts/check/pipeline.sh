#!/usr/bin/env bash
# Pipeline suite: the GitHub workflows (actionlint with ShellCheck, and the rules of
# pipeline/tests/workflow_rules.py) and the deploy scripts: their input checks, the
# rollout verdict, the smoke test against the real server, the ECR look-ups, and whole
# deploys (real Terraform apply) against moto_server on 127.0.0.1.
#
# Installs what it needs from PyPI into .venv/pipeline; moto_server comes from
# scripts/lib/moto.sh, which the tests start. Terraform must be on PATH.
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"
source "$REPO_ROOT/scripts/lib/python.sh"
source "$REPO_ROOT/scripts/lib/terraform.sh"
cd "$REPO_ROOT"

# The scripts' own dependencies (with their hashes, as the deploy workflow installs
# them) and the test tools, in one environment: the tests run the scripts with the
# same interpreter the deploy workflow would.
venv="$(python_env pipeline pipeline/requirements.txt pipeline/tests/requirements.txt)" ||
    fail "could not create the Python environment"

# Providers from the local mirror when there is one (no registry here).
terraform_setup || fail "terraform is not installed: the deploy tests apply real Terraform"

log "pytest pipeline/tests"
"$venv/bin/python" -m pytest pipeline/tests -p no:cacheprovider -v
