#!/usr/bin/env bash
# Checks that an http-echo binary runs where it is: `-version` names the version in
# Cargo.toml, and it serves one request on 127.0.0.1, then stops on SIGTERM.
#
#   scripts/smoke-binary.sh BINARY
#
# Used on the binary `cargo install` puts on the PATH (the rust suite) and on each
# binary a release publishes, on its own architecture (.github/workflows/release.yml).
# Self-contained (no scripts/lib): it needs bash, curl and the binary.
set -euo pipefail
cd "$(dirname "$0")/.."

binary="${1:?usage: scripts/smoke-binary.sh BINARY}"
say() { printf 'smoke-binary: %s\n' "$*" >&2; }
[[ -x "$binary" ]] || { say "$binary is not an executable file"; exit 1; }

want="$(sed -n 's/^version *= *"\(.*\)"$/\1/p' Cargo.toml | head -n 1)"
version="$("$binary" -version | head -n 1)"
[[ "$version" == "http-echo v$want ("* ]] || { say "-version says '$version', not http-echo v$want"; exit 1; }

# Port 0: the kernel chooses, and the listening line names the port it chose.
text="smoke-$$-$RANDOM"
log="$(mktemp)"
"$binary" -listen=127.0.0.1:0 -text="$text" 2>"$log" >/dev/null &
pid=$!
trap 'kill -KILL "$pid" 2>/dev/null || true; rm -f "$log"' EXIT
port=""
for _ in $(seq 50); do
    port="$(sed -n 's/.*server is listening on .*(bound to 127\.0\.0\.1:\([0-9]*\)).*/\1/p' "$log")"
    [[ -n "$port" ]] && break
    kill -0 "$pid" 2>/dev/null || { say "it exited at start: $(cat "$log")"; exit 1; }
    sleep 0.1
done
[[ -n "$port" ]] || { say "no listening line within 5 s: $(cat "$log")"; exit 1; }

answer="$(curl --silent --show-error --max-time 5 "http://127.0.0.1:$port/")"
[[ "$answer" == "$text" ]] || { say "GET / answered '$answer', not '$text'"; exit 1; }

kill -TERM "$pid"
status=0
wait "$pid" || status=$?
# 2 is upstream's exit code after a clean shutdown on a signal.
((status == 2)) || { say "exited $status after SIGTERM, not 2"; exit 1; }
say "$binary: $version; served GET / on 127.0.0.1:$port; exited 2 on SIGTERM"
