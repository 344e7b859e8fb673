#!/usr/bin/env bash
# Infra suite: the Terraform under infra/, checked without an AWS account.
#
#   1. terraform fmt -check, and prod's .tf files links to dev's (one configuration),
#      prod-access's to dev-access's;
#   2. init (no backend, committed lock files read-only) and validate of every root
#      and module, and the lock files' platforms (infra/tests/lock_files.py offline);
#   3. terraform test with a mocked AWS provider in every module and root: each
#      property of the original deployment, the options, and every variable validation;
#   4. a new account's life against moto_server on 127.0.0.1: infra/bootstrap.sh
#      (bootstrap, shared, dev-access, prod-access), the first image, dev applied as
#      bootstrap.sh prints it and prod by digest, a re-plan of dev that must be
#      empty, pytest infra/tests (dev read back through boto3, every IAM policy
#      evaluated with principalmapper's policy simulator, cloudsplaining and
#      parliament), then infra/teardown.sh for every root and a look through the
#      AWS API that nothing of the project is left;
#   5. checkov over infra/ with zero failed checks.
#
# Stage 4 spends most of its time waiting on the provider's pollers, so it starts
# first and runs in the background while stages 2, 3 and 5 use the CPU; its log is
# replayed at the end.
# Python tools come from PyPI into .venv/ (pinned with hashes); providers from the local mirror.
# INFRA_SKIP_MOTO=1 or INFRA_SKIP_CHECKOV=1 leave out stage 4 or 5 while iterating.
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"
source "$REPO_ROOT/scripts/lib/python.sh"
source "$REPO_ROOT/scripts/lib/terraform.sh"
source "$REPO_ROOT/scripts/lib/moto.sh"
cd "$REPO_ROOT/infra"

have terraform || skip "terraform is not installed"
terraform_setup || fail "could not configure Terraform"
export TF_CLI_ARGS="-no-color"

ROOTS=(bootstrap envs/shared envs/dev-access envs/prod-access envs/dev envs/prod)
MODULES=(modules/network modules/service modules/pipeline modules/state_bucket modules/github_oidc modules/deploy_access modules/role_names)
WORK="$CACHE_DIR/infra"
mkdir -p "$WORK"

step() { log "infra: $* (at ${SECONDS}s)"; }

################################################################################
step "terraform fmt -check -recursive"
terraform fmt -check -recursive -diff . || fail "run: terraform fmt -recursive infra"

step "dev and prod differ only in values"
# prod's .tf files are links to dev's, and prod-access's to dev-access's: one
# configuration each, two sets of values.
for pair in dev:prod dev-access:prod-access; do
    first="envs/${pair%%:*}" second="envs/${pair##*:}"
    for file in "$first"/*.tf; do
        [[ "$(readlink "$second/${file##*/}")" == "../${first#envs/}/${file##*/}" ]] ||
            fail "$second/${file##*/} must be a link to ../${first#envs/}/${file##*/}: the environments differ only in values"
    done
    [[ "$(cd "$first" && ls -- *.tf)" == "$(cd "$second" && ls -- *.tf)" ]] || fail "$first and $second must hold the same .tf files"
done

