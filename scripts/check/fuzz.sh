#!/usr/bin/env bash
# Fuzz smoke: runs each fuzz target (fuzz/, cargo +nightly fuzz) for a bounded time,
# starting from the conformance corpus (tests/it/corpus.rs). A crash, a failed
# assertion or a sanitizer report fails the suite and leaves the input that caused it
# in fuzz/artifacts/<target>/. To fuzz longer, see the README ("How the code is laid
# out"); FUZZ_SECONDS sets the time per target here (default 30).
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"
cd "$REPO_ROOT"

seconds="${FUZZ_SECONDS:-30}"
targets=(request_head_parser chunked_body_decoder)
# The version is pinned so that a clean clone fuzzes with the same tool.
cargo_fuzz_version="0.13.2"

have rustup || skip "no rustup, so no nightly toolchain for cargo +nightly fuzz"
rustup toolchain list | grep -q '^nightly' || skip "no nightly toolchain (cargo +nightly fuzz needs one)"

tools="$CACHE_DIR/cargo-fuzz"
if [[ ! -x $tools/bin/cargo-fuzz ]] || ! "$tools/bin/cargo-fuzz" --version | grep -q "$cargo_fuzz_version"; then
    log "installing cargo-fuzz $cargo_fuzz_version into .cache/ (from crates.io)"
    cargo install cargo-fuzz --version "$cargo_fuzz_version" --locked --root "$tools" --quiet
fi
export PATH="$tools/bin:$PATH"

corpus="fuzz/corpus"
log "first inputs from the conformance corpus"
cargo +nightly run --quiet --locked --manifest-path fuzz/Cargo.toml -p http-echo-fuzz-first-inputs -- "$corpus"

for target in "${targets[@]}"; do
    log "fuzzing $target for ${seconds}s"
    if ! cargo +nightly fuzz run "$target" "$corpus/$target" -- \
        -max_total_time="$seconds" -max_len=8192 -print_final_stats=1; then
        fail "$target failed (see above); an input that crashed it is in fuzz/artifacts/$target/ (replay: cargo +nightly fuzz run $target fuzz/artifacts/$target/<file>)"
    fi
done
log "fuzz smoke passed"
