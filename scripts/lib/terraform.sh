# Terraform without the registry. Source after common.sh, then call terraform_setup.
#
# The registry is unreachable here, so providers come from a filesystem mirror: the
# folder that holds registry.terraform.io/hashicorp/aws/<version>/. We look for it
# instead of hard-coding a path, write a CLI config that points at it, and export
# TF_CLI_CONFIG_FILE. On a machine with registry access and no mirror we change
# nothing and Terraform downloads providers as usual.

# terraform_find_mirror: prints the mirror folder, or nothing.
terraform_find_mirror() {
    local candidate binary
    # TF_PROVIDER_MIRROR wins; then the implied mirror folders Terraform documents.
    for candidate in "${TF_PROVIDER_MIRROR:-}" "$HOME/.terraform.d/plugins" \
        /usr/local/share/terraform/plugins /usr/share/terraform/plugins; do
        [[ -n "$candidate" && -d "$candidate/registry.terraform.io" ]] && { printf '%s\n' "$candidate"; return 0; }
    done
    # Not in a usual place: search, and take the folder above registry.terraform.io.
    binary="$(find / -xdev -path '*/registry.terraform.io/hashicorp/aws/*' \
        -name 'terraform-provider-aws*' -print -quit 2>/dev/null)"
    [[ -n "$binary" ]] && printf '%s\n' "${binary%%/registry.terraform.io/*}"
}

terraform_setup() {
    have terraform || return 1
    local mirror config="$CACHE_DIR/terraform/cli.tfrc"
    mirror="$(terraform_find_mirror)"
    mkdir -p "$CACHE_DIR/terraform"
    if [[ -n "$mirror" ]]; then
        cat >"$config" <<TFRC
provider_installation {
  filesystem_mirror {
    path    = "$mirror"
    include = ["registry.terraform.io/*/*"]
  }
}
TFRC
        export TF_CLI_CONFIG_FILE="$config"
    fi
    export TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1
}
