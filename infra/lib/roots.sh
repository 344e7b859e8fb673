# shellcheck shell=bash
# What infra/bootstrap.sh and infra/teardown.sh share: the committed values of a root,
# the account and layout they describe, the state bucket, and running a root with it.
# Source it after setting PROGRAM (the script's name for its messages); do not run it.
#
# Every value comes from the files the pipeline applies (each root's variables.tf and
# terraform.tfvars), read by Terraform itself, so nothing here parses HCL.

INFRA_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REPO_DIR="$(cd "$INFRA_DIR/.." && pwd)"
# Where bootstrap.sh writes each root's `github_variables` output for
# pipeline/setup-github.sh (not committed: it is derived, and names one account).
VARIABLES_DIR="$INFRA_DIR/github-variables"
ENVIRONMENTS=(dev prod)

say() { printf '%s: %s\n' "$PROGRAM" "$*" >&2; }
die() { printf '%s: error: %s\n' "$PROGRAM" "$*" >&2; exit 1; }
# A step for the reader, on stdout: what to run next.
step() { printf '\n%s\n' "$*"; }
command_line() { printf '    %s\n' "$@"; }

need_tools() { # need_tools TOOL...: one line per missing tool, then exit
    local tool missing=0
    for tool in "$@"; do
        command -v "$tool" >/dev/null 2>&1 && continue
        printf '%s: error: %s is not installed (%s)\n' "$PROGRAM" "$tool" "$(tool_hint "$tool")" >&2
        missing=1
    done
    ((missing == 0)) || exit 1
}
tool_hint() {
    case "$1" in
        terraform) printf 'Terraform 1.11 or later' ;;
        aws) printf 'the AWS CLI: it reads the account, and pushes and deletes what Terraform does not' ;;
        *) printf 'needed here' ;;
    esac
}

# The committed values of each root, read once per run (a Terraform console start
# each) into VALUES_CACHE, which the subshells of $(tfvar ...) share.
VALUES_CACHE="$(mktemp -d)"
trap 'rm -rf "$VALUES_CACHE"' EXIT

# tfvar ROOT NAME [KEY]: a committed value of the root (var.NAME, or its KEY when it is
# a map), printed as a string (raw), a list of strings (one per line), null (nothing),
# or else JSON.
tfvar() {
    local root="$1" cache="$VALUES_CACHE/${1//\//-}.json"
    [[ -s "$cache" ]] || read_values "$root" "$cache"
    # shellcheck disable=SC2016 # Python's code, in single quotes on purpose
    python3 -c '
import json, sys
value = json.load(open(sys.argv[1]))[sys.argv[2]]
if len(sys.argv) > 3:
    value = (value or {}).get(sys.argv[3])
if isinstance(value, str):
    print(value)
elif isinstance(value, list) and all(isinstance(item, str) for item in value):
    print("\n".join(value)) if value else None
elif value is not None:
    print(json.dumps(value, sort_keys=True))' "$cache" "$2" "${@:3}"
}

# Every variable of the root, as Terraform evaluates its variables.tf with its
# terraform.tfvars. container_image is a deploy's, never committed: any well-formed
# reference stands in for it.
read_values() { # read_values ROOT CACHE
    local root="$1" cache="$2" scratch names expression output stand_in=()
    scratch="$(mktemp -d)"
    cp -L "$INFRA_DIR/$root/variables.tf" "$scratch/"
    mapfile -t names < <(sed -nE 's/^variable "([a-z0-9_]+)".*/\1/p' "$scratch/variables.tf")
    expression="jsonencode({"
    for name in "${names[@]}"; do expression+="$name = var.$name, "; done
    expression="${expression%, }})"
    [[ " ${names[*]} " == *" container_image "* ]] && stand_in=(-var container_image=unused.invalid/http-echo:none)
    if ! output="$(printf '%s\n' "$expression" | terraform -chdir="$scratch" console \
        -var-file="$INFRA_DIR/$root/terraform.tfvars" "${stand_in[@]}" 2>"$scratch/error")"; then
        sed 's/^/    /' "$scratch/error" >&2
        rm -rf "$scratch"
        die "cannot read the values of infra/$root/terraform.tfvars (above)"
    fi
    rm -rf "$scratch"
    # The console prints a Terraform string: JSON escapes, plus $${ and %%{ for ${ and %{.
    # shellcheck disable=SC2016 # Python's code, in single quotes on purpose
    python3 -c '
import json, sys
print(json.loads(sys.argv[1].replace("$${", "${").replace("%%{", "%{")))' "$output" >"$cache"
}

