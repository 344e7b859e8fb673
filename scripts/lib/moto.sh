# moto_server, the AWS emulator, for tests that must talk to "AWS" offline.
# Source after common.sh; then:
#
#   moto_start [--tls]
#                starts moto_server (scripts/moto/server.py, from its own virtualenv)
#                on 127.0.0.1 at a free port, waits until it answers, and exports
#                AWS_ENDPOINT_URL, fake credentials and AWS_DEFAULT_REGION=us-east-1
#                so that Terraform, boto3 and the AWS CLI all talk to it. Sets
#                MOTO_PID, MOTO_PORT and MOTO_LOG, and arranges for moto_stop to run
#                when the calling shell exits (any EXIT trap already set still runs).
#                --tls serves HTTPS with a throw-away certificate and exports
#                AWS_CA_BUNDLE so the clients trust it; use it when the resources
#                under test deny plain HTTP (aws:SecureTransport), as S3 policies do.
#   moto_reset   forgets every emulated resource, for a clean slate between tests.
#   moto_stop    stops the server it started and unsets the AWS variables.
#
# Call moto_start in the shell that runs the tests, never as `$(moto_start)`: the
# variables and the exit trap must live in that shell. The server's log is kept in
# .cache/moto/ for reading after a failure.
# shellcheck shell=bash

source "$(dirname "${BASH_SOURCE[0]}")/python.sh"

MOTO_PID=""
MOTO_PORT=""
MOTO_LOG=""
MOTO_TLS_DIR=""

moto_start() {
    if [[ -n "$MOTO_PID" ]] && kill -0 "$MOTO_PID" 2>/dev/null; then
        log "moto_server already running on port $MOTO_PORT (pid $MOTO_PID)"
        return 0
    fi
    local venv run_dir port_file deadline tls_dir="" scheme=http
    case "${1:-}" in
        "") ;;
        --tls) tls_dir="$CACHE_DIR/moto/tls.$$.$RANDOM" scheme=https ;;
        *) printf 'moto_start: unknown option %s (only --tls)\n' "$1" >&2; return 2 ;;
    esac
    venv="$(python_env moto "$REPO_ROOT/scripts/moto/requirements.txt")" || {
        printf 'moto_start: could not install moto from scripts/moto/requirements.txt\n' >&2
        return 1
    }
    run_dir="$CACHE_DIR/moto"
    mkdir -p "$run_dir"
    # One log and port file per server, so parallel suites never share them.
    port_file="$run_dir/port.$$.$RANDOM"
    MOTO_LOG="$run_dir/server.$(date +%Y%m%d-%H%M%S).$$.log"
    rm -f "$port_file"
    # Keep the logs of the last 20 servers, not of every run ever.
    find "$run_dir" -maxdepth 1 -name 'server.*.log' -printf '%T@ %p\n' | sort -rn | tail -n +20 |
        cut -d' ' -f2- | xargs -r rm -f

    "$venv/bin/python" "$REPO_ROOT/scripts/moto/server.py" \
        --host 127.0.0.1 --port 0 --port-file "$port_file" ${tls_dir:+--tls-dir "$tls_dir"} \
        >"$MOTO_LOG" 2>&1 &
    MOTO_PID=$!
    _moto_chain_exit_trap

    # The server writes its port only once it listens; then it must answer.
    deadline=$((SECONDS + 60))
    until [[ -s "$port_file" ]]; do
        if ! kill -0 "$MOTO_PID" 2>/dev/null; then
            printf 'moto_start: moto_server exited during start-up; its log (%s):\n' "$MOTO_LOG" >&2
            tail -n 20 "$MOTO_LOG" >&2
            MOTO_PID=""
            return 1
        fi
        if ((SECONDS > deadline)); then
            printf 'moto_start: moto_server did not listen within 60 s (log: %s)\n' "$MOTO_LOG" >&2
            moto_stop
            return 1
        fi
        sleep 0.2
    done
    MOTO_PORT="$(cat "$port_file")"
    rm -f "$port_file"
    until curl --silent --fail --max-time 2 ${tls_dir:+--cacert "$tls_dir/cert.pem"} \
        "$scheme://127.0.0.1:$MOTO_PORT/moto-api/data.json" >/dev/null; do
        if ((SECONDS > deadline)); then
            printf 'moto_start: moto_server on port %s does not answer (log: %s)\n' "$MOTO_PORT" "$MOTO_LOG" >&2
            moto_stop
            return 1
        fi
        sleep 0.2
    done

    # Everything that speaks AWS goes to moto with credentials that are fake on
    # purpose: a test can never reach or change a real account.
    unset AWS_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_ROLE_ARN AWS_WEB_IDENTITY_TOKEN_FILE
    export AWS_ENDPOINT_URL="$scheme://127.0.0.1:$MOTO_PORT"
    MOTO_TLS_DIR="$tls_dir"
    if [[ -n "$tls_dir" ]]; then
        export AWS_CA_BUNDLE="$tls_dir/cert.pem"
    else
        unset AWS_CA_BUNDLE
    fi
    export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
    export AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1
    export AWS_EC2_METADATA_DISABLED=true
    # An empty config file, so no profile or endpoint of the user's applies.
    export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
    export MOTO_PID MOTO_PORT MOTO_LOG
    log "moto_server on $AWS_ENDPOINT_URL (pid $MOTO_PID, log ${MOTO_LOG#"$REPO_ROOT"/})"
}

moto_reset() {
    [[ -n "$MOTO_PORT" ]] || { printf 'moto_reset: moto_server is not running\n' >&2; return 1; }
    curl --silent --fail --max-time 10 ${AWS_CA_BUNDLE:+--cacert "$AWS_CA_BUNDLE"} \
        -X POST "$AWS_ENDPOINT_URL/moto-api/reset" >/dev/null
}

moto_stop() {
    # Safe under `set -e`: stopping a server that is already gone is not an error.
    if [[ -n "$MOTO_PID" ]] && kill -0 "$MOTO_PID" 2>/dev/null; then
        kill -TERM "$MOTO_PID" 2>/dev/null || true
        local waited=0
        while kill -0 "$MOTO_PID" 2>/dev/null && ((waited < 50)); do
            sleep 0.1
            waited=$((waited + 1))
        done
        kill -KILL "$MOTO_PID" 2>/dev/null || true
        wait "$MOTO_PID" 2>/dev/null || true
    fi
    if [[ -n "$MOTO_TLS_DIR" ]]; then
        rm -rf "$MOTO_TLS_DIR"
    fi
    MOTO_PID=""
    MOTO_PORT=""
    MOTO_TLS_DIR=""
    unset AWS_ENDPOINT_URL AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_EC2_METADATA_DISABLED \
        AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE AWS_CA_BUNDLE
    return 0
}

# Run moto_stop on exit without dropping an EXIT trap the caller already set, and
# make INT and TERM exit through it, since bash skips EXIT traps on some signals.
_moto_chain_exit_trap() {
    local previous
    previous="$(trap -p EXIT)"
    if [[ -n "$previous" && "$previous" != *moto_stop* ]]; then
        previous="${previous#trap -- }"
        previous="${previous% EXIT}"
        eval "previous=$previous"
        # shellcheck disable=SC2064  # expand the previous handler now, once
        trap "moto_stop; $previous" EXIT
    elif [[ -z "$previous" ]]; then
        trap moto_stop EXIT
    fi
    [[ -n "$(trap -p INT)" ]] || trap 'exit 130' INT
    [[ -n "$(trap -p TERM)" ]] || trap 'exit 143' TERM
}
