# Python virtual environments for the test command. Source after common.sh.
#
# python_env <name> <requirements-file> [<requirements-file>...]
#   Creates (or reuses) $REPO_ROOT/.venv/<name> with exactly the pinned requirements
#   and prints its path. Every file is installed in pip's hash-checking mode
#   (--require-hashes): it must pin its whole closure with hashes (pip-compile
#   --generate-hashes from the .in file beside it), so no package the test command
#   runs, nor any binary a suite builds with it, comes from PyPI unchecked. Wheels
#   only (--only-binary :all:): building a source package would fetch its build
#   tools, which pip does not check against any hash. Each file has its own pip call. The environment is rebuilt when a requirements file
#   changes, so a stale one never hides a version bump. Separate names keep tools
#   with conflicting pins (checkov and moto both pin boto libraries) apart.
python_env() {
    local name="$1"
    shift
    local venv="$REPO_ROOT/.venv/$name"
    local stamp="$venv/.requirements.sha256"
    local want requirements
    want="$(cat "$@" | sha256sum | cut -d' ' -f1)"
    if [[ ! -x "$venv/bin/python" || "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
        log "creating Python environment '$name' from ${*#"$REPO_ROOT"/}"
        rm -rf "$venv"
        python3 -m venv "$venv" >&2 || return 1
        for requirements in "$@"; do
            "$venv/bin/pip" install --quiet --disable-pip-version-check --require-hashes \
                --only-binary :all: --requirement "$requirements" >&2 || return 1
        done
        echo "$want" >"$stamp"
    fi
    printf '%s\n' "$venv"
}
