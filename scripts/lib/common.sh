# Shared shell helpers for the test and benchmark scripts. Source it; do not run it.
#
# Conventions every check script follows:
#   - it runs from any directory and finds the repository through $REPO_ROOT;
#   - it exits 0 when every check passed, 1 when one failed, and $SKIP_EXIT (77)
#     after calling `skip "<reason>"` when the tool it needs is truly absent
#     (for example no Docker daemon answers), never to hide a failure.

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export REPO_ROOT
SKIP_EXIT=77

# Generated files (Python environments, tool configs) live here, never in $HOME.
CACHE_DIR="$REPO_ROOT/.cache"
mkdir -p "$CACHE_DIR"

log() { printf '==> %s\n' "$*" >&2; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
skip() { printf 'SKIP: %s\n' "$*" >&2; exit "$SKIP_EXIT"; }

# have <command>: true when the command is on PATH.
have() { command -v "$1" >/dev/null 2>&1; }
