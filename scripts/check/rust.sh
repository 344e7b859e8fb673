#!/usr/bin/env bash
# Rust suite: formatting, lints as errors, every unit and integration test, and the
# README's install command, whose binary must run (scripts/smoke-binary.sh).
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"
cd "$REPO_ROOT"

log "cargo fmt --check"
cargo fmt --all -- --check

log "cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

log "cargo nextest"
if have cargo-nextest; then
    cargo nextest run --workspace --locked --no-fail-fast
else
    cargo test --workspace --locked --no-fail-fast
fi

log "the README's install: cargo install --locked --path . (into .cache/install), then run it"
# As the README writes it. CARGO_INSTALL_ROOT keeps it out of ~/.cargo/bin; with
# --path, cargo builds in this workspace's target/ directory, so a repeated run
# reuses the release build instead of compiling everything again.
install_root="$CACHE_DIR/install"
CARGO_INSTALL_ROOT="$install_root" cargo install --locked --path .
scripts/smoke-binary.sh "$install_root/bin/http-echo"
