#!/usr/bin/env bash
# Takes an AWS account (or, in the account-per-environment layout, each account in
# turn) from nothing to a deployable dev, and says what to do next:
#
#   infra/bootstrap.sh [--yes]
#
# With an administrator's credentials for the account, it
#   1. refuses, one line each, what would make a broken deployment: placeholder or
#      missing values in the committed terraform.tfvars, values of the two layouts
#      mixed up, tfvars changed but not committed (the pipeline applies the
#      committed files);
#   2. applies the bootstrap root (the account's state bucket; its own state is a
#      local workspace named after the account), then the roots this account holds:
#      shared (ECR and the push role), dev-access and prod-access (the deployment
#      roles), on the state bucket;
#   3. writes each root's github_variables to infra/github-variables/ and prints the
#      next steps: the other accounts, pipeline/setup-github.sh, and the first image
#      and dev, by the pipeline or by hand (push commands and the first apply).
#
# --yes applies without asking; otherwise Terraform shows each plan and asks. Running
# it again converges. Needs Terraform, the AWS CLI, Python 3 and git.
# infra/teardown.sh undoes it. The whole list, GitHub included: infra/README.md.
set -euo pipefail
PROGRAM=bootstrap
source "$(dirname "$0")/lib/roots.sh"

usage() { sed -n '5p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while (($#)); do
    case "$1" in
        --yes) approve=(-auto-approve); shift ;;
        -h | --help) usage ;;
        *) printf '%s: unknown argument %s\n' "$PROGRAM" "$1" >&2; usage ;;
    esac
done
need_tools terraform aws python3 git

################################################################################
# 1. Values
################################################################################
problems=()
problem() { problems+=("$*"); }

repository="$(tfvar envs/shared github_repository)"
if [[ ! "$repository" =~ ^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$ ]]; then
    problem "infra/envs/shared/terraform.tfvars: github_repository must be OWNER/NAME, the repository that holds this project; it is '$repository'"
elif [[ "${repository%%/*}" == example-org ]]; then
    problem "infra/envs/shared/terraform.tfvars: github_repository is the placeholder $repository: put the repository that holds this project (OWNER/NAME)"
fi
for env in "${ENVIRONMENTS[@]}"; do
    theirs="$(tfvar "envs/$env-access" github_repository)"
    [[ "$theirs" == "$repository" ]] ||
        problem "infra/envs/$env-access/terraform.tfvars: github_repository is '$theirs', the shared root's is '$repository': both must name the repository that deploys"
    [[ -n "$(tfvar "envs/$env" alarm_emails)" ]] ||
        problem "infra/envs/$env/terraform.tfvars: alarm_emails is empty: put the team's address there, or nobody hears of $env's alarms"
done

read_layout
for env in "${ENVIRONMENTS[@]}"; do
    account="${ACCOUNT_OF[$env]}" tooling="$(tfvar "envs/$env-access" tooling_account_id)"
    creates_provider="$(tfvar "envs/$env-access" create_github_oidc_provider)"
    case "$account" in
        "") # in the tooling account, with the shared root
            [[ -z "$tooling" ]] ||
                problem "infra/envs/$env-access/terraform.tfvars: tooling_account_id is $tooling, but environment_account_ids (envs/shared) keeps $env in the tooling account: set it to null"
            [[ "$creates_provider" == false ]] ||
                problem "infra/envs/$env-access/terraform.tfvars: create_github_oidc_provider must be false: $env shares the tooling account, whose provider the shared root creates"
            ;;
        111111111111 | 222222222222 | 333333333333 | 123456789012)
            problem "infra/envs/shared/terraform.tfvars: environment_account_ids.$env is $account, an example: put $env's account ID, or null for the one-account layout"
            ;;
        *)
            [[ -n "$tooling" ]] ||
                problem "infra/envs/$env-access/terraform.tfvars: tooling_account_id is null, but environment_account_ids (envs/shared) puts $env in account $account: set it to the account the shared root goes to"
            if [[ "${ACCOUNT_OF[dev]}" != "${ACCOUNT_OF[prod]}" && "$creates_provider" != true ]]; then
                problem "infra/envs/$env-access/terraform.tfvars: create_github_oidc_provider must be true: $env's account $account needs its own GitHub OIDC provider"
            fi
            ;;
    esac
done
dev_tooling="$(tfvar envs/dev-access tooling_account_id)" prod_tooling="$(tfvar envs/prod-access tooling_account_id)"
[[ -z "$dev_tooling" || -z "$prod_tooling" || "$dev_tooling" == "$prod_tooling" ]] ||
    problem "infra/envs/prod-access/terraform.tfvars: tooling_account_id is $prod_tooling, dev-access's is $dev_tooling: there is one tooling account"

