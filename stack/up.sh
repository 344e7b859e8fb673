#!/usr/bin/env bash
# Starts the local stack, or rolls it to new settings: the one start command.
#
#   stack/up.sh                          start (or update) and wait until it has converged
#   ECHO_TEXT=v2 stack/up.sh             roll every replica to the new text, one at a time
#   APP_IMAGE=http-echo:v2 stack/up.sh   roll to another image
#   stack/up.sh --offline                pull nothing, even where a registry answers
#
# Settings come from the environment: STACK_NAME [http-echo], APP_IMAGE
# [http-echo:local], LB_IMAGE [haproxy:2.6.12, or http-echo-lb:local offline],
# ECHO_TEXT [hello-world], PUBLISHED_PORT [5678]. The defaults are for a first start:
# on a stack that runs, a setting not given keeps the value the stack runs with, so a
# roll changes only what it names (the balancer's image above all).
#
# The images come first; only what is missing is made. Whether a registry answers is
# decided once, by pulling the official balancer image. If it does, APP_IMAGE is
# compiled by `docker build` (which needs BuildKit) and the balancer is that image. If
# not, or with --offline, APP_IMAGE is built from a binary compiled here
# (stack/build-image.sh) and the balancer from Debian's haproxy package
# (stack/build-lb-image.sh), and one line says so. Only once the images exist does
# the engine become a one-node swarm, if it is not in one (advertising 127.0.0.1
# only, so nothing outside the machine can join). Returns once every service has
# converged; the rolling update itself is Swarm's (stack.yml's update_config).
set -euo pipefail
stack_dir="$(cd "$(dirname "$0")" && pwd)"
repo_root="$(dirname "$stack_dir")"

# The balancer's image where a registry answers, and the one built here otherwise.
# stack.yml's default for LB_IMAGE is the first.
official_lb_image=haproxy:2.6.12
local_lb_image=http-echo-lb:local

offline=false
for argument in "$@"; do
    case "$argument" in
        --offline) offline=true ;;
        *) echo "up.sh: unknown argument '$argument' (the only one is --offline)" >&2; exit 2 ;;
    esac
done

say() { printf 'up.sh: %s\n' "$*" >&2; }
have_image() { docker image inspect "$1" >/dev/null 2>&1; }

export STACK_NAME="${STACK_NAME:-http-echo}"

# What the running stack uses, for every setting not given.
swarm_state="$(docker info --format '{{.Swarm.LocalNodeState}}')"
if [[ "$swarm_state" == active ]] && docker service inspect "${STACK_NAME}_lb" >/dev/null 2>&1; then
    running() { docker service inspect --format "$2" "${STACK_NAME}_$1"; }
    : "${APP_IMAGE:=$(running app '{{.Spec.TaskTemplate.ContainerSpec.Image}}')}"
    : "${LB_IMAGE:=$(running lb '{{.Spec.TaskTemplate.ContainerSpec.Image}}')}"
    : "${ECHO_TEXT:=$(running app '{{range .Spec.TaskTemplate.ContainerSpec.Env}}{{println .}}{{end}}' |
        sed -n 's/^ECHO_TEXT=//p')}"
    : "${PUBLISHED_PORT:=$(running lb '{{range .Spec.EndpointSpec.Ports}}{{.PublishedPort}}{{end}}')}"
fi
export APP_IMAGE="${APP_IMAGE:-http-echo:local}"
export ECHO_TEXT="${ECHO_TEXT:-hello-world}"
export PUBLISHED_PORT="${PUBLISHED_PORT:-5678}"

# Asked at most once per run, and only when an image is missing.
registry=unknown
registry_answers() {
    if [[ "$registry" == unknown ]]; then
        local answer
        if $offline; then
            registry=no
        elif answer="$(docker pull --quiet "$official_lb_image" 2>&1)"; then
            registry=yes
        else
            registry=no
            say "no registry answers (docker pull $official_lb_image: ${answer##*$'\n'}), so the images are built here, pulling nothing"
        fi
    fi
    [[ "$registry" == yes ]]
}

# A first start takes the balancer image that is already here, if one is.
if [[ -z "${LB_IMAGE:-}" ]]; then
    if $offline; then
        LB_IMAGE="$local_lb_image"
    elif have_image "$official_lb_image"; then
        LB_IMAGE="$official_lb_image"
    elif have_image "$local_lb_image"; then
        LB_IMAGE="$local_lb_image"
    elif registry_answers; then
        LB_IMAGE="$official_lb_image"
    else
        LB_IMAGE="$local_lb_image"
    fi
fi
export LB_IMAGE

if ! have_image "$APP_IMAGE"; then
    # The legacy builder (an engine without buildx) cannot build the Dockerfile's
    # default target, and a failed legacy build leaves its finished steps behind as
    # untagged images; BuildKit leaves nothing.
    if registry_answers && docker buildx version >/dev/null 2>&1; then
        docker build --tag "$APP_IMAGE" "$repo_root" || {
            say "docker build failed (above). To build $APP_IMAGE from a binary compiled on this machine instead, pulling nothing: stack/up.sh --offline"
            exit 1
        }
    else
        [[ "$registry" == no ]] || say "docker build needs BuildKit (docker buildx), which is not installed, so $APP_IMAGE is built from a binary compiled here"
        command -v cargo >/dev/null || {
            say "building $APP_IMAGE here needs Rust (cargo), which is not installed: install it (https://rustup.rs) and run stack/up.sh again, or run it where a registry answers and BuildKit is installed"
            exit 1
        }
        "$stack_dir/build-image.sh" "$APP_IMAGE" >/dev/null || {
            say "could not build $APP_IMAGE from a binary compiled here (above)"
            exit 1
        }
    fi
fi

if ! have_image "$LB_IMAGE"; then
    if [[ "$LB_IMAGE" == "$local_lb_image" ]]; then
        "$stack_dir/build-lb-image.sh" "$LB_IMAGE" >/dev/null || {
            say "could not build the balancer image $LB_IMAGE (above): install Debian's haproxy package (apt-get install haproxy) and run stack/up.sh again"
            exit 1
        }
    elif ! registry_answers || ! docker pull --quiet "$LB_IMAGE" >/dev/null; then
        say "LB_IMAGE=$LB_IMAGE is not on this machine and cannot be pulled; leave LB_IMAGE unset to use $local_lb_image, built here"
        exit 1
    fi
fi

HAPROXY_CONFIG_HASH="$(sha256sum "$stack_dir/haproxy.cfg" | cut -c1-12)"
export HAPROXY_CONFIG_HASH

if [[ "$swarm_state" != active ]]; then
    say "making this engine a one-node swarm"
    docker swarm init --advertise-addr 127.0.0.1 >/dev/null
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
        say "the update of $name failed and was rolled back ($state: $message)"
        rolled_back=1
    fi
done
((rolled_back == 0)) || exit 1
say "stack '$STACK_NAME' is up: http://127.0.0.1:$PUBLISHED_PORT/ (text '$ECHO_TEXT')"
