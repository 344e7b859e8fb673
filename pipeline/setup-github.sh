#!/usr/bin/env bash
# Sets up the GitHub side of the pipeline, by code, through `gh api`:
#
#   pipeline/setup-github.sh --repository OWNER/NAME --reviewers LOGIN[,LOGIN...] \
#       --variables FILE [--variables FILE...] [--dry-run]
#
# - the repository's OIDC subject claim, customised to repo, context (the
#   environment) and job_workflow_ref, which the AWS roles' trust policies match;
# - the environments build and dev (branch dev), production-plan and production
#   (branch main), each deployable from its one branch only; production with the
#   required reviewers, prevent_self_review on and administrator bypass off;
# - the variables the workflows read, repository-wide and per environment, from the
#   roots' `terraform output -json github_variables` (shared, dev-access and
#   prod-access: one file each, merged).
#
# --dry-run prints every call (and its body) and makes none. Needs gh logged in as a
# repository administrator. Running it again converges: every call sets, none adds
# twice. pipeline/production_gate.py checks the production gate at every deploy.
set -euo pipefail

usage() { sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

repository="" reviewers="" dry_run="" variable_files=()
while (($#)); do
    case "$1" in
        --repository) repository="${2:-}"; shift 2 ;;
        --reviewers) reviewers="${2:-}"; shift 2 ;;
        --variables) variable_files+=("${2:-}"); shift 2 ;;
        --dry-run) dry_run=1; shift ;;
        -h | --help) usage ;;
        *) printf 'setup-github: unknown argument %s\n' "$1" >&2; usage ;;
    esac
done
[[ "$repository" =~ ^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$ ]] ||
    { printf 'setup-github: --repository must be OWNER/NAME\n' >&2; exit 2; }
[[ -n "$reviewers" ]] ||
    { printf 'setup-github: --reviewers is required: production needs people who approve\n' >&2; exit 2; }
((${#variable_files[@]})) ||
    { printf 'setup-github: give --variables for each root'"'"'s github_variables output\n' >&2; exit 2; }
for file in "${variable_files[@]}"; do
    [[ -r "$file" ]] || { printf 'setup-github: cannot read %s\n' "$file" >&2; exit 2; }
done

# One place for every call: printed in a dry run, made otherwise.
api() { # api [--body JSON] METHOD PATH [gh api field options...]
    local body=""
    if [[ "$1" == --body ]]; then body="$2"; shift 2; fi
    local method="$1" path="$2"
    shift 2
    if [[ -n "$dry_run" ]]; then
        printf 'gh api --method %s %s%s\n' "$method" "$path" "${*:+ $*}"
        [[ -z "$body" ]] || printf '    %s\n' "$body"
        return 0
    fi
    if [[ -n "$body" ]]; then
        printf '%s' "$body" | gh api --method "$method" "$path" --input - "$@" >/dev/null
    else
        gh api --method "$method" "$path" "$@" >/dev/null
    fi
}

# A variable is updated if it exists, created if not (GitHub has no single upsert).
set_variable() { # set_variable SCOPE_PATH NAME VALUE
    local scope="$1" name="$2" value="$3"
    if [[ -n "$dry_run" ]]; then
        api PATCH "$scope/variables/$name" -f "name=$name" -f "value=$value"
        printf '    (POST %s/variables instead when it does not exist yet)\n' "$scope"
    elif ! api PATCH "$scope/variables/$name" -f "name=$name" -f "value=$value" 2>/dev/null; then
        api POST "$scope/variables" -f "name=$name" -f "value=$value"
    fi
}

# The variables of every root (each file: `terraform output -json github_variables`),
# merged: {"repository": {...}, "<environment>": {...}}.
variables="$(python3 - "${variable_files[@]}" <<'PY'
import json, sys
merged = {}
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as handle:
        document = json.load(handle)
    for scope, values in document.items():
        merged.setdefault(scope, {}).update(values)
print(json.dumps(merged, sort_keys=True))
PY
)"

# Reviewers by their numeric user IDs, which the environments API takes.
reviewer_ids=()
IFS=',' read -r -a logins <<<"$reviewers"
for login in "${logins[@]}"; do
    if [[ -n "$dry_run" ]]; then
        printf 'gh api users/%s --jq .id\n' "$login"
        reviewer_ids+=("<id of $login>")
    else
        reviewer_ids+=("$(gh api "users/$login" --jq .id)")
    fi
done
reviewers_json="$(printf '%s\n' "${reviewer_ids[@]}" | python3 -c '
import json, sys
print(json.dumps([{"type": "User", "id": int(line) if line.strip().isdigit() else line.strip()}
                  for line in sys.stdin if line.strip()]))')"

# 1. The subject the roles trust: repository, environment and workflow file with its ref.
api --body '{"use_default":false,"include_claim_keys":["repo","context","job_workflow_ref"]}' \
    PUT "repos/$repository/actions/oidc/customization/sub"

# 2. Environments, each deployable from one branch only.
environment() { # environment NAME BRANCH [extra JSON members]
    local name="$1" branch="$2" extra="${3:-}"
    api --body "{\"deployment_branch_policy\":{\"protected_branches\":false,\"custom_branch_policies\":true}${extra:+,$extra}}" \
        PUT "repos/$repository/environments/$name"
    local existing=""
    [[ -n "$dry_run" ]] ||
        existing="$(gh api "repos/$repository/environments/$name/deployment-branch-policies" \
            --jq '.branch_policies[].name')"
    grep -qxF -- "$branch" <<<"$existing" ||
        api POST "repos/$repository/environments/$name/deployment-branch-policies" -f "name=$branch" -f type=branch
}
environment build dev
environment dev dev
environment production-plan main
environment production main \
    "\"reviewers\":$reviewers_json,\"prevent_self_review\":true,\"can_admins_bypass\":false,\"wait_timer\":0"

# 3. Variables, repository-wide and per environment.
while IFS=$'\t' read -r scope name value; do
    if [[ "$scope" == repository ]]; then
        set_variable "repos/$repository/actions" "$name" "$value"
    else
        set_variable "repos/$repository/environments/$scope" "$name" "$value"
    fi
done < <(python3 -c '
import json, sys
for scope, values in sorted(json.loads(sys.argv[1]).items()):
    for name, value in sorted(values.items()):
        print(f"{scope}\t{name}\t{value}")' "$variables")

printf 'setup-github: %s %s: OIDC subject, environments build, dev, production-plan, production (reviewers: %s), variables\n' \
    "${dry_run:+(dry run, nothing changed)}" "$repository" "$reviewers" >&2