################################################################################
# Stage 4: a new account's whole life, against moto_server, with the scripts a user
# runs: infra/bootstrap.sh in a clone whose values a user has set and committed, the
# first image, dev applied by the commands bootstrap.sh prints, prod by digest as the
# pipeline does; the read-back and policy tests; then infra/teardown.sh for every
# root, and a look through the AWS API for anything of the project left.
apply_against_moto() {
    local clone="$WORK/moto/clone" bucket ecr image digest alarm_email repository outputs venv awscli rc root
    step "bootstrap, deploy and tear down a new account against moto_server"
    venv="$(python_env infra-tests "$REPO_ROOT/infra/tests/requirements.txt")" || fail "could not install infra/tests/requirements.txt"
    step "ShellCheck on the set-up and teardown scripts and this suite"
    (cd "$REPO_ROOT" && "$venv/bin/shellcheck" --external-sources --source-path=SCRIPTDIR infra/bootstrap.sh \
        infra/teardown.sh scripts/check/infra.sh scripts/lib/terraform.sh) ||
        fail "ShellCheck found problems in the scripts above"
    awscli="$(python_env awscli "$REPO_ROOT/infra/tests/awscli-requirements.txt")" || fail "could not install the AWS CLI"
    # HTTPS, as on AWS: the buckets' policies deny plain HTTP there, so nothing here
    # may depend on it (moto itself cannot evaluate that condition).
    moto_start --tls || fail "moto_server did not start"

    # A clone, as a user has it: Terraform's working files and local state stay out of
    # the tree, and bootstrap.sh finds the values committed. Then the values a user
    # sets (infra/README.md's checklist), committed as the pipeline needs them.
    rm -rf "$WORK/moto"
    mkdir -p "$clone"
    tar -C "$REPO_ROOT" --exclude=.terraform --exclude='*.tfstate*' --exclude=github-variables -cf - \
        infra pipeline/setup-github.sh | tar -C "$clone" -xf -
    repository="http-echo-maintainers/http-echo" alarm_email="oncall@http-echo.internal"
    commit() { git -C "$clone" -c user.name=test -c user.email=test@http-echo.internal commit -qam "$1"; }
    { git -C "$clone" init -q && git -C "$clone" add -A && commit "the project"; } || fail "could not make the test clone"
    sed -i -E "s|^github_repository([[:space:]]*)= .*|github_repository\\1= \"$repository\"|" \
        "$clone"/infra/envs/{shared,dev-access,prod-access}/terraform.tfvars
    sed -i -E "s|^alarm_emails = \\[\\]|alarm_emails = [\"$alarm_email\"]|" "$clone"/infra/envs/{dev,prod}/terraform.tfvars
    commit "our repository and our address" || fail "could not set the values in the test clone"

    # What only this emulator needs, through the environment so that every command
    # runs as printed: S3 by path (a bucket cannot be a host name under 127.0.0.1), no
    # wait for tasks (moto runs no containers), and the AWS CLI the scripts call. Every
    # apply and destroy is approved, as the user who types "yes" would.
    export PATH="$awscli/bin:$PATH" TF_CLI_ARGS_init="-no-color -backend-config=use_path_style=true"
    export TF_VAR_wait_for_steady_state=false TF_CLI_ARGS_apply="-no-color -auto-approve"
    (cd "$clone" && infra/bootstrap.sh --yes) >"$WORK/bootstrap.log" 2>&1 ||
        { tail -n 60 "$WORK/bootstrap.log" >&2; fail "infra/bootstrap.sh failed (log: $WORK/bootstrap.log)"; }
    bucket="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["outputs"]["state_bucket_name"]["value"])' \
        "$clone/infra/bootstrap/terraform.tfstate.d/123456789012/terraform.tfstate")"
    ecr="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["repository"]["ECR_REPOSITORY_URL"])' \
        "$clone/infra/github-variables/shared.json")"

    # The first image. bootstrap.sh prints the docker push; moto has no registry to
    # push to, so the image is put through the ECR API instead, with that tag.
    image="$(sed -nE 's/^    docker push (.+)$/\1/p' "$WORK/bootstrap.log")"
    [[ "$image" == "$ecr:manual-"* ]] || fail "bootstrap.sh printed no docker push to $ecr (log: $WORK/bootstrap.log)"
    digest="$("$venv/bin/python" - "$ecr" "${image##*:}" <<'PY'
import json, sys
import boto3
manifest = {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 2, "digest": "sha256:" + "0" * 64},
            "layers": []}
answer = boto3.client("ecr").put_image(repositoryName=sys.argv[1].split("/", 1)[1], imageTag=sys.argv[2],
                                       imageManifest=json.dumps(manifest))
print(answer["image"]["imageId"]["imageDigest"])
PY
)" || fail "could not put the first image into moto's ECR"

    # The GitHub side cannot run here: keep what setup-github.sh would do (its dry run,
    # as bootstrap.sh prints it) and what teardown.sh prints to undo it.
    sed -n '/^    pipeline\/setup-github.sh .*\\$/{N;/--dry-run$/p}' "$WORK/bootstrap.log" |
        sed -e 's/\\$//' -e 's/<login>\[,<login>\.\.\.\]/octocat/' | tr -d '\n' >"$WORK/setup-github.command"
    grep -q -- '--dry-run' "$WORK/setup-github.command" || fail "bootstrap.sh printed no setup-github.sh command"
    (cd "$clone" && bash "$WORK/setup-github.command") >"$WORK/github-setup.txt" 2>&1 ||
        { cat "$WORK/github-setup.txt" >&2; fail "the setup-github.sh command bootstrap.sh printed failed"; }
    (cd "$clone" && infra/teardown.sh) >"$WORK/teardown-plan.txt" 2>&1 || fail "infra/teardown.sh (the plan) failed"

    # dev by the commands bootstrap.sh printed for a first apply by hand (all but the
    # curl: moto's load balancer has no address), prod by digest as the pipeline does.
    # They share nothing but the state bucket, so they go side by side.
    sed -n '/then the first apply of dev/,/^    (each/p' "$WORK/bootstrap.log" | grep '^    terraform ' >"$WORK/first-apply.command"
    [[ "$(wc -l <"$WORK/first-apply.command")" == 2 ]] || fail "bootstrap.sh printed no first apply of dev"
    (cd "$clone" && bash -e "$WORK/first-apply.command") >"$WORK/dev.log" 2>&1 &
    local dev_pid=$!
    local prod=(-chdir="$clone/infra/envs/prod")
    { terraform "${prod[@]}" init -input=false -reconfigure -backend-config=backend.hcl "-backend-config=bucket=$bucket" &&
        terraform "${prod[@]}" apply -input=false -var "container_image=$ecr@$digest"; } >"$WORK/prod.log" 2>&1 ||
        { tail -n 60 "$WORK/prod.log" >&2; wait "$dev_pid"; fail "prod apply failed (log: $WORK/prod.log)"; }
    wait "$dev_pid" || { tail -n 60 "$WORK/dev.log" >&2; fail "the first apply of dev as printed failed (log: $WORK/dev.log)"; }

    step "re-plan dev: nothing may change"
    rc=0
    terraform -chdir="$clone/infra/envs/dev" plan -input=false -detailed-exitcode -var "container_image=$image" >"$WORK/replan.log" 2>&1 || rc=$?
    if ((rc != 0)); then
        grep -E '^\s+[~+-]|will be|must be' "$WORK/replan.log" >&2 || tail -n 40 "$WORK/replan.log" >&2
        fail "a second plan of dev is not empty (exit $rc): Terraform would fight with itself (log: $WORK/replan.log)"
    fi

    step "read the environments and every IAM policy back through boto3 (pytest infra/tests)"
    outputs="$WORK/outputs.json"
    {
        printf '{'
        for root in dev prod shared dev-access prod-access; do
            printf '"%s": ' "$root"
            terraform -chdir="$clone/infra/envs/$root" output -json
            printf ', '
        done
        printf '"state_bucket": "%s", "image": "%s", "alarm_email": "%s", "github_repository": "%s"}\n' \
            "$bucket" "$image" "$alarm_email" "$repository"
    } >"$outputs"
    INFRA_OUTPUTS="$outputs" INFRA_POLICY_DIR="$WORK/policies" "$venv/bin/python" -m pytest "$REPO_ROOT/infra/tests" \
        --ignore="$REPO_ROOT/infra/tests/test_nothing_left.py" -p no:cacheprovider -q ||
        fail "the environments or their policies read back from moto do not hold (outputs: $outputs, policies: $WORK/policies)"

    step "tear everything down with infra/teardown.sh"
    # What every root held, for the look-ups after the teardown.
    mkdir -p "$WORK/states"
    for root in bootstrap envs/shared envs/dev-access envs/prod-access envs/dev envs/prod; do
        terraform -chdir="$clone/infra/$root" state pull >"$WORK/states/${root#envs/}.json" ||
            fail "could not read the state of $root"
    done
    # With Container Insights on, ECS makes a log group per cluster that no root owns;
    # moto does not, so it is made here as ECS would.
    for root in dev prod; do
        aws logs create-log-group --log-group-name "/aws/ecs/containerinsights/http-echo-$root/performance" ||
            fail "could not make the Container Insights log group of $root"
    done
    teardown() { # teardown ROOT: infra/teardown.sh --yes ROOT in the clone, logged
        (cd "$clone" && infra/teardown.sh --yes "$1") >"$WORK/teardown-$1.log" 2>&1 ||
            { tail -n 40 "$WORK/teardown-$1.log" >&2; printf 'FAIL: infra/teardown.sh %s failed (log: %s)\n' "$1" "$WORK/teardown-$1.log" >&2; return 1; }
    }
    # The order is kept: an access root goes only after its environment.
    if (cd "$clone" && infra/teardown.sh --yes dev-access) >"$WORK/teardown-refused.log" 2>&1 ||
        ! grep -q '^teardown: error: infra/envs/dev still holds [0-9]* resources' "$WORK/teardown-refused.log"; then
        cat "$WORK/teardown-refused.log" >&2
        fail "infra/teardown.sh dev-access did not refuse while dev still holds its resources"
    fi
    local first second
    for pair in dev:prod dev-access:prod-access; do
        teardown "${pair%%:*}" & first=$!
        teardown "${pair##*:}" & second=$!
        wait "$first" || { wait "$second"; fail "teardown of ${pair%%:*} failed"; }
        wait "$second" || fail "teardown of ${pair##*:} failed"
    done
    teardown shared || fail "teardown of shared failed"
    teardown state || fail "teardown of the state bucket failed"

    step "nothing of the project is left (pytest infra/tests/test_nothing_left.py)"
    INFRA_STATES_DIR="$WORK/states" INFRA_GITHUB_SETUP="$WORK/github-setup.txt" INFRA_TEARDOWN_PLAN="$WORK/teardown-plan.txt" \
        "$venv/bin/python" -m pytest "$REPO_ROOT/infra/tests/test_nothing_left.py" -p no:cacheprovider -q ||
        fail "the teardown left something of the project (logs: $WORK/teardown-*.log)"
    moto_stop
}

