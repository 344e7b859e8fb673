#!/usr/bin/env bash
# Starts the local stack, or rolls it to new settings: the one start command.
#
#   stack/up.sh                      start (or update) and wait until it has converged
#   ECHO_TEXT=v2 stack/up.sh         roll every replica to the new text, one at a time
#   APP_IMAGE=http-echo:v2 stack/up.sh   roll to another image
#   stack/up.sh --offline            build missing images here, pulling nothing
#
# Environment (defaults in brackets): STACK_NAME [http-echo], APP_IMAGE
# [http-echo:local], LB_IMAGE [haproxy:2.6.12, or http-echo-lb:local with --offline],
# ECHO_TEXT [hello-world], PUBLISHED_PORT [5678].
#
# Turns this Docker engine into a one-node swarm if it is not in one (advertising
# 127.0.0.1 only, so nothing outside the machine can join). Builds APP_IMAGE when it
# does not exist: with `docker build` (needs a registry), or with --offline from a
# binary built here (stack/build-image.sh), which also builds the balancer's image
# from Debian's haproxy package. Returns once every service has converged; the
# rolling update itself is Swarm's (stack.yml's update_config).
set -euo pipefail
stack_dir="$(cd "$(dirname "$0")" && pwd)"
repo_root="$(dirname "$stack_dir")"

offline=false
for argument in "$@"; do
    case "$argument" in
        --offline) offline=true ;;
        *) echo "up.sh: unknown argument '$argument' (the only one is --offline)" >&2; exit 2 ;;
    esac
done

export STACK_NAME="${STACK_NAME:-http-echo}"
export APP_IMAGE="${APP_IMAGE:-http-echo:local}"
if $offline; then
    export LB_IMAGE="${LB_IMAGE:-http-echo-lb:local}"
else
    export LB_IMAGE="${LB_IMAGE:-haproxy:2.6.12}"
fi
export ECHO_TEXT="${ECHO_TEXT:-hello-world}"
export PUBLISHED_PORT="${PUBLISHED_PORT:-5678}"
HAPROXY_CONFIG_HASH="$(sha256sum "$stack_dir/haproxy.cfg" | cut -c1-12)"
export HAPROXY_CONFIG_HASH

if [[ "$(docker info --format '{{.Swarm.LocalNodeState}}')" != active ]]; then
    echo "up.sh: making this engine a one-node swarm" >&2
    docker swarm init --advertise-addr 127.0.0.1 >/dev/null
fi

if ! docker image inspect "$APP_IMAGE" >/dev/null 2>&1; then
    if $offline; then
        "$stack_dir/build-image.sh" "$APP_IMAGE" >/dev/null
    else
        docker build --tag "$APP_IMAGE" "$repo_root"
    fi
fi
if $offline && ! docker image inspect "$LB_IMAGE" >/dev/null 2>&1; then
    "$stack_dir/build-lb-image.sh" "$LB_IMAGE" >/dev/null
fi

deploy_started="$(date +%s)"
# --resolve-image never: the images are local (or pulled by the engine when a task
# starts); asking a registry for their digests first would only fail offline.
# --detach=false: wait until every service has converged, a rolling update included
# (Docker CLI 26 or later).
docker stack deploy --resolve-image never --detach=false --quiet \
    --compose-file "$stack_dir/stack.yml" "$STACK_NAME"

# A rolled-back update also "converges" (back to the old version), and the deploy
# command still succeeds; only the service's update status tells. Statuses from
# before this deploy do not count.
rolled_back=0
for service in $(docker stack services --quiet "$STACK_NAME"); do
    read -r name state started message < <(docker service inspect --format \
        '{{.Spec.Name}} {{if .UpdateStatus}}{{.UpdateStatus.State}} {{.UpdateStatus.StartedAt.Unix}} {{.UpdateStatus.Message}}{{else}}none 0{{end}}' \
        "$service")
    if [[ "$state" == rollback_* || "$state" == paused ]] && ((started >= deploy_started)); then
        echo "up.sh: the update of $name failed and was rolled back ($state: $message)" >&2
        rolled_back=1
    fi
done
((rolled_back == 0)) || exit 1
echo "up.sh: stack '$STACK_NAME' is up: http://127.0.0.1:$PUBLISHED_PORT/ (text '$ECHO_TEXT')" >&2