# The pipeline applies what is committed: values that exist only here would be
# undone by its next run, or never reach it.
if git -C "$REPO_DIR" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    while IFS= read -r changed; do
        [[ -n "$changed" ]] &&
            problem "$changed has changes that are not committed: commit them (the pipeline applies the committed files)"
    done < <(git -C "$REPO_DIR" status --porcelain --untracked-files=no -- \
        'infra/bootstrap/terraform.tfvars' 'infra/envs/*/terraform.tfvars' 'infra/envs/*/backend.hcl' | cut -c4-)
else
    problem "$REPO_DIR is not a git clone: bootstrap from a clone of the repository the pipeline runs in"
fi

if ((${#problems[@]})); then
    for line in "${problems[@]}"; do printf '%s: error: %s\n' "$PROGRAM" "$line" >&2; done
    exit 1
fi

################################################################################
# 2. This account's roots
################################################################################
account="$(current_account)"
mapfile -t roots < <(roots_in_account "$account")
((${#roots[@]})) ||
    die "account $account is none of the layout's (tooling ${TOOLING_ACCOUNT:-?}, dev ${ACCOUNT_OF[dev]:-tooling}, prod ${ACCOUNT_OF[prod]:-tooling}; infra/envs/*/terraform.tfvars): sign in to one of those"
say "account $account: the state bucket, then ${roots[*]#envs/}"

bootstrap_workspace "$account"
terraform -chdir="$INFRA_DIR/bootstrap" apply -input=false "${approve[@]}" ||
    die "the apply of infra/bootstrap failed (above)"
bucket="$(terraform -chdir="$INFRA_DIR/bootstrap" output -raw state_bucket_name)"

mkdir -p "$VARIABLES_DIR"
for root in "${roots[@]}"; do
    say "infra/$root, state in $bucket"
    init_root "$root" "$bucket"
    terraform -chdir="$INFRA_DIR/$root" apply -input=false "${approve[@]}" ||
        die "the apply of infra/$root failed (above)"
    terraform -chdir="$INFRA_DIR/$root" output -json github_variables >"$VARIABLES_DIR/${root#envs/}.json"
done

################################################################################
# 3. What comes next
################################################################################
say "account $account is done: state bucket $bucket; ${roots[*]#envs/} applied"
missing=()
for name in shared dev-access prod-access; do
    [[ -s "$VARIABLES_DIR/$name.json" ]] || missing+=("$name")
done
if ((${#missing[@]})); then
    step "Next: the other accounts. With each one's administrator credentials, on this machine (infra/github-variables/ collects their outputs), run again:"
    command_line "infra/bootstrap.sh"
    printf '    still to apply: %s (accounts: tooling %s, dev %s, prod %s)\n' "${missing[*]}" \
        "${TOOLING_ACCOUNT:-?}" "${ACCOUNT_OF[dev]:-tooling}" "${ACCOUNT_OF[prod]:-tooling}"
    exit 0
fi

relative_variables=()
for name in shared dev-access prod-access; do
    relative_variables+=("--variables infra/github-variables/$name.json")
done
step "Next, 1. GitHub, as a repository administrator with gh logged in: environments, reviewers, the OIDC subject, variables (see what it would do, then do it):"
command_line "pipeline/setup-github.sh --repository $repository --reviewers <login>[,<login>...] \\" \
    "    ${relative_variables[*]} --dry-run" \
    "pipeline/setup-github.sh --repository $repository --reviewers <login>[,<login>...] \\" \
    "    ${relative_variables[*]}"
printf '    then the branches and Actions settings of the checklist (infra/README.md, "Set-up and teardown: the checklist").\n'

registry_url="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["repository"]["ECR_REPOSITORY_URL"])' "$VARIABLES_DIR/shared.json")"
region="$(tfvar envs/shared region)"
image="$registry_url:manual-$(git -C "$REPO_DIR" rev-parse --short=12 HEAD)"
step "Next, 2. the first image and dev. Either the pipeline does both: push the committed values to dev"
command_line "git push origin HEAD:dev"
printf '    or by hand. The first image, built on this machine (%s), with the tooling account'"'"'s credentials:\n' \
    "the image is for its architecture; dev runs X86_64"
command_line "aws ecr get-login-password --region $region | docker login --username AWS --password-stdin ${registry_url%%/*}" \
    "stack/build-image.sh $image" \
    "docker push $image"
printf '    then the first apply of dev, with dev'"'"'s account credentials:\n'
dev_bucket="$bucket"
[[ -z "${ACCOUNT_OF[dev]}" || "${ACCOUNT_OF[dev]}" == "$account" ]] || dev_bucket="<dev's state bucket: infra/bootstrap.sh printed it in dev's account>"
command_line "terraform -chdir=infra/envs/dev init -reconfigure -backend-config=backend.hcl -backend-config=bucket=$dev_bucket" \
    "terraform -chdir=infra/envs/dev apply -var container_image=$image" \
    "curl \"\$(terraform -chdir=infra/envs/dev output -raw service_url)/\""
printf '    (each address in alarm_emails gets a mail from SNS: confirm it, or nobody hears of the alarms)\n'
