#!/usr/bin/env bash
# Builds the http-echo image offline, from a static binary compiled on this machine,
# and prints the image tag on stdout.
#
#   stack/build-image.sh [TAG]        default TAG: http-echo:local
#
# This is the Dockerfile's second path (see its header): no base image is pulled. The
# binary from scripts/build-static.sh becomes a one-file image (docker import of a
# tarball), which the Dockerfile's `runtime` stage takes as BINARY_IMAGE. With registry
# access, `docker build .` gives the same image by compiling in a Rust stage instead.
#
# Environment: IMAGE_SOURCE sets the org.opencontainers.image.source label.
set -euo pipefail
repo_root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo_root"

tag="${1:-http-echo:local}"

version="$(sed -n 's/^version *= *"\(.*\)"$/\1/p' Cargo.toml | head -n 1)"
revision="$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)"
# The binary's -version must name the same commit as the image's revision label.
# Passing it explicitly also makes cargo rebuild when only the commit changed (the
# build script watches this variable), so a binary from an older commit is never reused.
binary="$(HTTP_ECHO_GIT_COMMIT="$revision" scripts/build-static.sh)"

# The one-file image exists only for the build below; its name is unique to this run
# so that concurrent builds never remove each other's.
binary_image="http-echo-binary:build-$$-$RANDOM"
trap 'docker image rm "$binary_image" >/dev/null 2>&1 || true' EXIT
tar --create --numeric-owner --owner=0 --group=0 --mode=0755 \
    --directory "$(dirname "$binary")" "$(basename "$binary")" |
    docker import --message "http-echo static binary" - "$binary_image" >/dev/null

docker build --quiet --target runtime \
    --build-arg BINARY_IMAGE="$binary_image" \
    --build-arg VERSION="$version" \
    --build-arg REVISION="$revision" \
    --build-arg SOURCE="${IMAGE_SOURCE:-unknown}" \
    --tag "$tag" . >/dev/null
printf '%s\n' "$tag"
