#!/usr/bin/env bash
# Infra suite: the Terraform under infra/, checked without an AWS account.
#
#   1. terraform fmt -check, and prod's .tf files links to dev's (one configuration),
#      prod-access's to dev-access's;
#   2. init (no backend, committed lock files read-only) and validate of every root
#      and module;
#   3. terraform test with a mocked AWS provider in every module and root: each
#      property of the original deployment, the options, and every variable validation;
#   4. a real apply of bootstrap, shared, dev-access, prod-access, dev and prod
#      against moto_server on 127.0.0.1, a re-plan of dev that must be empty, then
#      pytest infra/tests: dev read back through boto3, and every IAM policy read
#      back and evaluated with principalmapper's policy simulator (escalation,
#      dev against prod, trust), cloudsplaining and parliament; then destroy;
#   5. checkov over infra/ with zero failed checks.
#
# Stage 4 spends most of its time waiting on the provider's pollers, so it starts
# first and runs in the background while stages 2, 3 and 5 use the CPU; its log is
# replayed at the end.
# Python tools come from PyPI into .venv/ (pinned); providers from the local mirror.
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
apply_against_moto() {
    local copy="$WORK/moto" bucket ecr image alarm_email outputs venv rc root
    step "apply bootstrap, shared, dev-access, prod-access, dev and prod against moto_server"
    venv="$(python_env infra-tests "$REPO_ROOT/infra/tests/requirements.txt")" || fail "could not install infra/tests/requirements.txt"
    # HTTPS, as on AWS: the buckets' policies deny plain HTTP there, so nothing here
    # may depend on it (moto itself cannot evaluate that condition).
    moto_start --tls || fail "moto_server did not start"

    # Terraform works in a copy: its .terraform directories and local state stay out
    # of the tree, and the committed lock files stay untouched.
    rm -rf "$copy"
    mkdir -p "$copy"
    tar -C "$REPO_ROOT" --exclude=.terraform --exclude='*.tfstate*' -cf - infra | tar -C "$copy" -xf -
    copy="$copy/infra"

    terraform -chdir="$copy/bootstrap" init -input=false >"$WORK/bootstrap-init.log" 2>&1 ||
        { cat "$WORK/bootstrap-init.log" >&2; fail "bootstrap init failed"; }
    terraform -chdir="$copy/bootstrap" apply -input=false -auto-approve >"$WORK/bootstrap.log" 2>&1 ||
        { tail -n 40 "$WORK/bootstrap.log" >&2; fail "bootstrap apply failed (log: $WORK/bootstrap.log)"; }
    bucket="$(terraform -chdir="$copy/bootstrap" output -raw state_bucket_name)"

    # The other roots' state goes where it would on AWS: the bootstrap bucket, with
    # S3 lock files. moto's S3 is addressed by path, as a bucket cannot be a host
    # name under 127.0.0.1. This is the one-account layout (the committed values):
    # the account isolation of the other layout needs no policy to hold, this one
    # does, and the policy evaluation below tests exactly that.
    local backend=(-backend-config=backend.hcl "-backend-config=bucket=$bucket" -backend-config=use_path_style=true)
    apply_root() { # apply_root ROOT [ARGS...]: init and apply one root, logs in $WORK/<name>*.log
        local root="$1" name="${1//\//-}"
        shift
        terraform -chdir="$copy/$root" init -input=false "${backend[@]}" >"$WORK/$name-init.log" 2>&1 ||
            { cat "$WORK/$name-init.log" >&2; printf 'FAIL: %s init with the S3 backend failed\n' "$root" >&2; return 1; }
        terraform -chdir="$copy/$root" apply -input=false -auto-approve "$@" >"$WORK/$name.log" 2>&1 ||
            { tail -n 60 "$WORK/$name.log" >&2; printf 'FAIL: %s apply failed (log: %s)\n' "$root" "$WORK/$name.log" >&2; return 1; }
    }
    apply_root envs/shared || fail "shared apply failed"
    ecr="$(terraform -chdir="$copy/envs/shared" output -raw ecr_repository_url)"
    apply_root envs/prod-access &
    local access_pid=$!
    apply_root envs/dev-access || { wait "$access_pid"; fail "dev-access apply failed"; }
    wait "$access_pid" || fail "prod-access apply failed"

    # A deploy exactly as the pipeline makes it: the image by tag from the shared
    # repository. moto runs no containers, so nothing would ever be steady. dev and
    # prod go side by side: they share nothing but the state bucket.
    image="$ecr:3f2c1ab"
    alarm_email="oncall@http-echo.internal"
    local deploy=(-var "container_image=$image" -var wait_for_steady_state=false -var "alarm_emails=[\"$alarm_email\"]")
    apply_root envs/prod "${deploy[@]}" &
    local prod_pid=$!
    apply_root envs/dev "${deploy[@]}" || { wait "$prod_pid"; fail "dev apply failed"; }
    wait "$prod_pid" || fail "prod apply failed"

    step "re-plan dev: nothing may change"
    rc=0
    terraform -chdir="$copy/envs/dev" plan -input=false -detailed-exitcode "${deploy[@]}" >"$WORK/replan.log" 2>&1 || rc=$?
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
            terraform -chdir="$copy/envs/$root" output -json
            printf ', '
        done
        printf '"state_bucket": "%s", "image": "%s", "alarm_email": "%s"}\n' "$bucket" "$image" "$alarm_email"
    } >"$outputs"
    INFRA_OUTPUTS="$outputs" INFRA_POLICY_DIR="$WORK/policies" "$venv/bin/python" -m pytest "$REPO_ROOT/infra/tests" -p no:cacheprovider -q ||
        fail "the environments or their policies read back from moto do not hold (outputs: $outputs, policies: $WORK/policies)"

    step "destroy dev, dev-access and shared"
    destroy_root() { # destroy_root ROOT [ARGS...]
        local root="$1" name="destroy-${1//\//-}"
        shift
        terraform -chdir="$copy/$root" destroy -input=false -auto-approve "$@" >"$WORK/$name.log" 2>&1 ||
            { tail -n 40 "$WORK/$name.log" >&2; printf 'FAIL: %s destroy failed (log: %s)\n' "$root" "$WORK/$name.log" >&2; return 1; }
    }
    destroy_root envs/dev "${deploy[@]}" || fail "dev destroy failed"
    for root in envs/dev-access envs/shared; do
        destroy_root "$root" || fail "$root destroy failed"
    done
    # prod is deletion-protected and the bootstrap bucket prevent_destroy, both by
    # design; they and prod-access (whose boundary prod's roles carry) go with
    # moto_server.
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
