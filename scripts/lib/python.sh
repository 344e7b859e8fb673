# Python virtual environments for the test command. Source after common.sh.
#
# python_env <name> <requirements-file>
#   Creates (or reuses) $REPO_ROOT/.venv/<name> with exactly the pinned requirements
#   and prints its path. The environment is rebuilt when the requirements file
#   changes, so a stale one never hides a version bump. Separate names keep tools
#   with conflicting pins (checkov and moto both pin boto libraries) apart.
python_env() {
    local name="$1" requirements="$2"
    local venv="$REPO_ROOT/.venv/$name"
    local stamp="$venv/.requirements.sha256"
    local want
    want="$(sha256sum "$requirements" | cut -d' ' -f1)"
    if [[ ! -x "$venv/bin/python" || "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
        log "creating Python environment '$name' from ${requirements#"$REPO_ROOT"/}"
        rm -rf "$venv"
        python3 -m venv "$venv" >&2 || return 1
        "$venv/bin/pip" install --quiet --disable-pip-version-check \
            --requirement "$requirements" >&2 || return 1
        echo "$want" >"$stamp"
    fi
    printf '%s\n' "$venv"
}
