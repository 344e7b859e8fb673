"""The local stack, watched: a failed release rolled back, a killed replica, a stopped
replica, a replica that turns unhealthy on purpose, each under the rollout watcher's
steady requests (watch.py), the client every production deploy runs. (A successful
roll, watched, is test_readme_stack.py's, run with the README's own command.)

The requests go to the balancer on 127.0.0.1 only; the replicas are reached through it.
Each test leaves the stack as it found it: REPLICAS healthy replicas.
"""

import time
from datetime import datetime, timedelta

from conftest import REPLICAS, report
from docker_cli import docker, inspect, wait_for
from watch import Watch, describe, failures, texts

# Each test's watch stops by itself after this long even if the test hangs.
WATCH_LIMIT_SECONDS = 150

# Replica 1 (its Swarm slot) fails its health checks this long after each start
# (-unhealthy-after), replica 2 never (0s is off): one Swarm template for both. Longer
# than a rolling update takes to pass its monitoring, so that Swarm does not take the
# replica's end for a failed update and roll it back.
UNHEALTHY_AFTER = "40s"
ONE_REPLICA_UNHEALTHY = '{{if eq .Task.Slot "1"}}' + UNHEALTHY_AFTER + '{{else}}0s{{end}}'


def served_requests(container_id: str, since: str | None = None) -> int:
    """Echo requests in a replica's access log (health checks excluded)."""
    args = ["logs", container_id] + (["--since", since] if since else [])
    log = docker(*args)
    return sum(1 for line in log.splitlines() if '"GET / ' in line)


def docker_now() -> str:
    """Now, in the form `docker logs --since` takes."""
    return f"{time.time():.6f}"


def slot_of(container_id: str) -> str:
    """The Swarm slot of a replica: its task name is <service>.<slot>.<task id>."""
    return inspect(container_id)["Config"]["Labels"]["com.docker.swarm.task.name"].split(".")[1]


def environment_of(container_id: str) -> dict[str, str]:
    return dict(entry.split("=", 1) for entry in inspect(container_id)["Config"]["Env"])


def started_at(container_id: str) -> datetime:
    """When the container started, from Docker's timestamp (nanoseconds cut to micro)."""
    stamp = inspect(container_id)["State"]["StartedAt"]
    seconds, _, fraction = stamp.rstrip("Z").partition(".")
    return datetime.fromisoformat(f"{seconds}.{(fraction + '000000')[:6]}+00:00")


def task_error(container_id: str, service: str) -> str:
    """Why Swarm ended the task that ran the container ("" while it runs)."""
    task = inspect(container_id)["Config"]["Labels"]["com.docker.swarm.task.id"]
    return docker("service", "ps", service, "--no-trunc", "--filter", f"id={task}", "--format", "{{.Error}}")


def replacement_serving(stack, victim: str, within: float) -> tuple[str, float]:
    """Waits up to `within` seconds for a healthy replacement of `victim`, then for the
    balancer to send it requests (in rotation, not only running); returns it and how
    long the second took."""
    text = stack.text
    wait_for(lambda: victim not in stack.app_containers() and stack.settled(text), within,
             f"a healthy replacement replica within {within:.0f} s")
    replacements = [c for c in stack.app_containers() if c != victim]
    newest = max(replacements, key=lambda c: inspect(c)["State"]["StartedAt"])
    return newest, wait_for(lambda: served_requests(newest) > 0, 15, "the replacement to get traffic")


def test_replicas_run_as_the_stack_file_says(stack):
    for container_id in stack.app_containers():
        container = inspect(container_id)
        host = container["HostConfig"]
        assert container["Config"]["User"] == "65532:65532"
        assert host["ReadonlyRootfs"] is True
        assert [c.upper().removeprefix("CAP_") for c in host["CapDrop"]] == ["ALL"]
        assert host["Memory"] == 64 * 1024 * 1024
        assert container["State"]["Health"]["Status"] == "healthy"
    service = inspect(stack.app_service, "service")["Spec"]
    update = service["UpdateConfig"]
    assert (update["Order"], update["Parallelism"]) == ("start-first", 1)
    assert service["TaskTemplate"]["RestartPolicy"]["Condition"] == "any"
    assert service["EndpointSpec"]["Mode"] == "dnsrr"


def test_failed_release_is_rolled_back_watched(stack, lb_image, watcher):
    """A release whose containers exit at start (here: an image that is not http-echo)
    never takes traffic: the old replicas serve throughout, Swarm rolls back, and
    stack/up.sh says so and fails."""
    text = stack.text
    wait_for(lambda: stack.settled(text), 60, f"{REPLICAS} healthy replicas")
    with Watch(watcher, stack.port, max_seconds=WATCH_LIMIT_SECONDS) as watch:
        watch.wait_for_answer(text)
        watch.keep_sending(1)
        started = time.monotonic()
        result = stack.deploy("broken", lb_image)
        seconds = time.monotonic() - started
        wait_for(lambda: stack.settled(text), 60, f"{REPLICAS} healthy {text} replicas after the rollback")
        watch.keep_sending(1)
    watched = watch.summary

    report(f"failed release: stack/up.sh exited {result.returncode} after {seconds:.1f} s: {result.stderr.strip().splitlines()[-1:]}")
    report(f"failed release, watched: {describe(watched)}")

    assert result.returncode != 0 and "rolled back" in result.stderr
    assert watched["failed"] == 0, failures(watched)
    assert texts(watched) == [text], watched["versions"]


