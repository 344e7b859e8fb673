#!/usr/bin/env bash
# Builds the statically linked release binary that goes into the container image, and
# prints its path (relative to the repository root) on stdout; cargo's output goes to stderr.
#
# Why a separate target directory: the static build uses different RUSTFLAGS, and
# cargo rebuilds everything when RUSTFLAGS change. Naming the host triple with
# --target puts these artifacts under target/<triple>/, so the ordinary target/release
# build that everyone else uses is never invalidated, and build scripts and proc
# macros (host tools) are not forced to link statically.
#
# Static linking uses glibc's static libraries (+crt-static); it needs no musl
# toolchain. Static glibc resolves host names from /etc/hosts and DNS by itself, which
# is all http-echo needs (-listen, the -watch URL); other NSS sources would need
# modules that a scratch image does not have.
#
# Self-contained on purpose (no scripts/lib): the Dockerfile's builder stage runs it too.
set -euo pipefail
cd "$(dirname "$0")/.."

host_triple="$(rustc -vV | sed -n 's/^host: //p')"
[[ -n "$host_triple" ]] || { echo "build-static: cannot read the host triple from rustc -vV" >&2; exit 1; }

RUSTFLAGS="${RUSTFLAGS:+$RUSTFLAGS }-C target-feature=+crt-static" \
    cargo build --release --locked --target "$host_triple" --bin http-echo >&2

binary="${CARGO_TARGET_DIR:-target}/$host_triple/release/http-echo"
# A dynamically linked binary would fail inside the scratch image with a misleading
# "no such file or directory" (the missing file being the ELF interpreter): refuse it here.
if readelf --program-headers "$binary" | grep -q 'INTERP'; then
    echo "build-static: $binary is dynamically linked (it has an ELF interpreter)" >&2
    exit 1
fi
printf '%s\n' "$binary"