# The account the current credentials belong to.
current_account() {
    local account
    account="$(aws sts get-caller-identity --query Account --output text 2>/dev/null)" ||
        die "no AWS credentials answer (aws sts get-caller-identity): sign in to the account first (aws sso login, a profile, or the environment)"
    printf '%s\n' "$account"
}

# The layout, from the committed values: ACCOUNT_OF[<env>] is the environment's
# account, empty for the tooling account; TOOLING_ACCOUNT is the tooling account when
# an access root names it.
declare -A ACCOUNT_OF=()
TOOLING_ACCOUNT=""
read_layout() {
    local env tooling
    for env in "${ENVIRONMENTS[@]}"; do
        ACCOUNT_OF[$env]="$(tfvar envs/shared environment_account_ids "$env")"
        tooling="$(tfvar "envs/$env-access" tooling_account_id)"
        if [[ -n "$tooling" ]]; then TOOLING_ACCOUNT="$tooling"; fi
    done
}

# The roots of this layout that live in ACCOUNT, in the order they are applied.
roots_in_account() { # roots_in_account ACCOUNT
    local account="$1" env roots=()
    if [[ -z "$TOOLING_ACCOUNT" || "$account" == "$TOOLING_ACCOUNT" ]]; then
        roots+=(envs/shared)
        for env in "${ENVIRONMENTS[@]}"; do
            [[ -z "${ACCOUNT_OF[$env]}" ]] && roots+=("envs/$env-access")
        done
    fi
    for env in "${ENVIRONMENTS[@]}"; do
        [[ -n "${ACCOUNT_OF[$env]}" && "${ACCOUNT_OF[$env]}" == "$account" ]] && roots+=("envs/$env-access")
    done
    ((${#roots[@]})) && printf '%s\n' "${roots[@]}"
    return 0
}

# The bootstrap root keeps one local state per account, as a workspace named after
# it: the same machine can bootstrap the tooling, dev and prod accounts in turn.
bootstrap_workspace() { # bootstrap_workspace ACCOUNT: init the bootstrap root and select the account's workspace
    terraform -chdir="$INFRA_DIR/bootstrap" init -input=false >/dev/null ||
        die "terraform init failed in infra/bootstrap"
    terraform -chdir="$INFRA_DIR/bootstrap" workspace select -or-create "$1" >/dev/null ||
        die "cannot select the workspace $1 of infra/bootstrap"
}

# The account's state bucket: the bootstrap root's output in the account's workspace
# (read from its state file, so that two teardowns may run side by side), or
# TF_STATE_BUCKET where that state is on another machine.
state_bucket() { # state_bucket ACCOUNT
    local bucket="" state="$INFRA_DIR/bootstrap/terraform.tfstate.d/$1/terraform.tfstate"
    if [[ -r "$state" ]]; then
        bucket="$(python3 -c '
import json, sys
print(json.load(open(sys.argv[1])).get("outputs", {}).get("state_bucket_name", {}).get("value", ""))' "$state")"
    fi
    bucket="${bucket:-${TF_STATE_BUCKET:-}}"
    [[ -n "$bucket" ]] ||
        die "no state bucket known for account $1: run infra/bootstrap.sh in it first, or set TF_STATE_BUCKET=<bucket> where its bootstrap state is on another machine"
    printf '%s\n' "$bucket"
}

init_root() { # init_root ROOT BUCKET: the root on the account's state bucket
    terraform -chdir="$INFRA_DIR/$1" init -input=false -reconfigure \
        -backend-config=backend.hcl "-backend-config=bucket=$2" >/dev/null ||
        die "terraform init failed in infra/$1 (state bucket $2)"
}

# The state key of a root, from its backend.hcl.
state_key() { sed -nE 's/^key[[:space:]]*=[[:space:]]*"([^"]+)".*/\1/p' "$INFRA_DIR/$1/backend.hcl"; }

# How many resources the root's state in BUCKET holds (0 when it has no state).
resources_in_state() { # resources_in_state ROOT BUCKET
    { aws s3 cp "s3://$2/$(state_key "$1")" - 2>/dev/null || true; } | python3 -c '
import json, sys
state = json.loads(sys.stdin.read() or "{}")
print(sum(len(r.get("instances", [])) for r in state.get("resources", []) if r.get("mode") == "managed"))'
}

approve=() # -auto-approve with --yes; otherwise Terraform asks