def test_replica_killed_watched_is_replaced(stack, watcher):
    text = stack.text
    wait_for(lambda: stack.settled(text), 60, f"{REPLICAS} healthy replicas")
    with Watch(watcher, stack.port, max_seconds=WATCH_LIMIT_SECONDS) as watch:
        watch.wait_for_answer(text)
        watch.keep_sending(1)
        victim = stack.app_containers()[0]
        kill_started = time.monotonic()
        killed_at = watch.seconds()
        docker("kill", "--signal", "KILL", victim)
        _, rotation_seconds = replacement_serving(stack, victim, within=30)
        recovered = time.monotonic() - rotation_seconds
        watch.keep_sending(2)
    watched = watch.summary

    report(
        f"replica SIGKILL (at {killed_at:.1f} s of the watch): replacement healthy "
        f"{recovered - kill_started:.1f} s after the kill (limit 30 s), serving traffic {rotation_seconds:.1f} s later"
    )
    report(f"replica SIGKILL, watched: {describe(watched)}")

    # The balancer retries a request whose replica died before answering (haproxy.cfg):
    # no client meets the kill.
    assert watched["failed"] == 0, failures(watched)
    assert texts(watched) == [text], watched["versions"]


def test_replica_stopped_watched_drains_its_requests(stack, watcher):
    text = stack.text
    wait_for(lambda: stack.settled(text), 60, f"{REPLICAS} healthy replicas")
    with Watch(watcher, stack.port, max_seconds=WATCH_LIMIT_SECONDS) as watch:
        watch.wait_for_answer(text)
        watch.keep_sending(1)
        victim = stack.app_containers()[0]
        sigterm_sent = docker_now()
        stop_started = time.monotonic()
        docker("stop", "--time", "15", victim)
        stop_seconds = time.monotonic() - stop_started
        wait_for(lambda: victim not in stack.app_containers() and stack.settled(text), 30, "a replacement replica")
        watch.keep_sending(1)
    watched = watch.summary
    state = inspect(victim)["State"]
    after_sigterm = served_requests(victim, since=sigterm_sent)

    report(
        f"replica docker stop: exited after {stop_seconds:.1f} s (5 s shutdown delay, 15 s grace), "
        f"exit code {state['ExitCode']}; it served {after_sigterm} requests after SIGTERM"
    )
    report(f"replica docker stop, watched: {describe(watched)}")

    assert state["ExitCode"] == 2
    assert 5 <= stop_seconds < 15
    # It was still serving when asked to stop, and every one of those requests completed.
    assert after_sigterm > 0
    assert watched["failed"] == 0, failures(watched)


def test_unhealthy_replica_is_replaced_watched(stack, watcher):
    """A replica started with -unhealthy-after (ECHO_UNHEALTHY_AFTER) fails /health from
    then on: the balancer takes it out of rotation and Swarm replaces it, while the other
    replica serves, and no client notices."""
    text = stack.text
    wait_for(lambda: stack.settled(text), 60, f"{REPLICAS} healthy replicas")
    try:
        with Watch(watcher, stack.port, max_seconds=WATCH_LIMIT_SECONDS) as watch:
            watch.wait_for_answer(text)
            watch.keep_sending(1)
            # A rolling update, as stack/README.md shows it: both replicas anew, one with the fault.
            docker("service", "update", "--quiet", "--detach=false", "--env-add",
                   f"ECHO_UNHEALTHY_AFTER={ONE_REPLICA_UNHEALTHY}", stack.app_service)
            wait_for(lambda: stack.settled(text), 60, f"{REPLICAS} healthy replicas after the update")
            faults = {slot_of(c): (c, environment_of(c)["ECHO_UNHEALTHY_AFTER"]) for c in stack.app_containers()}
            victim, _ = faults["1"]
            replacement, rotation_seconds = replacement_serving(stack, victim, within=90)
            watch.keep_sending(1)
        watched = watch.summary
        health = inspect(victim)["State"]["Health"]
        why = task_error(victim, stack.app_service)
        # From the moment its /health turned 503 to the start of its replacement.
        fault_at = started_at(victim) + timedelta(seconds=int(UNHEALTHY_AFTER.removesuffix("s")))
        replaced_after = (started_at(replacement) - fault_at).total_seconds()
        replacement_fault = environment_of(replacement)["ECHO_UNHEALTHY_AFTER"]
        served_by_victim = served_requests(victim)
    finally:
        # Back to what stack.yml says (no fault), as the other tests expect the stack.
        stack.up(text)
        wait_for(lambda: stack.settled(text), 60, f"{REPLICAS} healthy replicas without the fault")

    report(
        f"replica unhealthy after {UNHEALTHY_AFTER} (-unhealthy-after): Swarm ended its task ({why!r}) and started "
        f"a replacement {replaced_after:.1f} s after /health turned 503, healthy and serving traffic "
        f"{rotation_seconds:.1f} s after it was seen healthy"
    )
    report(f"replica unhealthy on purpose, watched: {describe(watched)}")

    assert {slot: fault for slot, (_, fault) in faults.items()} == {"1": UNHEALTHY_AFTER, "2": "0s"}
    # It served, then failed its checks, and Swarm put a replica of its slot (with the
    # same fault: it started with the same settings) in its place.
    assert served_by_victim > 0 and health["Status"] == "unhealthy", health
    assert "unhealthy" in why, why
    assert slot_of(replacement) == "1" and replacement_fault == UNHEALTHY_AFTER
    assert watched["failed"] == 0, failures(watched)
    assert texts(watched) == [text], watched["versions"]
