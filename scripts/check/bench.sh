#!/usr/bin/env bash
# Benchmark smoke: runs the whole benchmark end to end in its short mode (scripts/bench
# --smoke: one round of 1 s per load, 1000 idle connections and 200 over TLS) to
# prove the harness works
# from a clean clone. It judges no target (one short round on a shared machine is
# noise); it fails when a phase cannot measure, a figure is missing or implausible, or
# the harness does not refuse what it must refuse.
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"
cd "$REPO_ROOT"

# The harness's unit tests, lints and formatting run in the rust suite (it is a
# workspace member).
# Relative paths: the results record the command, which names nothing outside the tree.
results="target/bench/smoke.json"
rm -f "$results"
scripts/bench --smoke --output "$results"

log "checking the smoke results"
python3 - "$results" <<'PY'
# Every figure the full benchmark reports must be there and plausible.
import json
import sys

results = json.load(open(sys.argv[1]))
problems = []

def need(condition, message):
    if not condition:
        problems.append(message)

need(results["mode"] == "smoke", "mode is not smoke")
# Each load row and the servers it measures: plain HTTP/1.1 for ours, its JSON-log
# and -served-by variants and nginx; HTTPS, HTTP/2 and full handshakes for ours
# and nginx over TLS.
plain = ["keepalive_1", "keepalive_50", "keepalive_256", "close_50"]
encrypted = ["https_keepalive_50", "h2_50x1", "h2_50x10", "handshake_ecdsa", "handshake_rsa"]
rows = {
    "ours": plain + encrypted,
    "nginx": plain + encrypted,
    "ours_json": plain,
    "ours_served_by": ["keepalive_50"],
}
with_latency = {"keepalive_1", "keepalive_50", "keepalive_256", "close_50", "https_keepalive_50"}
for name, scenarios in rows.items():
    server = results["servers"][name]
    measured = set(server["load"])
    need(measured == set(scenarios), f"{name}: measured {sorted(measured)}, expected {sorted(scenarios)}")
    for scenario in scenarios:
        median = server["load"].get(scenario, {}).get("median")
        if median is None:
            problems.append(f"{name} {scenario}: not measured")
            continue
        for figure in ["requests_per_second", "server_cpu_us_per_request"]:
            need((median[figure] or 0) > 0, f"{name} {scenario}: {figure} is {median[figure]}")
        if scenario in with_latency:
            need((median["p50_us"] or 0) > 0, f"{name} {scenario}: no p50")
            need(median["p50_us"] <= median["p99_us"], f"{name} {scenario}: p50 above p99")
        else:
            # h2load and s_time report no percentiles: none may be made up.
            need(median["p50_us"] is None and median["p99_us"] is None, f"{name} {scenario}: latency without a source")
        need(median["bytes_per_response"] > 0, f"{name} {scenario}: no response bytes")
        for run in server["load"][scenario]["rounds"]:
            need(run["errors"]["status"] == 0, f"{name} {scenario}: non-2xx/3xx responses")
            need(run["errors"]["timeout"] == 0, f"{name} {scenario}: request timeouts")
            need(run["errors"]["read"] == 0, f"{name} {scenario}: failed requests")
    log_bytes = server["load"]["keepalive_50"]["median"]["access_log_bytes_per_request"]
    if name == "nginx":
        need(log_bytes == 0, f"nginx wrote an access log ({log_bytes} B/request)")
    else:
        # Our server is measured with its access log on: a line per request.
        need(log_bytes >= 20, f"{name} wrote {log_bytes} B of access log per request")
# Over TLS too our server logs every request, HTTP/2 ones included.
for scenario in encrypted:
    log_bytes = results["servers"]["ours"]["load"][scenario]["median"]["access_log_bytes_per_request"]
    need(log_bytes >= 20, f"ours {scenario}: {log_bytes} B of access log per request")
# -served-by names the replica on every answer: its answers are longer.
served = results["servers"]["ours_served_by"]["load"]["keepalive_50"]["median"]["bytes_per_response"]
plain_ours = results["servers"]["ours"]["load"]["keepalive_50"]["median"]["bytes_per_response"]
need(served > plain_ours + len("X-Served-By: "), f"-served-by answers are {served} B, without {plain_ours} B")

for name in ["ours", "nginx"]:
    server = results["servers"][name]
    need(server["idle_rss_bytes"] > 0, f"{name}: no idle RSS")
    for kind, count in [("idle_connections", "idle_connections"), ("idle_tls_connections", "idle_tls_connections")]:
        held = server[kind]
        need(held["held"] == results["settings"][count], f"{name}: not every {kind} held")
        need(held["still_open_after_reading"] == held["held"], f"{name}: {kind} closed")
        need(held["rss_holding_bytes"] > held["rss_before_bytes"], f"{name}: holding {kind} cost nothing")
        need(held["rss_after_close_bytes"] > 0, f"{name}: no RSS after {kind} closed")
    startup = server["exec_to_first_200_ms"]
    need(len(startup["samples"]) == results["settings"]["startups"], f"{name}: start-up samples missing")
    need(0 < startup["median"] < 1000, f"{name}: exec to first 200 is {startup['median']} ms")
    need(server["stripped_binary_bytes"] > 0, f"{name}: no binary size")

targets = results["targets"]
load_rows = len(plain) + len(encrypted)
# A CPU target per load row; requests/s at three rows, p99, the JSON log,
# -served-by; memory per connection (plain and TLS), memory given back, idle
# RSS, start-up and size.
expected = load_rows + 3 + 1 + 1 + 1 + 3 + 3
need(len(targets) == expected, f"{len(targets)} targets instead of {expected}")
need(all(t["verdict"] == "not_judged" for t in targets), "a smoke run judged a target")
need(all(t["ours"] is not None for t in targets), "a target has no figure for our server")
need(all(t["limit"] is not None for t in targets), "a target has no limit")

for problem in problems:
    print(f"smoke results: {problem}", file=sys.stderr)
sys.exit(1 if problems else 0)
PY

log "the harness refuses to measure on one CPU"
rm -f target/bench/one-cpu.json
if output="$(taskset -c 0 target/release/http-echo-bench --smoke --output target/bench/one-cpu.json 2>&1)"; then
    fail "the harness measured on one CPU instead of refusing"
fi
grep -q "refusing to measure" <<<"$output" || fail "unexpected refusal on one CPU: $output"
[[ ! -e target/bench/one-cpu.json ]] || fail "the harness wrote results on one CPU"

log "the harness refuses a full run with too few rounds for a median"
set +e
target/release/http-echo-bench --rounds 2 >/dev/null 2>&1
status=$?
set -e
[[ $status -eq 2 ]] || fail "--rounds 2 exited $status, expected 2 (bad arguments)"

log "benchmark smoke passed"
