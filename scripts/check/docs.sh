#!/usr/bin/env bash
# Docs suite: the test command documents itself: ./scripts/test --help and an
# unknown suite name list every suite (scripts/docs/test_*.py).
#
# Needs only git and Python 3's standard library: nothing is installed.
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"
cd "$REPO_ROOT"

log "tests of the test command's help"
python3 -m unittest discover --start-directory scripts/docs --pattern 'test_*.py' --verbose
