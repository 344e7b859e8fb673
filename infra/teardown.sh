#!/usr/bin/env bash
# Destroys what infra/bootstrap.sh and the pipeline made, one root at a time, with
# the values each destroy needs, in the order that leaves nothing behind:
#
#   infra/teardown.sh [--yes] dev|prod|dev-access|prod-access|shared|state
#   infra/teardown.sh            the GitHub clean-up, and the order for this layout
#
# With an administrator's credentials for the root's account (the deploy roles
# cannot unsubscribe the alarm e-mails, nor delete their own roles):
#   dev, prod      destroys the environment with the image it runs (the destroy asks
#                  for container_image); prod's deletion protection is applied off
#                  first; then the task definitions Terraform keeps registered for
#                  rollbacks and the log groups AWS made for the cluster go too;
#   dev-access, prod-access
#                  the environment's roles and boundary, once the environment is gone;
#   shared         the ECR repository with its images (force_delete_repository is
#                  applied on first) and the push role, once no environment of this
#                  account's state bucket is left;
#   state          last, in each account: the state bucket, which is versioned and
#                  prevent_destroy, so no Terraform destroy can take it: every object
#                  version is deleted, then the bucket, then the bootstrap state.
# Each refuses while a root that depends on it still holds resources in this
# account's state bucket. --yes destroys without asking; otherwise Terraform shows
# each plan and asks (and state asks for the bucket's name). Needs Terraform, the AWS
# CLI and Python 3.
set -euo pipefail
PROGRAM=teardown
source "$(dirname "$0")/lib/roots.sh"

ORDER=(dev prod dev-access prod-access shared state)
usage() { sed -n '5,6p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

target=""
while (($#)); do
    case "$1" in
        --yes) approve=(-auto-approve); shift ;;
        -h | --help) usage ;;
        dev | prod | dev-access | prod-access | shared | state)
            [[ -z "$target" ]] || usage
            target="$1"; shift ;;
        *) printf '%s: unknown argument %s (one of: %s)\n' "$PROGRAM" "$1" "${ORDER[*]}" >&2; usage ;;
    esac
done
need_tools terraform aws python3

# The GitHub side: what pipeline/setup-github.sh made (environments and their
# variables, repository variables, the OIDC subject customisation).
github_cleanup() {
    local repository environment
    repository="$(tfvar envs/shared github_repository)"
    step "First stop the pipeline, so that no run deploys while the roots go. GitHub, as a repository administrator with gh logged in (an environment's variables go with it):"
    for environment in build dev production-plan production; do
        command_line "gh api --method DELETE repos/$repository/environments/$environment"
    done
    command_line "gh variable delete AWS_REGION --repo $repository" \
        "gh variable delete ECR_REPOSITORY_URL --repo $repository" \
        "gh api --method PUT repos/$repository/actions/oidc/customization/sub -F use_default=true"
    printf '    and, if they were made for this project only, the dev branch and the branch protection rules.\n'
}

if [[ -z "$target" ]]; then
    read_layout
    one_account="the one account"
    [[ -n "$TOOLING_ACCOUNT" ]] && one_account="tooling account $TOOLING_ACCOUNT"
    github_cleanup
    step "Then the roots in this order, each with an administrator's credentials for its account:"
    for root in "${ORDER[@]}"; do
        case "$root" in
            state) where="in each account, last" ;;
            shared) where="$one_account" ;;
            *) where="${ACCOUNT_OF[${root%-access}]:-$one_account}" ;;
        esac
        printf '    %-32s # %s\n' "infra/teardown.sh $root" "$where"
    done
    exit 0
fi

read_layout
account="$(current_account)"
bucket="$(state_bucket "$account")"

# refuse_while_held ROOT...: one line for each root that still holds resources here.
refuse_while_held() {
    local root held refused=0
    for root in "$@"; do
        held="$(resources_in_state "$root" "$bucket")"
        if ((held > 0)); then
            printf '%s: error: infra/%s still holds %s resources in %s: infra/teardown.sh %s first\n' \
                "$PROGRAM" "$root" "$held" "$bucket" "${root#envs/}" >&2
            refused=1
        fi
    done
    ((refused == 0)) || exit 1
}