# checkov's environment takes a minute to install the first time: start it now.
checkov_requirements="$REPO_ROOT/infra/tests/checkov-requirements.txt"
checkov_install_pid=""
if [[ "${INFRA_SKIP_CHECKOV:-}" != 1 ]]; then
    python_env checkov "$checkov_requirements" >"$WORK/checkov-install.log" 2>&1 &
    checkov_install_pid=$!
fi

moto_pid=""
if [[ "${INFRA_SKIP_MOTO:-}" == 1 ]]; then
    log "INFRA_SKIP_MOTO=1: not applying against moto_server"
else
    step "starting the moto stage in the background (log: ${WORK#"$REPO_ROOT"/}/moto-stage.log)"
    (
        trap - EXIT INT TERM # a subshell starts with no cleanup of its own
        apply_against_moto
    ) >"$WORK/moto-stage.log" 2>&1 &
    moto_pid=$!
fi
# If a foreground stage fails, stop the background ones. Terraform is stopped first
# (bash runs the moto stage's own trap only once its foreground command has ended),
# then the stage, whose exit trap stops moto_server.
trap 'if [[ -n "$moto_pid" ]]; then pkill -TERM -P "$moto_pid" 2>/dev/null; kill "$moto_pid" 2>/dev/null; fi
      if [[ -n "$checkov_install_pid" ]]; then kill "$checkov_install_pid" 2>/dev/null; fi; true' EXIT

