#!/usr/bin/env bash
# Builds the http-echo image from a static binary compiled on this machine, pulling
# nothing, and prints the image tag on stdout.
#
#   stack/build-image.sh [TAG]        default TAG: http-echo:local
#
# This is the path the release workflow takes (the Dockerfile's `prebuilt` stage):
# the binary from scripts/build-static.sh goes to dist/<arch>/http-echo in the build
# context, and the image is built from it. With registry access, `docker build .`
# gives the same image by compiling in a Rust stage instead.
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

# The engine's architecture in Docker's naming (amd64, arm64): the image is for it,
# and the binary was built for this machine, which runs the engine.
arch="$(docker version --format '{{.Server.Arch}}')"
# Replaced by a rename, so a build running at the same time never sees half a file.
mkdir -p "dist/$arch"
install --mode=0755 "$binary" "dist/$arch/http-echo.$$"
mv --force "dist/$arch/http-echo.$$" "dist/$arch/http-echo"

previous="$(docker image inspect --format '{{.Id}}' "$tag" 2>/dev/null || true)"
docker build --quiet --target prebuilt \
    --build-arg TARGETARCH="$arch" \
    --build-arg VERSION="$version" \
    --build-arg REVISION="$revision" \
    --build-arg SOURCE="${IMAGE_SOURCE:-unknown}" \
    --tag "$tag" . >/dev/null
# The tag moved to the new image: the old one, now untagged, is removed unless a
# container (a replica still running it) or another tag holds it.
current="$(docker image inspect --format '{{.Id}}' "$tag")"
if [[ -n "$previous" && "$previous" != "$current" ]]; then
    docker image rm "$previous" >/dev/null 2>&1 || true
fi
printf '%s\n' "$tag"
