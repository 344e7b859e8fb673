#!/usr/bin/env bash
# Docs suite: what the repository says speaks only of the project, and the test
# command documents itself.
#
#   1. the tests of the reference check (scripts/docs/test_*.py): each kind of
#      reference planted in a copy of this repository is found, and nothing else is;
#   2. the reference check itself over every file git tracks: no issue numbers, no
#      `#<number>` references, no paths of a development machine, and not the word
#      the project never uses (scripts/docs/references.py says which);
#   3. ./scripts/test --help and an unknown suite name list every suite.
#
# Needs only git and Python 3's standard library: nothing is installed.
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"
cd "$REPO_ROOT"

have git || fail "git is not installed: the check reads the files git tracks"
git rev-parse --git-dir >/dev/null 2>&1 || fail "$REPO_ROOT is not a git repository"

log "tests of the reference check and of the test command's help"
python3 -m unittest discover --start-directory scripts/docs --pattern 'test_*.py' --verbose

log "references outside the project, in every tracked text file"
python3 scripts/docs/references.py "$REPO_ROOT" ||
    fail "the files above speak of things outside the project: say what is meant instead"