################################################################################
# Roots must init from their committed lock file as it is: a lock file that does
# not match the providers (or lacks this platform's hash) fails here. Two at a time:
# validate spends its time loading the provider schema, on one core each.
init_and_validate() {
    local dir="$1" lockfile=() log
    log="$WORK/init-${dir//\//-}.log"
    [[ "$dir" == modules/* ]] || lockfile=(-lockfile=readonly)
    if ! terraform -chdir="$dir" init -backend=false -input=false "${lockfile[@]}" >"$log" 2>&1; then
        cat "$log" >&2
        printf 'FAIL: terraform init failed in infra/%s\n' "$dir" >&2
        return 1
    fi
    if ! terraform -chdir="$dir" validate >"$log" 2>&1; then
        cat "$log" >&2
        printf 'FAIL: terraform validate failed in infra/%s\n' "$dir" >&2
        return 1
    fi
    printf '    %s: valid\n' "$dir" >&2
}
export -f init_and_validate
export WORK
step "init and validate ${#ROOTS[@]} roots and ${#MODULES[@]} modules"
# shellcheck disable=SC2016 # $1 is for the inner bash, which gets the directory as an argument
printf '%s\n' "${ROOTS[@]}" "${MODULES[@]}" | xargs -P 2 -I{} bash -c 'init_and_validate "$1"' _ {} ||
    fail "init or validate failed (messages above)"

step "lock files cover the platforms infra/README.md names"
python3 "$REPO_ROOT/infra/tests/lock_files.py" offline || fail "a lock file does not cover the platforms (see infra/README.md, Lock files)"

################################################################################
# Two at a time, like validate: each spends its time loading the provider schema.
# An interrupted `terraform test` exits 0 with its runs "skipped": only a complete
# pass counts, so each directory reports its count of passed runs.
test_one() {
    local dir="$1" log passed
    log="$WORK/test-${dir//\//-}.log"
    if ! terraform -chdir="$dir" test >"$log" 2>&1; then
        cat "$log" >&2
        printf 'FAIL: terraform test failed in infra/%s\n' "$dir" >&2
        return 1
    fi
    passed="$(sed -nE 's/^Success! ([0-9]+) passed, 0 failed\.$/\1/p' "$log")"
    if [[ "${passed:-0}" -eq 0 ]]; then
        printf 'FAIL: terraform test in infra/%s did not pass every run (log: %s)\n' "$dir" "$log" >&2
        return 1
    fi
    printf '    %s: %s passed\n' "$dir" "$passed" >&2
    printf '%s\n' "$passed" >"$log.passed"
}
export -f test_one
tested_dirs=()
for dir in "${MODULES[@]}" "${ROOTS[@]}"; do
    [[ -d "$dir/tests" ]] && tested_dirs+=("$dir")
done
step "terraform test in ${#tested_dirs[@]} modules and roots"
# shellcheck disable=SC2016 # $1 is for the inner bash, which gets the directory as an argument
printf '%s\n' "${tested_dirs[@]}" | xargs -P 2 -I{} bash -c 'test_one "$1"' _ {} ||
    fail "terraform test failed (messages above)"
((${#tested_dirs[@]} >= 11)) || fail "expected terraform tests in 6 modules and 5 roots, found ${#tested_dirs[@]}"
test_runs=0
for dir in "${tested_dirs[@]}"; do
    test_runs=$((test_runs + $(cat "$WORK/test-${dir//\//-}.log.passed")))
done

################################################################################
if [[ "${INFRA_SKIP_CHECKOV:-}" == 1 ]]; then
    log "INFRA_SKIP_CHECKOV=1: not running checkov"
else
    step "checkov"
    wait "$checkov_install_pid" || { cat "$WORK/checkov-install.log" >&2; fail "could not install checkov"; }
    checkov_install_pid=""
    checkov_venv="$(python_env checkov "$checkov_requirements")" || fail "could not install checkov"
    # Every skip is an inline #checkov:skip comment with its reason, next to the
    # resource; nothing is skipped here. The .terraform folders hold no modules of
    # ours (local sources only) and are left out. --skip-download keeps checkov from
    # fetching guidelines online; where we may, a network namespace without
    # interfaces makes sure it reaches nothing.
    offline=()
    unshare --net true 2>/dev/null && offline=(unshare --net)
    "${offline[@]}" "$checkov_venv/bin/checkov" --directory . --framework terraform --quiet --compact \
        --skip-path '\.terraform' --download-external-modules false --skip-download ||
        fail "checkov reported failed checks"
fi

if [[ -n "$moto_pid" ]]; then
    step "waiting for the moto stage"
    rc=0
    wait "$moto_pid" || rc=$?
    moto_pid=""
    sed 's/^/    moto | /' "$WORK/moto-stage.log" >&2
    ((rc == 0)) || fail "the apply against moto_server failed (exit $rc)"
fi

step "all infra checks passed"
printf 'terraform test: %d passed, 0 failed\n' "$test_runs"