# What ECS and CloudWatch keep of an environment after its destroy: task definition
# revisions (kept registered on purpose, for rollbacks) and the log groups Container
# Insights makes for the cluster.
remove_leftovers() { # remove_leftovers FAMILY CLUSTER
    local family="$1" cluster="$2" arn arns status group
    for status in ACTIVE INACTIVE; do
        mapfile -t arns < <(aws ecs list-task-definitions --family-prefix "$family" --status "$status" \
            --query 'taskDefinitionArns[]' --output text | tr '\t' '\n' | grep -E "/$family:[0-9]+$" || true)
        ((${#arns[@]})) || continue
        if [[ "$status" == ACTIVE ]]; then
            for arn in "${arns[@]}"; do
                aws ecs deregister-task-definition --task-definition "$arn" >/dev/null
            done
        fi
        mapfile -t arns < <(aws ecs list-task-definitions --family-prefix "$family" --status INACTIVE \
            --query 'taskDefinitionArns[]' --output text | tr '\t' '\n' | grep -E "/$family:[0-9]+$" || true)
        while ((${#arns[@]})); do # at most 10 a call
            aws ecs delete-task-definitions --task-definitions "${arns[@]:0:10}" >/dev/null
            arns=("${arns[@]:10}")
        done
        say "task definitions of $family deregistered and deleted"
        break
    done
    while IFS= read -r group; do
        [[ -n "$group" ]] || continue
        aws logs delete-log-group --log-group-name "$group"
        say "log group $group deleted"
    done < <(aws logs describe-log-groups --log-group-name-prefix "/aws/ecs/containerinsights/$cluster/" \
        --query 'logGroups[].logGroupName' --output text | tr '\t' '\n' | grep -v '^None$' || true)
}

destroy_environment() { # destroy_environment ENV
    local env="$1" root="envs/$1" image family cluster
    init_root "$root" "$bucket"
    # The destroy evaluates every variable: the image the environment runs, or any
    # well-formed reference when it runs none (it is never deployed).
    image="$(terraform -chdir="$INFRA_DIR/$root" output -raw container_image 2>/dev/null || true)"
    family="$(terraform -chdir="$INFRA_DIR/$root" output -raw task_definition_family 2>/dev/null || true)"
    cluster="$(terraform -chdir="$INFRA_DIR/$root" output -raw ecs_cluster_name 2>/dev/null || true)"
    local values=(-var "container_image=${image:-teardown.invalid/http-echo:none}" -var deletion_protection=false)
    if [[ -n "$image" && "$(tfvar "$root" deletion_protection)" == true ]]; then
        say "$env: deletion protection off first (an apply with the image it runs, deletion_protection=false)"
        terraform -chdir="$INFRA_DIR/$root" apply -input=false "${approve[@]}" "${values[@]}" ||
            die "the apply that turns $env's deletion protection off failed (above)"
    fi
    terraform -chdir="$INFRA_DIR/$root" destroy -input=false "${approve[@]}" "${values[@]}" ||
        die "the destroy of infra/$root failed (above)"
    local project
    project="$(tfvar "$root" project)"
    remove_leftovers "${family:-$project-$env}" "${cluster:-$project-$env}"
}

destroy_root() { # destroy_root ROOT [-var ...]: a root whose values are all committed
    local root="$1"
    shift
    init_root "$root" "$bucket"
    terraform -chdir="$INFRA_DIR/$root" destroy -input=false "${approve[@]}" "$@" ||
        die "the destroy of infra/$root failed (above)"
}

delete_state_bucket() {
    refuse_while_held envs/dev envs/prod envs/dev-access envs/prod-access envs/shared
    if ((${#approve[@]} == 0)); then
        local answer
        read -r -p "Delete the state bucket $bucket, with every version of every state in it? Type its name: " answer
        [[ "$answer" == "$bucket" ]] || die "not deleted: the name typed was not $bucket"
    fi
    # A versioned bucket is deleted only once every version and delete marker is.
    local batch batch_file="$VALUES_CACHE/versions.json"
    while batch="$(aws s3api list-object-versions --bucket "$bucket" --max-items 1000 --output json | python3 -c '
import json, sys
listing = json.loads(sys.stdin.read() or "{}")
objects = [{"Key": v["Key"], "VersionId": v["VersionId"]}
           for v in (listing.get("Versions") or []) + (listing.get("DeleteMarkers") or [])]
if objects:
    print(json.dumps({"Objects": objects, "Quiet": True}))')" && [[ -n "$batch" ]]; do
        printf '%s' "$batch" >"$batch_file" # a file: a thousand versions are too long for one argument
        aws s3api delete-objects --bucket "$bucket" --delete "file://$batch_file" >/dev/null
    done
    aws s3api delete-bucket --bucket "$bucket"
    say "state bucket $bucket deleted"
    # The bootstrap root's state of this account now describes a bucket that is gone.
    if [[ -d "$INFRA_DIR/bootstrap/terraform.tfstate.d/$account" ]]; then
        bootstrap_workspace default
        terraform -chdir="$INFRA_DIR/bootstrap" workspace delete -force "$account" >/dev/null
        say "the bootstrap state of account $account deleted"
    fi
}

case "$target" in
    dev | prod) destroy_environment "$target" ;;
    dev-access | prod-access)
        refuse_while_held "envs/${target%-access}"
        destroy_root "envs/$target"
        ;;
    shared)
        refuse_while_held envs/dev envs/prod envs/dev-access envs/prod-access
        init_root envs/shared "$bucket"
        if (($(resources_in_state envs/shared "$bucket") > 0)); then
            say "shared: force_delete_repository on first, so that the repository goes with its images"
            terraform -chdir="$INFRA_DIR/envs/shared" apply -input=false "${approve[@]}" -var force_delete_repository=true ||
                die "the apply that lets the repository go with its images failed (above)"
        fi
        destroy_root envs/shared -var force_delete_repository=true
        ;;
    state) delete_state_bucket ;;
esac

say "$target destroyed in account $account"
for index in "${!ORDER[@]}"; do
    if [[ "${ORDER[$index]}" == "$target" ]]; then
        next="${ORDER[$((index + 1))]:-}"
    fi
done
if [[ -n "$next" ]]; then
    step "Next (infra/teardown.sh alone shows the whole order and the accounts):"
    command_line "infra/teardown.sh $next"
else
    step "Nothing of the project is left in account $account. In each other account of the layout, infra/teardown.sh state last."
fi
exit 0
