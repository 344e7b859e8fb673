#!/usr/bin/env bash
# Prints the commit whose dev deploy a push to main promotes to prod.
#
#   pipeline/promoted_commit.sh [COMMIT]     (default HEAD; needs COMMIT's parents fetched)
#
# Prod deploys the image that dev verified for the same source. When main is
# fast-forwarded to dev (git push origin dev:main, the recommended way), that is the
# pushed commit itself. When a pull request from dev is merged with a merge commit
# and main had nothing dev lacked, the merge's tree is exactly its second parent's:
# same files, same image, so the second parent (dev's head) is the one to look up.
# Anything else (a squash or rebase merge, a merge that mixes in other changes)
# prints the commit itself, for which dev verified no image, so prod refuses it.
set -euo pipefail

commit="$(git rev-parse --verify --quiet "${1:-HEAD}^{commit}")" ||
    { echo "promoted_commit: ${1:-HEAD} is not a commit here" >&2; exit 2; }
if second="$(git rev-parse --verify --quiet "$commit^2")" &&
    [[ "$(git rev-parse "$commit^{tree}")" == "$(git rev-parse "$second^{tree}")" ]]; then
    commit="$second"
fi
printf '%s\n' "$commit"
