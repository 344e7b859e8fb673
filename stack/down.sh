#!/usr/bin/env bash
# Removes the local stack (services, network, config) and waits until it is gone.
#
#   stack/down.sh          STACK_NAME [http-echo] names the stack
#
# The swarm itself stays; `docker swarm leave --force` ends it.
set -euo pipefail
stack_name="${STACK_NAME:-http-echo}"

docker stack rm "$stack_name" >/dev/null 2>&1 || true
# `docker stack rm` returns before the containers and the network are gone; a new
# deploy under the same name would race with them.
for _ in $(seq 60); do
    if [[ -z "$(docker ps --all --quiet --filter "label=com.docker.stack.namespace=$stack_name")" &&
        -z "$(docker network ls --quiet --filter "label=com.docker.stack.namespace=$stack_name")" ]]; then
        exit 0
    fi
    sleep 1
done
echo "down.sh: stack '$stack_name' still has containers or networks after 60 s" >&2
exit 1
