# shellcheck shell=bash
# Terraform without the registry. Source after common.sh, then call terraform_setup.
#
# The registry is unreachable here, so providers come from a filesystem mirror: the
# folder that holds registry.terraform.io/hashicorp/aws/<version>/<os>_<arch>/. We
# look for it instead of hard-coding a path, write a CLI config that points at it, and
# export TF_CLI_CONFIG_FILE. On a machine with registry access and no mirror we change
# nothing and Terraform downloads providers as usual.

# terraform_is_mirror DIR: true when DIR holds the AWS provider in the unpacked layout.
terraform_is_mirror() {
    local dir="$1" package
    [[ -n "$dir" && -d "$dir/registry.terraform.io/hashicorp/aws" ]] || return 1
    for package in "$dir"/registry.terraform.io/hashicorp/aws/*/*/terraform-provider-aws*; do
        [[ -e "$package" ]] && return 0
    done
    return 1
}

# terraform_find_mirror: prints the mirror folder, or nothing. Cheapest first:
#   1. TF_PROVIDER_MIRROR, when set;
#   2. the mirror the last run found (recorded in the CLI config it wrote);
#   3. a filesystem_mirror of the user's own CLI config (TF_CLI_CONFIG_FILE, ~/.terraformrc);
#   4. the implied mirror folders Terraform documents for Unix;
#   5. a search of the folders software is installed in, at most six levels down and
#      skipping what is never a mirror (caches, build output, virtual environments,
#      Terraform's own .terraform copies): well under a second, where walking the
#      whole disk took minutes on a machine full of build trees.
terraform_find_mirror() {
    local candidate config found
    local candidates=("${TF_PROVIDER_MIRROR:-}")
    for config in "$CACHE_DIR/terraform/cli.tfrc" "${TF_CLI_CONFIG_FILE:-}" "$HOME/.terraformrc"; do
        [[ -n "$config" && -r "$config" ]] || continue
        while IFS= read -r candidate; do
            candidates+=("$candidate")
        done < <(sed -nE 's/^[[:space:]]*path[[:space:]]*=[[:space:]]*"([^"]+)".*/\1/p' "$config")
    done
    local data_home="${XDG_DATA_HOME:-$HOME/.local/share}" data_dirs
    IFS=: read -r -a data_dirs <<<"${XDG_DATA_DIRS:-/usr/local/share:/usr/share}"
    candidates+=("$HOME/.terraform.d/plugins" "$data_home/terraform/plugins")
    for candidate in "${data_dirs[@]}"; do
        candidates+=("$candidate/terraform/plugins")
    done
    for candidate in "${candidates[@]}"; do
        terraform_is_mirror "$candidate" && { printf '%s\n' "$candidate"; return 0; }
    done

    while IFS= read -r found; do
        candidate="${found%/registry.terraform.io}"
        terraform_is_mirror "$candidate" && { printf '%s\n' "$candidate"; return 0; }
    done < <(find / -xdev -maxdepth 6 \
        \( -path /proc -o -path /sys -o -path /dev -o -path /run -o -path /tmp -o -path /var/lib/docker \
        -o -name .terraform -o -name .git -o -name .cache -o -name .venv -o -name node_modules \
        -o -name target -o -name site-packages \) -prune \
        -o -type d -name registry.terraform.io -print 2>/dev/null)
    return 0
}

terraform_setup() {
    have terraform || return 1
    local mirror config="$CACHE_DIR/terraform/cli.tfrc"
    mirror="$(terraform_find_mirror)"
    mkdir -p "$CACHE_DIR/terraform"
    if [[ -n "$mirror" ]]; then
        cat >"$config.$$" <<TFRC
provider_installation {
  filesystem_mirror {
    path    = "$mirror"
    include = ["registry.terraform.io/*/*"]
  }
}
TFRC
        mv -f "$config.$$" "$config"
        export TF_CLI_CONFIG_FILE="$config"
    fi
    export TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1
}
